package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory keeps buckets in this process, at most MaxKeys of them.
//
// Only a full bucket is ever forgotten: a bucket still refilling holds a
// client's spending, and dropping it would hand that client a fresh budget
// (an attacker could flood new keys to reset its own, or a victim's failed
// logins). When every slot holds a bucket that is not full, a new key is
// not given one of its own: all such keys share one bucket per limit until
// room comes back. Under a flood of keys that means new clients are limited
// together (429s once the shared budget is spent) rather than let through
// unlimited; clients already known keep their own buckets.
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu       sync.Mutex
	buckets  map[string]time.Time // key → theoretical arrival time
	overflow map[Limit]time.Time  // the shared bucket of new keys while full
	scanAt   time.Time            // no walk for full buckets before this
}

// NewMemory returns an in-process limiter holding at most maxKeys buckets;
// now is the clock (time.Now when nil).
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, maxKeys: maxKeys, buckets: map[string]time.Time{}, overflow: map[Limit]time.Time{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	_, res, err := m.Reserve(ctx, key, l, n, n)
	return res, err
}

// Reserve implements Reserver.
func (m *Memory) Reserve(_ context.Context, key string, l Limit, n, most int) (int, Result, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, known := m.buckets[key]
	if !known && len(m.buckets) >= m.maxKeys && !makeRoom(m.buckets, m.maxKeys, now, &m.scanAt, bucketFull) {
		took, res, next := gcra(now, m.overflow[l], l, n, most)
		if !next.IsZero() {
			m.overflow[l] = next
		}
		return took, res, nil
	}
	took, res, next := gcra(now, tat, l, n, most)
	if !next.IsZero() {
		m.buckets[key] = next
	}
	return took, res, nil
}

// bucketFull is when a bucket is full again: its theoretical arrival time.
func bucketFull(tat time.Time) time.Time { return tat }
