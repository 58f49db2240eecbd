// Package ratelimit limits request rates with GCRA (the generic cell rate
// algorithm: a leaky bucket that stores one timestamp per key). Memory keeps
// buckets in this process; Redis shares them between replicas; Fallback
// uses Memory while Redis is unreachable. It imports no internal package.
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

// gcra computes one step from the stored theoretical arrival time (zero
// for an empty bucket). It returns the time to store, or zero to store
// nothing.
func gcra(now, tat time.Time, l Limit, n int) (Result, time.Time) {
	t := l.emission()
	tau := t * time.Duration(l.Burst)
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(time.Duration(n) * t)
	allowAt := next.Add(-tau)
	res := Result{Limit: l.Burst}
	if allowAt.After(now) {
		res.Remaining = remaining(now, tat, tau, t)
		res.ResetAfter, res.RetryAfter = tat.Sub(now), allowAt.Sub(now)
		return res, time.Time{}
	}
	res.Allowed = true
	res.Remaining = remaining(now, next, tau, t)
	res.ResetAfter = next.Sub(now)
	if n == 0 {
		return res, time.Time{}
	}
	return res, next
}

func remaining(now, tat time.Time, tau, t time.Duration) int {
	return max(0, int(math.Floor(float64(now.Sub(tat.Add(-tau)))/float64(t))))
}
