package domain_test

import (
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"bob@example.com", "bob@example.com"},
		{"  Bob.Smith@Example.COM \n", "Bob.Smith@Example.COM"},
		{"a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"},
		{"user@bücher.example", "user@bücher.example"},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
	}
	for _, tt := range tests {
		got, err := domain.NormalizeEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "   ", "plain", "@example.com", "bob@", "bob@localhost", "bob@example", "bob@exa mple.com",
		"bob@-example.com", "bob@example-.com", "bob@ex_ample.com", "bob@example..com", "bob@host.test",
		"bob@host.LOCAL", "bob@x.onion", strings.Repeat("a", 65) + "@example.com",
		strings.Repeat("a", 60) + "@" + strings.Repeat("b", 190) + ".com", `"quoted local"@example.com`,
		"a@b.com, c@d.com",
		// One address, one spelling: each of these logs into bob@example.com's
		// account elsewhere, and would get a failed-login budget of its own.
		"Bob Smith <bob@example.com>", `"x" <bob@example.com>`, "<bob@example.com>", "bob@example.com (c1)",
		"(c) bob@example.com", "bob@(c)example.com", "bob(c)@example.com", "x <bob@example.com> (y)",
	}
	for _, in := range bad {
		if got, err := domain.NormalizeEmail(in); err == nil || domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want an invalid-input error", in, got, err)
		}
	}
}

func TestEmailKeyIgnoresCase(t *testing.T) {
	if domain.EmailKey("Bob@X.com") != domain.EmailKey("bob@x.COM") {
		t.Error("EmailKey differs by case")
	}
}

func TestValidatePassword(t *testing.T) {
	for _, p := range []string{"12345678", strings.Repeat("x", 128), strings.Repeat("日", 128)} {
		if err := domain.ValidatePassword("password", p); err != nil {
			t.Errorf("ValidatePassword(len %d) = %v, want nil", len(p), err)
		}
	}
	for _, p := range []string{"", "1234567", strings.Repeat("x", 129), strings.Repeat("日", 129)} {
		if err := domain.ValidatePassword("password", p); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("ValidatePassword(len %d) = %v, want invalid", len(p), err)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	base := domain.E(domain.KindNotFound, "Library item not found")
	wrapped := domain.Wrap(domain.KindInternal, "", base)
	if got := domain.KindOf(wrapped); got != domain.KindInternal {
		t.Errorf("KindOf(wrapped) = %v, want the outermost kind", got)
	}
	if got := domain.KindOf(errString("plain")); got != domain.KindInternal {
		t.Errorf("KindOf(plain error) = %v, want internal", got)
	}
	if domain.KindOf(nil) != domain.KindInternal || domain.AsError(nil) != nil {
		t.Error("nil error is not internal/nil")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
