package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps buckets in Redis, shared by every replica. One script call
// per request: atomic, and timed by the Redis server's clock, so replica
// clocks do not matter.
type Redis struct {
	client redis.Scripter
	prefix string
}

// NewRedis returns a limiter storing its buckets under prefix.
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// gcraScript is gcra in Lua, in microseconds.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tau = emission * burst
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local nxt = tat + n * emission
local allow_at = nxt - tau
if allow_at > now then
  return {0, math.floor((now - (tat - tau)) / emission), tat - now, allow_at - now}
end
if n > 0 then
  redis.call('SET', KEYS[1], nxt, 'PX', math.max(1, math.ceil((nxt - now) / 1000)))
end
return {1, math.floor((now - (nxt - tau)) / emission), nxt - now, 0}
`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	v, err := gcraScript.Run(ctx, r.client, []string{r.prefix + key}, max(1, l.emission().Microseconds()), l.Burst, n).Int64Slice()
	if err != nil {
		return Result{}, err
	}
	return Result{
		Allowed:    v[0] == 1,
		Limit:      l.Burst,
		Remaining:  int(max(0, v[1])),
		ResetAfter: time.Duration(v[2]) * time.Microsecond,
		RetryAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}
