package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const userColumns = `id, email, hashed_password, is_active, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Active, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, mapErr(err)
}

// CreateUser implements domain.UserStore.
func (s *Store) CreateUser(ctx context.Context, u domain.User, roles ...string) (domain.User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `
			INSERT INTO users (email, email_key, hashed_password, is_active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			RETURNING `+userColumns,
			u.Email, domain.EmailKey(u.Email), u.PasswordHash, u.Active, ts(u.CreatedAt), ts(u.UpdatedAt)))
		if err != nil {
			return err
		}
		for _, code := range roles {
			if err := grantRole(ctx, tx, u.ID, code, ts(u.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

func grantRole(ctx context.Context, tx *sql.Tx, userID int64, code, now string) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO user_roles (user_id, role_id, created_at)
		SELECT ?, id, ? FROM roles WHERE code = ?
		ON CONFLICT DO NOTHING`, userID, now, code)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM roles WHERE code = ?)`, code).Scan(&exists); err != nil {
			return mapErr(err)
		}
		if !exists {
			return domain.E(domain.KindNotFound, "Role not found")
		}
	}
	return nil
}

// UserByID implements domain.UserStore.
func (s *Store) UserByID(ctx context.Context, id int64) (domain.User, error) {
	return scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByEmail implements domain.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	return scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, domain.EmailKey(email)))
}
