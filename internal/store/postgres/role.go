package postgres

import (
	"context"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Roles implements domain.RoleStore.
func (s *Store) Roles(ctx context.Context) ([]domain.Role, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.id, r.code, r.name, coalesce(r.description, ''),
		       coalesce(array_agg(p.code ORDER BY p.code) FILTER (WHERE p.code IS NOT NULL), '{}')
		FROM roles r
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		LEFT JOIN permissions p ON p.id = rp.permission_id AND p.is_active
		GROUP BY r.id ORDER BY r.code`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", mapErr(err))
	}
	defer rows.Close()
	var out []domain.Role
	for rows.Next() {
		var r domain.Role
		if err := rows.Scan(&r.ID, &r.Code, &r.Name, &r.Description, &r.Permissions); err != nil {
			return nil, fmt.Errorf("list roles: %w", mapErr(err))
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// accessColumns is the one definition of a user's access: two text[]
// columns for the user aliased u, the codes of its active roles and of
// their active permissions, each sorted.
const accessColumns = `
	coalesce((SELECT array_agg(r.code ORDER BY r.code) FROM user_roles ur
	          JOIN roles r ON r.id = ur.role_id AND r.is_active
	          WHERE ur.user_id = u.id), '{}'),
	coalesce((SELECT array_agg(DISTINCT p.code ORDER BY p.code) FROM user_roles ur
	          JOIN roles r ON r.id = ur.role_id AND r.is_active
	          JOIN role_permissions rp ON rp.role_id = r.id
	          JOIN permissions p ON p.id = rp.permission_id AND p.is_active
	          WHERE ur.user_id = u.id), '{}')`

// roleCodesColumn is a text[] column of every role code the user aliased u
// holds, active or not, sorted: what admins see and audit.
const roleCodesColumn = `
	coalesce((SELECT array_agg(r.code ORDER BY r.code) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
	          WHERE ur.user_id = u.id), '{}')`

// UserAccess implements domain.RoleStore.
func (s *Store) UserAccess(ctx context.Context, userID int64) (domain.Access, error) {
	return userAccess(ctx, s.pool, userID)
}

func userAccess(ctx context.Context, q rowQuerier, userID int64) (domain.Access, error) {
	a := domain.Access{}
	err := q.QueryRow(ctx, `SELECT `+accessColumns+` FROM users u WHERE u.id = $1`, userID).Scan(&a.Roles, &a.Permissions)
	if err != nil {
		return domain.Access{}, fmt.Errorf("user access: %w", mapErr(err))
	}
	return a, nil
}
