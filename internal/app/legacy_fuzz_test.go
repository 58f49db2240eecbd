package app

// FuzzLegacyMapping: the legacy-import mapper either gives a reason or
// maps the item to one that passes the domain checks, with its time in
// 1970..9999; and it gives a reason only for an item that breaks a rule.

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

const maxLegacyMS = 253402300799999 // 9999-12-31T23:59:59.999Z

var (
	minLegacyTime = time.UnixMilli(1).UTC()
	maxLegacyTime = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)
)

func FuzzLegacyMapping(f *testing.F) {
	type seed struct {
		anime         string
		episode       int64
		current, dur  float64
		updated       int64
		problem, id   string
		saved         int64
		seriesProblem string
	}
	for _, s := range []seed{
		{"one-piece-100", 12, 300.5, 1440, 1767840000000, "", "naruto", 1767842000000, ""},
		{"bleach", 1, 20, 0, 1767841000000, "", "bleach", 1767841000001, ""},
		{"", 1, 10, 100, 1767855600000, "", "", 1767855600000, ""},
		{"a", 1, 10, 100, 0, "", "s", 0, ""},
		{"a", 1, 10, 100, -1, "", "s", -1, ""},
		{"a", 1, 10, 100, 1, "", "s", 1, ""},
		{"a", 1, 10, 100, maxLegacyMS, "", "s", maxLegacyMS, ""},
		{"a", 1, 10, 100, maxLegacyMS + 1, "", "s", maxLegacyMS + 1, ""},
		{"a", 1, 10, 100, math.MaxInt64, "", "s", math.MinInt64, ""},
		{"a", -1, 10, 100, 1767855600000, "", "s", 1767855600000, ""},
		{"a", math.MaxInt64, 10, 100, 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, -1, 100, 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, 604800, 604800, 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, 604800.0001, 1, 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, math.NaN(), math.Inf(1), 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, math.Copysign(0, -1), math.Inf(-1), 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, 5e-324, math.MaxFloat64, 1767855600000, "", "s", 1767855600000, ""},
		{"a", 1, 500, 100, 1767855600000, "", "s", 1767855600000, ""},
		{strings.Repeat("a", 200), 1, 1, 2, 1767855600000, "", strings.Repeat("s", 200), 1767855600000, ""},
		{strings.Repeat("a", 194), 12, 1, 2, 1767855600000, "", strings.Repeat("s", 201), 1767855600000, ""},
		{strings.Repeat("字", 195), 1, 1, 2, 1767855600000, "", strings.Repeat("字", 200), 1767855600000, ""},
		{"ctrl\x07", 1, 1, 2, 1767855600000, "", "tab\there", 1767855600000, ""},
		{"bad\xffutf8", 1, 1, 2, 1767855600000, "", "\xc3", 1767855600000, ""},
		{"line\u2028sep", 1, 1, 2, 1767855600000, "", "\u0085next", 1767855600000, ""},
		{"one-piece-100", 12, 300.5, 1440, 1767840000000, "currentTime must be a number", "naruto", 1767842000000, "must be an object"},
		{"", 0, 0, 0, 0, "animeId is required", "", 0, "id is required"},
	} {
		f.Add(s.anime, s.episode, s.current, s.dur, s.updated, s.problem, s.id, s.saved, s.seriesProblem)
	}
	f.Fuzz(func(t *testing.T, anime string, episode int64, current, dur float64, updated int64, problem, id string, saved int64, seriesProblem string) {
		lp := LegacyProgress{AnimeID: anime, EpisodeNumber: episode, CurrentTime: current, Duration: dur, UpdatedAt: updated, Problem: problem}
		it, why := mapLegacyProgress(lp)
		episodeID := anime + "-ep-" + strconv.FormatInt(episode, 10)
		valid := problem == "" && domain.CheckID("", anime) == nil && episode >= 0 && domain.CheckID("", episodeID) == nil &&
			domain.CheckPosition("", current) == nil && domain.CheckPosition("", dur) == nil && updated > 0 && updated <= maxLegacyMS
		if checkReason(t, "mapLegacyProgress", lp, it, why, problem, valid) {
			checkLegacyItem(t, it, updated)
			if it.TitleID != anime || it.EpisodeID != episodeID || it.Position != current || it.Duration != dur {
				t.Errorf("mapLegacyProgress(%+v) = %+v", lp, it)
			}
		}

		ls := LegacySeries{ID: id, SavedAt: saved, Problem: seriesProblem}
		it, why = mapLegacySeries(ls)
		valid = seriesProblem == "" && domain.CheckID("", id) == nil && saved > 0 && saved <= maxLegacyMS
		if checkReason(t, "mapLegacySeries", ls, it, why, seriesProblem, valid) {
			checkLegacyItem(t, it, saved)
			if it.TitleID != id || it.EpisodeID != "" || it.Position != 0 || it.Duration != 0 {
				t.Errorf("mapLegacySeries(%+v) = %+v", ls, it)
			}
		}

		at, why := legacyTime("savedAt", saved)
		switch ok := saved > 0 && saved <= maxLegacyMS; {
		case ok && (why != "" || at.UnixMilli() != saved || at.Location() != time.UTC):
			t.Errorf("legacyTime(%d) = %v, %q", saved, at, why)
		case !ok && (why == "" || !at.IsZero() || !strings.HasPrefix(why, "savedAt ")):
			t.Errorf("legacyTime(%d) = %v, %q, want a reason naming savedAt", saved, at, why)
		}
	})
}

// checkReason holds the mapper's verdict on an input (why: its reason,
// "" for accepted) to the rules; it reports whether the item was rightly
// accepted, so that the caller checks its values.
func checkReason(t *testing.T, mapper string, in any, it domain.LegacyItem, why, problem string, valid bool) bool {
	t.Helper()
	switch {
	case why != "" && it != (domain.LegacyItem{}):
		t.Errorf("%s(%+v) gave reason %q and item %+v", mapper, in, why, it)
	case problem != "" && why != problem:
		t.Errorf("%s(%+v) reason %q, want the decoding problem %q", mapper, in, why, problem)
	case why != "" && valid:
		t.Errorf("%s(%+v) refused a valid item: %q", mapper, in, why)
	case why == "" && !valid:
		t.Errorf("%s(%+v) accepted an invalid item as %+v", mapper, in, it)
	}
	return why == "" && valid
}

// checkLegacyItem holds a mapped item to the domain checks.
func checkLegacyItem(t *testing.T, it domain.LegacyItem, ms int64) {
	t.Helper()
	errs := append(domain.CheckID("title", it.TitleID), append(domain.CheckPosition("position", it.Position), domain.CheckPosition("duration", it.Duration)...)...)
	if it.EpisodeID != "" {
		errs = append(errs, domain.CheckID("episode", it.EpisodeID)...)
	}
	if len(errs) > 0 {
		t.Errorf("mapped item %+v fails the domain checks: %v", it, errs)
	}
	if it.At.Before(minLegacyTime) || it.At.After(maxLegacyTime) || it.At.Location() != time.UTC || it.At.UnixMilli() != ms {
		t.Errorf("mapped item time %v (from %d ms) outside 1970..9999 UTC", it.At, ms)
	}
}
