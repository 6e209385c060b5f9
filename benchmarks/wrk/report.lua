-- wrk script: sends the requests listed in WRK_REQUESTS in turn, counts every response that is not
-- 2xx, and prints one JSON line (prefixed "WRK_JSON ") with throughput, latency percentiles and
-- errors, for benchmarks/service.py to read.
--
-- WRK_REQUESTS: requests separated by ";", each "METHOD PATH [BEARER_TOKEN]", e.g.
--   "GET /api/v1/users/me/ abc.def.ghi;GET /api/v1/info/"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  prepared = {}
  for _, spec in ipairs(split(os.getenv("WRK_REQUESTS") or "GET /", ";")) do
    local fields = split(spec, " ")
    local headers = {}
    if fields[3] then
      headers["Authorization"] = "Bearer " .. fields[3]
    end
    local body = nil
    if fields[1] == "POST" then
      headers["Content-Type"] = "application/json"
      body = "{}"
    end
    table.insert(prepared, wrk.format(fields[1], fields[2], headers, body))
  end
  counter = 0
  non2xx = 0
end

function request()
  counter = counter + 1
  return prepared[(counter - 1) % #prepared + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max
  ))
end
