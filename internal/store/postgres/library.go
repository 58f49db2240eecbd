package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const libraryColumns = `id, user_id, provider, title_id, status, is_favorite, score, notes, created_at, updated_at`

func scanLibraryItem(row pgx.Row) (domain.LibraryItem, error) {
	var it domain.LibraryItem
	var score *int16
	err := row.Scan(&it.ID, &it.UserID, &it.Provider, &it.TitleID, &it.Status, &it.IsFavorite, &score, &it.Notes,
		&it.CreatedAt, &it.UpdatedAt)
	if score != nil {
		n := int(*score)
		it.Score = &n
	}
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return it, mapErr(err)
}

// afterCursor is the keyset condition on (col, id) for a page, with its
// parameters numbered from n; the zero cursor selects from the top.
func afterCursor(col string, c domain.Cursor, n int) (string, []any) {
	if c.At.IsZero() && c.ID == 0 {
		return "true", nil
	}
	return fmt.Sprintf("(%s, id) < ($%d, $%d)", col, n, n+1), []any{c.At, c.ID}
}

// collect reads up to limit rows and reports whether more follow (the
// query asks for limit+1).
func collect[T any](rows pgx.Rows, limit int, scan func(pgx.Row) (T, error)) ([]T, bool, error) {
	// Most lists are short; longer ones grow.
	out, err := pgx.AppendRows(make([]T, 0, min(limit+1, 64)), rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, false, mapErr(err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// Library implements domain.LibraryStore.
func (s *Store) Library(ctx context.Context, userID int64, q domain.LibraryQuery) ([]domain.LibraryItem, bool, error) {
	cond, args := afterCursor("updated_at", q.After, 5)
	rows, err := s.pool.Query(ctx, `
		SELECT `+libraryColumns+` FROM user_library_items
		WHERE user_id = $1 AND provider = $2 AND ($3 = '' OR status = $3) AND (NOT $4 OR is_favorite) AND `+cond+`
		ORDER BY updated_at DESC, id DESC LIMIT `+strconv.Itoa(q.Limit+1),
		append([]any{userID, q.Provider, q.Status, q.FavoritesOnly}, args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("list library: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanLibraryItem)
}

// PutLibraryItem implements domain.LibraryStore.
func (s *Store) PutLibraryItem(ctx context.Context, userID int64, provider, titleID string, p domain.LibraryPatch, now time.Time) (domain.LibraryItem, error) {
	it, err := scanLibraryItem(s.pool.QueryRow(ctx, `
		INSERT INTO user_library_items AS l (user_id, provider, title_id, status, is_favorite, score, notes, created_at, updated_at)
		VALUES ($1, $2, $3, coalesce($4, 'watching'), coalesce($5, false), $6, $7, $8, $8)
		ON CONFLICT (user_id, provider, title_id) DO UPDATE SET
			status = coalesce($4, l.status),
			is_favorite = coalesce($5, l.is_favorite),
			score = CASE WHEN $9 THEN $6 ELSE l.score END,
			notes = CASE WHEN $10 THEN $7 ELSE l.notes END,
			updated_at = $8
		RETURNING `+libraryColumns,
		userID, provider, titleID, p.Status, p.IsFavorite, p.Score, p.Notes, now, p.SetScore, p.SetNotes))
	if err != nil {
		return domain.LibraryItem{}, fmt.Errorf("put library item: %w", err)
	}
	return it, nil
}

// DeleteLibraryItem implements domain.LibraryStore.
func (s *Store) DeleteLibraryItem(ctx context.Context, userID int64, provider, titleID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_library_items WHERE user_id = $1 AND provider = $2 AND title_id = $3`,
		userID, provider, titleID)
	if err != nil {
		return fmt.Errorf("delete library item: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return domain.E(domain.KindNotFound, "Library item not found")
	}
	return nil
}
