-- wrk script: posts one distinct alert per request to Alertmanager's v2 API, the comparable job to one push.
--   wrk -t2 -c64 -d10s --latency -s alerts.lua http://127.0.0.1:18093 -- TAG
-- Labels carry a distinct id and order number; annotations carry the gist of the booking a notification shows.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../lib/wrkstats.lua")

local tag
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  tag = args[1] or "run"
end

function request()
  counter = counter + 1
  local id = tag .. "-" .. tid .. "-" .. counter
  local body = '[{"labels":{"alertname":"AppointmentCreated","id":"' .. id .. '","order_num":"Y' .. tid ..
    string.format("%09d", counter) .. '","account":"W00000000516"},' ..
    '"annotations":{"summary":"新预约 张杨 维修服务 2024-10-15 18:30:00","person":"王珂医生",' ..
    '"network":"会话1测试373","status":"待确认"},"generatorURL":"http://127.0.0.1/booking"}]'
  return wrk.format("POST", "/api/v2/alerts", headers, body)
end
