package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anirohi/anirohi-api/api"
	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/httpapi"
	"github.com/anirohi/anirohi-api/internal/platform/cache"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/metrics"
	"github.com/anirohi/anirohi-api/internal/platform/password"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
	"github.com/anirohi/anirohi-api/internal/platform/textnorm"
	"github.com/anirohi/anirohi-api/internal/platform/token"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
)

// newAuth builds the auth use cases from the configuration.
func newAuth(cfg Config, store app.AuthStore, access *app.Access, clock app.Clock, events app.AuthEvents) (*app.Auth, error) {
	tokens, err := token.NewIssuer(cfg.Algorithm, cfg.SecretKey, cfg.SecretKeyPrevious, cfg.AccessTTL)
	if err != nil {
		return nil, err
	}
	return app.NewAuth(store, access, password.NewHasher(cfg.Argon2, cfg.HashConcurrency, cfg.HashMaxWait),
		tokens, clock, app.AuthConfig{RefreshTTL: cfg.RefreshTTL, ReuseGrace: cfg.RefreshReuseGrace}, events), nil
}

// buildDeps wires the use cases and the platform pieces of the HTTP layer.
// m and rdb may be nil (metrics off, no Redis).
func buildDeps(ctx context.Context, cfg Config, store store, rdb *redis.Client, tr *tracing.Tracing, m *metrics.Metrics, root *slog.Logger) (httpapi.Deps, *app.Access, error) {
	log := logging.Named(root, "anirohi")
	clock := systemClock{}
	access := app.NewAccess(store, clock)
	var events app.AuthEvents
	if m != nil {
		events = m
	}
	auth, err := newAuth(cfg, store, access, clock, events)
	if err != nil {
		return httpapi.Deps{}, nil, err
	}
	memory := ratelimit.NewMemory(100_000, nil)
	deps := httpapi.Deps{
		Logger:  logging.Named(root, "anirohi.http"),
		Auth:    auth,
		Library: app.NewLibrary(store, clock),
		Watch:   app.NewWatch(store, clock),
		Admin:   app.NewAdmin(store, access, clock),
		Limiter: memory,
		Devices: token.NewDevices(cfg.SecretKey, cfg.SecretKeyPrevious),
	}
	if m != nil {
		deps.Metrics, deps.MetricsHandler = m, m.Handler(cfg.MetricsToken)
		watchPools(m, store)
	}
	if tr.Enabled() {
		deps.Tracer = tr.Provider.Tracer("github.com/anirohi/anirohi-api/internal/httpapi")
	}
	redisCheck := httpapi.Check{Name: "redis", Degrades: true} // disabled without Redis
	if rdb != nil {
		if err := instrumentRedis(rdb, tr, m); err != nil {
			return httpapi.Deps{}, nil, err
		}
		prefix, err := redisPrefix(ctx, cfg, store)
		if err != nil {
			return httpapi.Deps{}, nil, err
		}
		fallback := &ratelimit.Fallback{
			Primary: ratelimit.NewRedis(rdb, prefix+"rl:"), Secondary: memory, RetryEvery: time.Second,
			OnDown: func(err error) {
				log.Warn("redis unreachable: rate limits fall back to this process", slog.String("error", err.Error()))
			},
			OnUp: func() { log.Info("redis reachable again: rate limits shared again") },
		}
		if m != nil {
			fallback.OnFallback = m.RateLimitFallback
		}
		// One Redis call per batch of Burst/20 requests rather than per
		// request; limits below 40 stay exact (see ratelimit.Batched).
		deps.Limiter = ratelimit.NewBatched(fallback, 100_000, nil)
		redisCheck.Run = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
		deps.Cache = answerCache(rdb, prefix)
	}
	deps.Catalog = newCatalog(store, deps.Cache, m, tr, log)
	deps.CatalogAdmin = app.NewCatalogAdmin(store, deps.Catalog)
	deps.Ready = []httpapi.Check{{Name: "database", Run: store.Ping}, redisCheck}
	return deps, access, nil
}

// redisPrefix is where this database's keys live in Redis: every key is
// named by the database's installation id, so databases sharing a Redis
// (staging and production, say) never read each other's entries, though
// their user ids repeat.
func redisPrefix(ctx context.Context, cfg Config, store store) (string, error) {
	id, err := store.InstallationID(ctx)
	if err != nil {
		return "", err
	}
	return cfg.RedisKeyPrefix + id + ":", nil
}

// answerCache holds rendered answers (lists, read models) for a minute.
func answerCache(rdb *redis.Client, prefix string) *cache.Redis {
	return cache.NewRedis(rdb, prefix+"lc:", time.Minute)
}

// newCatalog builds the catalog use cases; a write drops the cached
// catalog answers (c may be nil: nothing cached).
func newCatalog(store store, c *cache.Redis, m *metrics.Metrics, tr *tracing.Tracing, log *slog.Logger) *app.Catalog {
	var events app.CatalogEvents
	if m != nil {
		events = m
	}
	var changed func(context.Context)
	if c != nil {
		changed = func(ctx context.Context) {
			if err := c.Invalidate(ctx, httpapi.CatalogGroup); err != nil {
				log.WarnContext(ctx, "catalog cache invalidation failed", slog.String("error", err.Error()))
			}
		}
	}
	var catalog domain.CatalogStore = store
	if tr.Enabled() {
		catalog = tracedCatalog{store, tr.Provider.Tracer("github.com/anirohi/anirohi-api/internal/store")}
	}
	return app.NewCatalog(catalog, systemClock{}, textnorm.Norm{}, events, changed)
}

// openRedis connects to REDIS_URL, or returns nil without one. Timeouts are
// short so that an outage costs a request milliseconds, not seconds. In
// production Redis must answer at start; elsewhere the service starts
// without it and uses it once it answers.
func openRedis(ctx context.Context, cfg Config, root *slog.Logger) (*redis.Client, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: not a redis URL")
	}
	opt.PoolSize = cfg.RedisMaxConnections
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	opt.MaxRetries = 1
	// go-redis writes plain text to stderr by default: its lines go through
	// the JSON logger instead, once per kind while Redis is away.
	rlog := logging.NewPrintf(logging.Named(root, "anirohi.redis"), slog.LevelWarn)
	redis.SetLogger(rlog)
	c := redis.NewClient(opt)
	c.AddHook(resumeOnDial{rlog})
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		if cfg.Env == "production" {
			c.Close()
			return nil, fmt.Errorf("redis at %s is unreachable: %w", opt.Addr, err)
		}
		logging.Named(root, "anirohi").Warn("redis unreachable at start: limits stay in this process until it answers", slog.String("addr", opt.Addr))
	}
	return c, nil
}

// httpConfig is the HTTP layer's part of the configuration.
func httpConfig(cfg Config) httpapi.Config {
	var docs []byte
	if cfg.Debug {
		docs = api.OpenAPI
	}
	return httpapi.Config{
		Docs:           docs,
		AppName:        cfg.AppName,
		Version:        buildVersion,
		AllowedOrigins: cfg.AllowedOrigins,
		CookieSecure:   cfg.CookieSecure,
		CookieSameSite: sameSite(cfg.CookieSameSite),
		RefreshTTL:     cfg.RefreshTTL,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
		ImportTimeout:  cfg.ImportTimeout,
		TrustedProxies: cfg.TrustedProxies,
		InternalTokens: []string{cfg.InternalToken, cfg.InternalTokenPrevious},
		Limits: httpapi.Limits{
			Enabled:       cfg.RateLimitEnabled,
			Global:        ratelimit.PerMinute(cfg.RateLimitPerMinute),
			Login:         ratelimit.PerMinute(cfg.LoginPerMinute),
			LoginFailures: ratelimit.Limit{Burst: cfg.LoginFailures, Period: 15 * time.Minute},
			Register:      ratelimit.PerMinute(cfg.RegisterPerMinute),
			Refresh:       ratelimit.PerMinute(cfg.RefreshPerMinute),
			IPv6Prefix:    cfg.IPv6Prefix,
		},
	}
}

// resumeOnDial lets go-redis's messages be written again once a connection
// to Redis succeeds: the outage they were about is over.
type resumeOnDial struct{ log *logging.Printf }

func (h resumeOnDial) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err == nil {
			h.log.Resume()
		}
		return c, err
	}
}

func (resumeOnDial) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (resumeOnDial) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
