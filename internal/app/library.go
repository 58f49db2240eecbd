package app

import (
	"context"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Library is the caller's list of titles. Inputs arrive validated.
type Library struct {
	store domain.LibraryStore
	clock Clock
}

// NewLibrary returns the library use cases.
func NewLibrary(store domain.LibraryStore, clock Clock) *Library {
	return &Library{store: store, clock: clock}
}

// List returns a page of the caller's items and the cursor of the next
// page (nil on the last).
func (l *Library) List(ctx context.Context, p domain.Principal, q domain.LibraryQuery) ([]domain.LibraryItem, *domain.Cursor, error) {
	items, more, err := l.store.Library(ctx, p.UserID, q)
	if err != nil || !more {
		return items, nil, err
	}
	last := items[len(items)-1]
	return items, &domain.Cursor{At: last.UpdatedAt, ID: last.ID}, nil
}

// Put creates or updates one item.
func (l *Library) Put(ctx context.Context, p domain.Principal, provider, titleID string, patch domain.LibraryPatch) (domain.LibraryItem, error) {
	return l.store.PutLibraryItem(ctx, p.UserID, provider, titleID, patch, l.clock.Now())
}

// Delete removes one item; KindNotFound when the caller has none.
func (l *Library) Delete(ctx context.Context, p domain.Principal, provider, titleID string) error {
	return l.store.DeleteLibraryItem(ctx, p.UserID, provider, titleID)
}
