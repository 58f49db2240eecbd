package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const key = "k3y-for-tests-0123456789abcdef0123456789"

var now = time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)

func mustIssuer(t testing.TB, alg, key, prev string) *Issuer {
	t.Helper()
	i, err := NewIssuer(alg, key, prev, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestIssueVerify(t *testing.T) {
	i := mustIssuer(t, "HS256", key, "")
	tok, err := i.IssueAccess(42, 7, now)
	if err != nil {
		t.Fatal(err)
	}
	uid, sid, iat, err := i.VerifyAccess(tok, now.Add(14*time.Minute))
	if err != nil {
		t.Fatalf("VerifyAccess() error = %v", err)
	}
	if uid != 42 || sid != 7 || !iat.Equal(now) || iat.Location() != time.UTC {
		t.Errorf("VerifyAccess() = %d, %d, %v; want 42, 7, %v", uid, sid, iat, now)
	}
	if _, _, _, err := i.VerifyAccess(tok, now.Add(15*time.Minute)); err == nil {
		t.Error("VerifyAccess() at expiry accepted the token")
	}
	other, _ := i.IssueAccess(42, 7, now)
	if other == tok {
		t.Error("two tokens issued at the same instant are equal: jti is not unique")
	}
}

// sign makes a token with arbitrary claims and method, as an attacker would.
func sign(t *testing.T, m jwt.SigningMethod, k any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefusesForgeries(t *testing.T) {
	i := mustIssuer(t, "HS256", key, "")
	good := jwt.MapClaims{"sub": "42", "sid": 7, "type": "access", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "x"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good)
	tests := []struct {
		name string
		tok  string
	}{
		{"alg none", none},
		{"alg none, signature stripped", strings.TrimSuffix(none, ".") + "."},
		{"other algorithm", sign(t, jwt.SigningMethodHS512, []byte(key), good)},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte("another-key"), good)},
		{"expired", sign(t, jwt.SigningMethodHS256, []byte(key), with("exp", now.Add(-time.Second).Unix()))},
		{"no expiry", sign(t, jwt.SigningMethodHS256, []byte(key), with("exp", nil))},
		{"refresh type", sign(t, jwt.SigningMethodHS256, []byte(key), with("type", "refresh"))},
		{"no type", sign(t, jwt.SigningMethodHS256, []byte(key), with("type", nil))},
		{"no sub", sign(t, jwt.SigningMethodHS256, []byte(key), with("sub", nil))},
		{"non-numeric sub", sign(t, jwt.SigningMethodHS256, []byte(key), with("sub", "admin"))},
		{"no session", sign(t, jwt.SigningMethodHS256, []byte(key), with("sid", nil))},
		{"no iat", sign(t, jwt.SigningMethodHS256, []byte(key), with("iat", nil))},
		{"garbage", "not.a.token"},
		{"empty", ""},
		{"huge", strings.Repeat("a", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uid, _, _, err := i.VerifyAccess(tt.tok, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("VerifyAccess() = %d, %v; want ErrInvalid", uid, err)
			}
		})
	}
	if _, _, _, err := i.VerifyAccess(sign(t, jwt.SigningMethodHS256, []byte(key), good), now); err != nil {
		t.Errorf("control: a well-formed token was refused: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	const oldKey, newKey = "old-key-0123456789abcdef0123456789", "new-key-0123456789abcdef0123456789"
	oldTok, _ := mustIssuer(t, "HS256", oldKey, "").IssueAccess(1, 1, now)
	rotated := mustIssuer(t, "HS256", newKey, oldKey)
	if _, _, _, err := rotated.VerifyAccess(oldTok, now); err != nil {
		t.Errorf("token of the previous key refused during rotation: %v", err)
	}
	newTok, _ := rotated.IssueAccess(1, 1, now)
	if _, _, _, err := mustIssuer(t, "HS256", oldKey, "").VerifyAccess(newTok, now); err == nil {
		t.Error("new tokens are signed with the previous key")
	}
	if _, _, _, err := mustIssuer(t, "HS256", newKey, "").VerifyAccess(oldTok, now); err == nil {
		t.Error("after rotation ends, the old key's token still verifies")
	}
}

func TestNewIssuerRefusesNonHMAC(t *testing.T) {
	for _, alg := range []string{"none", "RS256", "ES256", ""} {
		if _, err := NewIssuer(alg, key, "", time.Minute); err == nil {
			t.Errorf("NewIssuer(%q) = nil error", alg)
		}
	}
}

func TestRefreshTokens(t *testing.T) {
	i := mustIssuer(t, "HS256", key, "")
	tok, digest := i.NewRefresh()
	if len(tok) != RefreshLen {
		t.Fatalf("len(token) = %d, want %d", len(tok), RefreshLen)
	}
	got, ok := i.ParseRefresh(tok)
	if !ok || string(got) != string(digest) {
		t.Errorf("ParseRefresh(new token) = %x, %v; want its digest", got, ok)
	}
	other, _ := i.NewRefresh()
	if other == tok {
		t.Error("two refresh tokens are equal")
	}
	for _, bad := range []string{"", "short", tok + "x", strings.Repeat("*", RefreshLen), tok[:42] + "="} {
		if _, ok := i.ParseRefresh(bad); ok {
			t.Errorf("ParseRefresh(%q) accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	i := mustIssuer(f, "HS256", key, "")
	tok, _ := i.IssueAccess(1, 1, now)
	f.Add(tok)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		uid, sid, _, err := i.VerifyAccess(s, now)
		if err == nil && (uid <= 0 || sid <= 0) {
			t.Fatalf("VerifyAccess(%q) accepted ids %d, %d", s, uid, sid)
		}
		if err == nil && s != tok {
			// Anything else that verifies must carry our signature.
			parts := strings.Split(s, ".")
			if len(parts) != 3 {
				t.Fatalf("Verify(%q) accepted a token without three parts", s)
			}
		}
	})
}

func FuzzParseRefresh(f *testing.F) {
	i := mustIssuer(f, "HS256", key, "")
	tok, _ := i.NewRefresh()
	f.Add(tok)
	f.Add("")
	f.Add(strings.Repeat("A", RefreshLen))
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := i.ParseRefresh(s)
		if !ok {
			return
		}
		if len(s) != RefreshLen || len(d) != 32 {
			t.Fatalf("ParseRefresh(%q) accepted", s)
		}
		if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
			t.Fatalf("ParseRefresh(%q) accepted non-base64url", s)
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	i := mustIssuer(b, "HS256", key, "")
	for b.Loop() {
		i.IssueAccess(42, 7, now)
	}
}

// BenchmarkVerify is a token's first verification (full JWT parse) and its
// later ones (remembered).
func BenchmarkVerify(b *testing.B) {
	i := mustIssuer(b, "HS256", key, "")
	tok, _ := i.IssueAccess(42, 7, now)
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			i.seen = verified{}
			if _, _, _, err := i.VerifyAccess(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		for b.Loop() {
			if _, _, _, err := i.VerifyAccess(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Verified tokens are remembered up to a bound, never past their expiry,
// and a refused token is never remembered.
func TestVerifiedTokensRemembered(t *testing.T) {
	i := mustIssuer(t, "HS256", key, "")
	tok, _ := i.IssueAccess(42, 7, now)
	forged := tok[:len(tok)-2] + "AA"
	for range 2 {
		if _, _, _, err := i.VerifyAccess(forged, now); err == nil {
			t.Fatal("forged token accepted")
		}
	}
	if len(i.seen.m) != 0 {
		t.Fatalf("a refused token was remembered: %d entries", len(i.seen.m))
	}
	i.VerifyAccess(tok, now)
	if _, ok := i.seen.get(tok, now); !ok {
		t.Fatal("a verified token was not remembered")
	}
	if _, ok := i.seen.get(tok, now.Add(15*time.Minute)); ok {
		t.Error("a remembered token outlived its expiry")
	}
	for n := range verifiedLimit + 50 {
		other, _ := i.IssueAccess(int64(n+1), 1, now)
		if uid, _, _, err := i.VerifyAccess(other, now); err != nil || uid != int64(n+1) {
			t.Fatalf("token %d: %d, %v", n, uid, err)
		}
	}
	if len(i.seen.m) != verifiedLimit {
		t.Errorf("%d tokens remembered, want the bound %d", len(i.seen.m), verifiedLimit)
	}
}
