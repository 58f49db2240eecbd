package app

import (
	"context"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Watch is the caller's watch progress and history. Inputs arrive validated.
type Watch struct {
	store domain.WatchStore
	clock Clock
}

// NewWatch returns the progress and history use cases.
func NewWatch(store domain.WatchStore, clock Clock) *Watch {
	return &Watch{store: store, clock: clock}
}

// SaveProgress records a position and touches the episode's history entry.
// A save older (by the client's clock) than the stored one is ignored and
// the stored row comes back.
func (w *Watch) SaveProgress(ctx context.Context, p domain.Principal, pr domain.Progress) (domain.Progress, error) {
	pr.UserID = p.UserID
	saved, _, err := w.store.SaveProgress(ctx, pr, w.clock.Now())
	return saved, err
}

// Progress returns a page of the caller's progress rows and the next cursor.
func (w *Watch) Progress(ctx context.Context, p domain.Principal, q domain.ProgressQuery) ([]domain.Progress, *domain.Cursor, error) {
	rows, more, err := w.store.ProgressList(ctx, p.UserID, q)
	if err != nil || !more {
		return rows, nil, err
	}
	last := rows[len(rows)-1]
	return rows, &domain.Cursor{At: last.UpdatedAt, ID: last.ID}, nil
}

// History returns a page of the caller's history and the next cursor.
func (w *Watch) History(ctx context.Context, p domain.Principal, q domain.HistoryQuery) ([]domain.HistoryEntry, *domain.Cursor, error) {
	rows, more, err := w.store.History(ctx, p.UserID, q)
	if err != nil || !more {
		return rows, nil, err
	}
	last := rows[len(rows)-1]
	return rows, &domain.Cursor{At: last.WatchedAt, ID: last.ID}, nil
}

// DeleteHistoryEntry removes one entry; KindNotFound unless it is the caller's.
func (w *Watch) DeleteHistoryEntry(ctx context.Context, p domain.Principal, id int64) error {
	return w.store.DeleteHistoryEntry(ctx, p.UserID, id)
}

// ClearHistory removes the caller's history of one provider.
func (w *Watch) ClearHistory(ctx context.Context, p domain.Principal, provider string) (int64, error) {
	return w.store.ClearHistory(ctx, p.UserID, provider)
}
