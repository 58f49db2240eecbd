// Package password hashes passwords with argon2id (PHC string format) and
// verifies both those and the bcrypt hashes written by the original
// service. Hashing is memory- and CPU-hungry, so a Hasher runs a bounded
// number at a time and refuses callers that would wait too long.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are the argon2id costs. The defaults are OWASP's minimum
// recommendation: 19 MiB, 2 iterations, 1 lane.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultParams are OWASP's recommended argon2id costs.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// ErrBusy means every hashing slot stayed taken for the whole wait. It
// wraps context.DeadlineExceeded: the caller's time ran out.
var ErrBusy = fmt.Errorf("password hashing is saturated: %w", context.DeadlineExceeded)

// Hasher hashes and verifies passwords, at most Concurrency at a time.
type Hasher struct {
	params  Params
	slots   chan struct{}
	maxWait time.Duration
}

// NewHasher returns a Hasher that runs up to concurrency hashes at once and
// lets a caller wait up to maxWait for a slot.
func NewHasher(p Params, concurrency int, maxWait time.Duration) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max(1, concurrency)), maxWait: maxWait}
}

// Hash returns the PHC string of an argon2id hash of pw with a new salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, h.params.Iterations, h.params.MemoryKiB, h.params.Parallelism, keyLen)
	h.release()
	return h.phc(salt, key), nil
}

// Dummy returns a hash in Hash's format and parameters, with a random salt
// and a random digest instead of a computed one: it matches no password
// (but with chance 2⁻²⁵⁶), and verifying a password against it costs the
// same as against a real hash, without computing one.
func (h *Hasher) Dummy() string {
	salt, key := make([]byte, saltLen), make([]byte, keyLen)
	rand.Read(salt)
	rand.Read(key)
	return h.phc(salt, key)
}

// phc is the PHC string of an argon2id digest with the Hasher's parameters.
func (h *Hasher) phc(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Iterations, h.params.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches hash (argon2id PHC or bcrypt $2a$/$2b$/$2y$)
// and whether the hash should be replaced by a new Hash(pw) because it uses
// bcrypt or other parameters. A malformed hash is an error.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if strings.HasPrefix(hash, "$2") {
		return verifyBcrypt(hash, pw)
	}
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, ok && (p != h.params || len(key) != keyLen), nil
}

// verifyBcrypt checks a hash written by passlib, which silently used only
// the first 72 bytes of a password; so does this check.
func verifyBcrypt(hash, pw string) (ok, rehash bool, err error) {
	b := []byte(pw)
	if len(b) > 72 {
		b = b[:72]
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(hash), b); {
	case err == nil:
		return true, true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, false, nil
	default:
		return false, false, fmt.Errorf("verify bcrypt hash: %w", err)
	}
}

func parsePHC(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errors.New("not an argon2id PHC hash")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id parameters: %w", err)
	}
	if p.MemoryKiB < 8 || p.MemoryKiB > 4<<20 || p.Iterations < 1 || p.Iterations > 100 || p.Parallelism < 1 {
		return p, nil, nil, errors.New("argon2id parameters out of range")
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("argon2id key malformed")
	}
	return p, salt, key, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(h.maxWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }
