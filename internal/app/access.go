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
// sessions) from a short-lived in-process cache, so that bearer and
// permission checks cost no database query on the hot path. Every change
// to that state calls Invalidate before it is acknowledged; other replicas
// see it when their entry expires, within TTL.
type Access struct {
	store interface {
		AuthState(ctx context.Context, userID int64, now time.Time) (domain.AuthState, error)
	}
	clock Clock
	ttl   time.Duration
	group singleflight.Group

	mu      sync.Mutex
	entries map[int64]domain.AuthState // by user id; LoadedAt is the age
}

// maxCachedStates bounds the cache's memory.
const maxCachedStates = 100_000

// NewAccess returns an Access whose entries live for ttl (keep it under
// the 5-second propagation bound of D5).
func NewAccess(store domain.UserStore, clock Clock, ttl time.Duration) *Access {
	return &Access{store: store, clock: clock, ttl: ttl, entries: map[int64]domain.AuthState{}}
}

// State returns the user's auth state, from the cache when it is fresh.
// KindNotFound when the user does not exist.
func (a *Access) State(ctx context.Context, userID int64) (domain.AuthState, error) {
	now := a.clock.Now()
	a.mu.Lock()
	st, ok := a.entries[userID]
	a.mu.Unlock()
	if ok && now.Sub(st.LoadedAt) < a.ttl {
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

// evictLocked drops expired entries, then arbitrary ones down to half
// the bound.
func (a *Access) evictLocked() {
	now := a.clock.Now()
	for id, st := range a.entries {
		if now.Sub(st.LoadedAt) >= a.ttl {
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
