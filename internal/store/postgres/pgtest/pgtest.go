// Package pgtest gives each test its own migrated PostgreSQL database,
// cloned from a template so that tests can run in parallel.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/store/postgres"
)

// URL returns the server URL from TEST_POSTGRES_URL. Without it the test is
// skipped, except under CI, where PostgreSQL must never silently drop out.
func URL(t testing.TB) string {
	t.Helper()
	return required(t, "TEST_POSTGRES_URL", "run against PostgreSQL")
}

// BouncerURL returns TEST_PGBOUNCER_URL, a PgBouncer in transaction mode in
// front of TEST_POSTGRES_URL's server that reaches every database on it.
// Without it the test is skipped, except under CI.
func BouncerURL(t testing.TB) string {
	t.Helper()
	return required(t, "TEST_PGBOUNCER_URL", "run through PgBouncer")
}

// required returns the variable's value; unset, it skips the test (to do
// what it is set to do), or fails it under CI.
func required(t testing.TB, name, purpose string) string {
	t.Helper()
	u := os.Getenv(name)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(name + " must be set in CI")
		}
		t.Skip("set " + name + " to " + purpose)
	}
	return u
}

// ThroughBouncer returns the URL of database u (made by NewDatabase on
// the server) through the PgBouncer of BouncerURL.
func ThroughBouncer(t testing.TB, u string) string {
	t.Helper()
	db, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return withDatabase(BouncerURL(t), db.Path[1:])
}

// NewDatabase creates an empty database migrated to the latest version,
// drops it when the test ends, and returns its URL. Like a database
// migrated from scratch, it has an installation id of its own (a clone of
// the template would keep the template's).
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tmpl, err := template(ctx, URL(t))
	if err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	u := create(t, "TEMPLATE "+tmpl)
	if err := exec(ctx, u, `UPDATE installation SET id = replace(gen_random_uuid()::text, '-', '')`); err != nil {
		t.Fatalf("new installation id: %v", err)
	}
	return u
}

// NewEmptyDatabase creates a database with no tables, dropped when the test
// ends, and returns its URL.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	return create(t, "")
}

func create(t testing.TB, options string) string {
	t.Helper()
	server := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "anirohi_test_" + randomHex(6)
	if err := exec(ctx, server, fmt.Sprintf(`CREATE DATABASE %s %s`, name, options)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, server, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(server, name)
}

// Open returns a Store on a fresh database, closed when the test ends.
func Open(t testing.TB) *postgres.Store {
	t.Helper()
	return OpenTraced(t, nil)
}

// OpenTraced is Open with a tracer that sees every statement.
func OpenTraced(t testing.TB, tracer pgx.QueryTracer) *postgres.Store {
	t.Helper()
	return open(t, postgres.Config{URL: NewDatabase(t), MaxConns: 8, Tracer: tracer})
}

// OpenReplicas returns two Stores on one fresh database, as two replicas
// hold it (through PgBouncer if bouncer).
func OpenReplicas(t testing.TB, bouncer bool) (a, b *postgres.Store) {
	t.Helper()
	cfg := postgres.Config{URL: NewDatabase(t), MaxConns: 4}
	if bouncer {
		cfg.URL, cfg.PgBouncer = ThroughBouncer(t, cfg.URL), true
	}
	return open(t, cfg), open(t, cfg)
}

// OpenThroughBouncer is Open through PgBouncer (BouncerURL), the database
// made directly on the server.
func OpenThroughBouncer(t testing.TB) *postgres.Store {
	t.Helper()
	BouncerURL(t)
	return open(t, postgres.Config{URL: ThroughBouncer(t, NewDatabase(t)), MaxConns: 8, PgBouncer: true})
}

func open(t testing.TB, cfg postgres.Config) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// template makes sure a migrated template database for the current
// migrations exists and returns its name. An advisory lock serialises test
// processes that start at the same time.
func template(ctx context.Context, server string) (string, error) {
	name := "anirohi_tmpl_" + migrationsDigest()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(727274)`)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		return "", err
	}
	s, err := postgres.Open(ctx, postgres.Config{URL: withDatabase(server, name), MaxConns: 2})
	if err != nil {
		return "", err
	}
	defer s.Close()
	m, err := s.Migrator()
	if err != nil {
		return "", err
	}
	if _, err := m.Up(ctx); err != nil {
		conn.Exec(ctx, `DROP DATABASE `+name+` WITH (FORCE)`)
		return "", fmt.Errorf("migrate template: %w", err)
	}
	return name, nil
}

func migrationsDigest() string {
	h := sha256.New()
	fs.WalkDir(postgres.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(postgres.Migrations(), path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func exec(ctx context.Context, server, sql string) error {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
