package main

import (
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// envReader reads typed variables and collects every problem, so that all
// of them are reported together. It also remembers which keys it knows.
type envReader struct {
	getenv func(string) string
	known  map[string]bool
	errs   []string
}

func newEnvReader(getenv func(string) string) *envReader {
	return &envReader{getenv: getenv, known: map[string]bool{}}
}

func (e *envReader) fail(key, format string, args ...any) {
	e.errs = append(e.errs, key+": "+fmt.Sprintf(format, args...))
}

// err returns every collected problem as one error, or nil.
func (e *envReader) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration validation failed:\n  - %s", strings.Join(e.errs, "\n  - "))
}

func (e *envReader) str(key, def string) string {
	e.known[key] = true
	if v := strings.TrimSpace(e.getenv(key)); v != "" {
		return v
	}
	return def
}

// secret is str without trimming: a key is used exactly as given.
func (e *envReader) secret(key string) string {
	e.known[key] = true
	return e.getenv(key)
}

func (e *envReader) boolean(key string, def bool) bool {
	v := strings.ToLower(e.str(key, ""))
	switch v {
	case "":
		return def
	case "1", "true", "t", "yes", "y", "on":
		return true
	case "0", "false", "f", "no", "n", "off":
		return false
	}
	e.fail(key, "must be a boolean (true or false), got %q", v)
	return def
}

func (e *envReader) integer(key string, def, lo, hi int) int {
	v := e.str(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(key, "must be an integer from %d to %d, got %q", lo, hi, v)
		return def
	}
	return n
}

func (e *envReader) seconds(key string, def, lo, hi int) time.Duration {
	return time.Duration(e.integer(key, def, lo, hi)) * time.Second
}

func (e *envReader) oneOf(key, def string, allowed ...string) string {
	v := e.str(key, def)
	if !slices.Contains(allowed, v) {
		e.fail(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
		return def
	}
	return v
}

// list splits a comma-separated value, trimming entries and dropping empty ones.
func (e *envReader) list(key, def string) []string {
	var out []string
	for _, item := range strings.Split(e.str(key, def), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// origins checks every entry is "*" or a scheme://host[:port] origin.
func (e *envReader) origins(key, def string) []string {
	list := e.list(key, def)
	for _, o := range list {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			e.fail(key, "%q is not an origin like https://example.com", o)
		}
	}
	return list
}

// prefixes reads a comma-separated list of CIDR prefixes; a bare address
// is a prefix of one address.
func (e *envReader) prefixes(key string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range e.list(key, "") {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				e.fail(key, "%q is not an address or CIDR prefix", item)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// weakSecretWords are refused inside a production SECRET_KEY: the
// original's list plus the obvious others.
var weakSecretWords = []string{"your-secret-key", "change-this", "changeme", "secret", "default", "dev-secret", "password", "12345"}

// weakSecret says why a production key is weak, or "" when it is not.
func weakSecret(key string) string {
	if len(key) < 32 {
		return "must be at least 32 characters in production"
	}
	lower := strings.ToLower(key)
	for _, w := range weakSecretWords {
		if strings.Contains(lower, w) {
			return fmt.Sprintf("must not contain %q in production", w)
		}
	}
	if bits := entropyBits(key); bits < 96 {
		return fmt.Sprintf("is too predictable (about %.0f bits of entropy, need 96): generate one with `openssl rand -hex 32`", bits)
	}
	return ""
}

// entropyBits estimates the information in s from its character
// frequencies (Shannon entropy per character times length).
func entropyBits(s string) float64 {
	counts := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h * n
}
