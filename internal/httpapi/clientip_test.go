package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32")}
	tests := []struct {
		name, peer, xff, want string
	}{
		{"no proxy", "203.0.113.7:5000", "", "203.0.113.7"},
		{"untrusted peer's header is ignored", "203.0.113.7:5000", "1.2.3.4", "203.0.113.7"},
		{"trusted proxy", "10.0.0.2:5000", "198.51.100.9", "198.51.100.9"},
		{"spoofed left part ignored", "10.0.0.2:5000", "6.6.6.6, 198.51.100.9", "198.51.100.9"},
		{"chain of proxies", "10.0.0.2:5000", "198.51.100.9, 192.168.1.1, 10.1.1.1", "198.51.100.9"},
		{"all hops trusted", "10.0.0.2:5000", "10.0.0.3", "10.0.0.3"},
		{"garbage hop", "10.0.0.2:5000", "1.1.1.1, nonsense", "10.0.0.2"},
		{"trusted proxy without header", "10.0.0.2:5000", "", "10.0.0.2"},
		{"ipv6", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"mapped ipv4 hop", "10.0.0.2:5000", "::ffff:198.51.100.9", "198.51.100.9"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientIP(r, trusted); got != tt.want {
			t.Errorf("%s: clientIP = %q, want %q", tt.name, got, tt.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1"
	r.Header.Add("X-Forwarded-For", "6.6.6.6")
	r.Header.Add("X-Forwarded-For", "198.51.100.9")
	if got := clientIP(r, trusted); got != "198.51.100.9" {
		t.Errorf("two header lines: clientIP = %q", got)
	}
}

func TestClientNet(t *testing.T) {
	tests := []struct {
		ip   string
		bits int
		want string
	}{
		{"203.0.113.7", 64, "203.0.113.7"},
		{"::ffff:203.0.113.7", 64, "203.0.113.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 128, "2001:db8:1:2:aaaa:bbbb:cccc:dddd/128"},
		{"fe80::1%eth0", 64, "fe80::/64"},
		{"not-an-address", 64, "not-an-address"},
	}
	for _, tt := range tests {
		if got := clientNet(tt.ip, tt.bits); got != tt.want {
			t.Errorf("clientNet(%q, %d) = %q, want %q", tt.ip, tt.bits, got, tt.want)
		}
	}
}
