package postgres

import (
	"context"
	"fmt"
	"time"

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

// SetPasswordHash implements domain.UserStore.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET hashed_password = $1, updated_at = $2 WHERE id = $3`, hash, now, userID)
	if err != nil {
		return fmt.Errorf("set password hash: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return domain.E(domain.KindNotFound, "User not found")
	}
	return nil
}

// AuthState implements domain.UserStore, in one round trip.
func (s *Store) AuthState(ctx context.Context, userID int64, now time.Time) (domain.AuthState, error) {
	st := domain.AuthState{LoadedAt: now}
	u := &st.User
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.email, u.is_active, u.created_at, u.updated_at, `+accessColumns+`,
			coalesce((SELECT array_agg(id ORDER BY id) FROM sessions
			          WHERE user_id = u.id AND revoked_at IS NULL AND expires_at > $2), '{}')
		FROM users u WHERE u.id = $1`, userID, now).Scan(&u.ID, &u.Email, &u.Active, &u.CreatedAt, &u.UpdatedAt,
		&st.Access.Roles, &st.Access.Permissions, &st.Sessions)
	if err != nil {
		return domain.AuthState{}, fmt.Errorf("auth state: %w", mapErr(err))
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return st, nil
}

// SetUserActive implements domain.UserStore.
func (s *Store) SetUserActive(ctx context.Context, userID int64, active bool, now time.Time, audit *domain.AuditEntry) (bool, error) {
	var changed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var was bool
		if err := tx.QueryRow(ctx, `SELECT is_active FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&was); err != nil {
			return notFound(err, "User not found")
		}
		if was == active {
			return writeAudit(ctx, tx, audit, map[string]any{}, now)
		}
		changed = true
		if _, err := tx.Exec(ctx, `UPDATE users SET is_active = $1, updated_at = $2 WHERE id = $3`, active, now, userID); err != nil {
			return mapErr(err)
		}
		changes := map[string]any{"is_active": map[string]any{"old": was, "new": active}}
		if !active {
			n, err := revokeSessions(ctx, tx, userID, `$3 = 0`, 0, now)
			if err != nil {
				return err
			}
			changes["sessions_revoked"] = n
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth_changes (user_id) VALUES ($1)`, userID); err != nil {
			return mapErr(err)
		}
		return writeAudit(ctx, tx, audit, changes, now)
	})
	if err != nil {
		return false, fmt.Errorf("set user active: %w", mapErr(err))
	}
	return changed, nil
}

// ChangePassword implements domain.UserStore.
func (s *Store) ChangePassword(ctx context.Context, userID int64, hash string, keepSessionID int64, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET hashed_password = $1, updated_at = $2 WHERE id = $3`, hash, now, userID)
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			return domain.E(domain.KindNotFound, "User not found")
		}
		_, err = revokeSessions(ctx, tx, userID, `id <> $3`, keepSessionID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("change password: %w", mapErr(err))
	}
	return nil
}

// DeleteUser implements domain.UserStore.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	var n int
	err := s.pool.QueryRow(ctx, `
		WITH d AS (DELETE FROM users WHERE id = $1 RETURNING id),
		     chg AS (INSERT INTO auth_changes (user_id) SELECT id FROM d)
		SELECT count(*) FROM d`, userID).Scan(&n)
	if err != nil {
		return fmt.Errorf("delete user: %w", mapErr(err))
	}
	if n == 0 {
		return domain.E(domain.KindNotFound, "User not found")
	}
	return nil
}

// AuthChanges implements domain.UserStore.
func (s *Store) AuthChanges(ctx context.Context, since time.Time) ([]int64, time.Time, error) {
	var ids []int64
	var now time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(array_agg(DISTINCT user_id), '{}'), clock_timestamp()
		FROM auth_changes WHERE changed_at >= $1`, since).Scan(&ids, &now)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("auth changes: %w", mapErr(err))
	}
	return ids, now.UTC(), nil
}
