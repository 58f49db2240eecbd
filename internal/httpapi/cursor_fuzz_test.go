package httpapi

// Cursor encoding (list.go): every cursor encodeCursor makes decodes back
// to itself, and decodeCursor accepts nothing else (API doc: "anything
// this API did not give out is a 400").

import (
	"encoding/base64"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// cursorRE is the cursor parameter's schema in api/openapi.yaml.
var cursorRE = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

func FuzzCursorRoundTrip(f *testing.F) {
	for _, s := range [][2]int64{
		{1767855600000000, 1}, {1767855601124925, 42}, {1000, 1}, {1, 1}, {253402300799999000, 7},
		{math.MaxInt64, math.MaxInt64}, {0, 1}, {1, 0}, {-1, 5}, {5, -1}, {math.MinInt64, math.MinInt64},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, micros, id int64) {
		c := domain.Cursor{At: time.UnixMicro(micros).UTC(), ID: id}
		s := encodeCursor(c)
		got, ok := decodeCursor(s)
		if micros <= 0 || id <= 0 || c.At.Year() > 9999 { // no row is dated past 9999
			if ok {
				t.Errorf("decodeCursor(encodeCursor(%d, %d)) = %q accepted", micros, id, s)
			}
			return
		}
		switch {
		case !ok:
			t.Errorf("decodeCursor(%q) refused the cursor of (%d, %d)", s, micros, id)
		case !got.At.Equal(c.At) || got.At.Location() != time.UTC || got.ID != id:
			t.Errorf("decodeCursor(encodeCursor(%v, %d)) = %v, %d", c.At, id, got.At, got.ID)
		case len(s) > 64 || !cursorRE.MatchString(s):
			t.Errorf("cursor %q does not match the documented schema", s)
		}
		// A row's time keeps its microseconds: the cursor of a time with
		// nanoseconds is the time cut to microseconds.
		withNanos := domain.Cursor{At: c.At.Add(999 * time.Nanosecond), ID: id}
		if encodeCursor(withNanos) != s {
			t.Errorf("nanoseconds change the cursor of %v", c.At)
		}
	})
}

func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{
		"MTc2Nzg1NTYwMDAwMDAwMC4x", "MTc2Nzg1NTYwMTEyNDkyNS40Mg", "MTAwMC4x", "MS4x", "MjUzNDAyMzAwNzk5OTk5MDAwLjc",
		"", "MA", "MC4w", "LTEuMQ", "MS4tMQ", "MS4", "Lg", "MTc2Nzg1NTYwMDAwMDAwMC4x==", "MTc2Nzg1NTYwMDAwMDAwMC4x=",
		"MTc2Nzg1NTYwMDAwMDAwMC4x+/", "TVRjMk56ZzFOVFl3TURBd01EQXdNQzR4", "eC55", "MS4xLjE", "MS54", "IDEuMQ",
		strings.Repeat("A", 64), strings.Repeat("A", 65), "日本", "MS4x\x00",
		base64.RawURLEncoding.EncodeToString([]byte("99999999999999999999.1")),
		base64.RawURLEncoding.EncodeToString([]byte("1.99999999999999999999")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := decodeCursor(s)
		if !ok {
			if c != (domain.Cursor{}) {
				t.Errorf("decodeCursor(%q) refused but returned %+v", s, c)
			}
			return
		}
		canonical := encodeCursor(c) == s
		future := c.At.Year() > 9999 // no row has such a time: legacy imports stop at 9999
		if len(s) > 64 || !cursorRE.MatchString(s) || c.ID <= 0 || c.At.UnixMicro() <= 0 || c.At.Location() != time.UTC {
			t.Errorf("decodeCursor(%q) accepted %+v outside the documented form", s, c)
		}
		if !canonical {
			t.Errorf("decodeCursor(%q) accepted %+v, whose cursor is %q: not one this API gives out", s, c, encodeCursor(c))
		}
		if future {
			t.Errorf("decodeCursor(%q) accepted a time past year 9999 (%v), which SQLite pages wrong", s, c.At)
		}
	})
}
