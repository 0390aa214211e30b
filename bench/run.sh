#!/usr/bin/env bash
# Load benchmark: client_credentials against a release build on SQLite.
# Usage: bench/run.sh [seconds per run, default 15]
# Needs wrk (Debian: apt-get install wrk) and the wasm32-wasip2 target. Prints
# requests/s, p50 and p99 at 32 and 128 concurrent connections, then the
# per-call cost of the scope-policy plugin and the throughput with it bound.
set -euo pipefail
DURATION=${1:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
(cd "$ROOT/plugins" && cargo build --release --quiet --target wasm32-wasip2 --target-dir "$ROOT/plugins/target")
PLUGIN="$ROOT/plugins/target/wasm32-wasip2/release/scope_policy.wasm"
POLICY='{"allowed_scopes": ["read", "write"], "claims": {"org": "bench"}, "max_lifetime_seconds": 600}'
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
export WARDEN_DATABASE_URL="sqlite://$WORK/bench.db"
export WARDEN_LISTEN=127.0.0.1:18181
export WARDEN_LOG=${WARDEN_LOG:-warn}
"$BIN" tenant create bench --json >/dev/null
CREDS=$("$BIN" client create --tenant bench --name bench --scopes "read write" --json)
ID=$(echo "$CREDS" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
SECRET=$(echo "$CREDS" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
export BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
"$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:18181/t/bench/token
wrk -t2 -c32 -d3s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
for C in 32 128; do
  printf 'client_credentials ES256, %3d connections, %ss: ' "$C" "$DURATION"
  wrk -t2 -c"$C" -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
done

# Per-call cost of the grant policy (fresh instance per call), without a server.
cat > "$WORK/grant.json" <<'JSON'
{"tenant": "bench", "client": {"id": "cl_x", "name": "bench", "metadata": {}}, "grant_type": "client_credentials",
 "subject": "cl_x", "requested_scopes": ["read"], "allowed_scopes": ["read", "write"], "audience": [],
 "lifetime_seconds": 3600, "request_time": 1795000000}
JSON
printf 'scope-policy plugin call: '
"$BIN" plugin test "$PLUGIN" --hook grant-policy --input "$WORK/grant.json" --config "$POLICY" --repeat 50000 2>&1 >/dev/null | tail -1

# The same load with the scope policy bound to the tenant.
"$BIN" plugin add "$PLUGIN" --name scope-policy >/dev/null
"$BIN" plugin bind --tenant bench --hook grant-policy --plugin scope-policy --config "$POLICY" >/dev/null
sleep 2 # the binding reaches the server within cache_refresh_ms
wrk -t2 -c32 -d3s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
for C in 32 128; do
  printf 'client_credentials ES256 + scope-policy plugin, %3d connections, %ss: ' "$C" "$DURATION"
  wrk -t2 -c"$C" -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
done
