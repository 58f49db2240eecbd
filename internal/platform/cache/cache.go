// Package cache stores rendered responses in Redis, in groups that writes
// invalidate as a whole. Every group has a version; values are stored under
// the version they were read at, and invalidating a group bumps it. A reader
// that loaded from the database before a write and stores its result after
// the write's bump stores it under the old version, where nobody looks: it
// can never hide the write. It imports no internal package.
package cache

import (
	"context"

	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the cache. Values live for TTL; versions for a day.
type Redis struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedis returns a cache keeping its keys under prefix.
func NewRedis(client redis.UniversalClient, prefix string, ttl time.Duration) *Redis {
	return &Redis{client: client, prefix: prefix, ttl: ttl}
}

// versionTTL outlives every value by far, so a version never resets while
// a value of it can still be read.
const versionTTL = 24 * time.Hour

// getScript reads a group's version and the key's value at that version in
// one round trip.
var getScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1]) or '0'
return {v, redis.call('GET', KEYS[2] .. v .. ':' .. ARGV[1])}
`)

func (r *Redis) versionKey(group string) string  { return r.prefix + "v:" + group }
func (r *Redis) valuePrefix(group string) string { return r.prefix + "d:" + group + ":" }

// Get returns the value of key in group and the group's version, which Set
// needs. ok is false on a miss.
func (r *Redis) Get(ctx context.Context, group, key string) (val []byte, version string, ok bool, err error) {
	res, err := getScript.Run(ctx, r.client, []string{r.versionKey(group), r.valuePrefix(group)}, key).Slice()
	if err != nil {
		return nil, "", false, err
	}
	version, _ = res[0].(string)
	if s, isString := res[1].(string); isString {
		return []byte(s), version, true, nil
	}
	return nil, version, false, nil
}

// Set stores val for key in group at the version Get returned.
func (r *Redis) Set(ctx context.Context, group, key, version string, val []byte) error {
	return r.client.Set(ctx, r.valuePrefix(group)+version+":"+key, val, r.ttl).Err()
}

// Invalidate bumps the groups' versions: what was stored before is gone.
func (r *Redis) Invalidate(ctx context.Context, groups ...string) error {
	if len(groups) == 0 {
		return nil
	}
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, g := range groups {
			p.Incr(ctx, r.versionKey(g))
			p.Expire(ctx, r.versionKey(g), versionTTL)
		}
		return nil
	})
	return err
}

// Group names a user's cached responses of one kind.
func Group(kind string, userID int64) string { return kind + ":" + strconv.FormatInt(userID, 10) }
