-- wrk script: client_credentials for a pull app's installation with
-- private_key_jwt. Each request spends one pre-signed assertion (a jti is
-- single-use): ASSERTIONS is a file of "installation_id assertion" lines,
-- dealt out to wrk's threads in turn (THREADS of them).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  local n = 0
  local step = tonumber(os.getenv("THREADS"))
  for line in io.lines(os.getenv("ASSERTIONS")) do
    if n % step == tid then
      lines[#lines + 1] = line
    end
    n = n + 1
  end
  next_line = 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local line = lines[next_line] or lines[#lines]
  next_line = next_line + 1
  local installation, assertion = line:match("^(%S+) (%S+)$")
  return wrk.format(nil, nil, nil,
    "grant_type=client_credentials&installation_id=" .. installation ..
    "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" ..
    "&client_assertion=" .. assertion)
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
