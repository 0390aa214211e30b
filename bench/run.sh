#!/usr/bin/env bash
# Load benchmark: client_credentials against a release build on SQLite.
# Usage: bench/run.sh [seconds per run, default 15]
# Needs wrk (Debian: apt-get install wrk). Prints requests/s, p50 and p99 at
# 32 and 128 concurrent connections.
set -euo pipefail
DURATION=${1:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN="$ROOT/target/release/warden"
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
