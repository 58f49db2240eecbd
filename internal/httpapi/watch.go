package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

type progressResponse struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"user_id"`
	Provider        string    `json:"provider"`
	TitleID         string    `json:"title_id"`
	EpisodeID       string    `json:"episode_id"`
	PositionSeconds float64   `json:"position_seconds"`
	DurationSeconds float64   `json:"duration_seconds"`
	ClientUpdatedAt *int64    `json:"client_updated_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func toProgress(p domain.Progress) progressResponse {
	out := progressResponse{ID: p.ID, UserID: p.UserID, Provider: p.Provider, TitleID: p.TitleID, EpisodeID: p.EpisodeID,
		PositionSeconds: p.Position, DurationSeconds: p.Duration, UpdatedAt: p.UpdatedAt}
	if p.ClientUpdatedAt != 0 {
		out.ClientUpdatedAt = &p.ClientUpdatedAt
	}
	return out
}

type historyResponse struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"user_id"`
	Provider        string    `json:"provider"`
	TitleID         string    `json:"title_id"`
	EpisodeID       string    `json:"episode_id"`
	PositionSeconds *float64  `json:"position_seconds"`
	WatchedAt       time.Time `json:"watched_at"`
}

func toHistory(h domain.HistoryEntry) historyResponse {
	return historyResponse{ID: h.ID, UserID: h.UserID, Provider: h.Provider, TitleID: h.TitleID,
		EpisodeID: h.EpisodeID, PositionSeconds: h.Position, WatchedAt: h.WatchedAt}
}

// progressRequest is what the player sends. duration_seconds is null until
// the video's metadata loads: stored as 0.
// Each number is bounded on its own (D6): players report stale durations
// (an ad, a switched stream, late metadata), so a position past the
// duration is stored as sent.
type progressRequest struct {
	TitleID         string            `json:"title_id" required:"true"`
	PositionSeconds float64           `json:"position_seconds" required:"true"`
	DurationSeconds optional[float64] `json:"duration_seconds"` // required, but may be null
	ClientUpdatedAt *int64            `json:"client_updated_at"`
}

func (in *progressRequest) Valid() []domain.FieldError {
	errs := append(domain.CheckID("title_id", in.TitleID), domain.CheckPosition("position_seconds", in.PositionSeconds)...)
	switch {
	case !in.DurationSeconds.Set:
		errs = append(errs, domain.FieldError{Field: "duration_seconds", Message: "is required"})
	case !in.DurationSeconds.Null:
		errs = append(errs, domain.CheckPosition("duration_seconds", in.DurationSeconds.Value)...)
	}
	if in.ClientUpdatedAt != nil && *in.ClientUpdatedAt < 0 {
		errs = append(errs, domain.FieldError{Field: "client_updated_at", Message: "must be epoch milliseconds"})
	}
	return errs
}

func handleSaveProgress(watch *app.Watch, lists lists, m Metrics) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		episode, provider := p.id("episode_id"), p.provider()
		if err := p.err(); err != nil {
			return err
		}
		in, err := decode[progressRequest](r)
		if err != nil {
			return err
		}
		pr := domain.Progress{Provider: provider, TitleID: in.TitleID, EpisodeID: episode,
			Position: in.PositionSeconds, Duration: in.DurationSeconds.Value}
		if in.ClientUpdatedAt != nil {
			pr.ClientUpdatedAt = *in.ClientUpdatedAt
		}
		saved, err := watch.SaveProgress(r.Context(), principal(r), pr)
		if err != nil {
			return err
		}
		lists.invalidate(r, "progress", "history")
		m.ProgressUpdated()
		return encode(w, http.StatusOK, toProgress(saved))
	})
}

func handleListProgress(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.ProgressQuery{Provider: p.provider(), TitleID: p.value("title_id"), Page: p.page(1000, 1000)}
		if q.TitleID != "" {
			p.check(domain.CheckID("title_id", q.TitleID))
		}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "progress", q, func() (listResponse, error) {
			rows, next, err := watch.Progress(r.Context(), principal(r), q)
			return renderList(convert(rows, toProgress), next), err
		})
	})
}

func handleListHistory(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.HistoryQuery{Provider: p.provider(), Page: p.page(50, 100)}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "history", q, func() (listResponse, error) {
			rows, next, err := watch.History(r.Context(), principal(r), q)
			return renderList(convert(rows, toHistory), next), err
		})
	})
}

func handleDeleteHistoryEntry(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "history_id")
		if err != nil {
			return err
		}
		if err := watch.DeleteHistoryEntry(r.Context(), principal(r), id); err != nil {
			return err
		}
		lists.invalidate(r, "history")
		return encode(w, http.StatusOK, message{"History entry deleted"})
	})
}

func handleClearHistory(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		provider := p.provider()
		if err := p.err(); err != nil {
			return err
		}
		n, err := watch.ClearHistory(r.Context(), principal(r), provider)
		if err != nil {
			return err
		}
		lists.invalidate(r, "history")
		return encode(w, http.StatusOK, message{fmt.Sprintf("Cleared %d history entries", n)})
	})
}

// legacyRequest is the browser's old localStorage data. Items are decoded
// one by one, so that one odd item is skipped instead of failing the batch.
type legacyRequest struct {
	Progress    []json.RawMessage `json:"progress"`
	SavedSeries []json.RawMessage `json:"savedSeries"`
	Provider    *string           `json:"provider"`
}

func (in *legacyRequest) Valid() []domain.FieldError {
	if in.Provider != nil {
		return domain.CheckProvider("provider", *in.Provider)
	}
	return nil
}

type legacyProgressItem struct {
	AnimeID       *string         `json:"animeId"`
	EpisodeNumber json.RawMessage `json:"episodeNumber"` // see legacyInt
	CurrentTime   *float64        `json:"currentTime"`
	Duration      *float64        `json:"duration"` // null before the metadata loaded: 0
	UpdatedAt     json.RawMessage `json:"updatedAt"`
}

type legacySeriesItem struct {
	ID      *string         `json:"id"`
	SavedAt json.RawMessage `json:"savedAt"`
}

type legacyResponse struct {
	Success          bool              `json:"success"`
	ProgressImported int               `json:"progress_imported"`
	ProgressSkipped  int               `json:"progress_skipped"`
	LibraryImported  int               `json:"library_imported"`
	LibrarySkipped   int               `json:"library_skipped"`
	Message          string            `json:"message"`
	Errors           []legacyItemError `json:"errors"`
}

type legacyItemError struct {
	List   string `json:"list"`
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

func handleImportLegacy(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[legacyRequest](r)
		if err != nil {
			return err
		}
		provider := domain.DefaultProvider
		if in.Provider != nil {
			provider = *in.Provider
		}
		progress := make([]app.LegacyProgress, len(in.Progress))
		for i, raw := range in.Progress {
			progress[i] = decodeLegacyProgress(raw)
		}
		series := make([]app.LegacySeries, len(in.SavedSeries))
		for i, raw := range in.SavedSeries {
			series[i] = decodeLegacySeries(raw)
		}
		res, err := watch.ImportLegacy(r.Context(), principal(r), provider, progress, series)
		if err != nil {
			return err
		}
		lists.invalidate(r, "library", "progress", "history")
		out := legacyResponse{Success: true, ProgressImported: res.ProgressImported, ProgressSkipped: res.ProgressSkipped,
			LibraryImported: res.LibraryImported, LibrarySkipped: res.LibrarySkipped, Errors: []legacyItemError{},
			Message: fmt.Sprintf("Imported %d items, skipped %d items (already up-to-date)",
				res.ProgressImported+res.LibraryImported, res.ProgressSkipped+res.LibrarySkipped)}
		for _, e := range res.Errors {
			out.Errors = append(out.Errors, legacyItemError(e))
		}
		return encode(w, http.StatusOK, out)
	})
}

func decodeLegacyProgress(raw json.RawMessage) app.LegacyProgress {
	var it legacyProgressItem
	if problem := decodeItem(raw, &it); problem != "" {
		return app.LegacyProgress{Problem: problem}
	}
	var lp app.LegacyProgress
	switch {
	case it.AnimeID == nil:
		lp.Problem = "animeId is required"
	case it.CurrentTime == nil:
		lp.Problem = "currentTime is required"
	default:
		lp.AnimeID, lp.CurrentTime = *it.AnimeID, *it.CurrentTime
		if it.Duration != nil {
			lp.Duration = *it.Duration
		}
		lp.EpisodeNumber, lp.Problem = legacyInt("episodeNumber", it.EpisodeNumber)
		if lp.Problem == "" {
			lp.UpdatedAt, lp.Problem = legacyInt("updatedAt", it.UpdatedAt)
		}
	}
	return lp
}

func decodeLegacySeries(raw json.RawMessage) app.LegacySeries {
	var it legacySeriesItem
	if problem := decodeItem(raw, &it); problem != "" {
		return app.LegacySeries{Problem: problem}
	}
	if it.ID == nil {
		return app.LegacySeries{Problem: "id is required"}
	}
	savedAt, problem := legacyInt("savedAt", it.SavedAt)
	return app.LegacySeries{ID: *it.ID, SavedAt: savedAt, Problem: problem}
}

// decodeItem decodes one legacy item, describing what is wrong with it.
func decodeItem(raw json.RawMessage, v any) string {
	if len(raw) == 0 || raw[0] != '{' {
		return "must be an object"
	}
	if e := domain.AsError(unmarshalObject(raw, v)); e != nil {
		if len(e.Fields) > 0 {
			return e.Fields[0].Field + " " + e.Fields[0].Message
		}
		return "is not valid"
	}
	return ""
}

// legacyInt reads an integer the old client stored as a JSON number or,
// like the reference, as a string holding one.
func legacyInt(field string, raw json.RawMessage) (int64, string) {
	s := string(raw)
	if s == "" || s == "null" {
		return 0, field + " is required"
	}
	if raw[0] == '"' && json.Unmarshal(raw, &s) != nil {
		return 0, field + " must be an integer"
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, field + " must be an integer"
	}
	return v, ""
}
