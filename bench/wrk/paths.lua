-- GETs of paths picked at random from BENCH_PATHS_FILE (one path per line,
-- query included): catalog lists, searches, title pages. No auth.
package.path = (os.getenv("BENCH_LUA_DIR") or "wrk") .. "/?.lua;" .. package.path
local c = require("common")

local paths = {}
setup = c.setup

init = function(args)
  paths = c.lines(c.env("BENCH_PATHS_FILE", "paths.txt"))
  math.randomseed(os.time() + tid)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = c.done
