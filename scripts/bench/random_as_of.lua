-- wrk script: each request asks the chain at a different instant of the 2026-11-20 session
-- (09:30 to 16:00 New York), so no two requests share a market state. Usage:
--   wrk -t2 -c64 -d10s --latency -s scripts/bench/random_as_of.lua \
--       -H "Authorization: Bearer $K" "http://127.0.0.1:8931/v1/options/chain/SPX/?limit=100"
local open = 1795185000   -- 2026-11-20T14:30:00Z
local span = 6.5 * 3600
local seeded = false

request = function()
  if not seeded then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
    seeded = true
  end
  local seconds = open + math.random(0, span - 1)
  local nanos = math.random(0, 999999999)
  local path = wrk.path .. string.format("&as_of=%d%09d", seconds, nanos)
  return wrk.format(nil, path)
end
