package ratelimit

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
)

// counting counts the calls that reach a shared limiter.
type counting struct {
	Reserver
	calls atomic.Int64
}

func (c *counting) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	c.calls.Add(1)
	return c.Reserver.Allow(ctx, key, l, n)
}

func (c *counting) Reserve(ctx context.Context, key string, l Limit, n, most int) (int, Result, error) {
	c.calls.Add(1)
	return c.Reserver.Reserve(ctx, key, l, n, most)
}

// fleet is R replicas, each a Batched, over one shared Memory bucket, on
// one fake clock.
type fleet struct {
	now      time.Time
	shared   *counting
	replicas []*Batched
}

func newFleet(replicas, maxKeys int) *fleet {
	f := &fleet{now: time.Unix(1_700_000_000, 0)}
	clock := func() time.Time { return f.now }
	f.shared = &counting{Reserver: NewMemory(100_000, clock)}
	for range replicas {
		f.replicas = append(f.replicas, NewBatched(f.shared, maxKeys, clock))
	}
	return f
}

// allow sends one request of key to replica i.
func (f *fleet) allow(t *testing.T, i int, key string, l Limit) Result {
	t.Helper()
	res, err := f.replicas[i].Allow(context.Background(), key, l, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sharedRemaining looks at the shared bucket of key.
func (f *fleet) sharedRemaining(key string, l Limit) int {
	res, _ := f.shared.Reserver.Allow(context.Background(), key, l, 0)
	return res.Remaining
}

// burst sends count requests of key to the first replicas in turn, and
// returns how many were admitted.
func (f *fleet) burst(t *testing.T, key string, l Limit, count, replicas int) int {
	t.Helper()
	admitted := 0
	for i := range count {
		if f.allow(t, i%replicas, key, l).Allowed {
			admitted++
		}
	}
	return admitted
}

var perMinute60 = PerMinute(60) // k = 3: a replica holds at most 2

// Limits whose batch is below 2 answer exactly as the shared bucket: the
// same Results, request by request, as a Memory of their own.
func TestBatchedSmallLimitsAreExact(t *testing.T) {
	for _, l := range []Limit{PerMinute(5), PerMinute(30), PerMinute(39), {Burst: 10, Period: 15 * time.Minute}} {
		f := newFleet(1, 100)
		exact := NewMemory(100, func() time.Time { return f.now })
		for i := range 200 {
			n := 1
			if i%7 == 0 {
				n = 0 // a look, as the failure budgets take before they spend
			}
			got, _ := f.replicas[0].Allow(context.Background(), "k", l, n)
			want, _ := exact.Allow(context.Background(), "k", l, n)
			if got != want {
				t.Fatalf("%+v, request %d: Batched = %+v, want the shared bucket's %+v", l, i+1, got, want)
			}
			f.now = f.now.Add(700 * time.Millisecond)
		}
		if calls := f.shared.calls.Load(); calls != 200 {
			t.Errorf("%+v: %d calls reached the shared bucket for 200 requests, want every one", l, calls)
		}
	}
}

// Alone, one replica admits exactly the burst, with the RateLimit-Remaining
// an exact limiter would give, in a third of the calls.
func TestBatchedOneReplicaAdmitsExactlyTheBurst(t *testing.T) {
	f := newFleet(1, 100)
	for i := range 60 {
		res := f.allow(t, 0, "k", perMinute60)
		if !res.Allowed || res.Remaining != 59-i || res.Limit != 60 {
			t.Fatalf("request %d = %+v, want allowed with %d left", i+1, res, 59-i)
		}
	}
	if calls := f.shared.calls.Load(); calls != 20 {
		t.Errorf("%d calls to the shared bucket for 60 requests, want 20 (3 a reservation)", calls)
	}
	res := f.allow(t, 0, "k", perMinute60)
	if res.Allowed || res.RetryAfter != time.Second || res.Remaining != 0 {
		t.Errorf("request 61 = %+v, want refused, retry after one emission (1 s)", res)
	}
	f.now = f.now.Add(400 * time.Millisecond)
	calls := f.shared.calls.Load()
	if again := f.allow(t, 0, "k", perMinute60); again.Allowed || again.RetryAfter != 600*time.Millisecond || f.shared.calls.Load() != calls {
		t.Errorf("refused again 0.4 s later = %+v (+%d calls), want the same refusal counted down, not asked again", again, f.shared.calls.Load()-calls)
	}
	f.now = f.now.Add(600 * time.Millisecond)
	if res := f.allow(t, 0, "k", perMinute60); !res.Allowed {
		t.Errorf("after the refusal's Retry-After = %+v, want allowed (one token refilled)", res)
	}
}

// A look (n = 0) asks the shared bucket and leaves the grant alone.
func TestBatchedLooksPassThrough(t *testing.T) {
	f := newFleet(1, 100)
	f.allow(t, 0, "k", perMinute60) // reserves 3, holds 2
	look, _ := f.replicas[0].Allow(context.Background(), "k", perMinute60, 0)
	if !look.Allowed || look.Remaining != 57 || f.shared.calls.Load() != 2 {
		t.Errorf("look = %+v after %d calls, want the shared bucket's 57 left, asked", look, f.shared.calls.Load())
	}
	f.allow(t, 0, "k", perMinute60)
	f.allow(t, 0, "k", perMinute60)
	if calls := f.shared.calls.Load(); calls != 2 {
		t.Errorf("calls = %d, want the grant's two tokens spent locally after the look", calls)
	}
}

// At most a second after it last asked the shared bucket, a request paid
// from its grant also looks at the shared bucket, spending nothing there.
func TestBatchedHeartbeat(t *testing.T) {
	f := newFleet(1, 100)
	f.allow(t, 0, "k", perMinute60) // reserves 3, holds 2
	f.now = f.now.Add(heartbeat)
	if res := f.allow(t, 0, "k", perMinute60); !res.Allowed || f.shared.calls.Load() != 2 {
		t.Errorf("a heartbeat later = %+v after %d calls, want allowed from the grant, and a look", res, f.shared.calls.Load())
	}
	f.allow(t, 0, "k", perMinute60)
	if got, calls := f.sharedRemaining("k", perMinute60), f.shared.calls.Load(); got != 58 || calls != 2 {
		t.Errorf("shared bucket %d after %d calls, want 58 (57 + 1 refilled: the look spent nothing) after 2", got, calls)
	}
}

// Replicas of one client, taking turns, stay within B ± R·(k−1) in a burst:
// from fresh buckets, after grants were left over while the shared bucket
// refilled (the most excess there can be), and when the client stops
// reaching all but one of them (the most loss).
func TestBatchedReplicasStayWithinTheBound(t *testing.T) {
	const B, k = 60, 3
	for _, r := range []int{2, 3} {
		slack := r * (k - 1)
		t.Run(strconv.Itoa(r)+" replicas", func(t *testing.T) {
			f := newFleet(r, 100)
			if got := f.burst(t, "fresh", perMinute60, 200, r); got < B-slack || got > B+slack {
				t.Errorf("burst from a full bucket admitted %d, want %d ± %d", got, B, slack)
			}

			f.burst(t, "left", perMinute60, r, r) // each replica now holds k−1
			f.now = f.now.Add(time.Duration(r*k) * time.Second)
			if got := f.sharedRemaining("left", perMinute60); got != B {
				t.Fatalf("shared bucket = %d, want refilled to %d", got, B)
			}
			if got := f.burst(t, "left", perMinute60, 200, r); got != B+slack {
				t.Errorf("burst after a refill with grants held admitted %d, want exactly %d + %d (the grants)", got, B, slack)
			}

			admitted := f.burst(t, "moved", perMinute60, r, r)   // each replica holds k−1 ...
			admitted += f.burst(t, "moved", perMinute60, 200, 1) // ... and the client reaches only the first
			if admitted < B-slack || admitted > B {
				t.Errorf("a client that moved to one replica was admitted %d, want %d − at most %d", admitted, B, slack)
			}
		})
	}
}

// Over a longer window with refill, a client of R replicas picked at random
// stays within R·(k−1) of the shared bucket: under sustained overload it is
// admitted what an exact limiter admits, ± R·(k−1), at every moment; with
// bursts and pauses, no window of length W admits more than the exact
// bound B + W/emission by over R·(k−1).
func TestBatchedStaysWithinTheBoundOverTime(t *testing.T) {
	const B, k = 60, 3
	for _, r := range []int{2, 3} {
		slack := r * (k - 1)
		t.Run(strconv.Itoa(r)+" replicas, sustained overload", func(t *testing.T) {
			f := newFleet(r, 100)
			exact := NewMemory(100, func() time.Time { return f.now })
			rng := rand.New(rand.NewPCG(1, uint64(r)))
			got, want := 0, 0
			for i := range 2400 { // one request every 250 ms for 10 minutes: 4 times the limit
				if f.allow(t, rng.IntN(r), "k", perMinute60).Allowed {
					got++
				}
				if res, _ := exact.Allow(context.Background(), "k", perMinute60, 1); res.Allowed {
					want++
				}
				if got < want-slack || got > want+slack {
					t.Fatalf("after %d requests: admitted %d, exact %d; want within %d", i+1, got, want, slack)
				}
				f.now = f.now.Add(250 * time.Millisecond)
			}
			t.Logf("admitted %d, exact %d", got, want)
		})
		t.Run(strconv.Itoa(r)+" replicas, bursts and pauses", func(t *testing.T) {
			f := newFleet(r, 100)
			exact := NewMemory(100, func() time.Time { return f.now })
			rng := rand.New(rand.NewPCG(2, uint64(r)))
			var admitted, exactly []time.Time
			for range 5000 {
				if f.allow(t, rng.IntN(r), "k", perMinute60).Allowed {
					admitted = append(admitted, f.now)
				}
				if res, _ := exact.Allow(context.Background(), "k", perMinute60, 1); res.Allowed {
					exactly = append(exactly, f.now)
				}
				gap := time.Duration(rng.IntN(200)) * time.Millisecond
				if rng.IntN(40) == 0 {
					gap = time.Duration(rng.IntN(90)) * time.Second // a pause: refills part or all
				}
				f.now = f.now.Add(gap)
			}
			if excess := maxExcess(exactly, B, perMinute60.emission()); excess != 0 {
				t.Fatalf("the exact limiter exceeds B + W/emission by %d: the check is wrong", excess)
			}
			excess := maxExcess(admitted, B, perMinute60.emission())
			if excess > slack {
				t.Errorf("a window admitted %d more than B + W/emission, want at most %d", excess, slack)
			}
			t.Logf("%d admitted; most excess over the exact bound in any window: %d of %d allowed", len(admitted), excess, slack)
		})
	}
}

// maxExcess is the most that any window [admitted[i], admitted[j]] holds
// over what a GCRA bucket can admit in it: burst + W/emission.
func maxExcess(admitted []time.Time, burst int, emission time.Duration) int {
	most := 0
	for i := range admitted {
		for j := i; j < len(admitted); j++ {
			bound := burst + int(admitted[j].Sub(admitted[i])/emission)
			most = max(most, j-i+1-bound)
		}
	}
	return most
}

// A grant is spent up to a Period after its reservation, then forgotten:
// an idle client's leftovers do not add to the refilled bucket.
func TestBatchedGrantsExpire(t *testing.T) {
	f := newFleet(1, 100)
	f.allow(t, 0, "k", perMinute60) // reserves 3, holds 2
	f.now = f.now.Add(59 * time.Second)
	f.allow(t, 0, "k", perMinute60)
	if got := f.sharedRemaining("k", perMinute60); got != 60 {
		t.Errorf("59 s later the shared bucket = %d, want the full 60: spent from the grant", got)
	}
	f.now = f.now.Add(time.Second)
	res := f.allow(t, 0, "k", perMinute60)
	if got := f.sharedRemaining("k", perMinute60); got != 57 || res.Remaining != 59 {
		t.Errorf("a Period after the reservation: shared %d, answer %+v; want a new reservation (57 left, 59 answered)", got, res)
	}
}

// The grant table holds at most maxKeys: a flood of new keys goes straight
// to the shared bucket (exact) once it is full, the keys already known keep
// their grants, and forgotten grants make room again.
func TestBatchedGrantTableIsBounded(t *testing.T) {
	f := newFleet(1, 100)
	b := f.replicas[0]
	f.allow(t, 0, "known", perMinute60) // holds 2
	for i := range 10_000 {
		f.now = f.now.Add(time.Millisecond) // 10 s in all, within the grants' Period
		f.allow(t, 0, "flood:"+strconv.Itoa(i), perMinute60)
		if n := len(b.grants); n > 100 {
			t.Fatalf("grants = %d after %d new keys, want at most 100", n, i+1)
		}
	}
	if got := f.sharedRemaining("flood:9999", perMinute60); got != 59 {
		t.Errorf("a new key on a full table left its shared bucket at %d, want 59: one request, not a batch", got)
	}
	calls := f.shared.calls.Load()
	f.allow(t, 0, "known", perMinute60)
	f.allow(t, 0, "known", perMinute60)
	if f.shared.calls.Load() != calls {
		t.Error("a known key lost its grant to the flood")
	}
	f.now = f.now.Add(time.Minute)
	f.allow(t, 0, "late", perMinute60)
	if got, n := f.sharedRemaining("late", perMinute60), len(b.grants); got != 57 || n != 1 {
		t.Errorf("after the flood's grants expired: late key's shared bucket %d, %d grants; want a batch (57) and the table emptied to 1", got, n)
	}
}

// Concurrent requests of one key wait for the reservation in flight rather
// than reserve beside it: one replica still admits exactly the burst, 3 a
// call, and the refusal is asked once.
func TestBatchedIsExactUnderConcurrency(t *testing.T) {
	f := newFleet(1, 100)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			res, err := f.replicas[0].Allow(context.Background(), "hot", perMinute60, 1)
			if err != nil {
				t.Error(err)
			}
			if res.Allowed {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got, calls := admitted.Load(), f.shared.calls.Load(); got != 60 || calls != 21 {
		t.Errorf("200 concurrent requests: %d admitted in %d calls, want 60 in 21 (20 reservations, 1 refusal)", got, calls)
	}
}

// Two Batched instances sharing one Redis keep the bound, timed by the
// Redis server's clock.
func TestBatchedBoundOnRedis(t *testing.T) {
	const B, k, r = 60, 3, 2
	const slack = r * (k - 1)
	shared := NewRedis(redistest.Client(t), "test:"+randomKey()+":")
	replicas := []*Batched{NewBatched(shared, 100, nil), NewBatched(shared, 100, nil)}
	lim := Limit{Burst: B, Period: 12 * time.Second} // one token every 200 ms
	ctx := context.Background()
	// burst sends count requests to the first n instances in turn.
	burst := func(key string, count, n int) (admitted int, refill int, last Result) {
		start := time.Now()
		for i := range count {
			res, err := replicas[i%n].Allow(ctx, key, lim, 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Allowed {
				admitted++
			}
			last = res
		}
		return admitted, int(time.Since(start)/lim.emission()) + 1, last
	}

	got, refill, last := burst("fresh", 200, r)
	if got < B-slack || got > B+refill {
		t.Errorf("burst from a full bucket admitted %d, want %d − %d .. + %d refilled meanwhile", got, B, slack, refill)
	}
	if last.Allowed || last.RetryAfter <= 0 || last.RetryAfter > lim.emission() {
		t.Errorf("last of the burst = %+v, want refused, retry within one emission", last)
	}

	burst("left", r, r) // each instance holds k−1
	time.Sleep(time.Duration(r*k)*lim.emission() + 100*time.Millisecond)
	got, refill, _ = burst("left", 200, r)
	if got < B || got > B+slack+refill {
		t.Errorf("burst after a refill with grants held admitted %d, want %d .. %d + %d + %d refilled meanwhile", got, B, B, slack, refill)
	}
	t.Logf("after a refill with grants held: %d admitted (B + R·(k−1) = %d)", got, B+slack)

	first, _, _ := burst("moved", r, r) // each instance holds k−1, then only the first is asked
	got, refill, _ = burst("moved", 200, 1)
	if got += first; got < B-slack || got > B+refill {
		t.Errorf("a client that moved to one instance was admitted %d, want %d − at most %d (+ %d refilled)", got, B, slack, refill)
	}
}
