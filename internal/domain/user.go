package domain

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// User is an account. Email is stored as given (trimmed); EmailKey is its
// lower-cased form, on which uniqueness is enforced.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Limits on account input (D3).
const (
	MaxEmailLen    = 254
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// specialUseTLDs are rejected as the reference's email validator did.
var specialUseTLDs = map[string]bool{"test": true, "local": true, "localhost": true, "invalid": true, "onion": true, "arpa": true}

// NormalizeEmail trims s and checks that what is left is a bare address:
// a display name, angle brackets or a comment ("x <bob@x.com>",
// "bob@x.com (c)") would give one account many spellings, each with a
// failed-login budget of its own. The result keeps the case of the input.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(msg string) (string, error) { return "", Invalid(FieldError{"email", msg}) }
	if s == "" {
		return bad("must not be empty")
	}
	if len(s) > 2*MaxEmailLen {
		return bad("must be at most 254 characters")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return bad("is not a valid email address")
	}
	if addr.Name != "" || addr.Address != s {
		return bad("must be a bare address, without a name, angle brackets or a comment")
	}
	e := addr.Address
	if len(e) > MaxEmailLen {
		return bad("must be at most 254 characters")
	}
	at := strings.LastIndexByte(e, '@')
	local, host := e[:at], e[at+1:]
	if local == "" || len(local) > 64 || strings.ContainsAny(local, " \"\\") || !validHost(host) {
		return bad("is not a valid email address")
	}
	return e, nil
}

// EmailKey is the form on which email uniqueness is decided.
func EmailKey(email string) string { return strings.ToLower(email) }

func validHost(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) < 2 || len(host) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') && r < 0x80 {
				return false
			}
		}
	}
	return !specialUseTLDs[strings.ToLower(labels[len(labels)-1])]
}

// ValidatePassword checks the length rule of D3 (8..128 characters).
func ValidatePassword(field, p string) error {
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen || n > MaxPasswordLen {
		return Invalid(FieldError{field, "must be 8 to 128 characters"})
	}
	return nil
}
