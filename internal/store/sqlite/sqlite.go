// Package sqlite is the embedded storage engine: a single database file
// through the pure-Go modernc.org/sqlite driver (no cgo). It implements
// domain.Store and makes no business decisions.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/listcount"
	"github.com/anirohi/anirohi-api/internal/store/migration"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the engine's migration files.
func Migrations() fs.FS { return migration.Dir(migrations, "migrations") }

// Store is a SQLite database. Writes go through a one-connection pool (SQLite
// has one writer at a time; queuing in Go beats spinning on SQLITE_BUSY);
// reads use a separate read-only pool, which WAL mode lets run beside writes.
// Progress saves reach the write pool through saves, which commits them in
// batches.
type Store struct {
	write *sql.DB
	read  *sql.DB
	saves *committer

	totals listcount.Memo // the catalog lists' totals
}

var _ domain.Store = (*Store)(nil)

// Config says where the database file is.
type Config struct {
	Path string
	// TracerProvider, when set, gets a span per statement.
	TracerProvider trace.TracerProvider
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; see Migrator.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenConfig(ctx, Config{Path: path})
}

// OpenConfig is Open with options.
func OpenConfig(ctx context.Context, cfg Config) (*Store, error) {
	path := cfg.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// busy_timeout comes first so that the other pragmas wait for a lock too.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	open := sql.Open
	if cfg.TracerProvider != nil {
		open = func(driver, dsn string) (*sql.DB, error) {
			return otelsql.Open(driver, dsn, otelsql.WithTracerProvider(cfg.TracerProvider),
				otelsql.WithAttributes(attribute.String("db.system.name", "sqlite")),
				otelsql.WithSpanOptions(otelsql.SpanOptions{OmitConnResetSession: true, OmitRows: true, OmitConnPrepare: true}))
		}
	}
	write, err := open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{write: write, read: read}
	s.saves = startCommitter(write, s.inTx)
	// The first write connection switches the file to WAL before any reader opens.
	if err := write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

// Stats reports the two connection pools.
func (s *Store) Stats() (read, write sql.DBStats) { return s.read.Stats(), s.write.Stats() }

// Migrator returns the migration runner for this database.
func (s *Store) Migrator() (*migration.Migrator, error) {
	return migration.New(migration.SQLite, s.write, Migrations())
}

// InstallationID implements domain.Store.
func (s *Store) InstallationID(ctx context.Context) (string, error) {
	var id string
	if err := s.read.QueryRowContext(ctx, `SELECT id FROM installation`).Scan(&id); err != nil {
		return "", fmt.Errorf("installation id: %w", mapErr(err))
	}
	return id, nil
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return mapErr(s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one))
}

// Analyze refreshes the query planner's statistics.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.write.ExecContext(ctx, `ANALYZE`)
	return mapErr(err)
}

// Close stops the progress committer, then releases both pools.
func (s *Store) Close() {
	s.saves.close()
	s.read.Close()
	s.write.Close()
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return mapErr(tx.Commit())
}

// mapErr turns driver facts into domain kinds.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Wrap(domain.KindNotFound, "", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return domain.Wrap(domain.KindUnavailable, "", err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return domain.Wrap(domain.KindConflict, "", err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return domain.Wrap(domain.KindNotFound, "", err)
		}
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return domain.Wrap(domain.KindUnavailable, "", err)
		}
	}
	return err
}

// notFound is mapErr(err), except that a missing row or foreign key
// becomes KindNotFound with msg, the message clients see.
func notFound(err error, msg string) error {
	err = mapErr(err)
	if domain.KindOf(err) == domain.KindNotFound {
		return domain.E(domain.KindNotFound, msg)
	}
	return err
}

// timeLayout is the one timestamp format stored: fixed width, UTC, so that
// string order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeCol scans a TEXT timestamp column; a NULL leaves the target zero.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
		return nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("parse timestamp %q: %w", v, err)
		}
		*c.t = t.UTC()
		return nil
	}
	return fmt.Errorf("timestamp column holds %T", v)
}
