package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Export implements domain.UserStore. One read transaction is one
// snapshot in WAL mode; it holds a read connection until the last row.
func (s *Store) Export(ctx context.Context, userID int64, w domain.ExportWriter) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: %w", mapErr(err))
	}
	defer tx.Rollback()
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID))
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	u.PasswordHash = ""
	access, err := userAccess(ctx, tx, userID)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := w.User(u, access); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := each(ctx, tx, `SELECT `+libraryColumns+` FROM user_library_items WHERE user_id = ? ORDER BY provider, updated_at DESC, id DESC`, userID, scanLibraryItem, w.LibraryItem); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT `+progressColumns+` FROM user_progress WHERE user_id = ? ORDER BY provider, updated_at DESC, id DESC`, userID, scanProgress, w.Progress); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT `+historyColumns+` FROM user_history WHERE user_id = ? ORDER BY provider, watched_at DESC, id DESC`, userID, scanHistory, w.History); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID, scanSession, w.Session)
}

// each hands every row of the query to fn as it is read.
func each[T any](ctx context.Context, tx *sql.Tx, query string, userID int64, scan func(interface{ Scan(...any) error }) (T, error), fn func(T) error) error {
	rows, err := tx.QueryContext(ctx, query, userID)
	if err != nil {
		return fmt.Errorf("export: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := fn(v); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", mapErr(err))
	}
	return nil
}
