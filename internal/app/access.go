package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Access serves users' auth states (active flag, roles, permissions, live
// sessions) from an in-process cache, so that bearer and permission checks
// cost no database query on the hot path.
//
// A change made here is invalidated before it is acknowledged. Changes made
// by other replicas arrive through the store's change feed, which Watch
// polls every second; while that feed is live, entries are kept up to
// LongTTL. When it is not (no watcher, database unreachable), entries last
// only ShortTTL. Either way a change reaches every replica in under the
// five seconds of D5.
type Access struct {
	store interface {
		AuthState(ctx context.Context, userID int64, now time.Time) (domain.AuthState, error)
		AuthChanges(ctx context.Context, since time.Time) ([]int64, time.Time, error)
	}
	clock Clock
	group singleflight.Group

	mu      sync.Mutex
	entries map[int64]domain.AuthState // by user id; LoadedAt is the age
	since   time.Time                  // database clock: where the next poll starts
	polled  time.Time                  // our clock: the last successful poll
}

// Cache timings; see Access.
const (
	ShortTTL    = 3 * time.Second
	LongTTL     = 10 * time.Minute
	PollEvery   = time.Second
	feedStale   = 3 * time.Second  // a feed not polled for this long is not trusted
	feedOverlap = 10 * time.Second // re-read changes this far back: slow commits land late
)

// maxCachedStates bounds the cache's memory.
const maxCachedStates = 100_000

// NewAccess returns an empty Access.
func NewAccess(store domain.UserStore, clock Clock) *Access {
	return &Access{store: store, clock: clock, entries: map[int64]domain.AuthState{}}
}

// State returns the user's auth state, from the cache when it is fresh.
// KindNotFound when the user does not exist.
func (a *Access) State(ctx context.Context, userID int64) (domain.AuthState, error) {
	now := a.clock.Now()
	a.mu.Lock()
	st, ok := a.entries[userID]
	ttl := ShortTTL
	if now.Sub(a.polled) < feedStale {
		ttl = LongTTL
	}
	a.mu.Unlock()
	if ok && now.Sub(st.LoadedAt) < ttl {
		return st, nil
	}
	return a.Load(ctx, userID)
}

// Load reads the state from the store and caches it. Concurrent loads of
// one user share a single query.
func (a *Access) Load(ctx context.Context, userID int64) (domain.AuthState, error) {
	v, err, _ := a.group.Do(strconv.FormatInt(userID, 10), func() (any, error) {
		st, err := a.store.AuthState(ctx, userID, a.clock.Now())
		if err != nil {
			return domain.AuthState{}, err
		}
		a.mu.Lock()
		if len(a.entries) >= maxCachedStates {
			a.evictLocked()
		}
		a.entries[userID] = st
		a.mu.Unlock()
		return st, nil
	})
	return v.(domain.AuthState), err
}

// Invalidate drops the cached state of the user.
func (a *Access) Invalidate(userID int64) {
	a.group.Forget(strconv.FormatInt(userID, 10))
	a.mu.Lock()
	delete(a.entries, userID)
	a.mu.Unlock()
}

// Poll reads the change feed once and drops the states that changed.
func (a *Access) Poll(ctx context.Context) error {
	a.mu.Lock()
	since := a.since
	a.mu.Unlock()
	ids, dbNow, err := a.store.AuthChanges(ctx, since)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.Invalidate(id)
	}
	a.mu.Lock()
	a.since, a.polled = dbNow.Add(-feedOverlap), a.clock.Now()
	a.mu.Unlock()
	return nil
}

// Watch polls the change feed every PollEvery until ctx ends, reporting
// failures to onError.
func (a *Access) Watch(ctx context.Context, onError func(error)) {
	t := time.NewTicker(PollEvery)
	defer t.Stop()
	for {
		if err := a.Poll(ctx); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// evictLocked drops entries older than ShortTTL, then arbitrary ones down
// to half the bound.
func (a *Access) evictLocked() {
	now := a.clock.Now()
	for id, st := range a.entries {
		if now.Sub(st.LoadedAt) >= ShortTTL {
			delete(a.entries, id)
		}
	}
	for id := range a.entries {
		if len(a.entries) <= maxCachedStates/2 {
			break
		}
		delete(a.entries, id)
	}
}
