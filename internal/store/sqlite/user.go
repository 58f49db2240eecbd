package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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

// SetPasswordHash implements domain.UserStore.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string, now time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET hashed_password = ?, updated_at = ? WHERE id = ?`, hash, ts(now), userID)
	if err != nil {
		return fmt.Errorf("set password hash: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.E(domain.KindNotFound, "User not found")
	}
	return nil
}

// AuthState implements domain.UserStore. The reads share one transaction so
// they see one state.
func (s *Store) AuthState(ctx context.Context, userID int64, now time.Time) (domain.AuthState, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return domain.AuthState{}, mapErr(err)
	}
	defer tx.Rollback()
	st := domain.AuthState{LoadedAt: now}
	st.User, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID))
	if err != nil {
		return domain.AuthState{}, fmt.Errorf("auth state: %w", err)
	}
	st.User.PasswordHash = ""
	if st.Access, err = userAccess(ctx, tx, userID); err != nil {
		return domain.AuthState{}, fmt.Errorf("auth state: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY id`, userID, ts(now))
	if err != nil {
		return domain.AuthState{}, fmt.Errorf("auth state: %w", mapErr(err))
	}
	defer rows.Close()
	st.Sessions = []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return domain.AuthState{}, mapErr(err)
		}
		st.Sessions = append(st.Sessions, id)
	}
	return st, mapErr(rows.Err())
}

// SetUserActive implements domain.UserStore.
func (s *Store) SetUserActive(ctx context.Context, userID int64, active bool, now time.Time, audit *domain.AuditEntry) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var was bool
		if err := tx.QueryRowContext(ctx, `SELECT is_active FROM users WHERE id = ?`, userID).Scan(&was); err != nil {
			return notFound(err, "User not found")
		}
		if was == active {
			return writeAudit(ctx, tx, audit, map[string]any{}, now)
		}
		changed = true
		if _, err := tx.ExecContext(ctx, `UPDATE users SET is_active = ?, updated_at = ? WHERE id = ?`, active, ts(now), userID); err != nil {
			return mapErr(err)
		}
		changes := map[string]any{"is_active": map[string]any{"old": was, "new": active}}
		if !active {
			n, err := revokeSessions(ctx, tx, userID, `?3 = ?3`, 0, now)
			if err != nil {
				return err
			}
			changes["sessions_revoked"] = n
		}
		if err := addAuthChange(ctx, tx, userID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, audit, changes, now)
	})
	if err != nil {
		return false, fmt.Errorf("set user active: %w", err)
	}
	return changed, nil
}

// ChangePassword implements domain.UserStore.
func (s *Store) ChangePassword(ctx context.Context, userID int64, hash string, keepSessionID int64, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET hashed_password = ?, updated_at = ? WHERE id = ?`, hash, ts(now), userID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.E(domain.KindNotFound, "User not found")
		}
		_, err = revokeSessions(ctx, tx, userID, `id <> ?3`, keepSessionID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// DeleteUser implements domain.UserStore.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.E(domain.KindNotFound, "User not found")
		}
		return addAuthChange(ctx, tx, userID)
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// AuthChanges implements domain.UserStore.
func (s *Store) AuthChanges(ctx context.Context, since time.Time) ([]int64, time.Time, error) {
	var now time.Time
	if err := s.read.QueryRowContext(ctx, `SELECT strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')`).Scan(timeCol{&now}); err != nil {
		return nil, time.Time{}, fmt.Errorf("auth changes: %w", mapErr(err))
	}
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT user_id FROM auth_changes WHERE changed_at >= ?`, ts(since))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("auth changes: %w", mapErr(err))
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, time.Time{}, mapErr(err)
		}
		ids = append(ids, id)
	}
	return ids, now, mapErr(rows.Err())
}
