package domain

import (
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Library statuses: the reference's four values.
const (
	StatusWatching  = "watching"
	StatusPlanned   = "planned"
	StatusCompleted = "completed"
	StatusDropped   = "dropped"
)

// ValidStatus reports whether s is one of the four statuses.
func ValidStatus(s string) bool {
	return s == StatusWatching || s == StatusPlanned || s == StatusCompleted || s == StatusDropped
}

// LibraryItem is one title in a user's library.
type LibraryItem struct {
	ID         int64
	UserID     int64
	Provider   string
	TitleID    string
	Status     string
	IsFavorite bool
	Score      *int    // 0..10, nil when unset
	Notes      *string // at most MaxNotesLen characters, nil when unset
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// LibraryPatch is a partial update of a library item. Zero fields keep the
// stored value; a new item starts as watching, not a favourite, no score,
// no notes.
type LibraryPatch struct {
	Status     *string // nil keeps
	IsFavorite *bool   // nil keeps
	SetScore   bool    // when set, Score replaces the stored one (nil clears)
	Score      *int
	SetNotes   bool // when set, Notes replaces the stored one (nil clears)
	Notes      *string
}

// Limits on viewer data (D6).
const (
	DefaultProvider = "rpc"
	MaxProviderLen  = 32
	MaxIDLen        = 200
	MaxNotesLen     = 2000
	MaxScore        = 10
	MaxPosition     = 604800 // seconds: a week
)

// CheckProvider: 1..32 of [A-Za-z0-9._-].
func CheckProvider(field, p string) []FieldError {
	if p == "" || len(p) > MaxProviderLen {
		return []FieldError{{field, "must be 1 to 32 characters"}}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return []FieldError{{field, "may contain only letters, digits, '.', '_' and '-'"}}
		}
	}
	return nil
}

// CheckID validates a title or episode id: 1..200 characters of text.
func CheckID(field, id string) []FieldError {
	if id == "" || utf8.RuneCountInString(id) > MaxIDLen {
		return []FieldError{{field, "must be 1 to 200 characters"}}
	}
	return CheckText(field, id, MaxIDLen, false)
}

// CheckText validates a free-text value: at most max characters of valid
// UTF-8 without control characters (tab, line feed and carriage return are
// allowed when multiline). PostgreSQL refuses a NUL in text, and SQLite
// cuts a LIKE pattern at one, so no NUL reaches the database.
func CheckText(field, s string, max int, multiline bool) []FieldError {
	if utf8.RuneCountInString(s) > max {
		return []FieldError{{field, "must be at most " + strconv.Itoa(max) + " characters"}}
	}
	if !utf8.ValidString(s) {
		return []FieldError{{field, "must be valid UTF-8"}}
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n' || r == '\r')) {
			return []FieldError{{field, "must not contain control characters"}}
		}
	}
	return nil
}

// CheckPosition validates a playback position or duration in seconds.
func CheckPosition(field string, v float64) []FieldError {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > MaxPosition {
		return []FieldError{{field, "must be a number from 0 to 604800"}}
	}
	return nil
}

// Check validates the values a patch sets.
func (p LibraryPatch) Check() []FieldError {
	var errs []FieldError
	if p.Status != nil && !ValidStatus(*p.Status) {
		errs = append(errs, FieldError{"status", "must be one of watching, planned, completed, dropped"})
	}
	if p.SetScore && p.Score != nil && (*p.Score < 0 || *p.Score > MaxScore) {
		errs = append(errs, FieldError{"score", "must be an integer from 0 to 10"})
	}
	if p.SetNotes && p.Notes != nil {
		errs = append(errs, CheckText("notes", *p.Notes, MaxNotesLen, true)...)
	}
	return errs
}
