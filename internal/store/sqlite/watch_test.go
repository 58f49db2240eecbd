package sqlite

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

var userSeq atomic.Int64

func mustUser(t testing.TB, s *Store) domain.User {
	t.Helper()
	at := time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)
	email := fmt.Sprintf("viewer%d@example.com", userSeq.Add(1))
	u, err := s.CreateUser(t.Context(), domain.User{Email: email, PasswordHash: "x", Active: true, CreatedAt: at, UpdatedAt: at})
	if err != nil {
		t.Fatalf("CreateUser(%q) error = %v", email, err)
	}
	return u
}

var benchAt = time.Date(2026, 1, 8, 8, 0, 0, 0, time.UTC)

// benchSave saves the viewer's next progress, 5 s further into the episode.
func benchSave(b *testing.B, s *Store, p *domain.Progress) bool {
	p.Position += 5
	p.ClientUpdatedAt = benchAt.UnixMilli() + int64(p.Position*1000)
	if _, _, err := s.SaveProgress(b.Context(), *p, benchAt); err != nil {
		b.Error(err)
		return false
	}
	return true
}

// BenchmarkSaveProgress saves the progress of one viewer alone: the cost
// of a save when nothing shares its commit.
func BenchmarkSaveProgress(b *testing.B) {
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	p := domain.Progress{UserID: mustUser(b, s).ID, Provider: "rpc", TitleID: "t", EpisodeID: "e", Duration: 1440}
	for b.Loop() {
		if !benchSave(b, s, &p) {
			return
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// BenchmarkSaveProgressParallel saves progress from 64 goroutines at once,
// the players of as many viewers, each on its own episode.
func BenchmarkSaveProgressParallel(b *testing.B) {
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	u := mustUser(b, s)
	var viewers atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: fmt.Sprintf("e%d", viewers.Add(1)), Duration: 1440}
		for pb.Next() {
			if !benchSave(b, s, &p) {
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// The statements of a save are prepared at the first batch, once the
// tables exist: a save before the migrations fails, and the first after
// them prepares them and is stored.
func TestSaveBeforeMigrationsThenAfter(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := domain.Progress{UserID: 1, Provider: "rpc", TitleID: "t", EpisodeID: "e", Position: 5, Duration: 1440}
	if _, _, err := s.SaveProgress(t.Context(), p, benchAt); err == nil {
		t.Fatal("a save before the migrations succeeded")
	}
	m, err := s.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.UserID = mustUser(t, s).ID
	saved, applied, err := s.SaveProgress(t.Context(), p, benchAt)
	if err != nil || !applied || saved.Position != 5 {
		t.Fatalf("SaveProgress after the migrations = %+v, %v, %v", saved, applied, err)
	}
	got, _, err := s.ProgressList(t.Context(), p.UserID, domain.ProgressQuery{Provider: "rpc", Page: domain.Page{Limit: 10}})
	if err != nil || len(got) != 1 || got[0].EpisodeID != "e" {
		t.Fatalf("ProgressList = %+v, %v", got, err)
	}
}
