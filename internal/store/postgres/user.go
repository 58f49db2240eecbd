package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const userColumns = `id, email, hashed_password, is_active, created_at, updated_at`

func scanUser(row pgx.Row) (domain.User, error) {
	var u domain.User
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Active, &u.CreatedAt, &u.UpdatedAt)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, mapErr(err)
}

// CreateUser implements domain.UserStore.
func (s *Store) CreateUser(ctx context.Context, u domain.User, roles ...string) (domain.User, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (email, email_key, hashed_password, is_active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+userColumns,
			u.Email, domain.EmailKey(u.Email), u.PasswordHash, u.Active, u.CreatedAt, u.UpdatedAt))
		if err != nil {
			return err
		}
		if len(roles) == 0 {
			return nil
		}
		var granted int
		err = tx.QueryRow(ctx, `
			WITH ins AS (
				INSERT INTO user_roles (user_id, role_id, created_at)
				SELECT $1, id, $2 FROM roles WHERE code = ANY($3)
				ON CONFLICT DO NOTHING RETURNING 1)
			SELECT count(*) FROM ins`, u.ID, u.CreatedAt, roles).Scan(&granted)
		if err != nil {
			return mapErr(err)
		}
		if granted != len(roles) {
			return domain.E(domain.KindNotFound, "Role not found")
		}
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("create user: %w", mapErr(err))
	}
	return u, nil
}

// UserByID implements domain.UserStore.
func (s *Store) UserByID(ctx context.Context, id int64) (domain.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserByEmail implements domain.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, domain.EmailKey(email)))
}
