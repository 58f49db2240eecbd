package domain

import "time"

// Progress is how far a user got in one episode.
type Progress struct {
	ID        int64
	UserID    int64
	Provider  string
	TitleID   string
	EpisodeID string
	Position  float64
	Duration  float64 // 0 when unknown
	// ClientUpdatedAt is the client's clock (epoch ms) of the newest save
	// applied, 0 when no save carried one. Older saves are ignored.
	ClientUpdatedAt int64
	UpdatedAt       time.Time
}

// HistoryEntry is the last watch of one episode: one per user, provider
// and episode.
type HistoryEntry struct {
	ID        int64
	UserID    int64
	Provider  string
	TitleID   string
	EpisodeID string
	Position  *float64
	WatchedAt time.Time
}

// Cursor is a position in a list ordered newest first: the time and id of
// the last row already seen.
type Cursor struct {
	At time.Time
	ID int64
}

// Page selects Limit rows after a cursor (the zero cursor starts at the top).
type Page struct {
	Limit int
	After Cursor
}

// LibraryQuery filters a user's library.
type LibraryQuery struct {
	Provider      string
	Status        string // "" for all
	FavoritesOnly bool
	Page
}

// ProgressQuery filters a user's progress rows.
type ProgressQuery struct {
	Provider string
	TitleID  string // "" for all
	Page
}

// HistoryQuery filters a user's history.
type HistoryQuery struct {
	Provider string
	Page
}

// LegacyItem is one item of a legacy (browser localStorage) import, already
// validated and mapped: a progress row (Episode set) or a saved series.
type LegacyItem struct {
	TitleID   string
	EpisodeID string // "" for a saved series
	Position  float64
	Duration  float64
	At        time.Time // the item's own timestamp
}
