#!/usr/bin/env bash
# Benchmark: pull credentials (issue 12). One tenant, a push app and a pull
# app installed in it; client_credentials for the push installation's client
# (client_secret_basic) and for the pull installation with private_key_jwt
# (ES256 assertions, each used once: pre-signed by bench/pull_assertions.py),
# alternated push, pull, pull, push at 32 connections, on SQLite.
# Usage: bench/pull.sh [seconds per run, default 10] [assertions per pull run, default 250000]
# Needs wrk, curl and Python 3 with joserfc (the test suite's tests/py/.venv has it).
# WARDEN_BENCH_PERF=1 also profiles the second pull run with perf and prints the top symbols.
set -euo pipefail
DURATION=${1:-10}
PER_RUN=${2:-250000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
PY="$ROOT/tests/py/.venv/bin/python"
[ -x "$PY" ] || PY=python3
"$PY" -c 'import joserfc' 2>/dev/null || { echo "bench needs joserfc: run cargo test once (it builds tests/py/.venv) or pip install joserfc" >&2; exit 1; }
cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
export WARDEN_DATABASE_URL="sqlite://$WORK/bench.db"
export WARDEN_LISTEN=127.0.0.1:18184
export WARDEN_LOG=${WARDEN_LOG:-warn}
BASE=http://127.0.0.1:18184
URL=$BASE/t/bench/token
PUBLIC=$("$PY" "$ROOT/bench/pull_assertions.py" keygen "$WORK/key.json")
manifest() { # slug credentials extra
  printf '{"slug": "%s", "name": "%s", "publisher": {"name": "Bench"}, "hook_url": "http://127.0.0.1:9/hook", "credentials": "%s", %s "permissions": [{"name": "read", "level": "tenant", "description": "Read"}]}' "$1" "$1" "$2" "$3"
}
"$BIN" tenant create bench --json >/dev/null
manifest push-bench push "" > "$WORK/push.json"
manifest pull-bench pull "\"jwks\": {\"keys\": [$PUBLIC]}," > "$WORK/pull.json"
"$BIN" app register "$WORK/push.json" >/dev/null
"$BIN" app register "$WORK/pull.json" >/dev/null
PUSH=$("$BIN" installation create --tenant bench --app push-bench --json)
PULL=$("$BIN" installation create --tenant bench --app pull-bench --json)
ID=$(echo "$PUSH" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
SECRET=$(echo "$PUSH" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
INST=$(echo "$PULL" | sed -n 's/.*"id": "\(in_[^"]*\)".*/\1/p')
export BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
echo "signing $((2 * PER_RUN + 20000)) assertions…"
"$PY" "$ROOT/bench/pull_assertions.py" sign "$WORK/key.json" pull-bench "$URL" "$INST" 20000 "$WORK/warm.txt"
"$PY" "$ROOT/bench/pull_assertions.py" sign "$WORK/key.json" pull-bench "$URL" "$INST" "$PER_RUN" "$WORK/a1.txt"
"$PY" "$ROOT/bench/pull_assertions.py" sign "$WORK/key.json" pull-bench "$URL" "$INST" "$PER_RUN" "$WORK/a2.txt"
"$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf $BASE/healthz >/dev/null && break; sleep 0.1; done
export THREADS=2
ASSERTIONS="$WORK/warm.txt" wrk -t2 -c32 -d2s -s "$ROOT/bench/pull.lua" "$URL" >/dev/null
wrk -t2 -c32 -d2s -s "$ROOT/bench/token.lua" "$URL" >/dev/null
run() { # label script assertions
  printf '%-40s' "$1"
  ASSERTIONS="$3" wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/$2" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
}
run "push installation (client_secret_basic)" token.lua ""
run "pull installation (private_key_jwt)" pull.lua "$WORK/a1.txt"
if [ -n "${WARDEN_BENCH_PERF:-}" ]; then # where a pull token's time goes
  perf record -q -F 999 -p "$PID" -o "$WORK/perf.data" -- sleep "$DURATION" 2>/dev/null &
  PERF=$!
fi
run "pull installation (private_key_jwt)" pull.lua "$WORK/a2.txt"
run "push installation (client_secret_basic)" token.lua ""
if [ -n "${WARDEN_BENCH_PERF:-}" ]; then
  wait "$PERF"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort symbol 2>/dev/null | grep -E '^ +[0-9]' | head -25
fi
