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
		cfg := postgres.Config{URL: db.URL, MaxConns: int32(poolSize), StatementTimeout: statementTimeout}
		if tp != nil {
			cfg.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tp), otelpgx.WithTrimSQLInSpanName(), otelpgx.WithDisableAcquireTracer())
		}
		return postgres.Open(ctx, cfg)
	}
	return sqlite.OpenConfig(ctx, sqlite.Config{Path: db.Path, TracerProvider: tp})
}

// openStore opens the database and brings its schema up to date: applied
// automatically in dev and test, required to be current in production.
func openStore(ctx context.Context, cfg Config, tr *tracing.Tracing, log *slog.Logger) (store, error) {
	s, err := openDatabase(ctx, cfg.DB, cfg.DBPoolSize, cfg.RequestTimeout, tr)
	if err != nil {
		return nil, err
	}
	m, err := s.Migrator()
	if err == nil {
		if cfg.Env == "production" {
			err = m.CheckLatest(ctx)
		} else {
			var applied []migration.Result
			applied, err = m.Up(ctx)
			for _, r := range applied {
				log.Info("migration applied", slog.Int64("version", r.Version), slog.String("name", r.Name))
			}
		}
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("database schema: %w", err)
	}
	return s, nil
}
