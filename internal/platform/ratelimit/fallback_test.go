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

// Batched over Fallback, as the service runs: the heartbeat lets Fallback
// notice an outage and its end though the grants could pay, and while
// Redis is down every request is checked in Memory, exactly (no batch held
// in process).
func TestBatchedOverFallback(t *testing.T) {
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	memory := NewMemory(100, nil)
	var downs, ups atomic.Int64
	f := &Fallback{Primary: NewRedis(c, "rl:"), Secondary: memory, RetryEvery: 50 * time.Millisecond,
		OnDown: func(error) { downs.Add(1) }, OnUp: func() { ups.Add(1) }}
	var ahead time.Duration // Batched's clock runs ahead, for its heartbeat
	b := NewBatched(f, 100, func() time.Time { return time.Now().Add(ahead) })
	ctx := context.Background()
	allow := func(key string, count int) {
		for range count {
			if res, err := b.Allow(ctx, key, perMinute60, 1); err != nil || !res.Allowed {
				t.Fatalf("Allow = %+v, %v; want allowed", res, err)
			}
		}
	}
	allow("a", 1) // reserves 3 in Redis, holds 2
	mr.Close()
	ahead += heartbeat
	allow("a", 1) // from the grant, and a look that finds Redis down
	if downs.Load() != 1 || f.Healthy() {
		t.Errorf("after a heartbeat with Redis down: downs %d (want 1), healthy %v", downs.Load(), f.Healthy())
	}
	allow("b", 1)
	if look, _ := memory.Allow(ctx, "b", perMinute60, 0); look.Remaining != 59 {
		t.Errorf("with Redis down memory has %d left of b, want 59: one request, no batch in process", look.Remaining)
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // past RetryEvery
	ahead += heartbeat
	allow("a", 1) // its grant's last token, and a look that finds Redis back
	if ups.Load() != 1 || !f.Healthy() {
		t.Errorf("after Redis returned: ups %d, healthy %v; want back on Redis", ups.Load(), f.Healthy())
	}
}
