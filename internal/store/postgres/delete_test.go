package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

// Deleting an account leaves no row that refers to it in any table: every
// column naming a user, and every row of its sessions.
func TestDeleteUserLeavesNoRows(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s, err := postgres.Open(t.Context(), postgres.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	u, err := s.CreateUser(t.Context(), domain.User{Email: "gone@example.com", PasswordHash: "x", Active: true, CreatedAt: now, UpdatedAt: now}, domain.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	storetest.FillUser(t, s, u.ID)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	before := countRefs(t, conn, u.ID)
	if before["sessions.user_id"] == 0 || before["user_history.user_id"] == 0 || before["refresh_tokens.session_id"] == 0 {
		t.Fatalf("the user's rows were not created: %v", before)
	}
	sessionRows := before["refresh_tokens.session_id"]
	if err := s.DeleteUser(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	var tokens int
	conn.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens`).Scan(&tokens)
	if tokens != 0 {
		t.Errorf("%d refresh tokens left of the user's %d", tokens, sessionRows)
	}
	for ref, n := range countRefs(t, conn, u.ID) {
		if n != 0 && ref != "auth_changes.user_id" { // the change feed names the deleted id on purpose
			t.Errorf("%d rows left in %s", n, ref)
		}
	}
}

// countRefs counts, per table.column, the rows that point at the user.
func countRefs(t *testing.T, conn *pgx.Conn, userID int64) map[string]int {
	t.Helper()
	rows, err := conn.Query(t.Context(), `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name IN ('user_id', 'actor_id', 'session_id')`)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var ref [2]string
		return ref, r.Scan(&ref[0], &ref[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range refs {
		q := `SELECT count(*) FROM ` + r[0] + ` WHERE ` + r[1] + ` = $1`
		if r[1] == "session_id" {
			q = `SELECT count(*) FROM ` + r[0] + ` WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)`
		}
		var n int
		if err := conn.QueryRow(t.Context(), q, userID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[r[0]+"."+r[1]] = n
	}
	return out
}
