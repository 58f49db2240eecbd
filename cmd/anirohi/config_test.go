package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/joho/godotenv"

	"github.com/anirohi/anirohi-api/internal/platform/logging"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// goodProduction is a complete, valid production environment.
func goodProduction() map[string]string {
	return map[string]string{
		"ENV":             "production",
		"DATABASE_URL":    "postgresql+asyncpg://app:pw@db:5432/anirohi",
		"SECRET_KEY":      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"COOKIE_SECURE":   "true",
		"ALLOWED_ORIGINS": "https://anirohi.example",
		"REDIS_URL":       "redis://redis:6379/0",
	}
}

func TestConfigDefaultsRunLocally(t *testing.T) {
	cfg, _, err := loadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("loadConfig(empty) error = %v", err)
	}
	if cfg.Env != "dev" || cfg.DB != (Database{Engine: "sqlite", Path: "./data/anirohi.db"}) || cfg.RedisURL != "" {
		t.Errorf("defaults = env %q db %+v redis %q, want dev on ./data/anirohi.db without Redis", cfg.Env, cfg.DB, cfg.RedisURL)
	}
	if !cfg.SecretGenerated || len(cfg.SecretKey) != 64 {
		t.Errorf("no SECRET_KEY in dev: generated = %v, len %d; want a random 64-digit key", cfg.SecretGenerated, len(cfg.SecretKey))
	}
	other, _, _ := loadConfig(envOf(nil))
	if other.SecretKey == cfg.SecretKey {
		t.Error("two processes got the same generated key")
	}
	if cfg.Addr() != "0.0.0.0:8000" || cfg.MaxBodyBytes != 1<<20 || cfg.AccessTTL.Minutes() != 15 {
		t.Errorf("addr %s, body %d, access ttl %s: not the documented defaults", cfg.Addr(), cfg.MaxBodyBytes, cfg.AccessTTL)
	}
}

func TestDatabaseURLForms(t *testing.T) {
	tests := []struct {
		url  string
		want Database
	}{
		{"postgres://u:p@h:5432/d", Database{Engine: "postgres", URL: "postgresql://u:p@h:5432/d"}},
		{"postgresql://u@h/d?sslmode=disable", Database{Engine: "postgres", URL: "postgresql://u@h/d?sslmode=disable"}},
		{"postgresql+asyncpg://u:p@h:5432/d", Database{Engine: "postgres", URL: "postgresql://u:p@h:5432/d"}},
		{"sqlite:./data/anirohi.db", Database{Engine: "sqlite", Path: "data/anirohi.db"}},
		{"sqlite:/var/lib/anirohi/anirohi.db", Database{Engine: "sqlite", Path: "/var/lib/anirohi/anirohi.db"}},
		{"sqlite:///rel.db", Database{Engine: "sqlite", Path: "rel.db"}},
		{"sqlite:////abs/x.db", Database{Engine: "sqlite", Path: "/abs/x.db"}},
		{"sqlite+aiosqlite:///rel.db", Database{Engine: "sqlite", Path: "rel.db"}},
		{"postgres://u@h/d?default_query_exec_mode=simple_protocol", Database{Engine: "postgres", URL: "postgresql://u@h/d?default_query_exec_mode=simple_protocol"}},
	}
	for _, tt := range tests {
		got, err := parseDatabaseURL(tt.url)
		if err != nil {
			t.Errorf("parseDatabaseURL(%q) error = %v", tt.url, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseDatabaseURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
	for _, bad := range []string{"mysql://u@h/d", "sqlite:", "sqlite::memory:", "postgres://", "nonsense", "postgres://u@h/d?default_query_exec_mode=prepared"} {
		if _, err := parseDatabaseURL(bad); err == nil {
			t.Errorf("parseDatabaseURL(%q) = nil error, want one", bad)
		}
	}
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // variables named in the error, in order
	}{
		{"good production", goodProduction(), nil},
		{"production without anything", map[string]string{"ENV": "production"},
			[]string{"DATABASE_URL", "SECRET_KEY", "COOKIE_SECURE", "REDIS_URL"}},
		{"test needs database and secret", map[string]string{"ENV": "test"}, []string{"DATABASE_URL", "SECRET_KEY"}},
		{"short secret", with(goodProduction(), "SECRET_KEY", "9f86d081884c7d659a2feaa0c55ad01"), []string{"SECRET_KEY"}},
		{"weak word", with(goodProduction(), "SECRET_KEY", "please-changeme-9f86d081884c7d659a2feaa0c55ad015"), []string{"SECRET_KEY"}},
		{"low entropy", with(goodProduction(), "SECRET_KEY", strings.Repeat("ab", 20)), []string{"SECRET_KEY"}},
		{"weak previous key", with(goodProduction(), "SECRET_KEY_PREVIOUS", "short"), []string{"SECRET_KEY_PREVIOUS"}},
		{"sqlite in production", with(goodProduction(), "DATABASE_URL", "sqlite:./x.db"), []string{"DATABASE_URL"}},
		{"insecure cookie", with(goodProduction(), "COOKIE_SECURE", "false"), []string{"COOKIE_SECURE"}},
		{"debug", with(goodProduction(), "DEBUG", "true"), []string{"DEBUG"}},
		{"wildcard origin", with(goodProduction(), "ALLOWED_ORIGINS", "https://a.example,*"), []string{"ALLOWED_ORIGINS"}},
		{"no redis", with(goodProduction(), "REDIS_URL", ""), []string{"REDIS_URL"}},
		{"short internal token", with(goodProduction(), "INTERNAL_TOKEN", "parser-token"), []string{"INTERNAL_TOKEN"}},
		{"short previous internal token", with(with(goodProduction(), "INTERNAL_TOKEN", strings.Repeat("k", 32)), "INTERNAL_TOKEN_PREVIOUS", "old"),
			[]string{"INTERNAL_TOKEN_PREVIOUS"}},
		{"long internal tokens", with(with(goodProduction(), "INTERNAL_TOKEN", strings.Repeat("k", 32)), "INTERNAL_TOKEN_PREVIOUS", strings.Repeat("o", 40)), nil},
		{"previous internal token alone", map[string]string{"INTERNAL_TOKEN_PREVIOUS": "old-token"}, []string{"INTERNAL_TOKEN_PREVIOUS"}},
		{"import timeout beyond the write timeout", map[string]string{"IMPORT_TIMEOUT_SECONDS": "60"}, []string{"IMPORT_TIMEOUT_SECONDS"}},
		{"import timeout below a longer write timeout", map[string]string{"IMPORT_TIMEOUT_SECONDS": "120", "HTTP_WRITE_TIMEOUT_SECONDS": "180"}, nil},
		{"IPv6 prefix too short", with(goodProduction(), "RATE_LIMIT_IPV6_PREFIX", "16"), []string{"RATE_LIMIT_IPV6_PREFIX"}},
		{"IPv6 prefix too long", with(goodProduction(), "RATE_LIMIT_IPV6_PREFIX", "129"), []string{"RATE_LIMIT_IPV6_PREFIX"}},
		{"negative drain", with(goodProduction(), "SHUTDOWN_DRAIN_SECONDS", "-1"), []string{"SHUTDOWN_DRAIN_SECONDS"}},
		{"OTLP over gRPC", with(goodProduction(), "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), []string{"OTEL_EXPORTER_OTLP_PROTOCOL"}},
		{"unknown OTLP protocol", with(goodProduction(), "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), []string{"OTEL_EXPORTER_OTLP_PROTOCOL"}},
		{"malformed OTLP headers", with(goodProduction(), "OTEL_EXPORTER_OTLP_HEADERS", "api-key"), []string{"OTEL_EXPORTER_OTLP_HEADERS"}},
		{"tracing without endpoint", with(goodProduction(), "TRACING_ENABLED", "true"), []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"tracing to a non-HTTP endpoint", with(with(goodProduction(), "TRACING_ENABLED", "true"), "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
			[]string{"OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"tracing over OTLP/HTTP", with(with(with(goodProduction(), "TRACING_ENABLED", "true"), "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
			"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), nil},
		{"behind PgBouncer", with(goodProduction(), "DB_PGBOUNCER", "true"), nil},
		{"PgBouncer not a boolean", with(goodProduction(), "DB_PGBOUNCER", "transaction"), []string{"DB_PGBOUNCER"}},
		{"PgBouncer in front of SQLite", map[string]string{"DB_PGBOUNCER": "true"}, []string{"DB_PGBOUNCER"}},
		{"PgBouncer with describe_exec", with(with(goodProduction(), "DB_PGBOUNCER", "true"), "DATABASE_URL", "postgres://app:pw@db/anirohi?default_query_exec_mode=describe_exec"),
			[]string{"DB_PGBOUNCER"}},
		{"PgBouncer with exec mode in the URL", with(with(goodProduction(), "DB_PGBOUNCER", "true"), "DATABASE_URL", "postgres://app:pw@db/anirohi?default_query_exec_mode=simple_protocol"), nil},
		{"unknown exec mode", with(goodProduction(), "DATABASE_URL", "postgres://app:pw@db/anirohi?default_query_exec_mode=fast"), []string{"DATABASE_URL"}},
		{"bad values everywhere", map[string]string{
			"ENV": "staging", "DEBUG": "maybe", "PORT": "99999", "ALGORITHM": "none",
			"JWT_ACCESS_TTL_MINUTES": "0", "COOKIE_SAMESITE": "none", "ALLOWED_ORIGINS": "localhost:3000",
			"REDIS_URL": "http://x", "MAX_BODY_BYTES": "10", "DATABASE_URL": "mysql://x",
		}, []string{"DEBUG", "ENV", "ALGORITHM", "JWT_ACCESS_TTL_MINUTES", "ALLOWED_ORIGINS", "PORT", "MAX_BODY_BYTES", "DATABASE_URL", "REDIS_URL", "COOKIE_SAMESITE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadConfig(envOf(tt.env))
			var got []string
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n")[1:] {
					name, _, _ := strings.Cut(strings.TrimPrefix(line, "  - "), ":")
					got = append(got, name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("variables named (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("error echoes the database password: %v", err)
			}
		})
	}
}

func TestPgBouncerSwitch(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true} {
		cfg, _, err := loadConfig(envOf(with(goodProduction(), "DB_PGBOUNCER", v)))
		if err != nil || cfg.DB.PgBouncer != want || cfg.DB.Engine != "postgres" {
			t.Errorf("DB_PGBOUNCER=%q: db %+v, error %v; want PgBouncer %v", v, cfg.DB, err, want)
		}
	}
}

func TestGRPCExporterRefusedWithTheFix(t *testing.T) {
	_, _, err := loadConfig(envOf(with(goodProduction(), "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")))
	if err == nil {
		t.Fatal("OTEL_EXPORTER_OTLP_PROTOCOL=grpc accepted")
	}
	for _, want := range []string{"grpc is not supported", "http/protobuf", "4318"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if cfg, _, err := loadConfig(envOf(nil)); err != nil || cfg.TracingEnabled {
		t.Errorf("defaults: tracing %v, error %v; want off and valid without a protocol", cfg.TracingEnabled, err)
	}
}

func TestGRPCPortEndpointWarns(t *testing.T) {
	warnings := func(endpoint string) string {
		env := map[string]string{"TRACING_ENABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
		cfg, known, err := loadConfig(envOf(env))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		warnAboutConfig(logging.New(&out, slog.LevelWarn, nil), cfg, known, environ{get: envOf(env)})
		return out.String()
	}
	if got := warnings("http://collector:4317"); !strings.Contains(got, "4317") || !strings.Contains(got, "4318") {
		t.Errorf("an endpoint on the gRPC port logged %q, want a warning naming 4317 and 4318", got)
	}
	if got := warnings("http://collector:4318"); strings.Contains(got, "4317") {
		t.Errorf("an endpoint on the HTTP port logged %q, want no port warning", got)
	}
}

func with(env map[string]string, k, v string) map[string]string {
	env[k] = v
	return env
}

// .env.example lists every variable the service reads, and only those (plus
// the compose stack's own).
func TestEnvExampleListsEveryVariable(t *testing.T) {
	example, err := godotenv.Read("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	_, known, _ := loadConfig(envOf(nil))
	composeOnly := map[string]bool{"POSTGRES_USER": true, "POSTGRES_PASSWORD": true, "POSTGRES_DB": true,
		"GRAFANA_ADMIN_USER": true, "GRAFANA_ADMIN_PASSWORD": true, "ANIROHI_VERSION": true, "ANIROHI_COMMIT": true, "API_DB_HOST": true}
	for k := range known.known {
		if _, ok := example[k]; !ok {
			t.Errorf(".env.example lacks %s", k)
		}
	}
	for k := range example {
		if !known.known[k] && !composeOnly[k] {
			t.Errorf(".env.example lists %s, which nothing reads", k)
		}
	}
	if example["SECRET_KEY"] != "" {
		t.Error(".env.example must leave SECRET_KEY empty")
	}
	if _, _, err := loadConfig(envOf(example)); err != nil {
		t.Errorf(".env.example is not a valid development configuration: %v", err)
	}
}
