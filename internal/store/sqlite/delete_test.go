package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

// Deleting an account leaves no row that refers to it in any table: every
// column naming a user, and every row of its sessions.
func TestDeleteUserLeavesNoRows(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "d.db"))
	now := time.Now().UTC()
	u, err := s.CreateUser(t.Context(), domain.User{Email: "gone@example.com", PasswordHash: "x", Active: true, CreatedAt: now, UpdatedAt: now}, domain.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	storetest.FillUser(t, s, u.ID)
	sessions := s.countRefs(t, u.ID)
	if sessions["sessions.user_id"] == 0 || sessions["user_history.user_id"] == 0 || sessions["refresh_tokens.session_id"] == 0 {
		t.Fatalf("the user's rows were not created: %v", sessions)
	}
	if err := s.DeleteUser(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	for ref, n := range s.countRefs(t, u.ID) {
		if n != 0 && ref != "auth_changes.user_id" { // the change feed names the deleted id on purpose
			t.Errorf("%d rows left in %s", n, ref)
		}
	}
}

// countRefs counts, per table.column, the rows that point at the user.
func (s *Store) countRefs(t *testing.T, userID int64) map[string]int {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `
		SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.name IN ('user_id', 'actor_id', 'session_id')`)
	if err != nil {
		t.Fatal(err)
	}
	var refs [][2]string
	for rows.Next() {
		var table, col string
		rows.Scan(&table, &col)
		refs = append(refs, [2]string{table, col})
	}
	rows.Close()
	out := map[string]int{}
	for _, r := range refs {
		q := `SELECT count(*) FROM ` + r[0] + ` WHERE ` + r[1] + ` = ?`
		if r[1] == "session_id" {
			q = `SELECT count(*) FROM ` + r[0] + ` WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?)`
		}
		var n int
		if err := s.read.QueryRowContext(t.Context(), q, userID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[r[0]+"."+r[1]] = n
	}
	return out
}
