// Package postgres is the production storage engine: PostgreSQL through
// pgx's native pool. It implements domain.Store and makes no business
// decisions.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/listcount"
	"github.com/anirohi/anirohi-api/internal/store/migration"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the engine's migration files.
func Migrations() fs.FS { return migration.Dir(migrations, "migrations") }

// Config says where the database is and how many connections to keep.
type Config struct {
	URL      string // postgres:// or postgresql://
	MaxConns int32  // 0 keeps pgx's default
	// Tracer, when set, sees every statement (tracing, statement logs, tests).
	Tracer pgx.QueryTracer
	// StatementTimeout, when set, makes the server cancel longer statements.
	StatementTimeout time.Duration
	// PgBouncer says URL is a PgBouncer in transaction mode, where a
	// session outlives no transaction: statements run in pgx's exec mode
	// (no named prepared statement) unless the URL names a
	// default_query_exec_mode, and StatementTimeout is not sent, as
	// PgBouncer refuses the startup parameter (set it on the role instead).
	PgBouncer bool
}

// Store is a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	totals listcount.Memo // the catalog lists' totals
}

var _ domain.Store = (*Store)(nil)

// Open connects and pings. It does not migrate; see Migrator.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, errors.New("parse database url: invalid PostgreSQL URL") // the text may hold the password
	}
	configure(pc, cfg)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s: %w", pc.ConnConfig.Host, err)
	}
	return &Store{pool: pool}, nil
}

// configure applies cfg beyond its URL.
func configure(pc *pgxpool.Config, cfg Config) {
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if pc.ConnConfig.ConnectTimeout == 0 { // an unreachable server fails fast, not after the OS's TCP timeout
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if cfg.PgBouncer && !strings.Contains(cfg.URL, "default_query_exec_mode") {
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	if cfg.StatementTimeout > 0 && !cfg.PgBouncer {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pc.ConnConfig.Tracer = cfg.Tracer
}

// StatementTimeout is the server's statement_timeout for this store's
// connections (0: none); behind PgBouncer it comes from the role or the
// database, not from Config.
func (s *Store) StatementTimeout(ctx context.Context) (time.Duration, error) {
	var ms int64
	err := s.pool.QueryRow(ctx, `SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'`).Scan(&ms)
	return time.Duration(ms) * time.Millisecond, mapErr(err)
}

// Pool exposes the connection pool for its statistics.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrator returns the migration runner for this database.
func (s *Store) Migrator() (*migration.Migrator, error) {
	return migration.New(migration.Postgres, stdlib.OpenDBFromPool(s.pool), Migrations())
}

// InstallationID implements domain.Store.
func (s *Store) InstallationID(ctx context.Context) (string, error) {
	var id string
	if err := s.pool.QueryRow(ctx, `SELECT id FROM installation`).Scan(&id); err != nil {
		return "", fmt.Errorf("installation id: %w", mapErr(err))
	}
	return id, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return mapErr(s.pool.Ping(ctx)) }

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// rowQuerier is a pool or a transaction, for helpers that run in either.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// mapErr turns driver facts into domain kinds.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Wrap(domain.KindNotFound, "", err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return domain.Wrap(domain.KindConflict, "", err)
		case pe.Code == "23503":
			return domain.Wrap(domain.KindNotFound, "", err)
		case pe.Code[:2] == "08", pe.Code[:2] == "53", pe.Code == "57014", pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			// connection exceptions, insufficient resources, statement timeout, shutdowns
			return domain.Wrap(domain.KindUnavailable, "", err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return domain.Wrap(domain.KindUnavailable, "", err)
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
