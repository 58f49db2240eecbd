// Package migration applies the embedded, numbered SQL migrations of one
// storage engine (pressly/goose underneath). It knows no table of the
// service; each engine passes its own files.
package migration

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrator runs one engine's migrations against one database.
type Migrator struct {
	p *goose.Provider
}

// Dialects supported by New.
const (
	Postgres = goose.DialectPostgres
	SQLite   = goose.DialectSQLite3
)

// New returns a Migrator for the migrations in fsys (its root holds the
// NNNNN_name.sql files). On PostgreSQL an advisory lock keeps concurrent
// replicas from migrating at the same time.
func New(dialect goose.Dialect, db *sql.DB, fsys fs.FS) (*Migrator, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if dialect == Postgres {
		l, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Dir returns the directory dir of an embedded file system; engines embed
// their migrations/ directory.
func Dir(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a literal embedded with the binary
	}
	return sub
}

// Result is one applied or rolled back step.
type Result struct {
	Version  int64
	Name     string
	Duration time.Duration
}

// Status is one known step and whether it is applied.
type Status struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Up applies every pending step, each in its own transaction.
func (m *Migrator) Up(ctx context.Context) ([]Result, error) {
	rs, err := m.p.Up(ctx)
	return results(rs), err
}

// Down rolls back the n most recent steps.
func (m *Migrator) Down(ctx context.Context, n int) ([]Result, error) {
	var out []Result
	for range n {
		r, err := m.p.Down(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, results([]*goose.MigrationResult{r})...)
	}
	return out, nil
}

// Version reports the applied version and the latest known one.
func (m *Migrator) Version(ctx context.Context) (current, latest int64, err error) {
	return m.p.GetVersions(ctx)
}

// Status lists every known step.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	ss, err := m.p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(ss))
	for _, s := range ss {
		out = append(out, Status{
			Version:   s.Source.Version,
			Name:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// CheckLatest returns an error unless the database is at the latest version.
func (m *Migrator) CheckLatest(ctx context.Context) error {
	current, latest, err := m.Version(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current != latest {
		return fmt.Errorf("database schema is at version %d, the latest is %d: run \"anirohi migrate up\"", current, latest)
	}
	return nil
}

func results(rs []*goose.MigrationResult) []Result {
	out := make([]Result, 0, len(rs))
	for _, r := range rs {
		if r == nil || r.Source == nil {
			continue
		}
		out = append(out, Result{Version: r.Source.Version, Name: r.Source.Path, Duration: r.Duration})
	}
	return out
}
