package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory keeps buckets in this process, at most MaxKeys of them.
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[string]time.Time // key → theoretical arrival time
}

// NewMemory returns an in-process limiter holding at most maxKeys buckets;
// now is the clock (time.Now when nil).
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, maxKeys: maxKeys, buckets: map[string]time.Time{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, l Limit, n int) (Result, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	res, next := gcra(now, m.buckets[key], l, n)
	if !next.IsZero() {
		if _, ok := m.buckets[key]; !ok && len(m.buckets) >= m.maxKeys {
			m.evictLocked(now)
		}
		m.buckets[key] = next
	}
	return res, nil
}

// evictLocked drops full buckets (their time has passed: forgetting them
// changes nothing), then arbitrary ones down to three quarters of the bound,
// which can only let a client through early, never block it wrongly.
func (m *Memory) evictLocked(now time.Time) {
	for k, tat := range m.buckets {
		if !tat.After(now) {
			delete(m.buckets, k)
		}
	}
	for k := range m.buckets {
		if len(m.buckets) <= m.maxKeys*3/4 {
			return
		}
		delete(m.buckets, k)
	}
}
