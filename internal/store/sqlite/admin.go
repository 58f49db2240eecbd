package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// writeAudit inserts the entry, completed with its changes (added to what
// it holds, such as a reason) and time.
func writeAudit(ctx context.Context, tx *sql.Tx, a *domain.AuditEntry, changes map[string]any, now time.Time) error {
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
	var actor any
	if a.ActorID != 0 {
		actor = a.ActorID
	}
	err = tx.QueryRowContext(ctx, `
		INSERT INTO audit_log (actor_id, action, target_type, target_id, changes, trace_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		actor, a.Action, a.TargetType, a.TargetID, string(data), a.TraceID, ts(now)).Scan(&a.ID)
	return mapErr(err)
}

func addAuthChange(ctx context.Context, tx *sql.Tx, userID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_changes (user_id) VALUES (?)`, userID)
	return mapErr(err)
}

// roleCodesColumn is every role code the user aliased u holds, active or
// not, sorted and joined by commas ("" for none): what admins see and
// audit. splitCodes reads it.
const roleCodesColumn = `
	coalesce((SELECT group_concat(r.code, ',' ORDER BY r.code) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
	          WHERE ur.user_id = u.id), '')`

func splitCodes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// roleCodes lists the user's role codes, failing with KindNotFound when the
// user does not exist.
func roleCodes(ctx context.Context, tx *sql.Tx, userID int64) ([]string, error) {
	var codes string
	err := tx.QueryRowContext(ctx, `SELECT `+roleCodesColumn+` FROM users u WHERE u.id = ?`, userID).Scan(&codes)
	if err != nil {
		return nil, notFound(err, "User not found")
	}
	return splitCodes(codes), nil
}

func (s *Store) changeRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry, stmt string) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var roleID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM roles WHERE code = ?`, code).Scan(&roleID); err != nil {
			return notFound(err, "Role not found")
		}
		before, err := roleCodes(ctx, tx, userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, stmt, userID, roleID, ts(now))
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return writeAudit(ctx, tx, audit, map[string]any{}, now)
		}
		changed = true
		after, err := roleCodes(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := addAuthChange(ctx, tx, userID); err != nil {
			return err
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
		`INSERT INTO user_roles (user_id, role_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING`)
}

// RevokeRole implements domain.AdminStore.
func (s *Store) RevokeRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry) (bool, error) {
	return s.changeRole(ctx, userID, code, now, audit, `DELETE FROM user_roles WHERE user_id = ?1 AND role_id = ?2 AND ?3 = ?3`)
}

// AuditLog implements domain.AdminStore. Only the filters that are set
// are in the query, so that each is served by its index.
func (s *Store) AuditLog(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, int, error) {
	where, args := []string{"1"}, []any{}
	filter := func(col string, v any, set bool) {
		if set {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	filter("actor_id", q.ActorID, q.ActorID != 0)
	filter("action", q.Action, q.Action != "")
	filter("target_type", q.TargetType, q.TargetType != "")
	filter("target_id", q.TargetID, q.TargetID != "")
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, coalesce(actor_id, 0), action, target_type, target_id, changes, trace_id, created_at
		FROM audit_log WHERE `+cond+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	defer rows.Close()
	out := []domain.AuditEntry{}
	for rows.Next() {
		var a domain.AuditEntry
		var changes string
		if err := rows.Scan(&a.ID, &a.ActorID, &a.Action, &a.TargetType, &a.TargetID, &changes, &a.TraceID, timeCol{&a.CreatedAt}); err != nil {
			return nil, 0, mapErr(err)
		}
		if err := json.Unmarshal([]byte(changes), &a.Changes); err != nil {
			return nil, 0, fmt.Errorf("audit changes: %w", err)
		}
		out = append(out, a)
	}
	return out, total, mapErr(rows.Err())
}

// likePattern is a LIKE pattern matching s anywhere, with LIKE's own
// characters escaped by backslash.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Users implements domain.UserStore.
func (s *Store) Users(ctx context.Context, q domain.UserQuery) ([]domain.UserSummary, int, error) {
	const where = `WHERE email_key LIKE ?1 ESCAPE '\'`
	pattern := likePattern(q.EmailContains)
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM users `+where, pattern).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+userColumns+`, `+roleCodesColumn+`
		FROM users u `+where+` ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3`, pattern, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	defer rows.Close()
	out := []domain.UserSummary{}
	for rows.Next() {
		var u domain.UserSummary
		var roles string
		if err := rows.Scan(&u.User.ID, &u.User.Email, &u.User.PasswordHash, &u.User.Active,
			timeCol{&u.User.CreatedAt}, timeCol{&u.User.UpdatedAt}, &roles); err != nil {
			return nil, 0, mapErr(err)
		}
		u.User.PasswordHash = ""
		u.Roles = splitCodes(roles)
		out = append(out, u)
	}
	return out, total, mapErr(rows.Err())
}
