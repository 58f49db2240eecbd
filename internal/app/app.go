// Package app holds the use cases of the service. It imports only domain;
// time, password hashing and tokens come in through the small interfaces
// below, which cmd fills with platform implementations.
package app

import (
	"context"
	"time"
)

// Clock tells the time; tests pass a fixed one.
type Clock interface {
	Now() time.Time
}

// Hasher hashes and verifies passwords. Verify's rehash says the stored
// hash should be replaced (old algorithm or parameters). A hasher too busy
// to serve in time returns an error wrapping context.DeadlineExceeded.
// Dummy returns, without hashing, a hash of the current algorithm and
// parameters that matches no password, so that verifying against it costs
// what verifying a real one does.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, hash, password string) (ok, rehash bool, err error)
	Dummy() string
}

// TokenIssuer makes and checks access tokens and refresh tokens.
type TokenIssuer interface {
	IssueAccess(userID, sessionID int64, now time.Time) (string, error)
	// VerifyAccess returns who a valid token is for and when it was issued.
	VerifyAccess(token string, now time.Time) (userID, sessionID int64, issuedAt time.Time, err error)
	AccessTTL() time.Duration
	// NewRefresh returns a new refresh token and the digest to store.
	NewRefresh() (token string, digest []byte)
	// ParseRefresh returns the digest of a presented token, or false when it
	// cannot be one of ours.
	ParseRefresh(token string) (digest []byte, ok bool)
}
