package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Store { return openTest(t) })
	storetest.RunReplicas(t, func(t *testing.T) (domain.Store, domain.Store) {
		path := filepath.Join(t.TempDir(), "test.db")
		return openTestAt(t, path), openTestAt(t, path)
	})
}

func openTest(t testing.TB) *sqlite.Store {
	t.Helper()
	return openTestAt(t, filepath.Join(t.TempDir(), "test.db"))
}

// openTestAt opens and migrates the database at path.
func openTestAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(s.Close)
	m, err := s.Migrator()
	if err != nil {
		t.Fatalf("Migrator() error = %v", err)
	}
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	return s
}

func BenchmarkImportCatalog(b *testing.B) {
	storetest.BenchmarkImportCatalog(b, func(b *testing.B) domain.Store { return openTest(b) })
}

func BenchmarkCatalogDashboard(b *testing.B) {
	storetest.BenchmarkDashboard(b, func(b *testing.B) domain.Store { return openTest(b) })
}
