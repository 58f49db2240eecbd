package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Roles implements domain.RoleStore.
func (s *Store) Roles(ctx context.Context) ([]domain.Role, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT r.id, r.code, r.name, coalesce(r.description, ''), p.code
		FROM roles r
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		LEFT JOIN permissions p ON p.id = rp.permission_id AND p.is_active = 1
		ORDER BY r.code, p.code`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", mapErr(err))
	}
	defer rows.Close()
	var out []domain.Role
	for rows.Next() {
		var r domain.Role
		var perm *string
		if err := rows.Scan(&r.ID, &r.Code, &r.Name, &r.Description, &perm); err != nil {
			return nil, fmt.Errorf("list roles: %w", mapErr(err))
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			r.Permissions = []string{}
			out = append(out, r)
		}
		if perm != nil {
			last := &out[len(out)-1]
			last.Permissions = append(last.Permissions, *perm)
		}
	}
	return out, mapErr(rows.Err())
}

// UserAccess implements domain.RoleStore.
func (s *Store) UserAccess(ctx context.Context, userID int64) (domain.Access, error) {
	return userAccess(ctx, s.read, userID)
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userAccess(ctx context.Context, q querier, userID int64) (domain.Access, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT 'r', r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id
		WHERE ur.user_id = ?1 AND r.is_active = 1
		UNION
		SELECT 'p', p.code FROM user_roles ur
		JOIN roles r ON r.id = ur.role_id AND r.is_active = 1
		JOIN role_permissions rp ON rp.role_id = r.id
		JOIN permissions p ON p.id = rp.permission_id AND p.is_active = 1
		WHERE ur.user_id = ?1
		UNION
		SELECT 'u', '' FROM users WHERE id = ?1
		ORDER BY 1, 2`, userID)
	if err != nil {
		return domain.Access{}, fmt.Errorf("user access: %w", mapErr(err))
	}
	defer rows.Close()
	return scanAccess(rows)
}

// scanAccess reads (kind, code) rows: 'r' role, 'p' permission, 'u' marks
// that the user exists.
func scanAccess(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (domain.Access, error) {
	a := domain.Access{Roles: []string{}, Permissions: []string{}}
	found := false
	for rows.Next() {
		var kind, code string
		if err := rows.Scan(&kind, &code); err != nil {
			return domain.Access{}, mapErr(err)
		}
		switch kind {
		case "r":
			a.Roles = append(a.Roles, code)
		case "p":
			a.Permissions = append(a.Permissions, code)
		case "u":
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		return domain.Access{}, mapErr(err)
	}
	if !found {
		return domain.Access{}, domain.E(domain.KindNotFound, "User not found")
	}
	return a, nil
}
