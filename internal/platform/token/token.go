// Package token signs and verifies access tokens (JWT, HMAC-SHA2) and makes
// and digests refresh tokens. It imports no internal package.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs access tokens with the current key and verifies them with
// the current or the previous key, using one pinned algorithm.
type Issuer struct {
	method  jwt.SigningMethod
	keys    [][]byte // current first
	ttl     time.Duration
	methods []string
	seen    verified
}

// NewIssuer returns an Issuer for alg (HS256, HS384 or HS512). previous may
// be empty; when set, tokens signed with it still verify (key rotation).
func NewIssuer(alg, key, previous string, ttl time.Duration) (*Issuer, error) {
	m := jwt.GetSigningMethod(alg)
	if _, ok := m.(*jwt.SigningMethodHMAC); !ok || key == "" {
		return nil, fmt.Errorf("token: unsupported algorithm %q or empty key", alg)
	}
	keys := [][]byte{[]byte(key)}
	if previous != "" {
		keys = append(keys, []byte(previous))
	}
	return &Issuer{method: m, keys: keys, ttl: ttl, methods: []string{m.Alg()}}, nil
}

// AccessTTL is how long an access token lives.
func (i *Issuer) AccessTTL() time.Duration { return i.ttl }

type claims struct {
	jwt.RegisteredClaims
	Type      string `json:"type"`
	SessionID int64  `json:"sid"`
}

// IssueAccess signs an access token for the user's session, valid from
// now for AccessTTL.
func (i *Issuer) IssueAccess(userID, sessionID int64, now time.Time) (string, error) {
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
			ID:        randomID(),
		},
		Type:      "access",
		SessionID: sessionID,
	}
	return jwt.NewWithClaims(i.method, c).SignedString(i.keys[0])
}

// ErrInvalid is every reason a token is refused; the cause is wrapped for logs.
var ErrInvalid = errors.New("invalid access token")

// VerifyAccess checks the signature (algorithm pinned), expiry at now,
// type and subject, and returns who the token is for.
func (i *Issuer) VerifyAccess(tok string, now time.Time) (userID, sessionID int64, issuedAt time.Time, err error) {
	if len(tok) > 4096 {
		return 0, 0, time.Time{}, fmt.Errorf("%w: too long", ErrInvalid)
	}
	if t, ok := i.seen.get(tok, now); ok {
		return t.userID, t.sessionID, t.issuedAt, nil
	}
	for _, key := range i.keys {
		var c claims
		p := jwt.NewParser(jwt.WithValidMethods(i.methods), jwt.WithTimeFunc(func() time.Time { return now }),
			jwt.WithExpirationRequired())
		_, err = p.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return key, nil })
		if err == nil {
			userID, sessionID, issuedAt, err = c.result()
			if err == nil {
				i.seen.put(tok, verifiedToken{userID, sessionID, issuedAt, c.ExpiresAt.Time})
			}
			return userID, sessionID, issuedAt, err
		}
		if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			break // only a signature mismatch is worth the previous key
		}
	}
	return 0, 0, time.Time{}, fmt.Errorf("%w: %w", ErrInvalid, err)
}

func (c claims) result() (userID, sessionID int64, issuedAt time.Time, err error) {
	if c.Type != "access" {
		return 0, 0, time.Time{}, fmt.Errorf("%w: type %q", ErrInvalid, c.Type)
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 || c.SessionID <= 0 || c.IssuedAt == nil {
		return 0, 0, time.Time{}, fmt.Errorf("%w: bad subject or session", ErrInvalid)
	}
	return uid, c.SessionID, c.IssuedAt.UTC(), nil
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RefreshLen is the length of a refresh token: 32 random bytes, base64url
// without padding.
const RefreshLen = 43

// NewRefresh returns a new refresh token and its digest.
func (*Issuer) NewRefresh() (tok string, digest []byte) {
	var b [32]byte
	rand.Read(b[:])
	tok = base64.RawURLEncoding.EncodeToString(b[:])
	return tok, Digest(tok)
}

// Digest is the stored form of a refresh token: SHA-256. The token has 256
// random bits, so an unkeyed digest cannot be reversed or guessed.
func Digest(tok string) []byte {
	d := sha256.Sum256([]byte(tok))
	return d[:]
}

// ParseRefresh checks that a presented refresh token (a cookie value) has
// the shape of one this package made, so that garbage costs no lookup.
func (*Issuer) ParseRefresh(s string) ([]byte, bool) {
	if len(s) != RefreshLen {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
		return nil, false
	}
	return Digest(s), true
}
