package domain

import (
	"slices"
	"time"
)

// Session is one login: a family of refresh tokens, each rotated into the
// next. Revoking the session kills every token of the family and every
// access token issued in it.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero while live
	UserAgent  string
	IP         string
}

// Live reports whether the session can still be used at now.
func (s Session) Live(now time.Time) bool { return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) }

// MaxSessionsPerUser bounds the live sessions of one user; a new login
// revokes the oldest beyond it.
const MaxSessionsPerUser = 100

// RefreshToken is a stored refresh token: only its digest is kept.
type RefreshToken struct {
	Hash      []byte
	SessionID int64
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt time.Time // zero while it is its session's current token
}

// Principal is an authenticated caller: the user and the session its
// access token was issued in.
type Principal struct {
	UserID    int64
	SessionID int64
	Access    Access
}

// AuthState is what a bearer check needs to know about a user, loaded in
// one go and cached for a few seconds.
type AuthState struct {
	User     User // PasswordHash is not loaded
	Access   Access
	Sessions []int64 // ids of live sessions, ascending
	LoadedAt time.Time
}

// HasSession reports whether id is one of the live sessions.
func (a AuthState) HasSession(id int64) bool {
	_, found := slices.BinarySearch(a.Sessions, id)
	return found
}
