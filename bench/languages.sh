#!/usr/bin/env bash
# Plugins in Rust, Python and JavaScript: the same grant policy (the kits'
# `warden plugin new --hook grant-policy`), built with each language's tool.
# Usage: bench/languages.sh [seconds per wrk run, default 10] [calls, default 2000]
# Prints the compile time on `plugin add`, the per-call cost with a fresh
# instance (`plugin test --repeat`) and client_credentials throughput of a
# tenant bound to each, against a tenant without a plugin, in one server;
# then the same with each policy letting the host reuse its decisions.
# Needs wrk, python3 with venv, npm, the wasm32-wasip2 target. Set
# WARDEN_BENCH_BIN to use an existing release binary instead of building.
set -euo pipefail
DURATION=${1:-10}
CALLS=${2:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
BIN=${WARDEN_BENCH_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
fi
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=
POLICY='{"allowed_scopes": ["read", "write"], "claims": {"org": "bench"}}'

# Build each kit as its author would.
python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install --quiet componentize-py==0.25.1
declare -A WASM
for LANG in rust python js; do
  (cd "$WORK" && "$BIN" plugin new "$LANG-policy" --lang "$LANG" --hook grant-policy >/dev/null)
  case $LANG in
    rust) (cd "$WORK/rust-policy" && cargo build --release --quiet --target wasm32-wasip2)
          WASM[rust]=$WORK/rust-policy/target/wasm32-wasip2/release/rust_policy.wasm ;;
    python) (cd "$WORK/python-policy" && PATH="$WORK/venv/bin:$PATH" componentize-py -q -d wit -w grant-policy componentize app -o python_policy.wasm)
          WASM[python]=$WORK/python-policy/python_policy.wasm ;;
    js) (cd "$WORK/js-policy" && npm install --silent --no-audit --no-fund && npm run --silent build >/dev/null)
          WASM[js]=$WORK/js-policy/js_policy.wasm ;;
  esac
done
# StarlingMonkey (componentize-js's default build) for comparison.
(cd "$ROOT/tests/plugins/js" && { [ -d node_modules ] || npm ci --silent --no-audit --no-fund; } \
  && npx componentize-js "$WORK/js-policy/policy.js" --wit "$ROOT/wit" -n grant-policy -o "$WORK/js-policy/sm_policy.wasm" >/dev/null)
WASM[js-starlingmonkey]=$WORK/js-policy/sm_policy.wasm

export WARDEN_DATABASE_URL="sqlite://$WORK/bench.db"
export WARDEN_LISTEN=127.0.0.1:18183
export WARDEN_LOG=${WARDEN_LOG:-warn,warden::plugins=info}
LANGS="rust python js js-starlingmonkey"
"$BIN" migrate >/dev/null 2>&1 # and makes the master key, before timing anything
for LANG in $LANGS; do
  printf '%-18s %6s KB  ' "$LANG" $(( $(stat -c %s "${WASM[$LANG]}") / 1024 ))
  START=$(date +%s%N)
  WARDEN_LOG=warn "$BIN" plugin add "${WASM[$LANG]}" --name "$LANG" >/dev/null
  printf 'plugin add %5d ms  ' $(( ($(date +%s%N) - START) / 1000000 ))
  "$BIN" plugin test "${WASM[$LANG]}" --hook grant-policy --input "$WORK/$( [ "$LANG" = js-starlingmonkey ] && echo js || echo "$LANG")-policy/request.json" \
    --config "$POLICY" --repeat "$CALLS" 2>&1 >/dev/null | tail -1
done

declare -A BASIC
for T in none $LANGS; do
  "$BIN" tenant create "t-$T" --json >/dev/null
  CREDS=$("$BIN" client create --tenant "t-$T" --name bench --scopes "read write" --json)
  ID=$(echo "$CREDS" | sed -n 's/.*"client_id": "\([^"]*\)".*/\1/p')
  SECRET=$(echo "$CREDS" | sed -n 's/.*"client_secret": "\([^"]*\)".*/\1/p')
  BASIC[$T]=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
  [ "$T" = none ] || "$BIN" plugin bind --tenant "t-$T" --hook grant-policy --plugin "$T" --config "$POLICY" >/dev/null
done
"$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18183/healthz >/dev/null && break; sleep 0.1; done
# First tokens run Winch's code; wait until Cranelift's has replaced it.
for T in $LANGS; do
  curl -s -o /dev/null -H "Authorization: Basic ${BASIC[$T]}" -d grant_type=client_credentials http://127.0.0.1:18183/t/t-$T/token
done
for _ in $(seq 120); do
  [ "$(grep -c 'compiler="cranelift"' "$WORK/serve.log" || true)" -ge 4 ] && break; sleep 1
done
for T in none $LANGS; do
  URL=http://127.0.0.1:18183/t/t-$T/token
  BASIC=${BASIC[$T]} wrk -t2 -c32 -d3s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
  printf 'client_credentials, tenant with %-18s 32 connections, %ss: ' "$T" "$DURATION"
  BASIC=${BASIC[$T]} wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
done

# The same policies letting the host reuse their decisions for 5 minutes
# (`cache_for_seconds` in the kits' configuration, `cache-for` in the WIT):
# every request here is the same input, so nearly all are answered from memory.
REUSE='{"allowed_scopes": ["read", "write"], "claims": {"org": "bench"}, "cache_for_seconds": 300}'
for T in $LANGS; do
  "$BIN" plugin bind --tenant "t-$T" --hook grant-policy --plugin "$T" --config "$REUSE" >/dev/null
done
sleep 2 # the bindings reach the server within cache_refresh_ms
for T in none $LANGS; do
  URL=http://127.0.0.1:18183/t/t-$T/token
  BASIC=${BASIC[$T]} wrk -t2 -c32 -d3s -s "$ROOT/bench/token.lua" "$URL" >/dev/null # warm-up
  printf 'client_credentials, tenant with %-18s decisions reused, 32 connections, %ss: ' "$T" "$DURATION"
  BASIC=${BASIC[$T]} wrk -t2 -c32 -d"${DURATION}s" -s "$ROOT/bench/token.lua" "$URL" | grep '^RESULT' | sed 's/^RESULT //'
done
curl -s http://127.0.0.1:18183/metrics | grep '^warden_plugin_decisions_reused_total'
