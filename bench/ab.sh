#!/usr/bin/env bash
# A/B throughput of two warden binaries on the same SQLite database:
# client_credentials at 32 connections, alternating runs so drift hits both.
# With IDLE=N, N idle connections are held open during every run (what the
# listener's watchdog costs, and whether token p99 holds beside them).
# With PLUGIN=file.wasm (and POLICY='{…}' its configuration), the tenant has
# that grant policy bound in both.
# Usage: bench/ab.sh BIN_A BIN_B [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
A=$1; B=$2; DURATION=${3:-10}; ROUNDS=${4:-3}; IDLE=${IDLE:-0}
POLICY=${POLICY:-'{}'}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
WORK=$(mktemp -d)
PID=
trap 'kill $PID 2>/dev/null || true; kill $HOLD 2>/dev/null || true; rm -rf "$WORK"' EXIT
HOLD=
export WARDEN_LISTEN=127.0.0.1:18183
export WARDEN_LOG=${WARDEN_LOG:-warn}
# A database each: a newer binary's migrations are not an older one's.
setup() { # $1 name, $2 binary: prints the client's Basic credentials
  export WARDEN_DATABASE_URL="sqlite://$WORK/$1.db"
  "$2" tenant create bench --json >/dev/null 2>&1
  local creds id secret
  creds=$("$2" client create --tenant bench --name bench --scopes "read write" --json 2>/dev/null)
  id=$(echo "$creds" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
  secret=$(echo "$creds" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
  if [ -n "${PLUGIN:-}" ]; then
    "$2" plugin add "$PLUGIN" --name policy >/dev/null 2>&1
    "$2" plugin bind --tenant bench --hook grant-policy --plugin policy --config "$POLICY" >/dev/null 2>&1
  fi
  printf '%s:%s' "$id" "$secret" | base64 -w0
}
BASIC_A=$(setup a "$A")
BASIC_B=$(setup b "$B")
URL=http://127.0.0.1:18183/t/bench/token
run() { # $1 label, $2 binary, $3 database name, $4 Basic credentials
  export WARDEN_DATABASE_URL="sqlite://$WORK/$3.db" BASIC=$4
  "$2" serve > "$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18183/healthz >/dev/null && break; sleep 0.05; done
  if [ "$IDLE" -gt 0 ]; then
    python3 -c "
import socket, time
s = [socket.create_connection(('127.0.0.1', 18183)) for _ in range($IDLE)]
time.sleep(3600)" &
    HOLD=$!
    sleep 1
  fi
  wrk -t2 -c32 -d2s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
  printf '%s: ' "$1"
  wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
  [ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null || true
  HOLD=
  kill "$PID"; wait "$PID" 2>/dev/null || true
}
for r in $(seq "$ROUNDS"); do
  run "A round $r" "$A" a "$BASIC_A"
  run "B round $r" "$B" b "$BASIC_B"
done
