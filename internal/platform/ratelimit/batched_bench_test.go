package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
)

// BenchmarkRedisBatched compares Redis with Batched over Redis (set
// TEST_REDIS_URL), reporting Redis calls and refusals per request. One hot
// key, alone and from 8 goroutines: its limit of 60 refills every 5 µs so
// that it never refuses, and its grants last 300 µs, several round trips.
// Many keys: b.N/10 keys of 60 a minute, each asked 10 times, in turn.
func BenchmarkRedisBatched(b *testing.B) {
	redistest.URL(b)
	c := redistest.Client(b)
	fast := Limit{Burst: 60, Period: 300 * time.Microsecond}
	for _, shape := range []struct {
		name   string
		lim    Limit
		perKey int // requests per key; 0: one key
		perCPU int // goroutines per CPU; 0: one in all
	}{
		{"hot key", fast, 0, 0},
		{"hot key, 8 goroutines", fast, 0, 4}, // on 2 CPUs
		{"many keys", PerMinute(60), 10, 0},
	} {
		for _, batched := range []bool{false, true} {
			name := shape.name + "/redis"
			if batched {
				name = shape.name + "/batched"
			}
			b.Run(name, func(b *testing.B) {
				shared := &counting{Reserver: NewRedis(c, "bench:"+randomKey()+":")}
				var l Limiter = shared
				if batched {
					l = NewBatched(shared, 100_000, nil)
				}
				keys := []string{"hot"}
				if shape.perKey > 0 {
					keys = make([]string, b.N/shape.perKey+1)
					for i := range keys {
						keys[i] = strconv.Itoa(i)
					}
				}
				refused := benchAllow(b, l, keys, shape.lim, shape.perCPU)
				b.ReportMetric(float64(shared.calls.Load())/float64(b.N), "calls/op")
				b.ReportMetric(float64(refused)/float64(b.N), "refused/op")
			})
		}
	}
}

// benchAllow sends b.N requests to l, one for each of keys in turn, from
// one goroutine (perCPU = 0) or perCPU per CPU, and returns how many were
// refused.
func benchAllow(b *testing.B, l Limiter, keys []string, lim Limit, perCPU int) int64 {
	var refused, next atomic.Int64
	allow := func() {
		key := keys[int(next.Add(1))%len(keys)]
		res, err := l.Allow(context.Background(), key, lim, 1)
		if err != nil {
			b.Error(err)
		}
		if !res.Allowed {
			refused.Add(1)
		}
	}
	b.ResetTimer()
	if perCPU == 0 {
		for range b.N {
			allow()
		}
		return refused.Load()
	}
	b.SetParallelism(perCPU)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			allow()
		}
	})
	return refused.Load()
}
