package app

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
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
	loads   atomic.Int64
	active  atomic.Bool
	changed atomic.Int64 // a user id reported by the change feed, 0 for none
}

func (s *stateStore) AuthState(ctx context.Context, id int64, now time.Time) (domain.AuthState, error) {
	s.loads.Add(1)
	time.Sleep(5 * time.Millisecond)
	if id == 404 {
		return domain.AuthState{}, domain.E(domain.KindNotFound, "User not found")
	}
	return domain.AuthState{User: domain.User{ID: id, Active: s.active.Load()}, LoadedAt: now}, nil
}

func (s *stateStore) AuthChanges(ctx context.Context, since time.Time) ([]int64, time.Time, error) {
	if id := s.changed.Swap(0); id != 0 {
		return []int64{id}, time.Now(), nil
	}
	return nil, time.Now(), nil
}

func TestAccessWithoutFeedExpiresQuickly(t *testing.T) {
	store := &stateStore{}
	store.active.Store(true)
	clock := &fixedClock{now: time.Unix(1_700_000_000, 0)}
	a := NewAccess(store, clock)
	ctx := context.Background()

	a.State(ctx, 1)
	a.State(ctx, 1)
	if got := store.loads.Load(); got != 1 {
		t.Fatalf("loads after two reads = %d, want 1", got)
	}
	store.active.Store(false)
	clock.advance(ShortTTL - time.Millisecond)
	if st, _ := a.State(ctx, 1); !st.User.Active {
		t.Error("entry refreshed before ShortTTL")
	}
	clock.advance(time.Millisecond)
	if st, _ := a.State(ctx, 1); st.User.Active {
		t.Error("entry served after ShortTTL without a change feed")
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

func TestAccessWithLiveFeedKeepsEntriesUntilTheyChange(t *testing.T) {
	store := &stateStore{}
	store.active.Store(true)
	clock := &fixedClock{now: time.Unix(1_700_000_000, 0)}
	a := NewAccess(store, clock)
	ctx := context.Background()
	a.Poll(ctx)
	a.State(ctx, 1)
	for range 10 { // ten seconds of polls with no change: no reload
		clock.advance(time.Second)
		a.Poll(ctx)
		a.State(ctx, 1)
	}
	if got := store.loads.Load(); got != 1 {
		t.Errorf("loads over 10 s with a live feed = %d, want 1", got)
	}
	store.active.Store(false)
	store.changed.Store(1)
	a.Poll(ctx)
	if st, _ := a.State(ctx, 1); st.User.Active {
		t.Error("a change reported by the feed did not drop the entry")
	}
	clock.advance(feedStale) // the feed stops: back to ShortTTL
	store.active.Store(true)
	if st, _ := a.State(ctx, 1); !st.User.Active {
		t.Error("entry kept past ShortTTL although the feed went stale")
	}
}

// Two Access values on one database are two replicas: a change made through
// one reaches the other at its next poll.
func TestAccessChangeReachesOtherReplicas(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m, _ := store.Migrator()
	m.Up(t.Context())
	clock := &fixedClock{now: time.Now().UTC()}
	u, _ := store.CreateUser(t.Context(), domain.User{Email: "r@example.com", PasswordHash: "x", Active: true, CreatedAt: clock.now, UpdatedAt: clock.now})
	a, b := NewAccess(store, clock), NewAccess(store, clock)
	ctx := t.Context()
	for _, r := range []*Access{a, b} {
		r.Poll(ctx)
		if st, err := r.State(ctx, u.ID); err != nil || !st.User.Active {
			t.Fatalf("State() = %+v, %v", st, err)
		}
	}
	if _, err := store.SetUserActive(ctx, u.ID, false, clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	a.Invalidate(u.ID) // what the replica making the change does
	if st, _ := a.State(ctx, u.ID); st.User.Active {
		t.Error("replica A serves the old state after its own change")
	}
	if st, _ := b.State(ctx, u.ID); !st.User.Active {
		t.Fatal("replica B reloaded without a poll: the test proves nothing")
	}
	clock.advance(PollEvery)
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.State(ctx, u.ID); st.User.Active {
		t.Error("replica B serves the old state after polling the change feed")
	}
}

func TestAccessSharesConcurrentLoads(t *testing.T) {
	store := &stateStore{}
	a := NewAccess(store, &fixedClock{now: time.Unix(1_700_000_000, 0)})
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
	now := time.Unix(1_700_000_000, 0)
	a := NewAccess(&stateStore{}, &fixedClock{now: now})
	for id := range int64(maxCachedStates) {
		a.entries[id] = domain.AuthState{LoadedAt: now}
	}
	a.Load(context.Background(), maxCachedStates+1)
	if n := len(a.entries); n > maxCachedStates/2+1 {
		t.Errorf("entries after overflow = %d, want at most %d", n, maxCachedStates/2+1)
	}
}
