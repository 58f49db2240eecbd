package token

import (
	"strings"
	"testing"
	"time"
)

func TestDeviceCookies(t *testing.T) {
	now := time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)
	d := NewDevices("current-key-0123456789abcdef01234567", "")
	v := d.Issue("bob@example.com", "", now)
	id, ok := d.Verify(v, "bob@example.com", now)
	if !ok || len(id) != 22 {
		t.Fatalf("Verify(own cookie) = %q, %v; want a 16-byte id", id, ok)
	}
	if again := d.Issue("bob@example.com", id, now.Add(time.Hour)); again == v {
		t.Error("a renewed cookie equals the old one (its expiry should move)")
	} else if id2, _ := d.Verify(again, "bob@example.com", now); id2 != id {
		t.Errorf("renewed cookie names device %q, want %q", id2, id)
	}
	if other := d.Issue("bob@example.com", "", now); other == v {
		t.Error("two new devices got the same cookie")
	}
	refused := map[string]string{
		"another account": "alice@example.com",
		"case differs":    "Bob@example.com", // callers pass the normalised key
	}
	for name, account := range refused {
		if _, ok := d.Verify(v, account, now); ok {
			t.Errorf("%s: cookie accepted for %q", name, account)
		}
	}
	if _, ok := d.Verify(v, "bob@example.com", now.Add(DeviceTTL)); ok {
		t.Error("cookie accepted after a year")
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 75), v[:len(v)-1] + "A", "A" + v[1:]} {
		if _, ok := d.Verify(bad, "bob@example.com", now); ok && bad != v {
			t.Errorf("Verify(%q) accepted a forged or broken cookie", bad)
		}
	}
	if _, ok := NewDevices("another-key-0123456789abcdef0123456", "").Verify(v, "bob@example.com", now); ok {
		t.Error("a cookie signed with another server key verified")
	}
	rotated := NewDevices("new-key-0123456789abcdef0123456789ab", "current-key-0123456789abcdef01234567")
	if got, ok := rotated.Verify(v, "bob@example.com", now); !ok || got != id {
		t.Errorf("after a key rotation Verify = %q, %v; want the device kept", got, ok)
	}
}
