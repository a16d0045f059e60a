-- wrk script: a market clock that moves between requests. Each request asks the chain 1 ms of
-- market time after the previous one of its thread, from 10:30 New York on 2026-11-20; at a few
-- thousand requests per second that replays the session several times faster than real time.
--   wrk -t2 -c64 -d10s --latency -s scripts/bench/moving_as_of.lua \
--       -H "Authorization: Bearer $K" "http://127.0.0.1:8931/v1/options/chain/SPX/?limit=100"
local start_ms = 1795188600 * 1000   -- 2026-11-20T15:30:00Z
local step = 0

request = function()
  step = step + 1
  local path = wrk.path .. string.format("&as_of=%d000000", start_ms + step)
  return wrk.format(nil, path)
end
