-- Watch-progress save as the player sends it: PUT /api/v1/me/progress/{episode}
-- with a random user's bearer token (BENCH_TOKENS_FILE) and a random one of
-- BENCH_EPISODES episodes, so keys spread over users x episodes.
package.path = (os.getenv("BENCH_LUA_DIR") or "wrk") .. "/?.lua;" .. package.path
local c = require("common")

local episodes = tonumber(c.env("BENCH_EPISODES", "20"))
local tokens = nil

setup = c.setup

init = function(args)
  math.randomseed(os.time() * 100 + tid)
  tokens = c.lines(c.env("BENCH_TOKENS_FILE", "tokens.txt"))
end

request = function()
  local ep = math.random(episodes)
  local title = "title-" .. (ep % 5)
  local body = string.format('{"title_id":"%s","position_seconds":%d,"duration_seconds":1440}', title, math.random(0, 1439))
  return wrk.format("PUT", "/api/v1/me/progress/" .. title .. "-ep-" .. ep .. "?provider=rpc", {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }, body)
end

done = c.done
