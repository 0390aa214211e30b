-- wrk script: client_credentials with a DPoP proof per request, each proof
-- used once (read from PROOFS, one per line, threads taking turns).
-- BASIC (base64 of client_id:client_secret) comes from the environment.
local proofs = {}
local next_proof = 1
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(os.getenv("PROOFS")) do
    n = n + 1
    if n % tonumber(os.getenv("THREADS") or "2") == (id - 1) then
      table.insert(proofs, line)
    end
  end
end

function request()
  local proof = proofs[next_proof]
  next_proof = next_proof + 1
  if proof == nil then
    proof = "exhausted"
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. os.getenv("BASIC"),
    ["DPoP"] = proof,
  }, "grant_type=client_credentials&scope=read")
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
