package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const sessionColumns = `id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip`

func scanSession(row interface{ Scan(...any) error }) (domain.Session, error) {
	var s domain.Session
	err := row.Scan(&s.ID, &s.UserID, timeCol{&s.CreatedAt}, timeCol{&s.LastUsedAt}, timeCol{&s.ExpiresAt},
		timeCol{&s.RevokedAt}, &s.UserAgent, &s.IP)
	return s, mapErr(err)
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// CreateSession implements domain.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session, first domain.RefreshToken) (domain.Session, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		sess, err = scanSession(tx.QueryRowContext(ctx, `
			INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, user_agent, ip)
			VALUES (?, ?, ?, ?, ?, ?)
			RETURNING `+sessionColumns,
			sess.UserID, ts(sess.CreatedAt), ts(sess.LastUsedAt), ts(sess.ExpiresAt), sess.UserAgent, sess.IP))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sess.ID, first.Hash, ts(first.CreatedAt), ts(first.ExpiresAt)); err != nil {
			return mapErr(err)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE sessions SET revoked_at = ?1
			WHERE id IN (SELECT id FROM sessions WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1
			             ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?3)`,
			ts(sess.CreatedAt), sess.UserID, domain.MaxSessionsPerUser)
		return recordAuthChange(ctx, tx, sess.UserID, res, err)
	})
	if err != nil {
		return domain.Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// RotateRefreshToken implements domain.SessionStore.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next domain.RefreshToken, now time.Time, ip, userAgent string) (domain.Session, error) {
	var sess domain.Session
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var sessionID int64
		// EXISTS looks at the token's one session; an IN (SELECT …) here
		// would list every live session of every user on each refresh.
		err := tx.QueryRowContext(ctx, `
			UPDATE refresh_tokens SET rotated_at = ?2
			WHERE token_hash = ?1 AND rotated_at IS NULL AND expires_at > ?2
			  AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
			              WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL AND s.expires_at > ?2 AND u.is_active = 1)
			RETURNING session_id`, oldHash, ts(now)).Scan(&sessionID)
		if err != nil {
			if domain.KindOf(mapErr(err)) == domain.KindNotFound {
				return domain.E(domain.KindUnauthenticated, "Invalid or expired refresh token")
			}
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sessionID, next.Hash, ts(next.CreatedAt), ts(next.ExpiresAt)); err != nil {
			return mapErr(err)
		}
		sess, err = scanSession(tx.QueryRowContext(ctx, `
			UPDATE sessions SET last_used_at = ?, expires_at = ?, ip = ?, user_agent = ? WHERE id = ?
			RETURNING `+sessionColumns, ts(now), ts(next.ExpiresAt), ip, userAgent, sessionID))
		return err
	})
	if err != nil {
		return domain.Session{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	return sess, nil
}

// RefreshToken implements domain.SessionStore.
func (s *Store) RefreshToken(ctx context.Context, hash []byte) (domain.RefreshToken, domain.Session, error) {
	t := domain.RefreshToken{Hash: hash}
	var sess domain.Session
	err := s.read.QueryRowContext(ctx, `
		SELECT t.session_id, t.created_at, t.expires_at, t.rotated_at,
		       s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
		WHERE t.token_hash = ?`, hash).Scan(&t.SessionID, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.RotatedAt},
		&sess.ID, &sess.UserID, timeCol{&sess.CreatedAt}, timeCol{&sess.LastUsedAt}, timeCol{&sess.ExpiresAt},
		timeCol{&sess.RevokedAt}, &sess.UserAgent, &sess.IP)
	if err != nil {
		return domain.RefreshToken{}, domain.Session{}, fmt.Errorf("find refresh token: %w", mapErr(err))
	}
	return t, sess, nil
}

// Sessions implements domain.SessionStore.
func (s *Store) Sessions(ctx context.Context, userID int64, now time.Time) ([]domain.Session, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, userID, ts(now))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", mapErr(err))
	}
	defer rows.Close()
	out := []domain.Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, mapErr(rows.Err())
}

// RevokeSession implements domain.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) error {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revokeSessions(ctx, tx, userID, `id = ?3`, sessionID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if n == 0 {
		return domain.E(domain.KindNotFound, "Session not found")
	}
	return nil
}

// RevokeSessions implements domain.SessionStore.
func (s *Store) RevokeSessions(ctx context.Context, userID, keepSessionID int64, now time.Time, audit *domain.AuditEntry) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one); err != nil {
			return notFound(err, "User not found")
		}
		var err error
		if n, err = revokeSessions(ctx, tx, userID, `id <> ?3`, keepSessionID, now); err != nil {
			return err
		}
		return writeAudit(ctx, tx, audit, map[string]any{"sessions_revoked": n}, now)
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// revokeSessions revokes the user's live sessions matching cond (on ?3 =
// arg) and records the auth change.
func revokeSessions(ctx context.Context, tx *sql.Tx, userID int64, cond string, arg int64, now time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, `
		UPDATE sessions SET revoked_at = ?1
		WHERE user_id = ?2 AND `+cond+` AND revoked_at IS NULL AND expires_at > ?1`, ts(now), userID, arg)
	if err := recordAuthChange(ctx, tx, userID, res, err); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// recordAuthChange notes that the user's auth state changed when the
// statement that produced res changed any row.
func recordAuthChange(ctx context.Context, tx *sql.Tx, userID int64, res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO auth_changes (user_id) VALUES (?)`, userID)
	return mapErr(err)
}

// PurgeExpired implements domain.SessionStore.
func (s *Store) PurgeExpired(ctx context.Context, now, before time.Time) (int64, error) {
	var total int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE expires_at <= ?1 OR revoked_at < ?2`,
			`DELETE FROM refresh_tokens WHERE expires_at <= ?1`,
			`DELETE FROM auth_changes WHERE changed_at < ?2`,
		} {
			res, err := tx.ExecContext(ctx, q, ts(now), ts(before))
			if err != nil {
				return mapErr(err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return total, nil
}
