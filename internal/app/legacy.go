package app

import (
	"context"
	"fmt"

	"strconv"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// MaxLegacyItems bounds one import (progress and saved series together).
const MaxLegacyItems = 5000

// LegacyProgress is one entry of the browser's "anirohi-watch-progress".
// Problem is set when the caller could not decode the entry.
type LegacyProgress struct {
	AnimeID       string
	EpisodeNumber int64
	CurrentTime   float64
	Duration      float64
	UpdatedAt     int64 // epoch ms
	Problem       string
}

// LegacySeries is one entry of the browser's "anirohi-saved-series".
type LegacySeries struct {
	ID      string
	SavedAt int64 // epoch ms
	Problem string
}

// LegacyError says why one item was skipped.
type LegacyError struct {
	List   string // "progress" or "savedSeries"
	Index  int
	Reason string
}

// LegacyResult counts what an import did.
type LegacyResult struct {
	ProgressImported, ProgressSkipped int
	LibraryImported, LibrarySkipped   int
	Errors                            []LegacyError
}

// ImportLegacy maps the browser's old localStorage data onto progress,
// history and favourites, in one transaction (the browser client's localStorage format). Invalid
// items are skipped and reported; items not newer than what is stored are
// skipped, so importing twice changes nothing.
func (w *Watch) ImportLegacy(ctx context.Context, p domain.Principal, provider string, progress []LegacyProgress, series []LegacySeries) (LegacyResult, error) {
	if n := len(progress) + len(series); n > MaxLegacyItems {
		return LegacyResult{}, domain.Invalid(domain.FieldError{Field: "body", Message: fmt.Sprintf("at most %d items per import, got %d", MaxLegacyItems, n)})
	}
	var res LegacyResult
	items := make([]domain.LegacyItem, 0, len(progress)+len(series))
	var kinds []string // "progress" or "savedSeries" per item
	for i, lp := range progress {
		it, why := mapLegacyProgress(lp)
		if why != "" {
			res.ProgressSkipped++
			res.Errors = append(res.Errors, LegacyError{"progress", i, why})
			continue
		}
		items, kinds = append(items, it), append(kinds, "progress")
	}
	for i, ls := range series {
		it, why := mapLegacySeries(ls)
		if why != "" {
			res.LibrarySkipped++
			res.Errors = append(res.Errors, LegacyError{"savedSeries", i, why})
			continue
		}
		items, kinds = append(items, it), append(kinds, "savedSeries")
	}
	applied, err := w.store.ImportLegacy(ctx, p.UserID, provider, items)
	if err != nil {
		return LegacyResult{}, err
	}
	for i, ok := range applied {
		switch {
		case kinds[i] == "progress" && ok:
			res.ProgressImported++
		case kinds[i] == "progress":
			res.ProgressSkipped++
		case ok:
			res.LibraryImported++
		default:
			res.LibrarySkipped++
		}
	}
	return res, nil
}

func mapLegacyProgress(lp LegacyProgress) (domain.LegacyItem, string) {
	if lp.Problem != "" {
		return domain.LegacyItem{}, lp.Problem
	}
	if lp.AnimeID == "" {
		return domain.LegacyItem{}, "animeId is empty"
	}
	if lp.EpisodeNumber < 0 {
		return domain.LegacyItem{}, "episodeNumber must not be negative"
	}
	at, why := legacyTime("updatedAt", lp.UpdatedAt)
	if why != "" {
		return domain.LegacyItem{}, why
	}
	it := domain.LegacyItem{TitleID: lp.AnimeID, EpisodeID: lp.AnimeID + "-ep-" + strconv.FormatInt(lp.EpisodeNumber, 10),
		Position: lp.CurrentTime, Duration: lp.Duration, At: at}
	for _, fe := range [][]domain.FieldError{
		domain.CheckID("animeId", it.TitleID), domain.CheckID("episode id", it.EpisodeID),
		domain.CheckPosition("currentTime", it.Position), domain.CheckPosition("duration", it.Duration),
	} {
		if len(fe) > 0 {
			return domain.LegacyItem{}, fe[0].Field + " " + fe[0].Message
		}
	}
	return it, ""
}

func mapLegacySeries(ls LegacySeries) (domain.LegacyItem, string) {
	if ls.Problem != "" {
		return domain.LegacyItem{}, ls.Problem
	}
	if ls.ID == "" {
		return domain.LegacyItem{}, "id is empty"
	}
	if fe := domain.CheckID("id", ls.ID); len(fe) > 0 {
		return domain.LegacyItem{}, fe[0].Field + " " + fe[0].Message
	}
	at, why := legacyTime("savedAt", ls.SavedAt)
	if why != "" {
		return domain.LegacyItem{}, why
	}
	return domain.LegacyItem{TitleID: ls.ID, At: at}, ""
}

// legacyTime turns epoch milliseconds into a time, refusing 0 (the
// reference skipped those silently) and anything outside 1970..9999.
func legacyTime(field string, ms int64) (time.Time, string) {
	const maxMS = 253402300799999 // 9999-12-31T23:59:59.999Z
	if ms <= 0 || ms > maxMS {
		return time.Time{}, field + " must be a positive epoch-milliseconds time"
	}
	return time.UnixMilli(ms).UTC(), ""
}
