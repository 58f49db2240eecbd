package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Export implements domain.UserStore, reading everything in one snapshot.
func (s *Store) Export(ctx context.Context, userID int64, now time.Time) (domain.Export, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return domain.Export{}, mapErr(err)
	}
	defer tx.Rollback()
	var ex domain.Export
	if ex.User, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID)); err != nil {
		return domain.Export{}, fmt.Errorf("export: %w", err)
	}
	ex.User.PasswordHash = ""
	if ex.Access, err = userAccess(ctx, tx, userID); err != nil {
		return domain.Export{}, fmt.Errorf("export: %w", err)
	}
	if ex.Library, err = all(ctx, tx, `SELECT `+libraryColumns+` FROM user_library_items WHERE user_id = ? ORDER BY provider, updated_at DESC, id DESC`, userID, scanLibraryItem); err != nil {
		return domain.Export{}, err
	}
	if ex.Progress, err = all(ctx, tx, `SELECT `+progressColumns+` FROM user_progress WHERE user_id = ? ORDER BY provider, updated_at DESC, id DESC`, userID, scanProgress); err != nil {
		return domain.Export{}, err
	}
	if ex.History, err = all(ctx, tx, `SELECT `+historyColumns+` FROM user_history WHERE user_id = ? ORDER BY provider, watched_at DESC, id DESC`, userID, scanHistory); err != nil {
		return domain.Export{}, err
	}
	if ex.Sessions, err = all(ctx, tx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID, scanSession); err != nil {
		return domain.Export{}, err
	}
	return ex, nil
}

func all[T any](ctx context.Context, tx *sql.Tx, query string, userID int64, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, userID)
	if err != nil {
		return nil, fmt.Errorf("export: %w", mapErr(err))
	}
	out, _, err := collect(rows, math.MaxInt-1, scan)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return out, nil
}
