-- wrk script: posts the encrypted pushes of a gen_pushes.py file, one line per request, to /callback.
--   wrk -t2 -c64 -d10s --latency -s push.lua http://127.0.0.1:18080 -- FILE TAG THREADS [PATH [CURSOR]]
-- The threads take the file's lines in turn (thread t every THREADS-th line), from the byte offset kept in the
-- file CURSOR (0 without one), and done() writes the offset where the next run is to start back to it. Each
-- push is a booking of its own (its order number is inside the signed ciphertext and cannot be changed here),
-- so runs against one store that share a CURSOR send only bookings the store has not seen, each of which
-- makes its rule send. At the end of the file a thread starts again from its beginning: those pushes repeat
-- bookings, and done() counts them in a line `BENCH-REPEATED n`. The id of every push is rewritten to
-- "<uuid>-<TAG>.<round>", so ids stay distinct even then; the encrypted body, which the signature covers, is
-- unchanged.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../lib/wrkstats.lua")

local file, tag, path, nthreads
local round = 0
-- Byte offset just past the last line this thread sent; how many requests it sent after wrapping around.
pos = 0
repeated = 0
local headers = { ["Content-Type"] = "application/json" }

local function read_cursor(name)
  if not name then
    return 0
  end
  local f = io.open(name, "r")
  if not f then
    return 0
  end
  local value = tonumber(f:read("*l") or "") or 0
  f:close()
  return value
end

-- Skips `n` lines; false at the end of the file.
local function skip(n)
  for _ = 1, n do
    local line = file:read("*l")
    if not line then
      return false
    end
    pos = pos + #line + 1
  end
  return true
end

local function rewind()
  round = round + 1
  file:seek("set", 0)
  pos = 0
  skip(tid)
end

function init(args)
  local name = assert(args[1], "usage: -- FILE TAG THREADS [PATH [CURSOR]]")
  tag = args[2] or "run"
  nthreads = tonumber(args[3] or "1")
  path = args[4] or "/callback"
  file = assert(io.open(name, "rb"))
  local size = file:seek("end")
  -- A global, so that done(), which runs in wrk's main state and is given no arguments, can read it.
  cursor = args[5]
  local start = read_cursor(cursor)
  if start >= size then
    start = 0
  end
  file:seek("set", start)
  pos = start
  if not skip(tid) then
    rewind()
  end
end

function request()
  local line = file:read("*l")
  if not line then
    rewind()
    line = assert(file:read("*l"), "push file too small for " .. nthreads .. " threads")
  end
  pos = pos + #line + 1
  if round > 0 then
    repeated = repeated + 1
  end
  if not skip(nthreads - 1) then
    rewind()
  end
  -- Characters 8..43 are the uuid: '{"id":"' is 7 characters long.
  local body = string.sub(line, 1, 43) .. "-" .. tag .. "." .. round .. string.sub(line, 44)
  return wrk.format("POST", path, headers, body)
end

local stats_setup, stats_done = setup, done
local mine = {}

function setup(thread)
  stats_setup(thread)
  table.insert(mine, thread)
end

function done(summary, latency, requests)
  stats_done(summary, latency, requests)
  -- The next run starts past every line sent; a thread that wrapped around has sent the file's start again.
  local next_start, wrapped, total = 0, false, 0
  for _, t in ipairs(mine) do
    local r = t:get("repeated") or 0
    total = total + r
    if r > 0 and not wrapped then
      wrapped, next_start = true, 0
    end
    if (r > 0) == wrapped then
      next_start = math.max(next_start, t:get("pos") or 0)
    end
  end
  if total > 0 then
    io.write(string.format("BENCH-REPEATED %d\n", total))
  end
  local cursor_file = mine[1] and mine[1]:get("cursor")
  if cursor_file then
    local f = assert(io.open(cursor_file, "w"))
    f:write(string.format("%d\n", next_start))
    f:close()
  end
end

