-- Refresh rotation with the refresh token in a cookie: every request spends
-- a token never used before. BENCH_TOKENS_FILE has one token per line, each
-- in its own session, at least as many as connections (plus two per thread
-- for wrk's start-up calls). Each thread takes every BENCH_THREADS-th line;
-- request() pops a token, response() pushes the rotated one from Set-Cookie.
-- A response without one is counted in extra_bad, a request from an empty
-- pool in extra_starved.
package.path = (os.getenv("BENCH_LUA_DIR") or "wrk") .. "/?.lua;" .. package.path
local c = require("common")
c.counters = {"starved", "bad"}

local nthreads = tonumber(c.env("BENCH_THREADS", "2"))
local path = c.env("BENCH_PATH", "/api/v1/auth/refresh")
local pool = {}
starved, bad = 0, 0

setup = c.setup

init = function(args)
  local all = c.lines(c.env("BENCH_TOKENS_FILE", "refresh.txt"))
  for i = 1, #all do
    if (i - 1) % nthreads == tid then pool[#pool + 1] = all[i] end
  end
end

request = function()
  local t = table.remove(pool)
  if t == nil then
    starved = starved + 1
    t = "exhausted"
  end
  return wrk.format("POST", path, {["Cookie"] = "refresh_token=" .. t})
end

response = function(status, headers, body)
  local sc = headers["Set-Cookie"] or headers["set-cookie"] or ""
  local t = sc:match("refresh_token=([^;]+)")
  if status == 200 and t then
    table.insert(pool, t)
  else
    bad = bad + 1
  end
end

done = c.done
