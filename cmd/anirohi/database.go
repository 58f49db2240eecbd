package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/exaring/otelpgx"
	"go.opentelemetry.io/otel/trace"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
	"github.com/anirohi/anirohi-api/internal/store/migration"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

// store is a domain.Store that can also migrate itself.
type store interface {
	domain.Store
	Migrator() (*migration.Migrator, error)
}

// openDatabase opens the configured engine, with a span per statement when
// tr records spans.
func openDatabase(ctx context.Context, db Database, poolSize int, statementTimeout time.Duration, tr *tracing.Tracing) (store, error) {
	var tp trace.TracerProvider
	if tr != nil && tr.Enabled() {
		tp = tr.Provider
	}
	if db.Engine == "postgres" {
		cfg := postgres.Config{URL: db.URL, MaxConns: int32(poolSize), StatementTimeout: statementTimeout, PgBouncer: db.PgBouncer}
		if tp != nil {
			cfg.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tp), otelpgx.WithTrimSQLInSpanName(), otelpgx.WithDisableAcquireTracer())
		}
		return postgres.Open(ctx, cfg)
	}
	return sqlite.OpenConfig(ctx, sqlite.Config{Path: db.Path, TracerProvider: tp})
}

// openStore opens the database and brings its schema up to date: applied
// automatically in dev and test, required to be current in production and
// behind PgBouncer (see prepareSchema).
func openStore(ctx context.Context, cfg Config, tr *tracing.Tracing, log *slog.Logger) (store, error) {
	s, err := openDatabase(ctx, cfg.DB, cfg.DBPoolSize, cfg.RequestTimeout, tr)
	if err != nil {
		return nil, err
	}
	m, err := s.Migrator()
	if err == nil {
		err = prepareSchema(ctx, m, cfg, log)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("database schema: %w", err)
	}
	return s, nil
}

// prepareSchema applies pending migrations in dev and test. In production
// it only checks, and so it does behind PgBouncer, where the migrator's
// session-level advisory lock would land on whichever server connection
// PgBouncer picked and stay there.
func prepareSchema(ctx context.Context, m *migration.Migrator, cfg Config, log *slog.Logger) error {
	if cfg.DB.PgBouncer {
		if err := m.CheckLatest(ctx); err != nil {
			return fmt.Errorf("%w against PostgreSQL directly (DB_PGBOUNCER=true: nothing is migrated through PgBouncer)", err)
		}
		return nil
	}
	if cfg.Env == "production" {
		return m.CheckLatest(ctx)
	}
	applied, err := m.Up(ctx)
	for _, r := range applied {
		log.Info("migration applied", slog.Int64("version", r.Version), slog.String("name", r.Name))
	}
	return err
}

// warnStatementTimeout warns when, behind PgBouncer, the server has no
// statement_timeout for this role or database: the service cannot send its
// own, want, through PgBouncer (requests still end at want, by a cancel).
func warnStatementTimeout(ctx context.Context, s store, want time.Duration, log *slog.Logger) {
	pg, ok := s.(*postgres.Store)
	if !ok {
		return
	}
	if d, err := pg.StatementTimeout(ctx); err == nil && d == 0 {
		log.Warn(fmt.Sprintf("DB_PGBOUNCER=true and the server has no statement_timeout: give PgBouncer's database entry connect_query='SET statement_timeout = %d', or the role one (docs/production.md)", want.Milliseconds()))
	}
}
