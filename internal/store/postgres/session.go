package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const sessionColumns = `id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip`

func scanSession(row pgx.Row) (domain.Session, error) {
	var s domain.Session
	var revoked pgtype.Timestamptz
	err := row.Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.LastUsedAt, &s.ExpiresAt, &revoked, &s.UserAgent, &s.IP)
	s.CreatedAt, s.LastUsedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastUsedAt.UTC(), s.ExpiresAt.UTC()
	s.RevokedAt = timeOrZero(revoked)
	return s, mapErr(err)
}

func timeOrZero(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// CreateSession implements domain.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session, first domain.RefreshToken) (domain.Session, error) {
	// One statement: the session, its first token, and the revocation of the
	// user's sessions beyond the limit.
	sess, err := scanSession(s.pool.QueryRow(ctx, `
		WITH new AS (
			INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, user_agent, ip)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+sessionColumns+`
		), tok AS (
			INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
			SELECT id, $7, $8, $9 FROM new
		), old AS (
			UPDATE sessions SET revoked_at = $2
			WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
			             ORDER BY created_at DESC, id DESC OFFSET $10 - 1)
			RETURNING user_id
		), chg AS (
			INSERT INTO auth_changes (user_id) SELECT $1 WHERE EXISTS (SELECT 1 FROM old)
		)
		SELECT `+sessionColumns+` FROM new`,
		sess.UserID, sess.CreatedAt, sess.LastUsedAt, sess.ExpiresAt, sess.UserAgent, sess.IP,
		first.Hash, first.CreatedAt, first.ExpiresAt, domain.MaxSessionsPerUser))
	if err != nil {
		return domain.Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// RotateRefreshToken implements domain.SessionStore. It is one statement:
// the conditional UPDATE takes the token's row lock, so of concurrent
// rotations of one token only the first finds it unrotated.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next domain.RefreshToken, now time.Time, ip, userAgent string) (domain.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, `
		WITH old AS (
			UPDATE refresh_tokens t SET rotated_at = $2
			FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE t.token_hash = $1 AND t.rotated_at IS NULL AND t.expires_at > $2
			  AND s.id = t.session_id AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.is_active
			RETURNING t.session_id
		), tok AS (
			INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
			SELECT session_id, $3, $4, $5 FROM old
		)
		UPDATE sessions SET last_used_at = $2, expires_at = $5, ip = $6, user_agent = $7
		FROM old WHERE sessions.id = old.session_id
		RETURNING sessions.id, sessions.user_id, sessions.created_at, sessions.last_used_at,
		          sessions.expires_at, sessions.revoked_at, sessions.user_agent, sessions.ip`,
		oldHash, now, next.Hash, next.CreatedAt, next.ExpiresAt, ip, userAgent))
	if domain.KindOf(err) == domain.KindNotFound {
		return domain.Session{}, domain.E(domain.KindUnauthenticated, "Invalid or expired refresh token")
	}
	if err != nil {
		return domain.Session{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	return sess, nil
}

// RefreshToken implements domain.SessionStore.
func (s *Store) RefreshToken(ctx context.Context, hash []byte) (domain.RefreshToken, domain.Session, error) {
	t := domain.RefreshToken{Hash: hash}
	var rotated, revoked pgtype.Timestamptz
	var sess domain.Session
	err := s.pool.QueryRow(ctx, `
		SELECT t.session_id, t.created_at, t.expires_at, t.rotated_at,
		       s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent, s.ip
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
		WHERE t.token_hash = $1`, hash).Scan(&t.SessionID, &t.CreatedAt, &t.ExpiresAt, &rotated,
		&sess.ID, &sess.UserID, &sess.CreatedAt, &sess.LastUsedAt, &sess.ExpiresAt, &revoked, &sess.UserAgent, &sess.IP)
	if err != nil {
		return domain.RefreshToken{}, domain.Session{}, fmt.Errorf("find refresh token: %w", mapErr(err))
	}
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timeOrZero(rotated)
	sess.CreatedAt, sess.LastUsedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.LastUsedAt.UTC(), sess.ExpiresAt.UTC()
	sess.RevokedAt = timeOrZero(revoked)
	return t, sess, nil
}

// Sessions implements domain.SessionStore.
func (s *Store) Sessions(ctx context.Context, userID int64, now time.Time) ([]domain.Session, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY created_at DESC, id DESC`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Session, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", mapErr(err))
	}
	return out, nil
}

// RevokeSession implements domain.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) error {
	n, err := revokeSessions(ctx, s.pool, userID, `id = $3`, sessionID, now)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR SHARE`, userID).Scan(&one); err != nil {
			return notFound(err, "User not found")
		}
		var err error
		if n, err = revokeSessions(ctx, tx, userID, `id <> $3`, keepSessionID, now); err != nil {
			return err
		}
		return writeAudit(ctx, tx, audit, map[string]any{"sessions_revoked": n}, now)
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", mapErr(err))
	}
	return n, nil
}

// revokeSessions revokes the user's live sessions matching cond (on $3 =
// arg) and records the auth change, in one statement.
func revokeSessions(ctx context.Context, q rowQuerier, userID int64, cond string, arg int64, now time.Time) (int, error) {
	var n int
	err := q.QueryRow(ctx, `
		WITH r AS (
			UPDATE sessions SET revoked_at = $1
			WHERE user_id = $2 AND `+cond+` AND revoked_at IS NULL AND expires_at > $1
			RETURNING 1
		), chg AS (
			INSERT INTO auth_changes (user_id) SELECT $2 WHERE EXISTS (SELECT 1 FROM r)
		)
		SELECT count(*) FROM r`, now, userID, arg).Scan(&n)
	return n, mapErr(err)
}

// PurgeExpired implements domain.SessionStore.
func (s *Store) PurgeExpired(ctx context.Context, now, before time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `
		WITH s AS (DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at < $2 RETURNING 1),
		     t AS (DELETE FROM refresh_tokens WHERE expires_at <= $1 RETURNING 1),
		     c AS (DELETE FROM auth_changes WHERE changed_at < $2 RETURNING 1)
		SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM t) + (SELECT count(*) FROM c)`, now, before).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", mapErr(err))
	}
	return n, nil
}
