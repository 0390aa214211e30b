#!/usr/bin/env bash
# client_credentials with DPoP proofs (RFC 9449) against plain bearer, on one
# binary and one SQLite (or, with DATABASE=postgres, PostgreSQL) database:
# alternating runs of wrk at 32 connections, each DPoP request with its own
# fresh proof (made ahead by bench/dpop_proofs.py; the server checks it and
# records its jti, so a replay is refused on any replica).
# Usage: [ALG=EdDSA] bench/dpop.sh BIN [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
BIN=$1; DURATION=${2:-10}; ROUNDS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/tests/py/.venv/bin/python
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
[ -x "$PY" ] || { echo "bench needs tests/py/.venv (run the client_libraries test once)" >&2; exit 1; }
WORK=$(mktemp -d)
PID=
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
export WARDEN_LISTEN=127.0.0.1:18184
export WARDEN_LOG=${WARDEN_LOG:-warn}
export WARDEN_PUBLIC_URL=http://127.0.0.1:18184
if [ "${DATABASE:-sqlite}" = postgres ]; then
  DB=bench_dpop_$$
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
  export WARDEN_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
else
  export WARDEN_DATABASE_URL="sqlite://$WORK/bench.db"
fi
"$BIN" tenant create bench --json >/dev/null
CREDS=$("$BIN" client create --tenant bench --name bench --scopes "read write" --json)
ID=$(echo "$CREDS" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
SECRET=$(echo "$CREDS" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
export BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
URL=$WARDEN_PUBLIC_URL/t/bench/token
"$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18184/healthz >/dev/null && break; sleep 0.05; done
wrk -t2 -c32 -d2s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
for r in $(seq "$ROUNDS"); do
  printf 'bearer round %s: ' "$r"
  wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
  # Enough proofs for 40,000 requests/s; signed for a moment 20 s ahead so
  # they are all within the server's 60 s window while wrk runs.
  "$PY" "$ROOT/bench/dpop_proofs.py" "$URL" $((40000 * DURATION)) "$WORK/proofs.txt" 20 "${ALG:-ES256}"
  printf 'dpop   round %s: ' "$r"
  PROOFS=$WORK/proofs.txt THREADS=2 wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/dpop.lua" "$URL" \
    | grep '^RESULT' | sed 's/^RESULT //'
done
kill "$PID"; wait "$PID" 2>/dev/null || true
if [ "${DATABASE:-sqlite}" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $DB" >/dev/null
fi
