-- Shared by the wrk scripts: gives each thread its number, counts answers that are not 200 and prints one
-- machine-readable BENCH line in done(). A script loads it with dofile() and defines request() and init().

local threads = {}
local next_tid = 0

-- Runs in wrk's main Lua state once per thread, before that thread starts.
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

non200 = 0
codes = ""
first_error = ""
local code_counts = {}

-- Runs in each thread for each answer.
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    code_counts[status] = (code_counts[status] or 0) + 1
    local parts = {}
    for code, n in pairs(code_counts) do
      table.insert(parts, code .. "x" .. n)
    end
    codes = table.concat(parts, ",")
    if first_error == "" then
      first_error = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

-- Runs once in the main state after the run.
function done(summary, latency, requests)
  local bad, code_list, first = 0, {}, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non200") or 0)
    local c = t:get("codes") or ""
    if c ~= "" then
      table.insert(code_list, c)
    end
    if first == "" then
      first = t:get("first_error") or ""
    end
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local ok = summary.requests - bad
  io.write(string.format(
    "BENCH requests=%d ok=%d non200=%d errors=%d seconds=%.3f ok_per_s=%.1f p50_ms=%.3f p90_ms=%.3f " ..
      "p99_ms=%.3f max_ms=%.3f codes=%s\n",
    summary.requests, ok, bad, errors, seconds, ok / seconds, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    (#code_list > 0) and table.concat(code_list, ";") or "-"))
  if first ~= "" then
    io.write("BENCH-FIRST-ERROR " .. string.gsub(first, "\n", " ") .. "\n")
  end
end
