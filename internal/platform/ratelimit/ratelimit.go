// Package ratelimit limits request rates with GCRA (the generic cell rate
// algorithm: a leaky bucket that stores one timestamp per key). Memory keeps
// buckets in this process; Redis shares them between replicas; Fallback
// uses Memory while Redis is unreachable; Batched spends a shared bucket
// in batches, one call for several requests. It imports no internal
// package.
package ratelimit

import (
	"context"
	"math"
	"time"
)

// Limit allows Burst requests at once, refilled at Burst per Period.
type Limit struct {
	Burst  int
	Period time.Duration
}

// PerMinute is a limit of n requests a minute, all usable at once.
func PerMinute(n int) Limit { return Limit{Burst: n, Period: time.Minute} }

func (l Limit) emission() time.Duration { return l.Period / time.Duration(l.Burst) }

// Result is the state of one key after a call.
type Result struct {
	Allowed    bool
	Limit      int
	Remaining  int
	ResetAfter time.Duration // until the bucket is full again
	RetryAfter time.Duration // until the next request is allowed, when not allowed
}

// Limiter takes n requests from the bucket of key (n = 0 only looks).
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit, n int) (Result, error)
}

// Reserver is a Limiter that can also take a batch in one call: Reserve
// takes as many requests as the bucket of key holds, at least n (else
// none, and the Result refuses) and at most most, and returns how many it
// took. Its Result is the bucket's state after them. Allow(n) is
// Reserve(n, n).
type Reserver interface {
	Limiter
	Reserve(ctx context.Context, key string, l Limit, n, most int) (int, Result, error)
}

// gcra takes between n and most requests from the stored theoretical
// arrival time tat (zero for a new key), as many as the bucket
// holds. It returns how many it took, the result and the time to store,
// or zero to store nothing.
func gcra(now, tat time.Time, l Limit, n, most int) (int, Result, time.Time) {
	t := l.emission()
	tau := t * time.Duration(l.Burst)
	if tat.Before(now) {
		tat = now
	}
	holds := int(math.Floor(float64(now.Sub(tat.Add(-tau))) / float64(t)))
	res := Result{Limit: l.Burst}
	if holds < n {
		res.Remaining = max(0, holds)
		res.ResetAfter = tat.Sub(now)
		res.RetryAfter = tat.Add(time.Duration(n)*t - tau).Sub(now)
		return 0, res, time.Time{}
	}
	took := min(most, holds)
	next := tat.Add(time.Duration(took) * t)
	res.Allowed, res.Remaining, res.ResetAfter = true, holds-took, next.Sub(now)
	if took == 0 {
		return 0, res, time.Time{}
	}
	return took, res, next
}
