package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps buckets in Redis, shared by every replica. One script call
// per check or reservation: atomic, and timed by the Redis server's clock,
// so replica clocks do not matter.
type Redis struct {
	client redis.Scripter
	prefix string
}

// NewRedis returns a limiter storing its buckets under prefix.
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// gcraScript is gcra in Lua, in microseconds: ARGV is emission, burst, n
// and most; it returns allowed, remaining, reset after, retry after and how
// many it took.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local n, most = tonumber(ARGV[3]), tonumber(ARGV[4])
local tau = emission * burst
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local holds = math.floor((now - (tat - tau)) / emission)
if holds < n then
  return {0, holds, tat - now, tat + n * emission - tau - now, 0}
end
local took = math.min(most, holds)
local nxt = tat + took * emission
if took > 0 then
  redis.call('SET', KEYS[1], nxt, 'PX', math.max(1, math.ceil((nxt - now) / 1000)))
end
return {1, holds - took, nxt - now, 0, took}
`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	_, res, err := r.Reserve(ctx, key, l, n, n)
	return res, err
}

// Reserve implements Reserver, in one script call.
func (r *Redis) Reserve(ctx context.Context, key string, l Limit, n, most int) (int, Result, error) {
	v, err := gcraScript.Run(ctx, r.client, []string{r.prefix + key}, max(1, l.emission().Microseconds()), l.Burst, n, most).Int64Slice()
	if err != nil {
		return 0, Result{}, err
	}
	return int(v[4]), Result{
		Allowed:    v[0] == 1,
		Limit:      l.Burst,
		Remaining:  int(max(0, v[1])),
		ResetAfter: time.Duration(v[2]) * time.Microsecond,
		RetryAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}
