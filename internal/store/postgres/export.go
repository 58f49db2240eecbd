package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Export implements domain.UserStore. REPEATABLE READ makes the whole
// document one snapshot; the transaction holds a connection until the
// last row.
func (s *Store) Export(ctx context.Context, userID int64, w domain.ExportWriter) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		if err != nil {
			return err
		}
		u.PasswordHash = ""
		access, err := userAccess(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := w.User(u, access); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT `+libraryColumns+` FROM user_library_items WHERE user_id = $1 ORDER BY provider, updated_at DESC, id DESC`, userID, scanLibraryItem, w.LibraryItem); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT `+progressColumns+` FROM user_progress WHERE user_id = $1 ORDER BY provider, updated_at DESC, id DESC`, userID, scanProgress, w.Progress); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT `+historyColumns+` FROM user_history WHERE user_id = $1 ORDER BY provider, watched_at DESC, id DESC`, userID, scanHistory, w.History); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID, scanSession, w.Session)
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// each hands every row of the query to fn as pgx reads it off the wire.
func each[T any](ctx context.Context, tx pgx.Tx, query string, userID int64, scan func(pgx.Row) (T, error), fn func(T) error) error {
	rows, err := tx.Query(ctx, query, userID)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}
