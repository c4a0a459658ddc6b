-- wrk script: posts the encrypted pushes of a gen_pushes.py file, one line per request, to /callback.
--   wrk -t2 -c64 -d10s --latency -s push.lua http://127.0.0.1:18080 -- FILE TAG THREADS [PATH]
-- Each thread owns a byte slice of FILE (the lines that start inside it). The id of every push is rewritten to
-- "<uuid>-<TAG>.<round>", so pushes stay distinct across runs that reuse the file (give each run its own TAG)
-- and when a thread wraps around its slice; the encrypted body, which the signature covers, is unchanged.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../lib/wrkstats.lua")

local file, tag, path
local slice_start, slice_end, pos, round = 0, 0, 0, 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local name = assert(args[1], "usage: -- FILE TAG THREADS [PATH]")
  tag = args[2] or "run"
  local nthreads = tonumber(args[3] or "1")
  path = args[4] or "/callback"
  file = assert(io.open(name, "rb"))
  local size = file:seek("end")
  slice_start = math.floor(size * tid / nthreads)
  slice_end = math.floor(size * (tid + 1) / nthreads)
  if slice_start > 0 then
    -- The line that straddles the boundary belongs to the previous thread: skip to the next line start.
    file:seek("set", slice_start - 1)
    local rest = file:read("*l")
    slice_start = slice_start + #rest
  end
  assert(slice_start < slice_end, "push file too small for " .. nthreads .. " threads")
  file:seek("set", slice_start)
  pos = slice_start
end

function request()
  if pos >= slice_end then
    round = round + 1
    file:seek("set", slice_start)
    pos = slice_start
  end
  local line = file:read("*l")
  pos = pos + #line + 1
  -- Characters 8..43 are the uuid: '{"id":"' is 7 characters long.
  local body = string.sub(line, 1, 43) .. "-" .. tag .. "." .. round .. string.sub(line, 44)
  return wrk.format("POST", path, headers, body)
end
