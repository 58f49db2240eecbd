package postgres_test

import (
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
	now := time.Now().UTC()
	u, err := s.CreateUser(t.Context(), domain.User{Email: "locked@example.com", PasswordHash: "x", Active: true, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u.ID); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err = s.SetPasswordHash(t.Context(), u.ID, "y", now)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the blocked statement took %v", took)
	}
	if domain.KindOf(err) != domain.KindUnavailable {
		t.Errorf("blocked statement: %v (kind %v), want unavailable", err, domain.KindOf(err))
	}
}
