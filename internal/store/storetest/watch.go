package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func save(t *testing.T, s domain.Store, p domain.Progress, at time.Time) (domain.Progress, bool) {
	t.Helper()
	got, applied, err := s.SaveProgress(t.Context(), p, at)
	if err != nil {
		t.Fatalf("SaveProgress(%s) error = %v", p.EpisodeID, err)
	}
	return got, applied
}

func history(t *testing.T, s domain.Store, userID int64, provider string) []domain.HistoryEntry {
	t.Helper()
	h, _, err := s.History(t.Context(), userID, domain.HistoryQuery{Provider: provider, Page: domain.Page{Limit: 100}})
	if err != nil {
		t.Fatalf("History() error = %v", err)
	}
	return h
}

func testWatch(t *testing.T, open Opener) {
	t.Run("saving progress upserts the row and its history entry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		p := domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "op", EpisodeID: "op-ep-1", Position: 12.5, Duration: 1440}
		got, applied := save(t, s, p, now)
		want := p
		want.ID, want.UpdatedAt = got.ID, now
		if diff := cmp.Diff(want, got); diff != "" || !applied {
			t.Fatalf("first save (applied %v) mismatch (-want +got):\n%s", applied, diff)
		}
		later := now.Add(5 * time.Second)
		p.TitleID, p.Position = "op-fixed", 300
		got, _ = save(t, s, p, later)
		want.TitleID, want.Position, want.UpdatedAt = "op-fixed", 300, later
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("second save mismatch (-want +got):\n%s", diff)
		}
		h := history(t, s, u.ID, "rpc")
		wantH := []domain.HistoryEntry{{ID: h[0].ID, UserID: u.ID, Provider: "rpc", TitleID: "op-fixed", EpisodeID: "op-ep-1", Position: ptr(300.0), WatchedAt: later}}
		if diff := cmp.Diff(wantH, h); diff != "" {
			t.Errorf("history mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("an older client save changes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		p := domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "op", EpisodeID: "e1", Position: 100, Duration: 1440, ClientUpdatedAt: 2000}
		first, _ := save(t, s, p, now)
		old := p
		old.Position, old.ClientUpdatedAt = 50, 1000
		got, applied := save(t, s, old, now.Add(time.Second))
		if applied || got != first {
			t.Errorf("older save: applied %v, got %+v; want the stored %+v", applied, got, first)
		}
		if h := history(t, s, u.ID, "rpc"); !h[0].WatchedAt.Equal(now) || *h[0].Position != 100 {
			t.Errorf("history touched by an ignored save: %+v", h[0])
		}
		same := p
		same.Position = 110
		if got, applied := save(t, s, same, now.Add(2*time.Second)); !applied || got.Position != 110 {
			t.Errorf("retry with the same client time: applied %v, position %v; want applied", applied, got.Position)
		}
		untimed := p
		untimed.Position, untimed.ClientUpdatedAt = 120, 0
		if got, applied := save(t, s, untimed, now.Add(3*time.Second)); !applied || got.Position != 120 || got.ClientUpdatedAt != 2000 {
			t.Errorf("save without client time: applied %v, %+v; want applied, client time kept", applied, got)
		}
	})

	t.Run("progress lists filter by title, order and page", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s), mustCreateUser(t, s)
		for i := range 5 {
			save(t, s, domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: fmt.Sprintf("t%d", i%2), EpisodeID: fmt.Sprintf("e%d", i)}, now.Add(time.Duration(i)*time.Second))
		}
		save(t, s, domain.Progress{UserID: other.ID, Provider: "rpc", TitleID: "t0", EpisodeID: "x"}, now)
		eps := func(q domain.ProgressQuery) []string {
			q.Provider = "rpc"
			list, _, err := s.ProgressList(t.Context(), u.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, p := range list {
				out = append(out, p.EpisodeID)
			}
			return out
		}
		if got := eps(domain.ProgressQuery{Page: domain.Page{Limit: 100}}); !cmp.Equal(got, []string{"e4", "e3", "e2", "e1", "e0"}) {
			t.Errorf("all = %v", got)
		}
		if got := eps(domain.ProgressQuery{TitleID: "t1", Page: domain.Page{Limit: 100}}); !cmp.Equal(got, []string{"e3", "e1"}) {
			t.Errorf("title t1 = %v", got)
		}
		first, more, _ := s.ProgressList(t.Context(), u.ID, domain.ProgressQuery{Provider: "rpc", Page: domain.Page{Limit: 3}})
		last := first[2]
		if got := eps(domain.ProgressQuery{Page: domain.Page{Limit: 3, After: domain.Cursor{At: last.UpdatedAt, ID: last.ID}}}); !more || !cmp.Equal(got, []string{"e1", "e0"}) {
			t.Errorf("page 2 = %v (more %v)", got, more)
		}
	})

	t.Run("history deletes are scoped to the owner and provider", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s), mustCreateUser(t, s)
		for i := range 5 {
			save(t, s, domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: fmt.Sprintf("e%d", i)}, now.Add(time.Duration(i)*time.Second))
		}
		save(t, s, domain.Progress{UserID: u.ID, Provider: "aniliberty", TitleID: "t", EpisodeID: "e0"}, now)
		h := history(t, s, u.ID, "rpc")
		if len(h) != 5 || h[0].EpisodeID != "e4" {
			t.Fatalf("history = %+v, want 5 newest first", h)
		}
		wantKind(t, "DeleteHistoryEntry(other user's)", s.DeleteHistoryEntry(t.Context(), other.ID, h[0].ID), domain.KindNotFound)
		must(t, s.DeleteHistoryEntry(t.Context(), u.ID, h[0].ID))
		wantKind(t, "DeleteHistoryEntry(again)", s.DeleteHistoryEntry(t.Context(), u.ID, h[0].ID), domain.KindNotFound)
		n, err := s.ClearHistory(t.Context(), u.ID, "rpc")
		if err != nil || n != 4 {
			t.Errorf("ClearHistory() = %d, %v; want 4", n, err)
		}
		if len(history(t, s, u.ID, "rpc")) != 0 || len(history(t, s, u.ID, "aniliberty")) != 1 {
			t.Error("clearing rpc history touched the wrong rows")
		}
		if list, _, _ := s.ProgressList(t.Context(), u.ID, domain.ProgressQuery{Provider: "rpc", Page: domain.Page{Limit: 10}}); len(list) != 5 {
			t.Errorf("progress rows after clearing history = %d, want 5 kept", len(list))
		}
	})

	t.Run("concurrent first saves of one episode make one progress and one history row", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() {
				_, _, errs[i] = s.SaveProgress(t.Context(), domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: "e", Position: float64(i)}, now)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("SaveProgress() error = %v", err)
			}
		}
		list, _, _ := s.ProgressList(t.Context(), u.ID, domain.ProgressQuery{Provider: "rpc", Page: domain.Page{Limit: 10}})
		if len(list) != 1 || len(history(t, s, u.ID, "rpc")) != 1 {
			t.Errorf("progress rows %d, history rows %d; want 1 and 1", len(list), len(history(t, s, u.ID, "rpc")))
		}
	})

	t.Run("legacy import applies only newer items, in order", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		save(t, s, domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "a", EpisodeID: "a-ep-1", Position: 10}, now)
		put(t, s, u.ID, "kept", domain.LibraryPatch{Status: ptr("completed")}, now)
		items := []domain.LegacyItem{
			{TitleID: "a", EpisodeID: "a-ep-1", Position: 5, At: now.Add(-time.Hour)},               // older: skipped
			{TitleID: "a", EpisodeID: "a-ep-1", Position: 20, At: now},                              // equal: skipped
			{TitleID: "a", EpisodeID: "a-ep-1", Position: 30, Duration: 60, At: now.Add(time.Hour)}, // newer: applied
			{TitleID: "b", EpisodeID: "b-ep-2", Position: 40, At: now},                              // new
			{TitleID: "b", EpisodeID: "b-ep-2", Position: 41, At: now},                              // duplicate, sees the first
			{TitleID: "new-series", At: now},                                                        // new favourite
			{TitleID: "kept", At: now.Add(-time.Minute)},                                            // older: skipped
			{TitleID: "kept", At: now.Add(time.Minute)},                                             // newer: favourite, status kept
		}
		applied, err := s.ImportLegacy(t.Context(), u.ID, "rpc", items)
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{false, false, true, true, false, true, false, true}; !cmp.Equal(applied, want) {
			t.Errorf("applied = %v, want %v", applied, want)
		}
		h := history(t, s, u.ID, "rpc")
		if len(h) != 2 || h[0].EpisodeID != "a-ep-1" || *h[0].Position != 30 || !h[0].WatchedAt.Equal(now.Add(time.Hour)) {
			t.Errorf("history after import = %+v", h)
		}
		lib, _, _ := s.Library(t.Context(), u.ID, domain.LibraryQuery{Provider: "rpc", Page: domain.Page{Limit: 10}})
		got := map[string]string{}
		for _, it := range lib {
			got[it.TitleID] = fmt.Sprintf("%s fav=%v", it.Status, it.IsFavorite)
		}
		if want := map[string]string{"kept": "completed fav=true", "new-series": "planned fav=true"}; !cmp.Equal(got, want) {
			t.Errorf("library after import = %v, want %v", got, want)
		}
		again, _ := s.ImportLegacy(t.Context(), u.ID, "rpc", items)
		if !cmp.Equal(again, make([]bool, len(items))) {
			t.Errorf("re-import applied %v, want nothing", again)
		}
	})
}
