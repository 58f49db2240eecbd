package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Export implements domain.UserStore, reading everything in one snapshot.
func (s *Store) Export(ctx context.Context, userID int64, now time.Time) (domain.Export, error) {
	var ex domain.Export
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if ex.User, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID)); err != nil {
			return err
		}
		ex.User.PasswordHash = ""
		if ex.Access, err = userAccess(ctx, tx, userID); err != nil {
			return err
		}
		if ex.Library, err = all(ctx, tx, `SELECT `+libraryColumns+` FROM user_library_items WHERE user_id = $1 ORDER BY provider, updated_at DESC, id DESC`, userID, scanLibraryItem); err != nil {
			return err
		}
		if ex.Progress, err = all(ctx, tx, `SELECT `+progressColumns+` FROM user_progress WHERE user_id = $1 ORDER BY provider, updated_at DESC, id DESC`, userID, scanProgress); err != nil {
			return err
		}
		if ex.History, err = all(ctx, tx, `SELECT `+historyColumns+` FROM user_history WHERE user_id = $1 ORDER BY provider, watched_at DESC, id DESC`, userID, scanHistory); err != nil {
			return err
		}
		ex.Sessions, err = all(ctx, tx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID, scanSession)
		return err
	})
	if err != nil {
		return domain.Export{}, fmt.Errorf("export: %w", err)
	}
	return ex, nil
}

func all[T any](ctx context.Context, tx pgx.Tx, query string, userID int64, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := tx.Query(ctx, query, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, _, err := collect(rows, math.MaxInt-1, scan)
	return out, err
}
