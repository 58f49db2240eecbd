package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// writeAudit inserts the entry, completed with its changes (added to what
// it holds, such as a reason) and time.
func writeAudit(ctx context.Context, tx pgx.Tx, a *domain.AuditEntry, changes map[string]any, now time.Time) error {
	if a == nil {
		return nil
	}
	all := make(map[string]any, len(a.Changes)+len(changes))
	maps.Copy(all, a.Changes)
	maps.Copy(all, changes)
	a.Changes, a.CreatedAt = all, now
	data, err := json.Marshal(all)
	if err != nil {
		return err
	}
	var actor *int64
	if a.ActorID != 0 {
		actor = &a.ActorID
	}
	return mapErr(tx.QueryRow(ctx, `
		INSERT INTO audit_log (actor_id, action, target_type, target_id, changes, trace_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		actor, a.Action, a.TargetType, a.TargetID, string(data), a.TraceID, now).Scan(&a.ID))
}

// roleCodes lists the user's role codes (locking the user row), failing
// with KindNotFound when the user does not exist.
func roleCodes(ctx context.Context, tx pgx.Tx, userID int64) ([]string, error) {
	var codes []string
	err := tx.QueryRow(ctx, `SELECT `+roleCodesColumn+` FROM users u WHERE u.id = $1 FOR UPDATE`, userID).Scan(&codes)
	if err != nil {
		return nil, notFound(err, "User not found")
	}
	return codes, nil
}

func (s *Store) changeRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry, stmt string) (bool, error) {
	var changed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var roleID int64
		if err := tx.QueryRow(ctx, `SELECT id FROM roles WHERE code = $1`, code).Scan(&roleID); err != nil {
			return notFound(err, "Role not found")
		}
		before, err := roleCodes(ctx, tx, userID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, stmt, userID, roleID, now)
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			return writeAudit(ctx, tx, audit, map[string]any{}, now)
		}
		changed = true
		after, err := roleCodes(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth_changes (user_id) VALUES ($1)`, userID); err != nil {
			return mapErr(err)
		}
		return writeAudit(ctx, tx, audit, map[string]any{"roles": map[string]any{"old": before, "new": after}}, now)
	})
	if err != nil {
		return false, fmt.Errorf("change role: %w", err)
	}
	return changed, nil
}

// GrantRole implements domain.AdminStore.
func (s *Store) GrantRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry) (bool, error) {
	return s.changeRole(ctx, userID, code, now, audit,
		`INSERT INTO user_roles (user_id, role_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`)
}

// RevokeRole implements domain.AdminStore.
func (s *Store) RevokeRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry) (bool, error) {
	return s.changeRole(ctx, userID, code, now, audit,
		`DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2 AND $3::timestamptz IS NOT NULL`)
}

// AuditLog implements domain.AdminStore. Only the filters that are set
// are in the query, so that each is served by its index.
func (s *Store) AuditLog(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, int, error) {
	var where []string
	var args []any
	filter := func(col string, v any, set bool) {
		if set {
			args = append(args, v)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
		}
	}
	filter("actor_id", q.ActorID, q.ActorID != 0)
	filter("action", q.Action, q.Action != "")
	filter("target_type", q.TargetType, q.TargetType != "")
	filter("target_id", q.TargetID, q.TargetID != "")
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, coalesce(actor_id, 0), action, target_type, target_id, changes, trace_id, created_at
		FROM audit_log `+cond+` ORDER BY created_at DESC, id DESC
		LIMIT `+strconv.Itoa(q.Limit)+` OFFSET `+strconv.Itoa(q.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.AuditEntry, error) {
		var a domain.AuditEntry
		err := r.Scan(&a.ID, &a.ActorID, &a.Action, &a.TargetType, &a.TargetID, &a.Changes, &a.TraceID, &a.CreatedAt)
		a.CreatedAt = a.CreatedAt.UTC()
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	if out == nil {
		out = []domain.AuditEntry{}
	}
	return out, total, nil
}

// likePattern is a LIKE pattern matching s anywhere, with LIKE's own
// characters escaped by backslash.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Users implements domain.UserStore.
func (s *Store) Users(ctx context.Context, q domain.UserQuery) ([]domain.UserSummary, int, error) {
	const where = `WHERE email_key LIKE $1 ESCAPE '\'`
	pattern := likePattern(q.EmailContains)
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users `+where, pattern).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, email, is_active, created_at, updated_at, `+roleCodesColumn+`
		FROM users u `+where+` ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, pattern, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.UserSummary, error) {
		var u domain.UserSummary
		err := r.Scan(&u.User.ID, &u.User.Email, &u.User.Active, &u.User.CreatedAt, &u.User.UpdatedAt, &u.Roles)
		u.User.CreatedAt, u.User.UpdatedAt = u.User.CreatedAt.UTC(), u.User.UpdatedAt.UTC()
		return u, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	if out == nil {
		out = []domain.UserSummary{}
	}
	return out, total, nil
}
