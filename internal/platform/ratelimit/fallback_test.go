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

// Batched over Fallback, as the service runs: while Redis is down the
// reservations come from Memory; once it answers, from Redis again.
func TestBatchedOverFallback(t *testing.T) {
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	memory := NewMemory(100, nil)
	var downs, ups atomic.Int64
	f := &Fallback{Primary: NewRedis(c, "rl:"), Secondary: memory, RetryEvery: 50 * time.Millisecond,
		OnDown: func(error) { downs.Add(1) }, OnUp: func() { ups.Add(1) }}
	b := NewBatched(f, 100, nil)
	ctx := context.Background()
	allow := func(count int) {
		for range count {
			if res, err := b.Allow(ctx, "k", perMinute60, 1); err != nil || !res.Allowed {
				t.Fatalf("Allow = %+v, %v; want allowed", res, err)
			}
		}
	}
	allow(1) // reserves 3 in Redis
	mr.Close()
	allow(4) // 2 from the grant, then a reservation of 3 from Memory
	if look, _ := memory.Allow(ctx, "k", perMinute60, 0); look.Remaining != 57 || downs.Load() != 1 || f.Healthy() {
		t.Errorf("with Redis down: memory has %d left (want 57: one batch), downs %d (want 1), healthy %v", look.Remaining, downs.Load(), f.Healthy())
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // past RetryEvery
	// The grant's last token, then a reservation from Redis.
	allow(2)
	if ups.Load() != 1 || !f.Healthy() {
		t.Errorf("after Redis returned: ups %d, healthy %v; want back on Redis", ups.Load(), f.Healthy())
	}
}
