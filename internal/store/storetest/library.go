package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func ptr[T any](v T) *T { return &v }

func put(t *testing.T, s domain.Store, userID int64, title string, p domain.LibraryPatch, at time.Time) domain.LibraryItem {
	t.Helper()
	it, err := s.PutLibraryItem(t.Context(), userID, "rpc", title, p, at)
	if err != nil {
		t.Fatalf("PutLibraryItem(%s) error = %v", title, err)
	}
	return it
}

func titles(items []domain.LibraryItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.TitleID)
	}
	return out
}

func testLibrary(t *testing.T, open Opener) {
	t.Run("a new item gets the defaults, an update changes only what it sets", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		it := put(t, s, u.ID, "one-piece", domain.LibraryPatch{}, now)
		want := domain.LibraryItem{ID: it.ID, UserID: u.ID, Provider: "rpc", TitleID: "one-piece", Status: "watching", CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, it); diff != "" {
			t.Fatalf("new item mismatch (-want +got):\n%s", diff)
		}
		later := now.Add(time.Minute)
		it = put(t, s, u.ID, "one-piece", domain.LibraryPatch{IsFavorite: ptr(true), SetScore: true, Score: ptr(9), SetNotes: true, Notes: ptr("great")}, later)
		want.IsFavorite, want.Score, want.Notes, want.UpdatedAt = true, ptr(9), ptr("great"), later
		if diff := cmp.Diff(want, it); diff != "" {
			t.Fatalf("after setting favourite, score, notes (-want +got):\n%s", diff)
		}
		later = later.Add(time.Minute)
		it = put(t, s, u.ID, "one-piece", domain.LibraryPatch{Status: ptr("completed")}, later)
		want.Status, want.UpdatedAt = "completed", later
		if diff := cmp.Diff(want, it); diff != "" {
			t.Fatalf("after a status-only update (-want +got):\n%s", diff)
		}
		later = later.Add(time.Minute)
		it = put(t, s, u.ID, "one-piece", domain.LibraryPatch{SetScore: true, SetNotes: true}, later)
		want.Score, want.Notes, want.UpdatedAt = nil, nil, later
		if diff := cmp.Diff(want, it); diff != "" {
			t.Fatalf("after clearing score and notes (-want +got):\n%s", diff)
		}
	})

	t.Run("lists filter, order newest first and page", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s), mustCreateUser(t, s)
		for i, st := range []string{"watching", "planned", "completed", "watching", "dropped"} {
			put(t, s, u.ID, fmt.Sprintf("t%d", i), domain.LibraryPatch{Status: ptr(st), IsFavorite: ptr(i%2 == 0)}, now.Add(time.Duration(i)*time.Second))
		}
		put(t, s, other.ID, "t9", domain.LibraryPatch{}, now)
		s.PutLibraryItem(t.Context(), u.ID, "aniliberty", "t0", domain.LibraryPatch{}, now)
		list := func(q domain.LibraryQuery) ([]string, bool) {
			t.Helper()
			q.Provider = "rpc"
			if q.Limit == 0 {
				q.Limit = 1000
			}
			items, more, err := s.Library(t.Context(), u.ID, q)
			if err != nil {
				t.Fatalf("Library(%+v) error = %v", q, err)
			}
			return titles(items), more
		}
		if got, _ := list(domain.LibraryQuery{}); !cmp.Equal(got, []string{"t4", "t3", "t2", "t1", "t0"}) {
			t.Errorf("all = %v", got)
		}
		if got, _ := list(domain.LibraryQuery{Status: "watching"}); !cmp.Equal(got, []string{"t3", "t0"}) {
			t.Errorf("watching = %v", got)
		}
		if got, _ := list(domain.LibraryQuery{FavoritesOnly: true}); !cmp.Equal(got, []string{"t4", "t2", "t0"}) {
			t.Errorf("favourites = %v", got)
		}
		items, more, _ := s.Library(t.Context(), u.ID, domain.LibraryQuery{Provider: "rpc", Page: domain.Page{Limit: 2}})
		if !cmp.Equal(titles(items), []string{"t4", "t3"}) || !more {
			t.Fatalf("page 1 = %v, more %v", titles(items), more)
		}
		last := items[1]
		got, more := list(domain.LibraryQuery{Page: domain.Page{Limit: 3, After: domain.Cursor{At: last.UpdatedAt, ID: last.ID}}})
		if !cmp.Equal(got, []string{"t2", "t1", "t0"}) || more {
			t.Errorf("page 2 = %v, more %v; want t2 t1 t0 and no more", got, more)
		}
	})

	t.Run("delete is scoped to the owner", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s), mustCreateUser(t, s)
		put(t, s, u.ID, "x", domain.LibraryPatch{}, now)
		wantKind(t, "DeleteLibraryItem(other user's)", s.DeleteLibraryItem(t.Context(), other.ID, "rpc", "x"), domain.KindNotFound)
		wantKind(t, "DeleteLibraryItem(other provider)", s.DeleteLibraryItem(t.Context(), u.ID, "p2", "x"), domain.KindNotFound)
		must(t, s.DeleteLibraryItem(t.Context(), u.ID, "rpc", "x"))
		wantKind(t, "DeleteLibraryItem(again)", s.DeleteLibraryItem(t.Context(), u.ID, "rpc", "x"), domain.KindNotFound)
	})

	t.Run("concurrent first writes of one item make one row", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.PutLibraryItem(t.Context(), u.ID, "rpc", "race", domain.LibraryPatch{IsFavorite: ptr(true)}, now)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("PutLibraryItem() error = %v", err)
			}
		}
		items, _, _ := s.Library(t.Context(), u.ID, domain.LibraryQuery{Provider: "rpc", Page: domain.Page{Limit: 10}})
		if len(items) != 1 {
			t.Errorf("rows = %d, want 1", len(items))
		}
	})
}
