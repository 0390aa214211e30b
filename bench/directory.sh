#!/usr/bin/env bash
# Benchmark: what the directory cache's refresh costs at many tenants on
# PostgreSQL with two replicas. Creates TENANTS tenants with a client each
# through replica A's admin API, starts replica B, gives every tenant a first
# token on both, then measures two phases of SECONDS each:
#   idle:    no traffic — the cost of polling (cache_refresh_ms = 1 s);
#   changes: random client_credentials traffic on both replicas while one
#            tenant's signing key is rotated every second through A.
# For each phase it prints PostgreSQL transactions and rows returned (from
# pg_stat_database), bytes the replicas received from PostgreSQL (ss), CPU
# seconds of each replica, tokens/s, and the replicas' own counters.
# Usage: bench/directory.sh [TENANTS, default 10000] [SECONDS, default 30]
# WARDEN_BENCH_BIN picks a prebuilt binary; PostgreSQL at
# $WARDEN_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test;
# the script creates and drops a database). Needs wrk, curl, python3, psql, ss.
set -euo pipefail
TENANTS=${1:-10000}
SECONDS_PER_PHASE=${2:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
for tool in wrk curl python3 psql ss; do
  command -v $tool >/dev/null || { echo "bench needs $tool" >&2; exit 1; }
done
[ -n "${WARDEN_BENCH_BIN:-}" ] || cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN=${WARDEN_BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden}
PG_ADMIN=${WARDEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=warden_dir_bench_$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
export WARDEN_DATABASE_URL=${PG_ADMIN%/*}/$PG_DB WARDEN_LOG=${WARDEN_LOG:-warn}
export WARDEN_MASTER_KEY=$("$BIN" keys new-master-key)
export WARDEN_ADMIN_TOKEN=bench-$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_')
export WARDEN_CACHE_REFRESH_MS=1000

start() { # $1 = port
  WARDEN_LISTEN=127.0.0.1:$1 "$BIN" serve >> "$WORK/serve-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$1/healthz >/dev/null && return; sleep 0.05; done
  echo "replica on $1 did not start" >&2; tail "$WORK/serve-$1.log" >&2; exit 1
}
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' /proc/$1/stat; }
pg() { psql -qtA "$PG_ADMIN" -c "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = '$PG_DB'"; }
pg_bytes() { # bytes received by the replicas' connections to PostgreSQL
  ss -tinH "( dport = :5432 )" | grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | paste -sd+ | bc
}
counter() { curl -s http://127.0.0.1:$1/metrics | awk -v n="$2" '$1 == n {print $2}'; }

start 18185
echo "populating: $TENANTS tenants"
python3 "$ROOT/bench/tenants_populate.py" 18185 /dev/null "$TENANTS" 0 "$WORK/tenants.txt"
start 18186
for port in 18185 18186; do
  python3 "$ROOT/bench/first_tokens.py" $port "$WORK/tenants.txt" "  replica :$port, every tenant"
done

phase() { # $1 = label; runs "$@" (after the label) during the phase
  local label=$1; shift
  read -r tx0 rows0 < <(pg | tr '|' ' ')
  local b0 ca0 cb0 la0 lb0
  b0=$(pg_bytes); ca0=$(cpu "${PIDS[0]}"); cb0=$(cpu "${PIDS[1]}")
  la0=$(counter 18185 warden_directory_tenant_loads_total); lb0=$(counter 18186 warden_directory_tenant_loads_total)
  "$@"
  read -r tx1 rows1 < <(pg | tr '|' ' ')
  local b1 ca1 cb1 la1 lb1
  b1=$(pg_bytes); ca1=$(cpu "${PIDS[0]}"); cb1=$(cpu "${PIDS[1]}")
  la1=$(counter 18185 warden_directory_tenant_loads_total); lb1=$(counter 18186 warden_directory_tenant_loads_total)
  echo "$label ($SECONDS_PER_PHASE s): PostgreSQL $((tx1 - tx0)) transactions, $((rows1 - rows0)) rows," \
    "$((b1 - b0)) bytes to the replicas; CPU A $(echo "$ca1 - $ca0" | bc) s, B $(echo "$cb1 - $cb0" | bc) s;" \
    "tenant entries rebuilt A ${la0:+$((la1 - la0))} B ${lb0:+$((lb1 - lb0))}"
}
idle() { sleep "$SECONDS_PER_PHASE"; }
changes() {
  local loads=()
  for port in 18185 18186; do
    ONLY=0 TENANTS=$WORK/tenants.txt wrk -t1 -c16 -d"${SECONDS_PER_PHASE}s" -s "$ROOT/bench/tenants.lua" \
      http://127.0.0.1:$port/ > "$WORK/wrk-$port.txt" &
    loads+=($!)
  done
  for i in $(seq "$SECONDS_PER_PHASE"); do
    curl -sf -X POST -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" \
      http://127.0.0.1:18185/admin/v1/tenants/t$(printf %05d $((RANDOM % TENANTS)))/keys/rotate >/dev/null
    sleep 1
  done
  wait "${loads[@]}"
  for port in 18185 18186; do echo "  tokens on :$port: $(grep RESULT "$WORK/wrk-$port.txt" | sed 's/RESULT //')"; done
}
phase "idle" idle
phase "one key rotation a second under load" changes
