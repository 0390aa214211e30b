#!/usr/bin/env bash
# A long Schemathesis run against the admin API's OpenAPI contract (the test
# suite runs a 75-second one per backend). Usage:
#   bench/fuzz-admin.sh [seconds, default 600] [sqlite|postgres, default sqlite] [seed]
# Uses tests/py/.venv (build it with `cargo test --test openapi` or
# `python3 -m venv tests/py/.venv && tests/py/.venv/bin/pip install -r tests/py/requirements.txt`).
# Prints Schemathesis' summary; exits non-zero on any failure, and on a panic
# in the server's log.
set -euo pipefail
SECONDS_TO_RUN=${1:-600}
BACKEND=${2:-sqlite}
SEED=${3:-$RANDOM$RANDOM}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/tests/py/.venv/bin/python"
[ -x "$PY" ] || { echo "no tests/py/.venv: run 'cargo test --test openapi' once" >&2; exit 1; }
# The test suite's build: its feature set differs from a plain `cargo build`.
cargo test --quiet --manifest-path "$ROOT/Cargo.toml" --workspace --no-run
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/warden"
WORK=$(mktemp -d)
DB=warden_fuzz_$$
cleanup() {
  kill "$PID" 2>/dev/null || true
  [ "$BACKEND" = postgres ] && psql -qh 127.0.0.1 -U postgres -d test -c "drop database if exists $DB" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
case "$BACKEND" in
  sqlite) export WARDEN_DATABASE_URL="sqlite://$WORK/fuzz.db" ;;
  postgres)
    psql -qh 127.0.0.1 -U postgres -d test -c "create database $DB"
    export WARDEN_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" ;;
  *) echo "backend: sqlite or postgres" >&2; exit 1 ;;
esac
export WARDEN_MASTER_KEY=$(head -c32 /dev/urandom | base64 -w0)
export WARDEN_ADMIN_TOKEN=$(head -c32 /dev/urandom | base64 -w0)
export WARDEN_LISTEN=127.0.0.1:18191
export WARDEN_LOG=${WARDEN_LOG:-warn}
"$BIN" tenant create acme >/dev/null
"$BIN" client create --tenant acme --name fuzz --scopes read >/dev/null
"$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18191/healthz >/dev/null && break; sleep 0.1; done
cd "$WORK"
status=0
"$PY" -c "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())" \
  --config-file "$ROOT/tests/schemathesis.toml" \
  run http://127.0.0.1:18191/admin/v1/openapi.json \
  -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples 100000 --max-time "$SECONDS_TO_RUN" --seed "$SEED" \
  --request-timeout 10 --no-color > "$WORK/st.txt" 2>&1 || status=$?
# The whole report when something failed, the summary otherwise.
if [ $status -ne 0 ]; then cat "$WORK/st.txt"; else sed -n '/^=* SUMMARY/,$p' "$WORK/st.txt"; fi
if grep -q panicked "$WORK/serve.log"; then
  echo "the server panicked:" >&2; grep -A5 panicked "$WORK/serve.log" >&2; status=1
fi
exit $status
