package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// A statement stuck behind a lock is cancelled by the server after
// StatementTimeout and reported as unavailable (503), not as a 500.
func TestStatementTimeout(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s, err := postgres.Open(t.Context(), postgres.Config{URL: url, StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	blockedStatementFails(t, t.Context(), s, url)
}

// PgBouncer refuses statement_timeout as a startup parameter, so behind it
// the store does not send one and the database's (or role's) setting rules.
func TestStatementTimeoutThroughPgBouncer(t *testing.T) {
	pgtest.BouncerURL(t)
	url := pgtest.NewDatabase(t)
	_, err := postgres.Open(t.Context(), postgres.Config{URL: pgtest.ThroughBouncer(t, url), StatementTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "unsupported startup parameter: statement_timeout") {
		t.Errorf("Open through PgBouncer with the startup parameter = %v, want PgBouncer's refusal", err)
	}
	if _, err := direct(t, url).Exec(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = 200', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	s := openThroughBouncer(t, url)
	if d, err := s.StatementTimeout(t.Context()); err != nil || d != 200*time.Millisecond {
		t.Errorf("StatementTimeout() = %v, %v; want the database's 200ms", d, err)
	}
	blockedStatementFails(t, t.Context(), s, url)
}

// Without a server-side timeout, the request's deadline still ends the
// statement: pgx's cancel request goes through PgBouncer to the server.
func TestDeadlineCancelsThroughPgBouncer(t *testing.T) {
	pgtest.BouncerURL(t)
	url := pgtest.NewDatabase(t)
	s := openThroughBouncer(t, url)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	blockedStatementFails(t, ctx, s, url)
	conn := direct(t, url)
	for range 20 {
		var active int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'UPDATE users SET hashed_password%' AND state = 'active'`).Scan(&active)
		if err != nil {
			t.Fatal(err)
		}
		if active == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error("the cancelled statement still runs on the server: the cancel request did not reach it")
}

func openThroughBouncer(t *testing.T, url string) *postgres.Store {
	s, err := postgres.Open(t.Context(), postgres.Config{URL: pgtest.ThroughBouncer(t, url), PgBouncer: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// blockedStatementFails makes s's statement wait for a row lock held on a
// direct connection to url until the test ends, and checks it ends within
// 2 s as unavailable.
func blockedStatementFails(t *testing.T, ctx context.Context, s *postgres.Store, url string) {
	now := time.Now().UTC()
	u, err := s.CreateUser(t.Context(), domain.User{Email: "locked@example.com", PasswordHash: "x", Active: true, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := direct(t, url).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u.ID); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err = s.SetPasswordHash(ctx, u.ID, "y", now)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the blocked statement took %v", took)
	}
	if domain.KindOf(err) != domain.KindUnavailable {
		t.Errorf("blocked statement: %v (kind %v), want unavailable", err, domain.KindOf(err))
	}
}

// direct is a connection to url, not through PgBouncer, closed when the test ends.
func direct(t *testing.T, url string) *pgx.Conn {
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
