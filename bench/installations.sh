#!/usr/bin/env bash
# Benchmark: installations of apps (issue 11) against a release build, on SQLite
# and on PostgreSQL. Through the admin API it registers 10 apps, creates 1,000
# tenants and installs every app in every tenant (10,000 installations, 16
# requests at a time), timing each phase; then drives client_credentials with
# wrk for a plain client and for one installation's client of the same tenant
# (plain, installation, installation, plain at 32 and at 128 connections),
# printing requests/s, p50, p99 and the server's CPU time per token, and
# counts the database writes the token requests caused.
# Usage: bench/installations.sh [seconds per wrk run, default 10]
# Needs wrk, curl, python3, sqlite3 and psql; PostgreSQL at
# $WARDEN_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test;
# the script creates and drops a database).
# WARDEN_BENCH_BACKENDS="sqlite postgres" (the default; "both" too) picks which to run.
set -euo pipefail
DURATION=${1:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The deployment build (fat LTO); WARDEN_BENCH_PROFILE=release for the quick one.
PROFILE=${WARDEN_BENCH_PROFILE:-dist}
for tool in wrk curl python3 sqlite3 psql; do
  command -v $tool >/dev/null || { echo "bench needs $tool (Debian: apt-get install wrk curl python3 sqlite3 postgresql-client)" >&2; exit 1; }
done
cargo build --profile "$PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml" -p warden
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/warden"
WORK=$(mktemp -d)
PG_ADMIN=${WARDEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=warden_inst_bench_$$
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export WARDEN_LISTEN=127.0.0.1:18183 WARDEN_LOG=${WARDEN_LOG:-warn}
export WARDEN_MASTER_KEY=$("$BIN" keys new-master-key)
export WARDEN_ADMIN_TOKEN=bench-$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_')
# Every app's hook is a closed loopback port: each installation.created delivery
# fails once (connection refused) and waits an hour before its next attempt, so
# the outbox is idle while tokens are measured.
export WARDEN_DELIVERY_BACKOFF_MS=3600000
BASE=http://127.0.0.1:18183
URL=$BASE/t/t0000/token

# wrk: client_credentials with client_secret_basic; BASIC and BODY from the environment.
cat > "$WORK/token.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
wrk.body = os.getenv("BODY")

function done(summary, latency, requests)
  local ok = summary.requests - summary.errors.status - summary.errors.connect
    - summary.errors.read - summary.errors.write - summary.errors.timeout
  io.write(string.format(
    "RESULT requests/s=%.0f p50_ms=%.2f p99_ms=%.2f ok=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    ok, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

# The admin API, 16 requests at a time (one keep-alive connection per thread).
cat > "$WORK/populate.py" <<'PY'
import http.client, json, os, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

PORT, WORK = int(sys.argv[1]), sys.argv[2]
APPS, TENANTS, CONCURRENCY = 10, 1000, 16
HEADERS = {"Authorization": "Bearer " + os.environ["WARDEN_ADMIN_TOKEN"],
           "Content-Type": "application/json"}
local = threading.local()

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    for attempt in (1, 2):
        conn = getattr(local, "conn", None)
        fresh = conn is None
        if fresh:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=HEADERS)
            response = conn.getresponse()
            raw = response.read()
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            local.conn = None
            if fresh or attempt == 2:  # only a reused connection the server had closed is retried
                raise
    elapsed = time.perf_counter() - start
    if response.status not in (200, 201):
        raise SystemExit(f"{method} {path}: HTTP {response.status} {raw[:400]!r}")
    return (json.loads(raw) if raw else None), elapsed

def phase(label, requests):
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda r: call(*r), requests))
        wall = time.perf_counter() - start
    latencies = sorted(t for _, t in results)
    pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000
    print(f"  {label:<38} {len(results):>6,} in {wall:5.1f} s ({len(results) / wall:,.0f}/s), "
          f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms", flush=True)
    return [body for body, _ in results]

def manifest(slug):  # the README's docs-sync, with its hook on a closed loopback port
    return {"slug": slug, "name": f"Docs Sync {slug}",
            "publisher": {"name": "Acme Integrations", "email": "dev@acme.example"},
            "hook_url": "http://127.0.0.1:9/hook", "access_token_ttl": 36000,
            "resource_types": [{"type": "project", "name": "Projects"}],
            "permissions": [
                {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
                {"name": "documents:write", "level": "resource", "resource_type": "project", "description": "Upload documents"},
                {"name": "budget:read", "level": "resource", "resource_type": "project", "description": "Read budgets", "required": False}]}

apps = [f"docs-sync-{a}" for a in range(APPS)]
tenants = [f"t{t:04d}" for t in range(TENANTS)]
phase("apps (POST /apps)", [("POST", "/admin/v1/apps", manifest(a)) for a in apps])
phase("tenants (POST /tenants)", [("POST", "/admin/v1/tenants", {"slug": t}) for t in tenants])
projects = [{"type": "project", "id": "p1", "name": "Harbour Tower"},
            {"type": "project", "id": "p2", "name": "North Bridge"}]
phase("resources (PUT …/resources)", [("PUT", f"/admin/v1/tenants/{t}/resources", projects) for t in tenants])
# App by app, so concurrent installs land in different tenants.
installs = phase("installations (POST …/installations)", [
    ("POST", f"/admin/v1/tenants/{t}/installations",
     {"app": a, "resources": {"project": ["p1"]}, "installed_by": "bench@acme.example"})
    for a in apps for t in tenants])
bad = [i for i in installs if i["status"] != "active" or not i.get("client_secret")]
if bad:
    raise SystemExit(f"{len(bad)} installations are not active with credentials, e.g. {bad[0]}")
plain, _ = call("POST", "/admin/v1/tenants/t0000/clients", {"name": "bench", "scopes": "read"})
mine = next(i for i in installs if i["tenant"] == "t0000" and i["app"] == apps[0])
for name, cid, secret in (("plain", plain["client_id"], plain["client_secret"]),
                          ("installation", mine["client_id"], mine["client_secret"])):
    with open(os.path.join(WORK, name + ".creds"), "w") as f:
        f.write(f"{cid}:{secret}")
PY

# One connection to the SQLite database, held open: PRAGMA data_version
# changes between two reads on one connection exactly when another
# connection (the server) committed a change in between.
cat > "$WORK/data_version.py" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, isolation_level=None)
for _ in sys.stdin:
    print(db.execute("PRAGMA data_version").fetchone()[0], flush=True)
PY

# The claims of the access token a curl request gets, without the signature.
claims() {
  curl -sf -u "$1" -d "$2" "$URL" | python3 -c '
import base64, json, sys
token = json.load(sys.stdin)["access_token"]
body = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
keep = {k: v for k, v in claims.items() if k in ("sub", "scope", "installation", "authorization_details")}
print(f"{len(token)} bytes, {json.dumps(keep)}")'
}

pg_rows() { # the bench database's row writes so far (statistics), per table
  psql -Atq "$DB_URL" -F' ' -c "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables ORDER BY relname"
}
pg_value() { psql -Atq "$DB_URL" -c "$1"; }
rps() { echo "$1" | sed -n 's/requests\/s=\([0-9]*\).*/\1/p'; }
cpu_per_token() { echo "$1" | sed -n 's/.*server_cpu_us\/token=\([0-9.]*\).*/\1/p'; }
server_cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; } # user + system, in clock ticks
HZ=$(getconf CLK_TCK)

run() { # $1: backend (sqlite or postgres), $2: label
  local backend=$1 label=$2
  echo "== $label"
  "$BIN" serve > "$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf $BASE/healthz >/dev/null && break; sleep 0.1; done
  curl -sf $BASE/healthz >/dev/null || { echo "the server did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
  python3 "$WORK/populate.py" 18183 "$WORK"

  # The outbox: 10,000 installation.created deliveries, each attempted once.
  local due start=$SECONDS
  while :; do
    due="SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= $(date +%s%3N)"
    case $backend in
      sqlite) due=$(sqlite3 -cmd '.timeout 10000' "$DB_FILE" "$due") ;;
      postgres) due=$(pg_value "$due") ;;
    esac
    [ "$due" -eq 0 ] && break
    [ $((SECONDS - start)) -gt 180 ] && { echo "the outbox still has $due due deliveries after 180 s" >&2; exit 1; }
    sleep 1
  done
  local tried
  case $backend in
    sqlite) tried=$(sqlite3 -cmd '.timeout 10000' "$DB_FILE" "SELECT count(*) FROM deliveries WHERE attempts = 1 AND status = 'pending'") ;;
    postgres) tried=$(pg_value "SELECT count(*) FROM deliveries WHERE attempts = 1 AND status = 'pending'") ;;
  esac
  echo "  outbox idle $((SECONDS - start)) s after the last install: $tried deliveries failed once (connection refused), next attempt in 1 h"

  local PLAIN INST
  PLAIN=$(cat "$WORK/plain.creds"); INST=$(cat "$WORK/installation.creds")
  local PLAIN_BODY='grant_type=client_credentials&scope=read' INST_BODY='grant_type=client_credentials'
  echo "  plain client token:        $(claims "$PLAIN" "$PLAIN_BODY")"
  echo "  installation client token: $(claims "$INST" "$INST_BODY")"

  # Database writes before the token requests.
  local before_dv before_hash before_wal before_xact written
  case $backend in
    sqlite)
      before_hash=$(sqlite3 -cmd '.timeout 10000' "$DB_FILE" .sha3sum)
      coproc DV { python3 "$WORK/data_version.py" "$DB_FILE"; }
      echo >&"${DV[1]}"; read -r before_dv <&"${DV[0]}" ;;
    postgres)
      sleep 11 # each server connection reports its statistics within 10 s of going idle
      pg_rows > "$WORK/rows.before"
      before_xact=$(pg_value "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
      before_wal=$(pg_value "SELECT pg_current_wal_lsn()") ;;
  esac
  local window=$SECONDS

  local tokens=0 out
  load() { # $1 credentials, $2 body, $3 connections, $4 seconds; sets out to wrk's RESULT and the server's CPU per token
    local cpu ok
    cpu=$(server_cpu)
    out=$(BASIC=$(printf '%s' "$1" | base64 -w0) BODY=$2 wrk -t2 -c"$3" -d"$4s" -s "$WORK/token.lua" "$URL" \
      | grep '^RESULT' | sed 's/^RESULT //')
    cpu=$(( $(server_cpu) - cpu ))
    ok=$(echo "$out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
    tokens=$((tokens + ok))
    out="$out server_cpu_us/token=$(awk -v t="$cpu" -v n="$ok" -v hz="$HZ" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
  }
  load "$PLAIN" "$PLAIN_BODY" 32 3 # warm-up
  load "$INST" "$INST_BODY" 32 3   # warm-up
  # plain, installation, installation, plain: a drift in the machine's speed
  # during the four runs weighs on both alike.
  local C kind plain_rps inst_rps plain_cpu inst_cpu
  for C in 32 128; do
    plain_rps=0 inst_rps=0 plain_cpu=0 inst_cpu=0
    for kind in plain installation installation plain; do
      if [ $kind = plain ]; then load "$PLAIN" "$PLAIN_BODY" "$C" "$DURATION"; else load "$INST" "$INST_BODY" "$C" "$DURATION"; fi
      printf '  client_credentials, %-19s %3d connections, %ss: %s\n' "$kind client," "$C" "$DURATION" "$out"
      if [ $kind = plain ]; then
        plain_rps=$((plain_rps + $(rps "$out"))); plain_cpu=$(awk -v a="$plain_cpu" -v b="$(cpu_per_token "$out")" 'BEGIN { print a + b }')
      else
        inst_rps=$((inst_rps + $(rps "$out"))); inst_cpu=$(awk -v a="$inst_cpu" -v b="$(cpu_per_token "$out")" 'BEGIN { print a + b }')
      fi
    done
    printf '  installation/plain at %d connections: %s of the requests/s; server CPU per token %s\n' "$C" \
      "$(awk -v a="$inst_rps" -v b="$plain_rps" 'BEGIN { printf "%.3f", a / b }')" \
      "$(awk -v a="$inst_cpu" -v b="$plain_cpu" 'BEGIN { printf "%.1f / %.1f µs = %.3f", a / 2, b / 2, a / b }')"
  done
  window=$((SECONDS - window))

  # Database writes after them.
  case $backend in
    sqlite)
      local after_dv control_dv same=changed
      echo >&"${DV[1]}"; read -r after_dv <&"${DV[0]}"
      [ "$(sqlite3 -cmd '.timeout 10000' "$DB_FILE" .sha3sum)" = "$before_hash" ] && same=identical
      if [ "$after_dv" = "$before_dv" ]; then written=0; else written="at least 1"; fi
      echo "  database writes during $tokens token requests: $written (SQLite: PRAGMA data_version on one connection held open was $before_dv before and $after_dv after; it moves whenever another connection commits; the content hash, .sha3sum, is $same)"
      # The detector detects: one admin write moves it.
      curl -sf -o /dev/null -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" -H 'content-type: application/json' \
        -d '{"slug": "control"}' $BASE/admin/v1/tenants
      echo >&"${DV[1]}"; read -r control_dv <&"${DV[0]}"
      echo "  control: after creating one tenant data_version is $control_dv"
      local dv_pid=$DV_PID
      eval "exec ${DV[1]}>&-"; wait "$dv_pid" 2>/dev/null || true ;;
    postgres)
      local after_wal after_xact wal_bytes control_from
      after_wal=$(pg_value "SELECT pg_current_wal_lsn()")
      wal_bytes=$(pg_value "SELECT pg_wal_lsn_diff('$after_wal', '$before_wal')::bigint")
      sleep 11
      pg_rows > "$WORK/rows.after"
      after_xact=$(pg_value "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
      written=$(join "$WORK/rows.before" "$WORK/rows.after" | awk '{ n += $3 - $2 } END { print n + 0 }')
      echo "  database writes during $tokens token requests: $written (PostgreSQL: rows inserted, updated or deleted in the bench database, pg_stat_user_tables)"
      join "$WORK/rows.before" "$WORK/rows.after" | awk '$3 != $2 { printf "    %s: %d\n", $1, $3 - $2 }'
      echo "  WAL written by the whole cluster over those ${window} s: $wal_bytes bytes; transactions committed in the bench database over ${window} s + 11 s: $((after_xact - before_xact)) (the cache refresher's and the outbox's once-a-second polls, and these queries)"
      control_from=$(pg_value "SELECT pg_current_wal_lsn()")
      curl -sf -o /dev/null -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" -H 'content-type: application/json' \
        -d '{"slug": "control"}' $BASE/admin/v1/tenants
      echo "  control: creating one tenant writes $(pg_value "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$control_from')::bigint") bytes of WAL" ;;
  esac
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

for backend in ${WARDEN_BENCH_BACKENDS:-sqlite postgres}; do
  case $backend in
    both) set -- sqlite postgres ;;
    *) set -- "$backend" ;;
  esac
  for b in "$@"; do
    case $b in
      sqlite)
        DB_FILE=$WORK/bench.db
        export WARDEN_DATABASE_URL="sqlite://$DB_FILE"
        run sqlite SQLite ;;
      postgres)
        psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
        DB_URL=$(echo "$PG_ADMIN" | sed "s#/[^/]*\$#/$PG_DB#")
        export WARDEN_DATABASE_URL=$DB_URL
        run postgres PostgreSQL
        psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null ;;
      *) echo "unknown backend $b (sqlite, postgres or both)" >&2; exit 1 ;;
    esac
  done
done
