package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
)

// limiters returns every implementation under test: Memory, and Redis on
// TEST_REDIS_URL (required under CI) or else on an in-process miniredis.
func limiters(t *testing.T) map[string]Reserver {
	return map[string]Reserver{
		"memory": NewMemory(1000, nil),
		"redis":  NewRedis(redistest.Client(t), "test:"+randomKey()+":"),
	}
}

func randomKey() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestLimiterContract(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lim := Limit{Burst: 5, Period: time.Minute}
			for i := range 5 {
				res, err := l.Allow(ctx, "a", lim, 1)
				if err != nil || !res.Allowed || res.Remaining != 4-i || res.Limit != 5 {
					t.Fatalf("request %d = %+v, %v; want allowed with %d left", i+1, res, err, 4-i)
				}
			}
			res, _ := l.Allow(ctx, "a", lim, 1)
			if res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 || res.RetryAfter > 12*time.Second {
				t.Errorf("sixth request = %+v, want refused, retry within one emission (12 s)", res)
			}
			if res.ResetAfter < 59*time.Second || res.ResetAfter > time.Minute {
				t.Errorf("reset after = %v, want about a minute", res.ResetAfter)
			}
			peek, _ := l.Allow(ctx, "a", lim, 0)
			if !peek.Allowed || peek.Remaining != 0 {
				t.Errorf("peek = %+v, want allowed (a look) with 0 left", peek)
			}
			if other, _ := l.Allow(ctx, "b", lim, 1); !other.Allowed || other.Remaining != 4 {
				t.Errorf("another key = %+v, want its own bucket", other)
			}
			if fresh, _ := l.Allow(ctx, "c", lim, 0); fresh.Remaining != 5 {
				t.Errorf("peek at a fresh key = %+v, want 5 left", fresh)
			}
		})
	}
}

// Reserve takes as many as the bucket holds within [n, most], or none.
func TestLimiterReserve(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lim := Limit{Burst: 5, Period: time.Minute}
			steps := []struct {
				key                  string
				n, most              int
				wantTook, wantRemain int
				wantAllowed          bool
			}{
				{"a", 1, 3, 3, 2, true},
				{"a", 1, 3, 2, 0, true}, // only two left: takes them
				{"a", 1, 3, 0, 0, false},
				{"b", 2, 2, 2, 3, true},
				{"b", 4, 9, 0, 3, false}, // three left, four needed: takes none
				{"b", 0, 0, 0, 3, true},  // a look
			}
			for i, s := range steps {
				took, res, err := l.Reserve(ctx, s.key, lim, s.n, s.most)
				if err != nil || took != s.wantTook || res.Allowed != s.wantAllowed || res.Remaining != s.wantRemain || res.Limit != 5 {
					t.Fatalf("step %d: Reserve(%s, %d, %d) = %d, %+v, %v; want %d taken, allowed %v, %d left",
						i+1, s.key, s.n, s.most, took, res, err, s.wantTook, s.wantAllowed, s.wantRemain)
				}
				if !res.Allowed && (res.RetryAfter <= 0 || res.RetryAfter > 12*time.Second) {
					t.Errorf("step %d: retry after %v, want within one emission (12 s)", i+1, res.RetryAfter)
				}
			}
		})
	}
}

func TestLimiterIsAtomicUnderConcurrency(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			allowed := 0
			for range 50 {
				wg.Go(func() {
					res, err := l.Allow(context.Background(), "shared", Limit{Burst: 10, Period: time.Hour}, 1)
					if err != nil {
						t.Error(err)
					}
					if res.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if allowed != 10 {
				t.Errorf("allowed = %d of 50 concurrent, want exactly 10", allowed)
			}
		})
	}
}

func TestMemoryRefillsAndForgets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory(4, func() time.Time { return now })
	lim := PerMinute(2)
	m.Allow(context.Background(), "k", lim, 1)
	m.Allow(context.Background(), "k", lim, 1)
	if res, _ := m.Allow(context.Background(), "k", lim, 1); res.Allowed {
		t.Fatal("third request within the minute allowed")
	}
	now = now.Add(30 * time.Second)
	if res, _ := m.Allow(context.Background(), "k", lim, 1); !res.Allowed {
		t.Error("not refilled after one emission interval")
	}
	for i := range 10 {
		m.Allow(context.Background(), string(rune('a'+i)), lim, 1)
	}
	if n := len(m.buckets); n > 4 {
		t.Errorf("buckets = %d, want at most 4", n)
	}
}

// A flood of new keys never resets a client that is being limited: only
// full buckets make room, and once every slot holds a bucket that is not
// full, new keys share one bucket per limit instead of evicting one.
func TestMemoryFloodResetsNoClient(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory(100, func() time.Time { return now })
	lim := PerMinute(5)
	for range 5 {
		m.Allow(ctx, "victim", lim, 1)
	}
	flooded := 0 // requests of new keys allowed once the table was full
	for i := range 10_000 {
		now = now.Add(time.Millisecond) // 10 s in all: less than one refill (12 s)
		full := len(m.buckets) == 100
		if res, _ := m.Allow(ctx, "flood:"+strconv.Itoa(i), lim, 1); res.Allowed && full {
			flooded++
		}
		if res, _ := m.Allow(ctx, "victim", lim, 1); res.Allowed {
			t.Fatalf("after %d new keys the limited victim was allowed: its bucket was evicted", i+1)
		}
		if n := len(m.buckets); n > 100 {
			t.Fatalf("buckets = %d, want at most 100", n)
		}
	}
	if flooded > lim.Burst {
		t.Errorf("new keys on a full table got %d requests through, want at most one bucket's %d", flooded, lim.Burst)
	}
	// Refilled buckets carry nothing: they make room again.
	now = now.Add(time.Minute)
	for i := range lim.Burst {
		if res, _ := m.Allow(ctx, "late", lim, 1); !res.Allowed {
			t.Fatalf("a new key after the flood refilled: request %d refused", i+1)
		}
	}
}

func BenchmarkMemory(b *testing.B) {
	m := NewMemory(100_000, nil)
	for b.Loop() {
		m.Allow(context.Background(), "client", PerMinute(1_000_000), 1)
	}
}
