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

// BenchmarkSaveProgressParallel saves progress from 64 goroutines at once,
// the players of as many viewers, each on its own episode.
func BenchmarkSaveProgressParallel(b *testing.B) {
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	u := mustUser(b, s)
	at := time.Date(2026, 1, 8, 8, 0, 0, 0, time.UTC)
	var viewers atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: fmt.Sprintf("e%d", viewers.Add(1)), Duration: 1440}
		for pb.Next() {
			p.Position += 5
			p.ClientUpdatedAt = at.UnixMilli() + int64(p.Position*1000)
			if _, _, err := s.SaveProgress(b.Context(), p, at); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}
