package ratelimit

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestFallbackSurvivesARedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	var downs, ups, fallbacks atomic.Int64
	f := &Fallback{
		Primary: NewRedis(c, "rl:"), Secondary: NewMemory(100, nil), RetryEvery: 50 * time.Millisecond,
		OnDown: func(error) { downs.Add(1) }, OnUp: func() { ups.Add(1) }, OnFallback: func() { fallbacks.Add(1) },
	}
	ctx := context.Background()
	lim := PerMinute(100)
	if _, err := f.Allow(ctx, "k", lim, 1); err != nil || fallbacks.Load() != 0 {
		t.Fatalf("with Redis up: err %v, fallbacks %d", err, fallbacks.Load())
	}
	if !mr.Exists("rl:k") {
		t.Fatal("the bucket is not in Redis")
	}
	mr.Close()
	for range 5 {
		res, err := f.Allow(ctx, "k", lim, 1)
		if err != nil || !res.Allowed {
			t.Fatalf("with Redis down = %+v, %v; want answered from memory", res, err)
		}
	}
	if downs.Load() != 1 || fallbacks.Load() != 5 || f.Healthy() {
		t.Errorf("downs %d (want 1: logged once), fallbacks %d (want 5), healthy %v", downs.Load(), fallbacks.Load(), f.Healthy())
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // past RetryEvery
	before := fallbacks.Load()
	f.Allow(ctx, "k", lim, 1)
	if ups.Load() != 1 || !f.Healthy() || fallbacks.Load() != before {
		t.Errorf("after Redis returned: ups %d, healthy %v, fallbacks +%d; want back on Redis", ups.Load(), f.Healthy(), fallbacks.Load()-before)
	}
}
