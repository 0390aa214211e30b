#!/usr/bin/env bash
# Load benchmark: the refresh_token grant (rotation writes to the database:
# the storage-bound path) against a release build, on SQLite and on PostgreSQL.
# Usage: bench/refresh.sh [seconds per run, default 15] [connections, default 32]
# Needs wrk and curl; PostgreSQL at $WARDEN_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test; the script creates and drops a database).
# WARDEN_BENCH_BACKENDS="sqlite postgres" (the default) picks which to run.
set -euo pipefail
DURATION=${1:-15}
CONNS=${2:-32}
THREADS=$(( CONNS < 2 ? CONNS : 2 ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
WORK=$(mktemp -d)
PG_ADMIN=${WARDEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=warden_bench_$$
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export WARDEN_LISTEN=127.0.0.1:18182 WARDEN_LOG=${WARDEN_LOG:-warn}
export WARDEN_MASTER_KEY=$("$BIN" keys new-master-key)
BASE=http://127.0.0.1:18182
REDIRECT=http://127.0.0.1/cb

run() { # $1: database URL, $2: label
  export WARDEN_DATABASE_URL=$1
  "$BIN" tenant create bench --json >/dev/null
  printf '%s\n' 'correct horse battery staple' | "$BIN" user create --tenant bench --username alice >/dev/null
  CREDS=$("$BIN" client create --tenant bench --name bench --grant-types authorization_code,refresh_token \
    --scopes read --redirect-uri "$REDIRECT" --json)
  ID=$(echo "$CREDS" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
  SECRET=$(echo "$CREDS" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
  export BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
  "$BIN" serve > "$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 50); do curl -sf $BASE/healthz >/dev/null && break; sleep 0.1; done
  # One login and consent in a cookie jar, then one authorization (one
  # refresh-token family) per connection, twice over for headroom.
  JAR=$WORK/jar
  AUTHZ="$BASE/t/bench/authorize?client_id=$ID&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&scope=read"
  PAGE=$(curl -s -c "$JAR" -b "$JAR" "$AUTHZ")
  field() { echo "$PAGE" | sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | sed 's/&amp;/\&/g'; }
  CSRF=$(field csrf); CONT=$(field continue)
  curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "continue=$CONT" \
    --data-urlencode username=alice --data-urlencode 'password=correct horse battery staple' $BASE/t/bench/login
  PAGE=$(curl -s -c "$JAR" -b "$JAR" "$AUTHZ")
  curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$(field csrf)" --data-urlencode "continue=$(field continue)" \
    --data-urlencode decision=approve $BASE/t/bench/consent
  : > "$WORK/tokens"
  for _ in $(seq $((CONNS * 2))); do
    CODE=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$JAR" "$AUTHZ" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
    curl -s -u "$ID:$SECRET" -d grant_type=authorization_code -d "code=$CODE" -d "redirect_uri=$REDIRECT" $BASE/t/bench/token \
      -w '\n' | tee -a "$WORK/responses" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' >> "$WORK/tokens"
  done
  [ "$(wc -l < "$WORK/tokens")" -ge "$CONNS" ] || { echo "could not obtain refresh tokens (got $(wc -l < "$WORK/tokens"))" >&2; head -c 600 "$WORK/responses" >&2; cat "$WORK/serve.log" >&2; exit 1; }
  # Flush what earlier runs left dirty, so its writeback does not stall this run's fsyncs.
  sync
  printf 'refresh_token (rotation) on %-10s %3d connections, %ss: ' "$2," "$CONNS" "$DURATION"
  TOKENS=$WORK/tokens THREADS=$THREADS wrk -t$THREADS -c"$CONNS" -d"${DURATION}s" -s "$ROOT/bench/refresh.lua" $BASE/t/bench/token \
    | grep '^RESULT' | sed 's/^RESULT //'
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

for backend in ${WARDEN_BENCH_BACKENDS:-sqlite postgres}; do
  case $backend in
    sqlite) run "sqlite://$WORK/bench.db" SQLite ;;
    postgres)
      psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
      run "$(echo "$PG_ADMIN" | sed "s#/[^/]*\$#/$PG_DB#")" PostgreSQL ;;
    *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 1 ;;
  esac
done
