package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anirohi/anirohi-api/internal/platform/password"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
)

// Config is the whole configuration, read once from the environment (and
// .env). Its zero-setup defaults run locally: SQLite under ./data, no Redis.
type Config struct {
	AppName string
	// VersionVar is VERSION, which the original service showed on /health;
	// the version is now stamped at build time, so it is only warned about.
	VersionVar string
	Debug      bool
	Env        string // dev, production or test

	DB         Database
	DBPoolSize int

	SecretKey         string
	SecretKeyPrevious string
	SecretGenerated   bool // no SECRET_KEY in dev: a random one for this process
	// InternalToken is the parser's X-Internal-Token (the internal API is
	// off without one); InternalTokenPrevious is still accepted during a
	// rotation.
	InternalToken, InternalTokenPrevious string
	Algorithm                            string
	AccessTTL                            time.Duration
	RefreshTTL                           time.Duration
	RefreshReuseGrace                    time.Duration
	CookieSecure                         bool
	CookieSameSite                       string

	AllowedOrigins []string

	Argon2          password.Params
	HashConcurrency int
	HashMaxWait     time.Duration

	RedisURL            string
	RedisMaxConnections int
	RedisKeyPrefix      string // of every key this service writes, before the installation id

	RateLimitEnabled   bool
	RateLimitPerMinute int
	LoginPerMinute     int
	LoginFailures      int // per email per 15 minutes
	RegisterPerMinute  int
	RefreshPerMinute   int
	IPv6Prefix         int // leading bits of an IPv6 address that are one client
	TrustedProxies     []netip.Prefix

	MetricsEnabled bool
	MetricsToken   string
	TracingEnabled bool
	OTelService    string
	OTelEndpoint   string // OTLP/HTTP base URL (tracing.TracesURL)
	OTelHeaders    http.Header
	Sampler        sdktrace.Sampler

	Host            string
	Port            int
	DebugAddr       string // pprof listener, off when empty
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	ShutdownDrain   time.Duration // after a stop signal, before the listener closes
	RequestTimeout  time.Duration // bounds a request's work, database waits included
	ImportTimeout   time.Duration // the same for the parser's imports (a bulk import is long)
	HTTP            HTTPTimeouts
}

// HTTPTimeouts bound what a slow or idle client can hold on to.
type HTTPTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// Database says which engine to use and where.
type Database struct {
	Engine string // "sqlite" or "postgres"
	Path   string // SQLite file
	URL    string // PostgreSQL URL, postgresql:// form
	// PgBouncer: URL is a PgBouncer in transaction mode (DB_PGBOUNCER).
	PgBouncer bool
}

// Addr is the listen address.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

const defaultSQLitePath = "./data/anirohi.db"

// loadConfig reads and validates the configuration. Every problem is in the
// returned error; warnings are for the log.
func loadConfig(getenv func(string) string) (Config, *envReader, error) {
	e := newEnvReader(getenv)
	c := Config{
		AppName:    e.str("APP_NAME", "Anirohi API"),
		VersionVar: e.str("VERSION", ""),
		Debug:      e.boolean("DEBUG", false),
		Env:        e.oneOf("ENV", "dev", "dev", "production", "test"),

		DBPoolSize: e.integer("DB_POOL_SIZE", 10, 1, 1000),

		SecretKey:             e.secret("SECRET_KEY"),
		SecretKeyPrevious:     e.secret("SECRET_KEY_PREVIOUS"),
		InternalToken:         e.secret("INTERNAL_TOKEN"),
		InternalTokenPrevious: e.secret("INTERNAL_TOKEN_PREVIOUS"),
		Algorithm:             e.oneOf("ALGORITHM", "HS256", "HS256", "HS384", "HS512"),
		AccessTTL:             time.Duration(e.integer("JWT_ACCESS_TTL_MINUTES", 15, 1, 24*60)) * time.Minute,
		RefreshTTL:            time.Duration(e.integer("REFRESH_TTL_DAYS", 30, 1, 365)) * 24 * time.Hour,
		RefreshReuseGrace:     e.seconds("REFRESH_REUSE_GRACE_SECONDS", 10, 0, 300),
		CookieSecure:          e.boolean("COOKIE_SECURE", false),
		CookieSameSite:        e.oneOf("COOKIE_SAMESITE", "lax", "lax", "strict", "none"),

		AllowedOrigins: e.origins("ALLOWED_ORIGINS", "http://localhost:3000"),

		Argon2: password.Params{
			MemoryKiB:   uint32(e.integer("PASSWORD_ARGON2_MEMORY_KIB", int(password.DefaultParams.MemoryKiB), 19*1024, 4<<20)),
			Iterations:  uint32(e.integer("PASSWORD_ARGON2_ITERATIONS", int(password.DefaultParams.Iterations), 2, 100)),
			Parallelism: uint8(e.integer("PASSWORD_ARGON2_PARALLELISM", int(password.DefaultParams.Parallelism), 1, 16)),
		},
		HashConcurrency: e.integer("PASSWORD_HASH_CONCURRENCY", runtime.GOMAXPROCS(0), 1, 1024),
		HashMaxWait:     e.seconds("PASSWORD_HASH_MAX_WAIT_SECONDS", 5, 1, 60),

		RedisURL:            e.str("REDIS_URL", ""),
		RedisMaxConnections: e.integer("REDIS_MAX_CONNECTIONS", 10, 1, 10000),
		RedisKeyPrefix:      e.str("REDIS_KEY_PREFIX", "anirohi:"),

		RateLimitEnabled:   e.boolean("RATE_LIMIT_ENABLED", true),
		RateLimitPerMinute: e.integer("RATE_LIMIT_PER_MINUTE", 60, 1, 1_000_000),
		LoginPerMinute:     e.integer("RATE_LIMIT_LOGIN_PER_MINUTE", 5, 1, 1_000_000),
		LoginFailures:      e.integer("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL", 10, 1, 1_000_000),
		RegisterPerMinute:  e.integer("RATE_LIMIT_REGISTER_PER_MINUTE", 5, 1, 1_000_000),
		RefreshPerMinute:   e.integer("RATE_LIMIT_REFRESH_PER_MINUTE", 30, 1, 1_000_000),
		IPv6Prefix:         e.integer("RATE_LIMIT_IPV6_PREFIX", 64, 32, 128),
		TrustedProxies:     e.prefixes("TRUSTED_PROXIES"),

		MetricsEnabled: e.boolean("METRICS_ENABLED", true),
		MetricsToken:   e.secret("METRICS_TOKEN"),
		TracingEnabled: e.boolean("TRACING_ENABLED", false),
		OTelService:    e.str("OTEL_SERVICE_NAME", "anirohi-api"),
		OTelEndpoint:   e.str("OTEL_EXPORTER_OTLP_ENDPOINT", ""),

		Host:            e.str("HOST", "0.0.0.0"),
		Port:            e.integer("PORT", 8000, 0, 65535),
		DebugAddr:       e.str("DEBUG_ADDR", ""),
		MaxBodyBytes:    int64(e.integer("MAX_BODY_BYTES", 1<<20, 1024, 64<<20)),
		ShutdownTimeout: e.seconds("SHUTDOWN_TIMEOUT_SECONDS", 15, 1, 600),
		ShutdownDrain:   e.seconds("SHUTDOWN_DRAIN_SECONDS", 1, 0, 120),
		RequestTimeout:  e.seconds("REQUEST_TIMEOUT_SECONDS", 15, 1, 600),
		ImportTimeout:   e.seconds("IMPORT_TIMEOUT_SECONDS", 50, 1, 3600),
		HTTP: HTTPTimeouts{
			ReadHeader: e.seconds("HTTP_READ_HEADER_TIMEOUT_SECONDS", 5, 1, 600),
			Read:       e.seconds("HTTP_READ_TIMEOUT_SECONDS", 30, 1, 3600),
			Write:      e.seconds("HTTP_WRITE_TIMEOUT_SECONDS", 60, 1, 3600),
			Idle:       e.seconds("HTTP_IDLE_TIMEOUT_SECONDS", 120, 1, 3600),
		},
	}
	c.DB = readDatabase(e, c.Env)
	var err error
	if c.Sampler, err = tracing.ParseSampler(e.str("OTEL_TRACES_SAMPLER", ""), e.str("OTEL_TRACES_SAMPLER_ARG", "")); err != nil {
		e.fail("OTEL_TRACES_SAMPLER", "%v", err)
	}
	readOTLPProtocol(e)
	if c.OTelHeaders, err = tracing.ParseHeaders(e.secret("OTEL_EXPORTER_OTLP_HEADERS")); err != nil {
		e.fail("OTEL_EXPORTER_OTLP_HEADERS", "%v", err)
	}
	if c.TracingEnabled {
		if _, err := tracing.TracesURL(c.OTelEndpoint); err != nil {
			e.fail("OTEL_EXPORTER_OTLP_ENDPOINT", "must be the collector's OTLP/HTTP URL (e.g. http://otel-collector:4318) when TRACING_ENABLED=true")
		}
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil || !strings.HasPrefix(c.RedisURL, "redis") {
			e.fail("REDIS_URL", "must be a redis:// or rediss:// URL") // never echoed: it may hold a password
		}
	}
	if c.InternalTokenPrevious != "" && c.InternalToken == "" {
		e.fail("INTERNAL_TOKEN_PREVIOUS", "needs INTERNAL_TOKEN: it is only accepted beside the current token during a rotation")
	}
	if c.ImportTimeout >= c.HTTP.Write {
		e.fail("IMPORT_TIMEOUT_SECONDS", "must be below HTTP_WRITE_TIMEOUT_SECONDS (%d), or an import's answer could not be written", int(c.HTTP.Write.Seconds()))
	}
	if c.CookieSameSite == "none" && !c.CookieSecure {
		e.fail("COOKIE_SAMESITE", "none requires COOKIE_SECURE=true (browsers drop such cookies otherwise)")
	}
	switch {
	case c.SecretKey == "" && c.Env == "dev":
		c.SecretKey, c.SecretGenerated = randomKey(), true
	case c.SecretKey == "":
		e.fail("SECRET_KEY", "is required when ENV=%s (generate one with `openssl rand -hex 32`)", c.Env)
	}
	if c.Env == "production" {
		checkProduction(e, c)
	}
	return c, e, e.err()
}

// readOTLPProtocol accepts only OTLP/HTTP, the OpenTelemetry default: the
// gRPC exporter would pull all of gRPC into the binary.
func readOTLPProtocol(e *envReader) {
	switch p := e.str("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"); p {
	case "http/protobuf":
	case "grpc":
		e.fail("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc is not supported: traces are exported over OTLP/HTTP; set http/protobuf (the default) or remove it, and point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (usually 4318)")
	default:
		e.fail("OTEL_EXPORTER_OTLP_PROTOCOL", "must be http/protobuf, got %q", p)
	}
}

// checkProduction applies the production rules of D10.
func checkProduction(e *envReader, c Config) {
	if c.SecretKey != "" {
		if why := weakSecret(c.SecretKey); why != "" {
			e.fail("SECRET_KEY", "%s", why)
		}
	}
	if c.SecretKeyPrevious != "" {
		if why := weakSecret(c.SecretKeyPrevious); why != "" {
			e.fail("SECRET_KEY_PREVIOUS", "%s", why)
		}
	}
	for _, t := range [...][2]string{{"INTERNAL_TOKEN", c.InternalToken}, {"INTERNAL_TOKEN_PREVIOUS", c.InternalTokenPrevious}} {
		if t[1] != "" && len(t[1]) < 32 {
			e.fail(t[0], "must be at least 32 characters in production when set (generate one with `openssl rand -hex 32`)")
		}
	}
	if c.DB.Engine != "" && c.DB.Engine != "postgres" {
		e.fail("DATABASE_URL", "must be a PostgreSQL URL in production")
	}
	if !c.CookieSecure {
		e.fail("COOKIE_SECURE", "must be true in production")
	}
	if c.Debug {
		e.fail("DEBUG", "must be false in production")
	}
	if slices.Contains(c.AllowedOrigins, "*") {
		e.fail("ALLOWED_ORIGINS", "must not contain * in production")
	}
	if c.RedisURL == "" {
		e.fail("REDIS_URL", "is required in production (rate limits and caches are shared through it)")
	}
}

// readDatabase parses DATABASE_URL (D10): postgres://, postgresql://,
// postgresql+asyncpg:// (and other SQLAlchemy driver suffixes), sqlite:PATH
// and the SQLAlchemy forms sqlite:///rel.db and sqlite:////abs.db; and
// DB_PGBOUNCER.
func readDatabase(e *envReader, env string) Database {
	bouncer := e.boolean("DB_PGBOUNCER", false)
	raw := strings.TrimSpace(e.secret("DATABASE_URL"))
	db := Database{Engine: "sqlite", Path: defaultSQLitePath}
	switch {
	case raw != "":
		var err error
		if db, err = parseDatabaseURL(raw); err != nil {
			e.fail("DATABASE_URL", "%v", err)
		}
	case env != "dev":
		e.fail("DATABASE_URL", "is required when ENV=%s", env)
		db = Database{}
	}
	if bouncer {
		db.PgBouncer = true
		checkPgBouncer(e, db)
	}
	return db
}

// execModes are pgx's values of default_query_exec_mode.
var execModes = []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}

// checkPgBouncer refuses DB_PGBOUNCER where transaction pooling cannot
// work: on SQLite, or with describe_exec, which describes a statement and
// runs it in two round trips that PgBouncer may send to two servers.
func checkPgBouncer(e *envReader, db Database) {
	if db.Engine == "sqlite" {
		e.fail("DB_PGBOUNCER", "needs a PostgreSQL DATABASE_URL")
	}
	if u, err := url.Parse(db.URL); err == nil && u.Query().Get("default_query_exec_mode") == "describe_exec" {
		e.fail("DB_PGBOUNCER", "default_query_exec_mode=describe_exec in DATABASE_URL does not survive transaction pooling; leave it out (exec) or use simple_protocol")
	}
}

func parseDatabaseURL(raw string) (Database, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return Database{}, fmt.Errorf("must be a postgres:// or sqlite: URL")
	}
	base, _, _ := strings.Cut(strings.ToLower(scheme), "+") // postgresql+asyncpg → postgresql
	switch base {
	case "postgres", "postgresql":
		u, err := url.Parse("postgresql:" + rest)
		if err != nil || u.Host == "" {
			return Database{}, fmt.Errorf("is not a valid PostgreSQL URL") // never echo: it may hold a password
		}
		if m := u.Query().Get("default_query_exec_mode"); m != "" && !slices.Contains(execModes, m) {
			return Database{}, fmt.Errorf("default_query_exec_mode must be one of %s", strings.Join(execModes, ", "))
		}
		return Database{Engine: "postgres", URL: u.String()}, nil
	case "sqlite":
		path := rest
		switch { // SQLAlchemy: sqlite:///rel.db is relative, sqlite:////abs.db absolute
		case strings.HasPrefix(path, "///"):
			path = path[3:]
		case strings.HasPrefix(path, "//"):
			path = path[2:]
		}
		path, _, _ = strings.Cut(path, "?")
		if path == "" || path == ":memory:" {
			return Database{}, fmt.Errorf("needs a file path, e.g. sqlite:./data/anirohi.db")
		}
		return Database{Engine: "sqlite", Path: filepath.Clean(path)}, nil
	}
	return Database{}, fmt.Errorf("unsupported scheme %q: use postgres://, postgresql:// or sqlite:PATH", scheme)
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
