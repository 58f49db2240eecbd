package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// stateStore counts AuthState loads; it is slow enough for loads to overlap.
type stateStore struct {
	domain.UserStore
	loads  atomic.Int64
	active atomic.Bool
}

func (s *stateStore) AuthState(ctx context.Context, id int64, now time.Time) (domain.AuthState, error) {
	s.loads.Add(1)
	time.Sleep(5 * time.Millisecond)
	if id == 404 {
		return domain.AuthState{}, domain.E(domain.KindNotFound, "User not found")
	}
	return domain.AuthState{User: domain.User{ID: id, Active: s.active.Load()}, LoadedAt: now}, nil
}

func TestAccessCachesForTTL(t *testing.T) {
	store := &stateStore{}
	store.active.Store(true)
	clock := &fixedClock{now: time.Unix(1_700_000_000, 0)}
	a := NewAccess(store, clock, 3*time.Second)
	ctx := context.Background()

	a.State(ctx, 1)
	a.State(ctx, 1)
	if got := store.loads.Load(); got != 1 {
		t.Fatalf("loads after two reads = %d, want 1", got)
	}
	store.active.Store(false)
	clock.advance(2 * time.Second)
	if st, _ := a.State(ctx, 1); !st.User.Active {
		t.Error("entry refreshed before its TTL")
	}
	clock.advance(time.Second)
	if st, _ := a.State(ctx, 1); st.User.Active {
		t.Error("entry served after its TTL")
	}
	store.active.Store(true)
	a.Invalidate(1)
	if st, _ := a.State(ctx, 1); !st.User.Active {
		t.Error("Invalidate did not drop the entry")
	}
	if _, err := a.State(ctx, 404); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("State(unknown) = %v, want not found", err)
	}
}

func TestAccessSharesConcurrentLoads(t *testing.T) {
	store := &stateStore{}
	a := NewAccess(store, &fixedClock{now: time.Unix(1_700_000_000, 0)}, time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { a.State(context.Background(), 7) })
	}
	wg.Wait()
	if got := store.loads.Load(); got != 1 {
		t.Errorf("loads for 50 concurrent reads of one user = %d, want 1", got)
	}
}

func TestAccessMemoryIsBounded(t *testing.T) {
	a := NewAccess(&stateStore{}, &fixedClock{now: time.Unix(1_700_000_000, 0)}, time.Hour)
	for id := range int64(maxCachedStates) {
		a.entries[id] = domain.AuthState{LoadedAt: time.Unix(1_700_000_000, 0)}
	}
	a.Load(context.Background(), maxCachedStates+1)
	if n := len(a.entries); n > maxCachedStates/2+1 {
		t.Errorf("entries after overflow = %d, want at most %d", n, maxCachedStates/2+1)
	}
}
