package migration_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/store/migration"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

func TestEnginesHaveTheSameSteps(t *testing.T) {
	names := func(fsys fs.FS) []string {
		out, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pg, lite := names(postgres.Migrations()), names(sqlite.Migrations())
	if len(pg) == 0 {
		t.Fatal("no migrations found")
	}
	if diff := cmp.Diff(pg, lite); diff != "" {
		t.Errorf("migration files differ between engines (-postgres +sqlite):\n%s", diff)
	}
}

func TestUpDownUpSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	testUpDownUp(t, m)
}

func TestUpDownUpPostgres(t *testing.T) {
	s, err := postgres.Open(t.Context(), postgres.Config{URL: pgtest.NewEmptyDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	testUpDownUp(t, m)
}

func testUpDownUp(t *testing.T, m *migration.Migrator) {
	ctx := t.Context()
	wantVersion := func(want int64) {
		t.Helper()
		current, _, err := m.Version(ctx)
		if err != nil {
			t.Fatalf("Version() error = %v", err)
		}
		if current != want {
			t.Fatalf("Version() = %d, want %d", current, want)
		}
	}
	if err := m.CheckLatest(ctx); err == nil {
		t.Fatal("CheckLatest() on an empty database = nil, want an error")
	}
	up, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("Up() error = %v", err)
	}
	latest := up[len(up)-1].Version
	wantVersion(latest)
	if err := m.CheckLatest(ctx); err != nil {
		t.Fatalf("CheckLatest() after Up = %v", err)
	}
	down, err := m.Down(ctx, len(up))
	if err != nil {
		t.Fatalf("Down(%d) error = %v", len(up), err)
	}
	if len(down) != len(up) {
		t.Fatalf("Down() rolled back %d steps, want %d", len(down), len(up))
	}
	wantVersion(0)
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("second Up() error = %v", err)
	}
	wantVersion(latest)
	status, err := m.Status(context.Background())
	if err != nil {
		t.Fatalf("Status() error = %v", err)
	}
	for _, s := range status {
		if !s.Applied {
			t.Errorf("step %d (%s) not applied after Up", s.Version, s.Name)
		}
	}
}
