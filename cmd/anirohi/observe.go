package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/anirohi/anirohi-api/internal/domain"

	"github.com/anirohi/anirohi-api/internal/platform/metrics"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

// setupTracing returns the tracer provider: exporting over OTLP when
// TRACING_ENABLED, only logging SQL statements when DEBUG, a no-op
// otherwise.
func setupTracing(ctx context.Context, cfg Config, log *slog.Logger) (*tracing.Tracing, error) {
	tc := tracing.Config{Enabled: cfg.TracingEnabled, ServiceName: cfg.OTelService, ServiceVersion: buildVersion,
		Endpoint: cfg.OTelEndpoint, Headers: cfg.OTelHeaders, Sampler: cfg.Sampler}
	if cfg.Debug {
		tc.OnSpan = logSQL(log)
	}
	return tracing.Setup(ctx, tc)
}

// logSQL logs every SQL statement span at DEBUG: the statement text only,
// never its parameters.
func logSQL(log *slog.Logger) func(trace.ReadOnlySpan) {
	return func(s trace.ReadOnlySpan) {
		for _, a := range s.Attributes() {
			if a.Key == "db.statement" || a.Key == "db.query.text" {
				log.Debug("sql", slog.String("statement", strings.Join(strings.Fields(a.Value.AsString()), " ")),
					slog.Float64("duration_ms", float64(s.EndTime().Sub(s.StartTime()).Microseconds())/1000))
				return
			}
		}
	}
}

// watchPools exports the connection pool statistics of the store.
func watchPools(m *metrics.Metrics, s store) {
	switch s := s.(type) {
	case *postgres.Store:
		m.WatchPool("postgres", func() metrics.PoolStats {
			st := s.Pool().Stat()
			return metrics.PoolStats{Acquired: int(st.AcquiredConns()), Idle: int(st.IdleConns()), Max: int(st.MaxConns()),
				Waits: st.EmptyAcquireCount(), WaitSeconds: st.EmptyAcquireWaitTime().Seconds()}
		})
	case *sqlite.Store:
		stats := func(db sql.DBStats) metrics.PoolStats {
			return metrics.PoolStats{Acquired: db.InUse, Idle: db.Idle, Max: db.MaxOpenConnections,
				Waits: db.WaitCount, WaitSeconds: db.WaitDuration.Seconds()}
		}
		m.WatchPool("sqlite_read", func() metrics.PoolStats { r, _ := s.Stats(); return stats(r) })
		m.WatchPool("sqlite_write", func() metrics.PoolStats { _, w := s.Stats(); return stats(w) })
	}
}

// instrumentRedis adds a span per command (with tracing) and the up gauge
// and error counter (with metrics).
func instrumentRedis(rdb *redis.Client, tr *tracing.Tracing, m *metrics.Metrics) error {
	if tr.Enabled() {
		if err := redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tr.Provider),
			redisotel.WithAttributes(attribute.String("db.system.name", "redis"))); err != nil {
			return err
		}
	}
	if m != nil {
		m.WatchRedis()
		rdb.AddHook(redisMetrics{m})
	}
	return nil
}

// redisMetrics records the outcome of every Redis command.
type redisMetrics struct{ m *metrics.Metrics }

func (h redisMetrics) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			h.m.RedisResult("dial", err)
		}
		return c, err
	}
}

func (h redisMetrics) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.m.RedisResult(cmd.Name(), redisFailure(err))
		return err
	}
}

func (h redisMetrics) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.m.RedisResult("pipeline", redisFailure(err))
		return err
	}
}

// redisFailure ignores redis.Nil: a missing key is an answer, not a failure.
func redisFailure(err error) error {
	if err == redis.Nil {
		return nil
	}
	return err
}

// pingRedis keeps the up gauge current while nothing else talks to Redis.
func pingRedis(ctx context.Context, rdb *redis.Client) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			rdb.Ping(pctx)
			cancel()
		}
	}
}

// tracedCatalog gives every catalog store call a span of its own, so a
// trace shows an import or a list as one step above its SQL statements.
type tracedCatalog struct {
	domain.CatalogStore
	tracer oteltrace.Tracer
}

// traced runs f in a span named name, recording its error.
func traced[T any](ctx context.Context, tr oteltrace.Tracer, name string, f func(context.Context) (T, error)) (T, error) {
	ctx, span := tr.Start(ctx, name)
	defer span.End()
	v, err := f(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	return v, err
}

func (c tracedCatalog) ImportAnime(ctx context.Context, a domain.AnimeImport, now time.Time) (domain.ImportCounts, error) {
	return traced(ctx, c.tracer, "catalog.ImportAnime", func(ctx context.Context) (domain.ImportCounts, error) {
		return c.CatalogStore.ImportAnime(ctx, a, now)
	})
}

func (c tracedCatalog) ImportEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []domain.EpisodeImport, now time.Time) (domain.ImportCounts, error) {
	return traced(ctx, c.tracer, "catalog.ImportEpisodes", func(ctx context.Context) (domain.ImportCounts, error) {
		return c.CatalogStore.ImportEpisodes(ctx, sourceName, animeSourceID, eps, now)
	})
}

func (c tracedCatalog) ImportVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v domain.VideoImport, now time.Time) (domain.ImportCounts, error) {
	return traced(ctx, c.tracer, "catalog.ImportVideo", func(ctx context.Context) (domain.ImportCounts, error) {
		return c.CatalogStore.ImportVideo(ctx, sourceName, sourceEpisodeID, animeSourceID, v, now)
	})
}

func (c tracedCatalog) AnimeList(ctx context.Context, q domain.AnimeQuery) ([]domain.Anime, int, error) {
	var total int
	list, err := traced(ctx, c.tracer, "catalog.AnimeList", func(ctx context.Context) (l []domain.Anime, err error) {
		l, total, err = c.CatalogStore.AnimeList(ctx, q)
		return l, err
	})
	return list, total, err
}

func (c tracedCatalog) AnimeBySlug(ctx context.Context, slug string) (domain.Anime, error) {
	return traced(ctx, c.tracer, "catalog.AnimeBySlug", func(ctx context.Context) (domain.Anime, error) {
		return c.CatalogStore.AnimeBySlug(ctx, slug)
	})
}

func (c tracedCatalog) Episodes(ctx context.Context, animeID string) ([]domain.EpisodeWithSources, error) {
	return traced(ctx, c.tracer, "catalog.Episodes", func(ctx context.Context) ([]domain.EpisodeWithSources, error) {
		return c.CatalogStore.Episodes(ctx, animeID)
	})
}
