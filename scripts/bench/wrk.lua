-- The load script the benchmarks give to wrk (see common.py, `run_load`).
--
-- Configured through the environment: BENCH_SPEC is a folder holding `mode` ("submit" or
-- "get"), `headers` ("Name: value" lines), and either `path` and `body` (submit: the body
-- holds the marker @@ID@@ where each request's instanceID goes) or `paths` (get: one path a
-- line, taken in turn). BENCH_PREFIX starts every instanceID, BENCH_OUT is the JSON report.
--
-- wrk is run with one connection per thread, so each thread's requests and responses
-- alternate strictly: the response seen is always the answer to the request last made.
-- That is what lets a submit run name the instanceIDs it had acknowledged (every ID it
-- sent but those refused, dropped with a connection, or in flight when the run stopped).

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

local function slurp(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

local function split(text, marker)
  local pieces, start = {}, 1
  while true do
    local first, last = string.find(text, marker, start, true)
    if not first then break end
    pieces[#pieces + 1] = string.sub(text, start, first - 1)
    start = last + 1
  end
  pieces[#pieces + 1] = string.sub(text, start)
  return pieces
end

function init(args)
  local spec = os.getenv("BENCH_SPEC")
  prefix = os.getenv("BENCH_PREFIX") or ""
  mode = slurp(spec .. "/mode"):gsub("%s+$", "")
  headers = {}
  for line in io.lines(spec .. "/headers") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[name] = value end
  end
  if mode == "submit" then
    path = slurp(spec .. "/path"):gsub("%s+$", "")
    pieces = split(slurp(spec .. "/body"), "@@ID@@")
  else
    paths = {}
    for line in io.lines(spec .. "/paths") do
      if #line > 0 then paths[#paths + 1] = line end
    end
  end
  sent = 0
  pending = nil
  unknown = {}
  refused = {}
  statuses = {}
end

function request()
  if mode == "submit" then
    if pending then unknown[#unknown + 1] = pending end
    sent = sent + 1
    pending = prefix .. tid .. "-" .. sent
    return wrk.format("POST", path, headers, table.concat(pieces, pending))
  end
  sent = sent + 1
  return wrk.format("GET", paths[(sent - 1) % #paths + 1], headers)
end

function response(status, _headers, _body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if mode == "submit" then
    if status ~= 201 and pending then refused[#refused + 1] = pending .. " " .. key end
    pending = nil
  end
end

local function json_strings(list)
  local quoted = {}
  for i, value in ipairs(list) do quoted[i] = '"' .. value .. '"' end
  return "[" .. table.concat(quoted, ",") .. "]"
end

local function json_counts(counts)
  local parts = {}
  for key, value in pairs(counts) do parts[#parts + 1] = '"' .. key .. '":' .. value end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _requests)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local prefix = os.getenv("BENCH_PREFIX") or ""
  local e = summary.errors
  out:write(string.format(
    '{"tool":"wrk","duration_s":%.6f,"responses":%d,"errors":%d,"latency_ms":'
      .. '{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f},"threads":[',
    summary.duration / 1e6, summary.requests, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
  for i, thread in ipairs(threads) do
    local last = thread:get("pending")
    local maybe = thread:get("unknown")
    if last then maybe[#maybe + 1] = last end
    out:write(string.format(
      '%s{"id":"%s","sent":%d,"statuses":%s,"refused":%s,"unknown":%s}',
      i > 1 and "," or "", prefix .. thread:get("tid") .. "-", thread:get("sent"),
      json_counts(thread:get("statuses")), json_strings(thread:get("refused")),
      json_strings(maybe)))
  end
  out:write("]}\n")
  out:close()
end
