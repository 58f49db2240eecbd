package httpapi

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

var trickyStrings = []string{
	"", "plain", `quote " and \ backslash`, "new\nline\ttab\rcr", "\x00\x01\x1f\x7f", "<script>&amp;</script>",
	"ümlaut 日本語 🎬", "line\u2028sep\u2029", "bad \xff utf8 \xc3", "one-piece-100-ep-12",
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 1, 8, 7, 1, 41, 124925000, time.UTC)
	var items []jsonItem
	for i, s := range trickyStrings {
		score := i
		items = append(items,
			libraryItemResponse{ID: int64(i), UserID: 7, Provider: "rpc", TitleID: s, Status: "watching", Notes: &trickyStrings[i], Score: &score, CreatedAt: at, UpdatedAt: at.Add(time.Duration(i))},
			libraryItemResponse{ID: int64(i), TitleID: s, CreatedAt: at.Truncate(time.Second)},
		)
	}
	for _, f := range []float64{0, 0.1, 1, 12.5, 300, 1440.123456789, 604800, 1e-7, 1e-6, 1e20, 1e21, 123456789.125} {
		cua := int64(1767855600000)
		items = append(items,
			progressResponse{ID: 1, UserID: 2, Provider: "rpc", TitleID: "t", EpisodeID: "e", PositionSeconds: f, DurationSeconds: f * 2, ClientUpdatedAt: &cua, UpdatedAt: at},
			progressResponse{PositionSeconds: f},
			historyResponse{ID: 3, PositionSeconds: &f, WatchedAt: at},
			historyResponse{TitleID: "x"},
		)
	}
	for _, it := range items {
		want, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		if got := it.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON(%#v)\n got  %s\n want %s", it, got, want)
		}
	}
	if got, want := string(appendArray(nil, []historyResponse{})), "[]"; got != want {
		t.Errorf("empty array = %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 0.5, 1e-7, 1e21, 604800, 1.0 / 3} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, _ := json.Marshal(v)
		if got := appendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("appendFloat(%v) = %s, want %s", v, got, want)
		}
	})
}
