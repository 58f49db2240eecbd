package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/httpapi"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/metrics"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
)

// serve runs the API until ctx is cancelled, then shuts down gracefully.
func serve(ctx context.Context, args []string, env environ, stdout, stderr io.Writer) error {
	if err := newFlags("serve", "serve", stderr).Parse(args); err != nil {
		return err
	}
	cfg, known, err := loadConfig(env.get)
	if err != nil {
		return err
	}
	var m *metrics.Metrics
	var countLine func(string)
	if cfg.MetricsEnabled {
		m = metrics.New(metrics.Build{Version: buildVersion, Commit: buildCommit})
		countLine = m.LogLine
	}
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	root := logging.New(stdout, level, countLine)
	log := logging.Named(root, "anirohi")
	warnAboutConfig(log, cfg, known, env)

	tr, err := setupTracing(ctx, cfg, logging.Named(root, "anirohi.sql"))
	if err != nil {
		return err
	}
	defer func() { // flush the last spans
		sctx, cancel := context.WithTimeout(context.Background(), tracing.ShutdownTimeout)
		defer cancel()
		tr.Shutdown(sctx)
	}()
	// Start-up checks report every problem together, like the configuration.
	store, serr := openStore(ctx, cfg, tr, log)
	rdb, rerr := openRedis(ctx, cfg, root)
	if store != nil {
		defer store.Close()
	}
	if rdb != nil {
		defer rdb.Close()
	}
	if err := errors.Join(serr, rerr); err != nil {
		return err
	}
	if cfg.DB.PgBouncer {
		warnStatementTimeout(ctx, store, cfg.RequestTimeout, log)
	}
	deps, access, err := buildDeps(ctx, cfg, store, rdb, tr, m, root)
	if err != nil {
		return err
	}
	var drain drainState
	deps.Ready = append(deps.Ready, httpapi.Check{Name: "shutdown", Run: drain.check})
	srv, err := httpapi.NewServer(httpConfig(cfg), deps)
	if err != nil {
		return err
	}

	var jobs sync.WaitGroup
	defer jobs.Wait() // before the store closes
	jobCtx, stopJobs := context.WithCancel(context.Background())
	defer stopJobs()
	jobs.Go(func() { purgeExpired(jobCtx, deps.Auth, log) })
	jobs.Go(func() {
		access.Watch(jobCtx, func(err error) { log.Warn("auth change feed unreadable", slog.String("error", err.Error())) })
	})
	if rdb != nil {
		jobs.Go(func() { pingRedis(jobCtx, rdb) })
	}
	if cfg.DebugAddr != "" {
		jobs.Go(func() { serveDebug(jobCtx, cfg.DebugAddr, log) })
	}
	return listenAndServe(ctx, cfg, drain.wrap(srv), &drain, log)
}

// purgeExpired deletes dead sessions, tokens and old auth changes every
// ten minutes until ctx ends.
func purgeExpired(ctx context.Context, auth *app.Auth, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		n, err := auth.PurgeExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("session purge failed", slog.String("error", err.Error()))
		case n > 0:
			log.Info("sessions purged", slog.Int64("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// serveDebug serves net/http/pprof on its own listener (keep it on
// loopback: profiles reveal internals) until ctx ends.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("debug listener (pprof)", slog.String("addr", addr))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("debug listener failed", slog.String("error", err.Error()))
	}
}

// systemClock is the real time, at the microsecond precision both
// databases keep.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// sameSite is the http.SameSite of a COOKIE_SAMESITE value.
func sameSite(v string) http.SameSite {
	switch v {
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

func warnAboutConfig(log *slog.Logger, cfg Config, known *envReader, env environ) {
	if cfg.VersionVar != "" && cfg.VersionVar != buildVersion {
		log.Warn("VERSION is ignored: the version is stamped at build time", slog.String("version", buildVersion))
	}
	if cfg.SecretGenerated {
		log.Warn("SECRET_KEY is not set: using a random key for this process only; every token dies on restart. Set SECRET_KEY (openssl rand -hex 32) for anything but local development")
	}
	if u, err := url.Parse(cfg.OTelEndpoint); cfg.TracingEnabled && err == nil && u.Port() == "4317" {
		log.Warn("OTEL_EXPORTER_OTLP_ENDPOINT names port 4317, the collector's OTLP/gRPC port; traces are exported over OTLP/HTTP, usually port 4318")
	}
	for _, k := range env.dotKeys {
		if !known.known[k] {
			log.Warn("unknown variable in .env ignored", slog.String("key", k))
		}
	}
	log.Info("configuration loaded",
		slog.String("env", cfg.Env), slog.Bool("debug", cfg.Debug),
		slog.String("database", cfg.DB.Engine), slog.Bool("redis", cfg.RedisURL != ""),
		slog.Bool("metrics", cfg.MetricsEnabled), slog.Bool("tracing", cfg.TracingEnabled),
		slog.Bool("rate_limit", cfg.RateLimitEnabled), slog.String("allowed_origins", strings.Join(cfg.AllowedOrigins, ",")))
}

// drainState is the window between a stop signal and the listener's
// close (SHUTDOWN_DRAIN_SECONDS): /ready fails, so load balancers stop
// routing here, and every response closes its connection. Without it, a
// request a client sends on a kept-alive connection just as shutdown closes
// it as idle is lost unread (the client sees a reset).
type drainState struct{ on atomic.Bool }

var errDraining = errors.New("shutting down")

func (d *drainState) check(context.Context) error {
	if d.on.Load() {
		return errDraining
	}
	return nil
}

func (d *drainState) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.on.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// listenAndServe serves h until ctx is cancelled, then drains, stops
// accepting, lets in-flight requests finish within the shutdown timeout
// and returns.
func listenAndServe(ctx context.Context, cfg Config, h http.Handler, drain *drainState, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTP.ReadHeader,
		ReadTimeout:       cfg.HTTP.Read,
		WriteTimeout:      cfg.HTTP.Write,
		IdleTimeout:       cfg.HTTP.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if cfg.ShutdownDrain > 0 {
		log.Info("draining", slog.String("for", cfg.ShutdownDrain.String()))
		drain.on.Store(true)
		time.Sleep(cfg.ShutdownDrain)
	}
	log.Info("shutting down", slog.String("timeout", cfg.ShutdownTimeout.String()))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
