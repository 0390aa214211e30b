-- wrk script: client_credentials for a tenant picked at random per request.
-- TENANTS names a file of "slug basic" lines (basic = base64 of id:secret);
-- ONLY=N uses just the first N lines (ONLY=1: one tenant, for comparison).
local entries = {}

function init(args)
  local limit = tonumber(os.getenv("ONLY") or "0")
  for line in io.lines(os.getenv("TENANTS")) do
    local slug, basic = line:match("^(%S+) (%S+)$")
    if slug then
      entries[#entries + 1] = {
        path = "/t/" .. slug .. "/token",
        headers = {
          ["Content-Type"] = "application/x-www-form-urlencoded",
          ["Authorization"] = "Basic " .. basic,
        },
      }
      if limit > 0 and #entries >= limit then break end
    end
  end
  -- Each wrk thread runs its own Lua state: give each its own sequence.
  math.randomseed(os.time() + tonumber(tostring(entries):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local e = entries[math.random(#entries)]
  return wrk.format("POST", e.path, e.headers, "grant_type=client_credentials&scope=read")
end

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
