package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// The internal API is the parser's: /api/v1/internal/import/*. It exists
// only when INTERNAL_TOKEN is set.

// maxImportBody bounds an import request: a bulk import of 200 anime and
// 20,000 episodes with two players each is about 10 MB.
const maxImportBody = 32 << 20

var (
	errNoInternalToken  = domain.E(domain.KindUnauthenticated, "X-Internal-Token header required")
	errBadInternalToken = domain.E(domain.KindForbidden, "Invalid internal token")
)

// internalTokens holds the digests of the accepted tokens: the current one
// and, during a rotation, the previous one.
type internalTokens [][sha256.Size]byte

func newInternalTokens(tokens ...string) internalTokens {
	var out internalTokens
	for _, t := range tokens {
		if t != "" {
			out = append(out, sha256.Sum256([]byte(t)))
		}
	}
	return out
}

// valid compares in constant time (digests of equal length, every token
// compared), so the answer's timing says nothing about the token.
func (ts internalTokens) valid(token string) bool {
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, t := range ts {
		ok |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return ok == 1
}

// internalOnly admits requests carrying an accepted X-Internal-Token. A
// wrong token spends the address's failure budget (the login limit, per
// minute); an address without budget left is refused before its token is
// compared. Accepted calls skip the global limit.
func (s *Server) internalOnly(next http.Handler) http.Handler {
	b := bucket{scope: "internal_token"}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		tok := r.Header.Get("X-Internal-Token")
		if tok == "" {
			return errNoInternalToken
		}
		b := b
		b.key = info(r.Context()).clientNet
		if err := s.refuseWhenSpent(w, r, b, s.cfg.Limits.Login); err != nil {
			return err
		}
		if !s.internal.valid(tok) {
			s.countFailure(r.Context(), b, s.cfg.Limits.Login)
			return errBadInternalToken
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// animeFields are an anime as the parser sends it. The parser also sends
// fields this service does not keep (updated_at, last_episode_number,
// last_episode_at): ignored, as unknown fields are.
type animeFields struct {
	SourceName        string   `json:"source_name" required:"true"`
	SourceID          string   `json:"source_id" required:"true"`
	Title             string   `json:"title" required:"true"`
	AlternativeTitles []string `json:"alternative_titles"` // null is none
	Description       *string  `json:"description"`
	Year              *int     `json:"year"`
	Status            *string  `json:"status"`
	Poster            *string  `json:"poster"`
	Genres            []string `json:"genres"`
}

func (a animeFields) toImport() domain.AnimeImport {
	return domain.AnimeImport{SourceName: a.SourceName, SourceID: a.SourceID, Title: a.Title,
		AlternativeTitles: a.AlternativeTitles, Description: a.Description, Year: a.Year, Status: a.Status,
		Poster: a.Poster, Genres: a.Genres}
}

type episodeFields struct {
	SourceEpisodeID string            `json:"source_episode_id" required:"true"`
	Number          int               `json:"number" required:"true"`
	Title           *string           `json:"title"`
	IsAvailable     *bool             `json:"is_available"` // default true
	Players         []json.RawMessage `json:"players"`      // bulk imports
}

type playerFields struct {
	Type       string `json:"type" required:"true"`
	URL        string `json:"url" required:"true"`
	SourceName string `json:"source_name" required:"true"`
	Priority   int    `json:"priority"`
}

func (p playerFields) toImport() domain.VideoImport {
	t, _ := domain.VideoType(p.Type)
	if t == "" {
		t = p.Type // Check refuses it by name
	}
	return domain.VideoImport{Type: t, URL: p.URL, SourceName: p.SourceName, Priority: p.Priority}
}

// decodeEpisode decodes one episode object with its players, every
// problem named by its path.
func decodeEpisode(raw json.RawMessage) (domain.EpisodeImport, []domain.FieldError) {
	in, err := decodeObject[episodeFields](raw)
	if err != nil {
		return domain.EpisodeImport{}, fieldsOfError(err)
	}
	e := domain.EpisodeImport{SourceEpisodeID: in.SourceEpisodeID, Number: in.Number, Title: in.Title, Available: true}
	if in.IsAvailable != nil {
		e.Available = *in.IsAvailable
	}
	var errs []domain.FieldError
	for i, pr := range in.Players {
		p, err := decodeObject[playerFields](pr)
		if err != nil {
			errs = append(errs, domain.PrefixFields(domain.IndexedField("players", i), fieldsOfError(err))...)
			continue
		}
		e.Players = append(e.Players, p.toImport())
	}
	return e, errs
}

// fieldsOfError is the field problems of a decoding error.
func fieldsOfError(err error) []domain.FieldError {
	if e := domain.AsError(err); e != nil && len(e.Fields) > 0 {
		return e.Fields
	}
	return []domain.FieldError{{Field: "body", Message: "is not valid"}}
}

func handleImportAnime(catalog *app.Catalog) http.Handler {
	type response struct {
		Success bool     `json:"success"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[animeFields](r)
		if err != nil {
			return err
		}
		if _, err := catalog.ImportAnime(r.Context(), in.toImport()); err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{Success: true, Message: "Anime imported successfully: " + in.Title})
	})
}

// batchResponse is a batch import's answer: success when nothing was
// refused.
type batchResponse struct {
	Success   bool          `json:"success"`
	Total     int           `json:"total"`
	Imported  int           `json:"imported"`
	Unchanged int           `json:"unchanged"`
	Errors    []importError `json:"errors"`
}

type importError struct {
	Index    int    `json:"index"`
	SourceID string `json:"source_id"`
	Message  string `json:"message"`
}

func toBatchResponse(rep app.ImportReport) batchResponse {
	return batchResponse{Success: len(rep.Errors) == 0, Total: rep.Total, Imported: rep.Imported, Unchanged: rep.Unchanged,
		Errors: convert(rep.Errors, func(e app.ImportError) importError { return importError(e) })}
}

// refused turns per-item decoding problems into report entries.
func refused(index int, sourceID string, errs []domain.FieldError) app.ImportError {
	return app.ImportError{Index: index, SourceID: sourceID, Message: domain.DescribeFields(errs)}
}

func handleImportEpisodes(catalog *app.Catalog) http.Handler {
	type request struct {
		SourceName    string            `json:"source_name" required:"true"`
		AnimeSourceID string            `json:"anime_source_id" required:"true"`
		Episodes      []json.RawMessage `json:"episodes" required:"true"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		if len(in.Episodes) == 0 || len(in.Episodes) > domain.MaxImportEpisodes {
			return domain.Invalid(domain.FieldError{Field: "episodes", Message: "must hold 1 to 20000 episodes"})
		}
		var eps []domain.EpisodeImport
		var bad []app.ImportError
		var index []int // of each decoded episode in the request
		for i, raw := range in.Episodes {
			e, errs := decodeEpisode(raw)
			if len(errs) > 0 {
				bad = append(bad, refused(i, e.SourceEpisodeID, errs))
				continue
			}
			eps, index = append(eps, e), append(index, i)
		}
		rep, err := catalog.ImportEpisodes(r.Context(), in.SourceName, in.AnimeSourceID, eps)
		if err != nil {
			return err
		}
		for i := range rep.Errors {
			rep.Errors[i].Index = index[rep.Errors[i].Index]
		}
		rep.Total, rep.Errors = len(in.Episodes), mergeErrors(bad, rep.Errors)
		return encode(w, http.StatusOK, toBatchResponse(rep))
	})
}

// mergeErrors joins two lists of refusals in request order.
func mergeErrors(a, b []app.ImportError) []app.ImportError {
	out := make([]app.ImportError, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0].Index < b[0].Index {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func handleImportVideo(catalog *app.Catalog) http.Handler {
	type request struct {
		SourceName      string          `json:"source_name" required:"true"`
		SourceEpisodeID string          `json:"source_episode_id" required:"true"`
		AnimeSourceID   string          `json:"anime_source_id"` // needed when the episode id repeats across anime
		Player          json.RawMessage `json:"player" required:"true"`
	}
	type response struct {
		Success bool     `json:"success"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		p, err := decodeObject[playerFields](in.Player)
		if err != nil {
			return domain.Invalid(domain.PrefixFields("player", fieldsOfError(err))...)
		}
		if _, err := catalog.ImportVideo(r.Context(), in.SourceName, in.SourceEpisodeID, in.AnimeSourceID, p.toImport()); err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{Success: true, Message: "Video source imported successfully"})
	})
}

func handleImportCatalog(catalog *app.Catalog) http.Handler {
	type request struct {
		Items []json.RawMessage `json:"items" required:"true"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		items, bad, err := decodeCatalogItems(in.Items)
		if err != nil {
			return err
		}
		rep, err := catalog.ImportCatalog(r.Context(), items.anime)
		if err != nil {
			return err
		}
		for i := range rep.Errors {
			rep.Errors[i].Index = items.index[rep.Errors[i].Index]
		}
		rep.Total, rep.Errors = len(in.Items), mergeErrors(bad, rep.Errors)
		return encode(w, http.StatusOK, toBatchResponse(rep))
	})
}

// catalogItems are the decoded items of a bulk import and their indexes
// in the request.
type catalogItems struct {
	anime []domain.AnimeImport
	index []int
}

// decodeCatalogItems decodes bulk import items (anime fields, episodes,
// their players): an item with any problem is refused whole. A request
// over the bounds (anime, episodes) is refused whole.
func decodeCatalogItems(raws []json.RawMessage) (catalogItems, []app.ImportError, error) {
	if len(raws) == 0 || len(raws) > domain.MaxImportAnime {
		return catalogItems{}, nil, domain.Invalid(domain.FieldError{Field: "items", Message: "must hold 1 to 200 anime"})
	}
	type item struct {
		animeFields
		Episodes []json.RawMessage `json:"episodes"`
	}
	var out catalogItems
	var bad []app.ImportError
	episodes := 0
	for i, raw := range raws {
		it, err := decodeObject[item](raw)
		if episodes += len(it.Episodes); episodes > domain.MaxImportEpisodes {
			return catalogItems{}, nil, domain.Invalid(domain.FieldError{Field: "items", Message: "must hold at most 20000 episodes in all"})
		}
		if err != nil {
			bad = append(bad, refused(i, it.SourceID, fieldsOfError(err)))
			continue
		}
		a := it.toImport()
		var errs []domain.FieldError
		for j, raw := range it.Episodes {
			e, eerrs := decodeEpisode(raw)
			errs = append(errs, domain.PrefixFields(domain.IndexedField("episodes", j), eerrs)...)
			a.Episodes = append(a.Episodes, e)
		}
		if len(errs) > 0 {
			bad = append(bad, refused(i, a.SourceID, errs))
			continue
		}
		out.anime, out.index = append(out.anime, a), append(out.index, i)
	}
	return out, bad, nil
}
