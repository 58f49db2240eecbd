package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const libraryColumns = `id, user_id, provider, title_id, status, is_favorite, score, notes, created_at, updated_at`

func scanLibraryItem(row interface{ Scan(...any) error }) (domain.LibraryItem, error) {
	var it domain.LibraryItem
	var score sql.NullInt64
	var notes sql.NullString
	err := row.Scan(&it.ID, &it.UserID, &it.Provider, &it.TitleID, &it.Status, &it.IsFavorite, &score, &notes,
		timeCol{&it.CreatedAt}, timeCol{&it.UpdatedAt})
	if score.Valid {
		n := int(score.Int64)
		it.Score = &n
	}
	if notes.Valid {
		it.Notes = &notes.String
	}
	return it, mapErr(err)
}

// afterCursor is the keyset condition on (col, id) for a page; the zero
// cursor selects from the top.
func afterCursor(col string, c domain.Cursor) (string, []any) {
	if c.At.IsZero() && c.ID == 0 {
		return "1", nil
	}
	return "(" + col + ", id) < (?, ?)", []any{ts(c.At), c.ID}
}

// maxList is the limit of collect for a list read whole.
const maxList = math.MaxInt32

// collect reads up to limit rows with scan and reports whether more follow
// (the query asks for limit+1).
func collect[T any](rows *sql.Rows, limit int, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, bool, error) {
	defer rows.Close()
	out := make([]T, 0, min(limit+1, 64)) // most lists are short; longer ones grow
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, mapErr(err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// Library implements domain.LibraryStore.
func (s *Store) Library(ctx context.Context, userID int64, q domain.LibraryQuery) ([]domain.LibraryItem, bool, error) {
	cond, args := afterCursor("updated_at", q.After)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+libraryColumns+` FROM user_library_items
		WHERE user_id = ? AND provider = ? AND (? = '' OR status = ?) AND (? = 0 OR is_favorite = 1) AND `+cond+`
		ORDER BY updated_at DESC, id DESC LIMIT ?`,
		append(append([]any{userID, q.Provider, q.Status, q.Status, q.FavoritesOnly}, args...), q.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("list library: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanLibraryItem)
}

// PutLibraryItem implements domain.LibraryStore.
func (s *Store) PutLibraryItem(ctx context.Context, userID int64, provider, titleID string, p domain.LibraryPatch, now time.Time) (domain.LibraryItem, error) {
	it, err := scanLibraryItem(s.write.QueryRowContext(ctx, `
		INSERT INTO user_library_items (user_id, provider, title_id, status, is_favorite, score, notes, created_at, updated_at)
		VALUES (?1, ?2, ?3, coalesce(?4, 'watching'), coalesce(?5, 0), ?6, ?7, ?8, ?8)
		ON CONFLICT (user_id, provider, title_id) DO UPDATE SET
			status = coalesce(?4, status),
			is_favorite = coalesce(?5, is_favorite),
			score = CASE WHEN ?9 THEN ?6 ELSE score END,
			notes = CASE WHEN ?10 THEN ?7 ELSE notes END,
			updated_at = ?8
		RETURNING `+libraryColumns,
		userID, provider, titleID, p.Status, p.IsFavorite, p.Score, p.Notes, ts(now), p.SetScore, p.SetNotes))
	if err != nil {
		return domain.LibraryItem{}, fmt.Errorf("put library item: %w", err)
	}
	return it, nil
}

// DeleteLibraryItem implements domain.LibraryStore.
func (s *Store) DeleteLibraryItem(ctx context.Context, userID int64, provider, titleID string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM user_library_items WHERE user_id = ? AND provider = ? AND title_id = ?`,
		userID, provider, titleID)
	if err != nil {
		return fmt.Errorf("delete library item: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.E(domain.KindNotFound, "Library item not found")
	}
	return nil
}
