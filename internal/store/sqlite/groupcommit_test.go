package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/anirohi/anirohi-api/internal/domain"
)

var saveAt = time.Date(2026, 1, 8, 9, 0, 0, 0, time.UTC)

// progressAt is a save whose position is its client time, so that a
// stored row tells which save it came from.
func progressAt(userID int64, episode string, clientAt int64) domain.Progress {
	return domain.Progress{UserID: userID, Provider: "rpc", TitleID: episode, EpisodeID: episode,
		Position: float64(clientAt), Duration: 1440, ClientUpdatedAt: clientAt}
}

// storedProgress reads the user's progress rows and history positions by episode.
func storedProgress(t *testing.T, s *Store, userID int64) (map[string]domain.Progress, map[string]float64) {
	t.Helper()
	page := domain.Page{Limit: 10000}
	list, _, err := s.ProgressList(t.Context(), userID, domain.ProgressQuery{Provider: "rpc", Page: page})
	if err != nil {
		t.Fatalf("ProgressList() error = %v", err)
	}
	hist, _, err := s.History(t.Context(), userID, domain.HistoryQuery{Provider: "rpc", Page: page})
	if err != nil {
		t.Fatalf("History() error = %v", err)
	}
	rows, positions := map[string]domain.Progress{}, map[string]float64{}
	for _, p := range list {
		rows[p.EpisodeID] = p
	}
	for _, h := range hist {
		positions[h.EpisodeID] = *h.Position
	}
	return rows, positions
}

// wantNewest checks that every episode holds its newest save, in its
// progress row and its history entry, and that no other row exists.
func wantNewest(t *testing.T, s *Store, userID int64, newest map[string]int64) {
	t.Helper()
	rows, positions := storedProgress(t, s, userID)
	if len(rows) != len(newest) || len(positions) != len(newest) {
		t.Errorf("%d progress rows and %d history entries, want %d of each", len(rows), len(positions), len(newest))
	}
	for ep, at := range newest {
		if got := rows[ep]; got.ClientUpdatedAt != at || got.Position != float64(at) || positions[ep] != float64(at) {
			t.Errorf("episode %s: stored %+v, history position %v; want the save of client time %d", ep, got, positions[ep], at)
		}
	}
}

// countCommits counts, from now on, the transactions SQLite itself commits
// on the store's write connection (its commit hook).
func countCommits(t *testing.T, s *Store) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	conn, err := s.write.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		dc.(sqlite.HookRegisterer).RegisterCommitHook(func() int32 { n.Add(1); return 0 })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &n
}

// Two hundred viewers save at once: each its own episode, newer every time,
// and one of ten shared episodes, older every time, so that the shared
// ones see saves in every order of client time. Each save is answered as a
// lone save would be and is visible to readers once answered; after Close
// and a reopen every episode holds its newest save.
func TestSaveProgressConcurrentKeepsNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := openMigrated(t, path)
	u := mustUser(t, s)
	const viewers, saves = 200, 3
	var mu sync.Mutex
	newest := map[string]int64{}
	var wg sync.WaitGroup
	for v := range viewers {
		wg.Go(func() {
			own, shared := fmt.Sprintf("own%d", v), fmt.Sprintf("shared%d", v%10)
			for i := range saves {
				saveOwn(t, s, progressAt(u.ID, own, int64(i+1)))
				at := int64(v*saves + saves - i) // this viewer's first shared save is its newest
				got, applied, err := s.SaveProgress(t.Context(), progressAt(u.ID, shared, at), saveAt)
				won := applied && got.ClientUpdatedAt == at
				lost := !applied && got.ClientUpdatedAt > at
				if err != nil || !won && !lost || won && i > 0 {
					t.Errorf("SaveProgress(%s, %d) = %d, applied %v, %v; want it applied, or a newer row kept", shared, at, got.ClientUpdatedAt, applied, err)
				}
				mu.Lock()
				newest[own], newest[shared] = int64(i+1), max(newest[shared], at)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.Close()
	wantNewest(t, openMigrated(t, path), u.ID, newest)
}

// saveOwn saves a viewer's own episode, newer than its last save, and
// checks that the save applied and that a reader sees it once answered.
func saveOwn(t *testing.T, s *Store, p domain.Progress) {
	t.Helper()
	got, applied, err := s.SaveProgress(t.Context(), p, saveAt)
	if err != nil || !applied || got.ClientUpdatedAt != p.ClientUpdatedAt {
		t.Errorf("SaveProgress(%s, %d) = %+v, applied %v, %v; want it applied", p.EpisodeID, p.ClientUpdatedAt, got, applied, err)
		return
	}
	q := domain.ProgressQuery{Provider: "rpc", TitleID: p.TitleID, Page: domain.Page{Limit: 1}}
	if list, _, err := s.ProgressList(t.Context(), p.UserID, q); err != nil || len(list) != 1 || list[0] != got {
		t.Errorf("after SaveProgress(%s, %d) answered, readers see %+v (%v)", p.EpisodeID, p.ClientUpdatedAt, list, err)
	}
}

// Concurrent saves share transactions: SQLite commits fewer times than
// there are saves.
func TestSaveProgressSharesCommits(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "p.db"))
	u := mustUser(t, s)
	commits := countCommits(t, s)
	const viewers, saves = 64, 10
	var wg sync.WaitGroup
	for v := range viewers {
		wg.Go(func() {
			for i := range saves {
				if _, _, err := s.SaveProgress(t.Context(), progressAt(u.ID, fmt.Sprint(v), int64(i+1)), saveAt); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n := commits.Load()
	t.Logf("%d saves in %d commits", viewers*saves, n)
	if n == 0 || n >= viewers*saves {
		t.Errorf("%d saves made %d commits, want at least one and fewer than saves", viewers*saves, n)
	}
}

// failHistory makes SQLite fail the history upsert of the episode, the
// statement after its progress upsert, with RAISE(how).
func failHistory(t *testing.T, s *Store, episode, how string) {
	t.Helper()
	_, err := s.write.ExecContext(t.Context(), `CREATE TRIGGER fail_`+episode+` BEFORE INSERT ON user_history
		WHEN new.episode_id = '`+episode+`' BEGIN SELECT RAISE(`+how+`, 'failed on purpose'); END`)
	if err != nil {
		t.Fatal(err)
	}
}

// commitBatch runs the saves through the committer as one batch and
// returns their answers and how many transactions SQLite committed.
func commitBatch(t *testing.T, s *Store, saves []*progressSave) ([]saveAnswer, int64) {
	t.Helper()
	for _, r := range saves {
		r.now, r.answer = saveAt, make(chan saveAnswer, 1)
	}
	commits := countCommits(t, s)
	s.saves.commit(saves)
	answers := make([]saveAnswer, len(saves))
	for i, r := range saves {
		answers[i] = <-r.answer
	}
	return answers, commits.Load()
}

// One batch, one transaction: a save that fails (its user does not exist,
// or its history entry after its progress row) or whose caller has gone is
// answered alone and leaves nothing; the others commit.
func TestCommitBatchAnswersEachSave(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "p.db"))
	u := mustUser(t, s)
	failHistory(t, s, "broken", "ABORT")
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	answers, commits := commitBatch(t, s, []*progressSave{
		{ctx: t.Context(), p: progressAt(u.ID, "a", 20)},
		{ctx: t.Context(), p: progressAt(u.ID+1000, "a", 30)},
		{ctx: gone, p: progressAt(u.ID, "gone", 10)},
		{ctx: t.Context(), p: progressAt(u.ID, "a", 10)}, // older than the first
		{ctx: t.Context(), p: progressAt(u.ID, "broken", 10)},
		{ctx: t.Context(), p: progressAt(u.ID, "b", 10)},
	})
	if commits != 1 {
		t.Errorf("the batch made %d commits, want 1", commits)
	}
	want := []string{"applied 20", "not found", "unavailable", "kept 20", "internal", "applied 10"}
	for i, a := range answers {
		got := fmt.Sprintf("kept %d", a.saved.ClientUpdatedAt)
		switch {
		case a.err != nil:
			got = domain.KindOf(a.err).String()
		case a.applied:
			got = fmt.Sprintf("applied %d", a.saved.ClientUpdatedAt)
		}
		if got != want[i] {
			t.Errorf("save %d answered %q (%v), want %q", i, got, a.err, want[i])
		}
	}
	wantNewest(t, s, u.ID, map[string]int64{"a": 20, "b": 10})
}

// A save whose failure ends the whole transaction fails the whole batch:
// no save is answered as done, none is stored.
func TestCommitBatchFailsTogether(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "p.db"))
	u := mustUser(t, s)
	failHistory(t, s, "doomed", "ROLLBACK")
	answers, commits := commitBatch(t, s, []*progressSave{
		{ctx: t.Context(), p: progressAt(u.ID, "a", 1)},
		{ctx: t.Context(), p: progressAt(u.ID, "doomed", 1)},
		{ctx: t.Context(), p: progressAt(u.ID, "b", 1)},
	})
	if commits != 0 {
		t.Errorf("the batch made %d commits, want 0", commits)
	}
	for i, a := range answers {
		if a.err == nil {
			t.Errorf("save %d answered %+v, want the transaction's error", i, a)
		}
	}
	wantNewest(t, s, u.ID, map[string]int64{})
}

// A save whose ctx has already ended is refused and writes nothing.
func TestSaveProgressCancelledWritesNothing(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "p.db"))
	u := mustUser(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for i := range 20 {
		_, _, err := s.SaveProgress(ctx, progressAt(u.ID, fmt.Sprint(i), 1), saveAt)
		if got := domain.KindOf(err); got != domain.KindUnavailable || !errors.Is(err, context.Canceled) {
			t.Fatalf("SaveProgress(cancelled) kind = %v (err %v), want %v", got, err, domain.KindUnavailable)
		}
	}
	wantNewest(t, s, u.ID, map[string]int64{})
}

// Close while viewers keep saving: it returns, every save after it is
// refused with errClosed, and every save answered before is in the file.
func TestCloseWithSavesInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := openMigrated(t, path)
	u := mustUser(t, s)
	const viewers = 50
	var acks atomic.Int64
	busy := make(chan struct{})
	acked := make([]int64, viewers)
	var wg sync.WaitGroup
	for v := range viewers {
		wg.Go(func() {
			for at := int64(1); ; at++ {
				_, _, err := s.SaveProgress(t.Context(), progressAt(u.ID, fmt.Sprint(v), at), saveAt)
				if err != nil {
					if !errors.Is(err, errClosed) {
						t.Errorf("SaveProgress() during Close error = %v, want errClosed", err)
					}
					return
				}
				acked[v] = at
				if acks.Add(1) == 500 {
					close(busy)
				}
			}
		})
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-busy:
	case <-stopped: // the savers failed early; they said why
	}
	s.Close()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("savers still waiting 30 s after Close")
	}
	if _, _, err := s.SaveProgress(t.Context(), progressAt(u.ID, "late", 1), saveAt); !errors.Is(err, errClosed) {
		t.Errorf("SaveProgress() after Close error = %v, want errClosed", err)
	}
	s.Close()
	newest := map[string]int64{}
	for v, at := range acked {
		if at != 0 {
			newest[fmt.Sprint(v)] = at
		}
	}
	wantNewest(t, openMigrated(t, path), u.ID, newest)
}
