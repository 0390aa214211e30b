#!/usr/bin/env bash
# Benchmark: many tenants, each bound to its own grant-policy component.
# Through the admin API it adds DISTINCT copies of the scope-policy plugin that
# differ only in a custom section (so each has its own sha256 and compile),
# creates TENANTS tenants with a client each and binds tenant i to copy
# i % DISTINCT. Then, in one server process, it alternates wrk runs against one
# plugin-bound tenant and against all tenants at random, printing requests/s,
# p50, p99, the ratio and the server's RSS; then restarts the server and times
# the first tokens of 200 random tenants (compiled code comes from the disk
# cache).
# Usage: bench/tenants.sh [TENANTS, default 10000] [DISTINCT, default 1000] [seconds per run, default 15]
# WARDEN_BENCH_DATABASE_URL picks the database (default: a fresh SQLite file);
# WARDEN_BENCH_BIN a prebuilt binary (default: build the release one).
# Needs wrk, curl and python3, and the wasm32-wasip2 target.
set -euo pipefail
TENANTS=${1:-10000}
DISTINCT=${2:-1000}
DURATION=${3:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
for tool in wrk curl python3; do
  command -v $tool >/dev/null || { echo "bench needs $tool (Debian: apt-get install wrk curl python3)" >&2; exit 1; }
done
[ -n "${WARDEN_BENCH_BIN:-}" ] || cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
(cd "$ROOT/plugins" && cargo build --release --quiet --target wasm32-wasip2 --target-dir "$ROOT/plugins/target" -p scope-policy)
PLUGIN="$ROOT/plugins/target/wasm32-wasip2/release/scope_policy.wasm"
BIN=${WARDEN_BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden}
PID=
if [ -n "${WARDEN_BENCH_WORK:-}" ]; then
  # Kept between runs: populated once, then reused (e.g. to compare builds).
  WORK=$WARDEN_BENCH_WORK
  mkdir -p "$WORK"
  trap '[ -n "$PID" ] && kill $PID 2>/dev/null' EXIT
else
  WORK=$(mktemp -d)
  trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
fi
[ -f "$WORK/env" ] || cat > "$WORK/env" <<ENV
export WARDEN_MASTER_KEY=$("$BIN" keys new-master-key)
export WARDEN_ADMIN_TOKEN=bench-$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_')
ENV
. "$WORK/env"
export WARDEN_DATABASE_URL=${WARDEN_BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}
export WARDEN_LISTEN=127.0.0.1:18184 WARDEN_LOG=${WARDEN_LOG:-warn}
export WARDEN_PLUGIN_CACHE_DIR=$WORK/compiled
export TENANTS_FILE=$WORK/tenants.txt
BASE=http://127.0.0.1:18184

start() {
  "$BIN" serve >> "$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do curl -sf $BASE/healthz >/dev/null && return; sleep 0.05; done
  echo "server did not start:" >&2; tail "$WORK/serve.log" >&2; exit 1
}
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d MiB  ", $1, $2 / 1024}' /proc/$PID/status; echo; }
load() { # $1 = label, $2 = ONLY (0 = all tenants)
  printf '%-34s ' "$1"
  ONLY=$2 TENANTS=$TENANTS_FILE wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/tenants.lua" $BASE/ \
    | grep '^RESULT' | sed 's/^RESULT //'
}

start
if [ ! -f "$TENANTS_FILE" ]; then
  echo "populating: $TENANTS tenants, $DISTINCT distinct components"
  python3 "$ROOT/bench/tenants_populate.py" 18184 "$PLUGIN" "$TENANTS" "$DISTINCT" "$TENANTS_FILE.part"
  mv "$TENANTS_FILE.part" "$TENANTS_FILE"
  sleep 2 # bindings reach the directory within cache_refresh_ms
  echo "server after populating: $(rss)"
fi

# Warm up: every tenant's first token (its entry, its component compiled or
# read from the cache), then a short run of each kind.
python3 "$ROOT/bench/first_tokens.py" 18184 "$TENANTS_FILE" "warm-up, every tenant"
ONLY=0 TENANTS=$TENANTS_FILE wrk -t2 -c32 -d5s -s "$ROOT/bench/tenants.lua" $BASE/ >/dev/null
ONLY=1 TENANTS=$TENANTS_FILE wrk -t2 -c32 -d3s -s "$ROOT/bench/tenants.lua" $BASE/ >/dev/null
echo "server after warm-up: $(rss)"
for round in 1 2; do
  load "one plugin-bound tenant:" 1
  load "$TENANTS tenants at random:" 0
done
echo "server after load: $(rss)"

kill $PID; wait $PID 2>/dev/null || true
started=$(date +%s.%N)
start
echo "restart to healthy: $(echo "$(date +%s.%N) - $started" | bc) s"
python3 "$ROOT/bench/first_tokens.py" 18184 "$TENANTS_FILE" "after the restart, random tenants" 200
