package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const progressColumns = `id, user_id, provider, title_id, episode_id, position_seconds, duration_seconds, client_updated_at, updated_at`

func scanProgress(row pgx.Row) (domain.Progress, error) {
	var p domain.Progress
	var client *int64
	err := row.Scan(&p.ID, &p.UserID, &p.Provider, &p.TitleID, &p.EpisodeID, &p.Position, &p.Duration, &client, &p.UpdatedAt)
	if client != nil {
		p.ClientUpdatedAt = *client
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, mapErr(err)
}

const historyColumns = `id, user_id, provider, title_id, episode_id, position_seconds, watched_at`

func scanHistory(row pgx.Row) (domain.HistoryEntry, error) {
	var h domain.HistoryEntry
	err := row.Scan(&h.ID, &h.UserID, &h.Provider, &h.TitleID, &h.EpisodeID, &h.Position, &h.WatchedAt)
	h.WatchedAt = h.WatchedAt.UTC()
	return h, mapErr(err)
}

func nullIfZero(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// SaveProgress implements domain.WatchStore: the progress upsert and the
// history upsert are one statement, one round trip, one transaction.
func (s *Store) SaveProgress(ctx context.Context, p domain.Progress, now time.Time) (domain.Progress, bool, error) {
	saved, err := scanProgress(s.pool.QueryRow(ctx, `
		WITH p AS (
			INSERT INTO user_progress AS o (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, client_updated_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
				title_id = excluded.title_id, position_seconds = excluded.position_seconds,
				duration_seconds = excluded.duration_seconds,
				client_updated_at = coalesce(excluded.client_updated_at, o.client_updated_at), updated_at = excluded.updated_at
			WHERE excluded.client_updated_at IS NULL OR o.client_updated_at IS NULL OR excluded.client_updated_at >= o.client_updated_at
			RETURNING `+progressColumns+`
		), h AS (
			INSERT INTO user_history (user_id, provider, title_id, episode_id, position_seconds, watched_at)
			SELECT user_id, provider, title_id, episode_id, position_seconds, updated_at FROM p
			ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
				title_id = excluded.title_id, position_seconds = excluded.position_seconds, watched_at = excluded.watched_at
		)
		SELECT `+progressColumns+` FROM p`,
		p.UserID, p.Provider, p.TitleID, p.EpisodeID, p.Position, p.Duration, nullIfZero(p.ClientUpdatedAt), now))
	if domain.KindOf(err) == domain.KindNotFound { // an older save: keep the stored row
		saved, err = scanProgress(s.pool.QueryRow(ctx, `SELECT `+progressColumns+` FROM user_progress
			WHERE user_id = $1 AND provider = $2 AND episode_id = $3`, p.UserID, p.Provider, p.EpisodeID))
		if err != nil {
			return domain.Progress{}, false, fmt.Errorf("save progress: %w", err)
		}
		return saved, false, nil
	}
	if err != nil {
		return domain.Progress{}, false, fmt.Errorf("save progress: %w", err)
	}
	return saved, true, nil
}

// ProgressList implements domain.WatchStore.
func (s *Store) ProgressList(ctx context.Context, userID int64, q domain.ProgressQuery) ([]domain.Progress, bool, error) {
	cond, args := afterCursor("updated_at", q.After, 4)
	rows, err := s.pool.Query(ctx, `
		SELECT `+progressColumns+` FROM user_progress
		WHERE user_id = $1 AND provider = $2 AND ($3 = '' OR title_id = $3) AND `+cond+`
		ORDER BY updated_at DESC, id DESC LIMIT `+strconv.Itoa(q.Limit+1),
		append([]any{userID, q.Provider, q.TitleID}, args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("list progress: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanProgress)
}

// History implements domain.WatchStore.
func (s *Store) History(ctx context.Context, userID int64, q domain.HistoryQuery) ([]domain.HistoryEntry, bool, error) {
	cond, args := afterCursor("watched_at", q.After, 3)
	rows, err := s.pool.Query(ctx, `
		SELECT `+historyColumns+` FROM user_history
		WHERE user_id = $1 AND provider = $2 AND `+cond+`
		ORDER BY watched_at DESC, id DESC LIMIT `+strconv.Itoa(q.Limit+1),
		append([]any{userID, q.Provider}, args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("list history: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanHistory)
}

// DeleteHistoryEntry implements domain.WatchStore.
func (s *Store) DeleteHistoryEntry(ctx context.Context, userID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_history WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete history entry: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return domain.E(domain.KindNotFound, "History entry not found")
	}
	return nil
}

// ClearHistory implements domain.WatchStore.
func (s *Store) ClearHistory(ctx context.Context, userID int64, provider string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_history WHERE user_id = $1 AND provider = $2`, userID, provider)
	if err != nil {
		return 0, fmt.Errorf("clear history: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}

// ImportLegacy implements domain.WatchStore: one transaction, the items
// sent as one pipelined batch, applied in order.
func (s *Store) ImportLegacy(ctx context.Context, userID int64, provider string, items []domain.LegacyItem) ([]bool, error) {
	applied := make([]bool, len(items))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i, it := range items {
			var q *pgx.QueuedQuery
			if it.EpisodeID == "" {
				q = b.Queue(importSeries, userID, provider, it.TitleID, it.At)
			} else {
				q = b.Queue(importProgress, userID, provider, it.TitleID, it.EpisodeID, it.Position, it.Duration, it.At)
			}
			q.QueryRow(func(row pgx.Row) error {
				var n int
				err := row.Scan(&n)
				applied[i] = n > 0
				return err
			})
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("import legacy data: %w", mapErr(err))
	}
	return applied, nil
}

const importProgress = `
	WITH p AS (
		INSERT INTO user_progress AS o (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
			title_id = excluded.title_id, position_seconds = excluded.position_seconds,
			duration_seconds = excluded.duration_seconds, updated_at = excluded.updated_at
		WHERE excluded.updated_at > o.updated_at
		RETURNING user_id, provider, title_id, episode_id, position_seconds, updated_at
	), h AS (
		INSERT INTO user_history AS o (user_id, provider, title_id, episode_id, position_seconds, watched_at)
		SELECT * FROM p
		ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
			title_id = excluded.title_id, position_seconds = excluded.position_seconds, watched_at = excluded.watched_at
		WHERE excluded.watched_at > o.watched_at
	)
	SELECT count(*) FROM p`

const importSeries = `
	WITH l AS (
		INSERT INTO user_library_items AS o (user_id, provider, title_id, status, is_favorite, created_at, updated_at)
		VALUES ($1, $2, $3, 'planned', true, $4, $4)
		ON CONFLICT (user_id, provider, title_id) DO UPDATE SET is_favorite = true, updated_at = excluded.updated_at
		WHERE excluded.updated_at > o.updated_at
		RETURNING 1
	)
	SELECT count(*) FROM l`
