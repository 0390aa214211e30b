#!/usr/bin/env bash
# What metrics and traces cost: client_credentials throughput on SQLite with
# both off, metrics only, and metrics plus traces exported to a local OTLP
# collector stand-in (bench/otlp_sink.py) at sampling ratios 1 and 0.1.
# Runs alternate, one server per run, ROUNDS rounds; prints each run and the
# median of each setting against both off.
# Usage: bench/telemetry.sh [seconds per run, default 10] [rounds, default 3]
# Needs wrk (Debian: apt-get install wrk) and python3.
set -euo pipefail
DURATION=${1:-10}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
WORK=$(mktemp -d)
PID=; SINK=
trap 'kill $PID $SINK 2>/dev/null || true; rm -rf "$WORK"' EXIT
export WARDEN_DATABASE_URL="sqlite://$WORK/bench.db"
export WARDEN_LISTEN=127.0.0.1:18183
export WARDEN_LOG=${WARDEN_LOG:-warn}
"$BIN" tenant create bench --json >/dev/null
CREDS=$("$BIN" client create --tenant bench --name bench --scopes "read write" --json)
ID=$(echo "$CREDS" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
SECRET=$(echo "$CREDS" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
export BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
python3 "$ROOT/bench/otlp_sink.py" 14318 &
SINK=$!
URL=http://127.0.0.1:18183/t/bench/token

# name: environment for the server
SETTINGS=(
  "off:WARDEN_METRICS=false"
  "metrics:WARDEN_METRICS=true"
  "metrics+traces:WARDEN_METRICS=true WARDEN_OTLP_ENDPOINT=http://127.0.0.1:14318"
  "metrics+traces@0.1:WARDEN_METRICS=true WARDEN_OTLP_ENDPOINT=http://127.0.0.1:14318 WARDEN_OTLP_SAMPLE_RATIO=0.1"
)
run() { # setting → requests/s
  local env=${1#*:}
  env $env "$BIN" serve > "$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18183/healthz >/dev/null && break; sleep 0.1; done
  wrk -t2 -c32 -d2s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
  local out
  out=$(wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //')
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  echo "$out"
}
declare -A RESULTS
for round in $(seq "$ROUNDS"); do
  for s in "${SETTINGS[@]}"; do
    name=${s%%:*}
    out=$(run "$s")
    printf 'round %d %-20s %s\n' "$round" "$name" "$out"
    rps=$(echo "$out" | sed -n 's/.*requests\/s=\([0-9]*\).*/\1/p')
    RESULTS[$name]="${RESULTS[$name]:-} $rps"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
BASE=$(echo "${RESULTS[off]}" | median)
for s in "${SETTINGS[@]}"; do
  name=${s%%:*}
  m=$(echo "${RESULTS[$name]}" | median)
  printf 'median %-20s %6d req/s  %.3f of both off\n' "$name" "$m" "$(echo "$m / $BASE" | bc -l)"
done
printf 'collector stand-in received: %s' "$(curl -s http://127.0.0.1:14318/)"
