package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const progressColumns = `id, user_id, provider, title_id, episode_id, position_seconds, duration_seconds, client_updated_at, updated_at`

func scanProgress(row interface{ Scan(...any) error }) (domain.Progress, error) {
	var p domain.Progress
	var client sql.NullInt64
	err := row.Scan(&p.ID, &p.UserID, &p.Provider, &p.TitleID, &p.EpisodeID, &p.Position, &p.Duration, &client, timeCol{&p.UpdatedAt})
	p.ClientUpdatedAt = client.Int64
	return p, mapErr(err)
}

const historyColumns = `id, user_id, provider, title_id, episode_id, position_seconds, watched_at`

func scanHistory(row interface{ Scan(...any) error }) (domain.HistoryEntry, error) {
	var h domain.HistoryEntry
	err := row.Scan(&h.ID, &h.UserID, &h.Provider, &h.TitleID, &h.EpisodeID, &h.Position, timeCol{&h.WatchedAt})
	return h, mapErr(err)
}

func nullIfZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// SaveProgress implements domain.WatchStore. Concurrent saves share one
// transaction (see committer); each returns once that has committed.
func (s *Store) SaveProgress(ctx context.Context, p domain.Progress, now time.Time) (domain.Progress, bool, error) {
	a := s.saves.save(ctx, p, now)
	if a.err != nil {
		return domain.Progress{}, false, fmt.Errorf("save progress: %w", a.err)
	}
	return a.saved, a.applied, nil
}

// saveProgress runs one save's statements in tx: the upsert of its progress
// row, then, if that applied, of its history entry.
func saveProgress(ctx context.Context, tx *sql.Tx, st *saveStatements, p domain.Progress, now time.Time) (domain.Progress, bool, error) {
	saved, err := scanProgress(tx.StmtContext(ctx, st.upsert).QueryRowContext(ctx,
		p.UserID, p.Provider, p.TitleID, p.EpisodeID, p.Position, p.Duration, nullIfZero(p.ClientUpdatedAt), ts(now)))
	if domain.KindOf(err) == domain.KindNotFound { // an older save: keep the stored row
		saved, err = scanProgress(tx.StmtContext(ctx, st.stored).QueryRowContext(ctx, p.UserID, p.Provider, p.EpisodeID))
		return saved, false, err
	}
	if err != nil {
		return domain.Progress{}, false, err
	}
	_, err = tx.StmtContext(ctx, st.history).ExecContext(ctx, p.UserID, p.Provider, p.TitleID, p.EpisodeID, p.Position, ts(now))
	return saved, true, mapErr(err)
}

// saveStatements are the statements of a save, prepared once on the write
// connection: otherwise SQLite compiles each anew on every call, and with
// saves committed in batches that compiling is most of their cost.
type saveStatements struct {
	savepoint, release, rollback *sql.Stmt // the savepoint each save runs in
	upsert, stored, history      *sql.Stmt
}

// prepareSaves prepares the statements of a save on db (its tables must
// exist: SQLite checks them when it compiles).
func prepareSaves(ctx context.Context, db *sql.DB) (*saveStatements, error) {
	st := &saveStatements{}
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.savepoint, `SAVEPOINT progress`},
		{&st.release, `RELEASE progress`},
		{&st.rollback, `ROLLBACK TO progress`},
		{&st.upsert, `
			INSERT INTO user_progress (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, client_updated_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
				title_id = excluded.title_id, position_seconds = excluded.position_seconds,
				duration_seconds = excluded.duration_seconds,
				client_updated_at = coalesce(excluded.client_updated_at, client_updated_at), updated_at = excluded.updated_at
			WHERE excluded.client_updated_at IS NULL OR client_updated_at IS NULL OR excluded.client_updated_at >= client_updated_at
			RETURNING ` + progressColumns},
		{&st.stored, `SELECT ` + progressColumns + ` FROM user_progress WHERE user_id = ? AND provider = ? AND episode_id = ?`},
		{&st.history, upsertHistory + `true`},
	} {
		var err error
		if *s.stmt, err = db.PrepareContext(ctx, s.sql); err != nil {
			st.close()
			return nil, mapErr(err)
		}
	}
	return st, nil
}

func (st *saveStatements) close() {
	for _, s := range []*sql.Stmt{st.savepoint, st.release, st.rollback, st.upsert, st.stored, st.history} {
		if s != nil {
			s.Close()
		}
	}
}

// upsertHistory writes an episode's history entry; callers end it with the
// condition of the update.
const upsertHistory = `
	INSERT INTO user_history (user_id, provider, title_id, episode_id, position_seconds, watched_at)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
		title_id = excluded.title_id, position_seconds = excluded.position_seconds, watched_at = excluded.watched_at
	WHERE `

// ProgressList implements domain.WatchStore.
func (s *Store) ProgressList(ctx context.Context, userID int64, q domain.ProgressQuery) ([]domain.Progress, bool, error) {
	cond, args := afterCursor("updated_at", q.After)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+progressColumns+` FROM user_progress
		WHERE user_id = ? AND provider = ? AND (? = '' OR title_id = ?) AND `+cond+`
		ORDER BY updated_at DESC, id DESC LIMIT ?`,
		append(append([]any{userID, q.Provider, q.TitleID, q.TitleID}, args...), q.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("list progress: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanProgress)
}

// History implements domain.WatchStore.
func (s *Store) History(ctx context.Context, userID int64, q domain.HistoryQuery) ([]domain.HistoryEntry, bool, error) {
	cond, args := afterCursor("watched_at", q.After)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+historyColumns+` FROM user_history
		WHERE user_id = ? AND provider = ? AND `+cond+`
		ORDER BY watched_at DESC, id DESC LIMIT ?`,
		append(append([]any{userID, q.Provider}, args...), q.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("list history: %w", mapErr(err))
	}
	return collect(rows, q.Limit, scanHistory)
}

// DeleteHistoryEntry implements domain.WatchStore.
func (s *Store) DeleteHistoryEntry(ctx context.Context, userID, id int64) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM user_history WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete history entry: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.E(domain.KindNotFound, "History entry not found")
	}
	return nil
}

// ClearHistory implements domain.WatchStore.
func (s *Store) ClearHistory(ctx context.Context, userID int64, provider string) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM user_history WHERE user_id = ? AND provider = ?`, userID, provider)
	if err != nil {
		return 0, fmt.Errorf("clear history: %w", mapErr(err))
	}
	return res.RowsAffected()
}

// ImportLegacy implements domain.WatchStore.
func (s *Store) ImportLegacy(ctx context.Context, userID int64, provider string, items []domain.LegacyItem) ([]bool, error) {
	applied := make([]bool, len(items))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, it := range items {
			var err error
			if applied[i], err = importItem(ctx, tx, userID, provider, it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import legacy data: %w", err)
	}
	return applied, nil
}

func importItem(ctx context.Context, tx *sql.Tx, userID int64, provider string, it domain.LegacyItem) (bool, error) {
	at := ts(it.At)
	var id int64
	if it.EpisodeID == "" {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO user_library_items (user_id, provider, title_id, status, is_favorite, created_at, updated_at)
			VALUES (?1, ?2, ?3, 'planned', 1, ?4, ?4)
			ON CONFLICT (user_id, provider, title_id) DO UPDATE SET is_favorite = 1, updated_at = excluded.updated_at
			WHERE excluded.updated_at > updated_at
			RETURNING id`, userID, provider, it.TitleID, at).Scan(&id)
		return applied(err)
	}
	err := tx.QueryRowContext(ctx, `
		INSERT INTO user_progress (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, provider, episode_id) DO UPDATE SET
			title_id = excluded.title_id, position_seconds = excluded.position_seconds,
			duration_seconds = excluded.duration_seconds, updated_at = excluded.updated_at
		WHERE excluded.updated_at > updated_at
		RETURNING id`, userID, provider, it.TitleID, it.EpisodeID, it.Position, it.Duration, at).Scan(&id)
	if ok, err := applied(err); !ok || err != nil {
		return ok, err
	}
	_, err = tx.ExecContext(ctx, upsertHistory+`excluded.watched_at > watched_at`,
		userID, provider, it.TitleID, it.EpisodeID, it.Position, at)
	return true, mapErr(err)
}

// applied reads the outcome of a conditional upsert's RETURNING: no row
// means the condition kept the stored one.
func applied(err error) (bool, error) {
	switch err = mapErr(err); {
	case err == nil:
		return true, nil
	case domain.KindOf(err) == domain.KindNotFound:
		return false, nil
	}
	return false, err
}
