package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Fallback asks Primary and, when it fails, Secondary, so that no request
// fails because Redis is down. After a failure it leaves Primary alone for
// RetryEvery, then tries it again and returns to it once it answers.
// Secondary never reserves more than a request needs.
type Fallback struct {
	Primary, Secondary Reserver
	RetryEvery         time.Duration
	// OnDown is called once per outage, OnUp when it ends, OnFallback for
	// every answer Secondary gave. Any may be nil.
	OnDown     func(error)
	OnUp       func()
	OnFallback func()

	mu      sync.Mutex
	down    bool
	retryAt time.Time
}

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	_, res, err := f.Reserve(ctx, key, l, n, n)
	return res, err
}

// Reserve implements Reserver.
func (f *Fallback) Reserve(ctx context.Context, key string, l Limit, n, most int) (int, Result, error) {
	f.mu.Lock()
	skip := f.down && time.Now().Before(f.retryAt)
	f.mu.Unlock()
	if !skip {
		took, res, err := f.Primary.Reserve(ctx, key, l, n, most)
		if err == nil || ctx.Err() == nil { // a cancelled request says nothing about Redis
			f.mark(err)
		}
		if err == nil {
			return took, res, nil
		}
	}
	if f.OnFallback != nil {
		f.OnFallback()
	}
	// Exactly n: Secondary is in this process, so a batch would save no
	// round trip, and the requests it paid for would not come back here to
	// notice that Primary answers again.
	return f.Secondary.Reserve(ctx, key, l, n, n)
}

// Healthy reports whether Primary answered last time it was asked.
func (f *Fallback) Healthy() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down
}

func (f *Fallback) mark(err error) {
	f.mu.Lock()
	wasDown := f.down
	f.down = err != nil
	if f.down {
		f.retryAt = time.Now().Add(f.RetryEvery)
	}
	f.mu.Unlock()
	switch {
	case err != nil && !wasDown && f.OnDown != nil:
		f.OnDown(err)
	case err == nil && wasDown && f.OnUp != nil:
		f.OnUp()
	}
}
