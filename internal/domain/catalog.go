package domain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Anime statuses.
const (
	AnimeOngoing   = "ongoing"
	AnimeCompleted = "completed"
	AnimeUpcoming  = "upcoming"
)

// ValidAnimeStatus reports whether s is one of the three statuses.
func ValidAnimeStatus(s string) bool {
	return s == AnimeOngoing || s == AnimeCompleted || s == AnimeUpcoming
}

// Video source types. The upstream parser sends "hls", stored as m3u8.
const (
	VideoIframe = "iframe"
	VideoEmbed  = "embed"
	VideoM3U8   = "m3u8"
	VideoMP4    = "mp4"
)

// VideoType returns the stored type of t ("hls" is m3u8), ok false when t
// is none of the four.
func VideoType(t string) (string, bool) {
	switch t {
	case VideoIframe, VideoEmbed, VideoM3U8, VideoMP4:
		return t, true
	case "hls":
		return VideoM3U8, true
	}
	return "", false
}

// Limits of catalog input (D11).
const (
	MaxTitleLen         = 500
	MaxDescriptionLen   = 20000
	MaxGenres           = 50
	MaxAltTitles        = 50
	MinYear, MaxYear    = 1900, 2100
	MaxEpisodeNumber    = 100000
	MaxSourceIDLen      = 200
	MaxURLLen           = 2048
	MinPriority         = -1000
	MaxPriority         = 1000
	MaxSlugLen          = 200
	MaxImportAnime      = 200   // per bulk import request
	MaxImportEpisodes   = 20000 // per request, all anime together
	MaxSearchLen        = 200
	MaxCatalogSkip      = 10000
	MaxCatalogPageLimit = 100
)

// Anime is one title of the catalog. Nil pointers are unknown values.
// SourceName and SourceID name it in the parser's source; Slug is its
// address on the site, set when it is created and changed only by an
// editor (the former ones keep redirecting).
type Anime struct {
	ID                string // UUID
	Title             string
	Slug              string
	Description       *string
	Year              *int
	Status            *string
	Poster            *string
	SourceName        string
	SourceID          string
	Genres            []string
	AlternativeTitles []string
	Active            bool
	AdminModified     bool // an editor changed it: the parser no longer overwrites it
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Episode is one episode of an anime.
type Episode struct {
	ID              string
	AnimeID         string
	Number          int
	Title           *string
	SourceEpisodeID string
	Active          bool
	AdminModified   bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// VideoSource is one way to play an episode. Sources are unique per
// (EpisodeID, SourceName, URL).
type VideoSource struct {
	ID            string
	EpisodeID     string
	Type          string
	URL           string
	SourceName    string
	Priority      int // higher plays first
	Active        bool
	AdminModified bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// EpisodeWithSources is an episode with its video sources.
type EpisodeWithSources struct {
	Episode Episode
	Sources []VideoSource
}

// AnimeImport is one anime as the parser sends it, validated, with what
// the application derives from it. Status nil keeps a stored status.
type AnimeImport struct {
	SourceName        string
	SourceID          string
	Title             string
	AlternativeTitles []string
	Description       *string
	Year              *int
	Status            *string
	Poster            *string
	Genres            []string
	Episodes          []EpisodeImport // bulk imports only

	NewID     string   // the id if the anime is new
	SlugBase  string   // the slug if the anime is new and it is free; else SlugBase-1, -2, …
	Names     Names    // folded names, for ordering and search
	GenreKeys []string // folded genres, for the genre filter
}

// Names are an anime's names folded for comparison (Unicode NFKD,
// diacritics removed, case folded, punctuation as spaces): TitleKey orders
// lists, Search holds every name between line feeds ("\ntitle\nalt\n") so
// that a substring, prefix or whole-name match is a substring match.
type Names struct {
	TitleKey string
	Search   string
}

// EpisodeImport is one episode as the parser sends it.
type EpisodeImport struct {
	SourceEpisodeID string
	Number          int
	Title           *string
	Available       bool // false deactivates the episode
	Players         []VideoImport
}

// VideoImport is one video source as the parser sends it.
type VideoImport struct {
	Type       string // stored form (VideoType)
	URL        string
	SourceName string
	Priority   int
}

// MergeEpisodes returns eps with one entry per SourceEpisodeID, in the
// order of first appearance, as if the entries were imported one after the
// other: an episode's fields are its last entry's, its players those of all
// its entries, one per (SourceName, URL), the last one winning. A request
// that repeats a key is thus not an error (upstream failed at commit).
func MergeEpisodes(eps []EpisodeImport) []EpisodeImport {
	type playerKey struct{ source, url string }
	out := make([]EpisodeImport, 0, len(eps))
	at := make(map[string]int, len(eps))
	for _, e := range eps {
		if i, ok := at[e.SourceEpisodeID]; ok {
			e.Players = append(append(make([]VideoImport, 0, len(out[i].Players)+len(e.Players)), out[i].Players...), e.Players...)
			out[i] = e
			continue
		}
		at[e.SourceEpisodeID] = len(out)
		out = append(out, e)
	}
	for i, e := range out {
		if len(e.Players) < 2 {
			continue
		}
		seen := make(map[playerKey]int, len(e.Players))
		players := make([]VideoImport, 0, len(e.Players))
		for _, p := range e.Players {
			k := playerKey{p.SourceName, p.URL}
			if j, ok := seen[k]; ok {
				players[j] = p
				continue
			}
			seen[k] = len(players)
			players = append(players, p)
		}
		out[i].Players = players
	}
	return out
}

// ImportCounts says what an import wrote: rows created or changed, and
// rows sent that were already as stored (or protected by AdminModified).
type ImportCounts struct {
	AnimeWritten, AnimeUnchanged       int
	EpisodesWritten, EpisodesUnchanged int
	SourcesWritten, SourcesUnchanged   int
}

// Add adds o to c.
func (c *ImportCounts) Add(o ImportCounts) {
	c.AnimeWritten += o.AnimeWritten
	c.AnimeUnchanged += o.AnimeUnchanged
	c.EpisodesWritten += o.EpisodesWritten
	c.EpisodesUnchanged += o.EpisodesUnchanged
	c.SourcesWritten += o.SourcesWritten
	c.SourcesUnchanged += o.SourcesUnchanged
}

// Wrote reports whether anything was created or changed.
func (c ImportCounts) Wrote() bool {
	return c.AnimeWritten+c.EpisodesWritten+c.SourcesWritten > 0
}

// AnimeQuery filters and pages the catalog. Public lists set ActiveOnly.
type AnimeQuery struct {
	Skip, Limit int
	Year        *int
	Status      string // "" for all
	GenreKey    string // folded genre, "" for all
	Search      string // folded search text, "" for no search
	ActiveOnly  bool
}

// NewUUID returns a random (version 4) UUID in its canonical form.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ValidUUID reports whether s is a UUID in canonical lower-case form.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// ValidSlug reports whether s is a slug: [a-z0-9]+(-[a-z0-9]+)*, at most
// MaxSlugLen characters.
func ValidSlug(s string) bool {
	if s == "" || len(s) > MaxSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' && s[i-1] == '-' || !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CheckHTTPURL validates an absolute http or https URL of at most
// MaxURLLen characters.
func CheckHTTPURL(field, s string) []FieldError {
	if s == "" || len(s) > MaxURLLen {
		return []FieldError{{field, "must be an absolute http(s) URL of at most 2048 characters"}}
	}
	if errs := CheckText(field, s, MaxURLLen, false); errs != nil {
		return errs
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []FieldError{{field, "must be an absolute http(s) URL of at most 2048 characters"}}
	}
	return nil
}

// CheckName validates a required text of 1..max characters.
func CheckName(field, s string, max int) []FieldError {
	if s == "" || utf8.RuneCountInString(s) > max {
		return []FieldError{{field, "must be 1 to " + strconv.Itoa(max) + " characters"}}
	}
	return CheckText(field, s, max, false)
}

// CheckRange validates an integer from lo to hi.
func CheckRange(field string, v, lo, hi int) []FieldError {
	if v < lo || v > hi {
		return []FieldError{{field, "must be an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}}
	}
	return nil
}

// CatalogStore keeps the anime catalog. Imports never delete; rows marked
// AdminModified are never overwritten by an import, though new episodes
// and sources are still added under them. An import that sends what is
// stored writes nothing (UpdatedAt stays) and counts it as unchanged.
type CatalogStore interface {
	// ImportAnime upserts one anime by (SourceName, SourceID) with its
	// Episodes and their Players, in one transaction: all of it or, on an
	// error, none. A new anime gets NewID and the first free slug of
	// SlugBase, SlugBase-1, SlugBase-2, … (free: never any anime's, even a
	// former one); an existing one keeps its slug and activity, and takes
	// Status only when it is not nil. Duplicate keys inside the import are
	// not errors: the last one wins (MergeEpisodes). Concurrent imports of
	// one title get distinct slugs, of one anime make it once.
	ImportAnime(ctx context.Context, a AnimeImport, now time.Time) (ImportCounts, error)
	// ImportEpisodes upserts episodes (with their Players) under the anime
	// (sourceName, animeSourceID), in one transaction; KindNotFound
	// ("Anime not found: <sourceName>/<animeSourceID>") when there is no
	// such anime. An episode is the parser's by the anime it was imported
	// under: one an editor moved to another anime is still updated, not
	// made again.
	ImportEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []EpisodeImport, now time.Time) (ImportCounts, error)
	// ImportVideo upserts one source of the episode with that
	// SourceEpisodeID imported under an anime of sourceName (and, when not
	// empty, of source id animeSourceID). KindNotFound ("Episode not found:
	// <sourceName>/<sourceEpisodeID>") when no episode matches, KindConflict
	// (a message asking for anime_source_id) when episodes of several anime
	// do and animeSourceID is empty.
	ImportVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v VideoImport, now time.Time) (ImportCounts, error)

	// AnimeList returns one page of the catalog and how many match. Search
	// is a literal substring of Names.Search (no character is a wildcard).
	// Without Search the order is Names.TitleKey (byte-wise), then ID; with
	// it, a name equal to the search first, then a name starting with it,
	// then a word starting with it, then any other match, each by TitleKey,
	// then ID.
	AnimeList(ctx context.Context, q AnimeQuery) ([]Anime, int, error)
	// AnimeBySlug returns the active anime whose slug, or one of whose
	// former slugs, is slug (its current slug is in the result).
	// KindNotFound ("Anime not found: <slug>") when none, or when it is
	// inactive.
	AnimeBySlug(ctx context.Context, slug string) (Anime, error)
	// Episodes returns the anime's active episodes by Number, then ID, each
	// with its active sources by Priority descending, then ID (never a nil
	// list), in a constant number of queries. An unknown anime has none.
	Episodes(ctx context.Context, animeID string) ([]EpisodeWithSources, error)
}

// Check validates an anime as the parser sends it (D11), its episodes and
// their players too, naming nested fields by path ("episodes[2].number").
func (a AnimeImport) Check() []FieldError {
	errs := CheckName("source_name", a.SourceName, MaxSourceIDLen)
	errs = append(errs, CheckName("source_id", a.SourceID, MaxSourceIDLen)...)
	errs = append(errs, CheckName("title", a.Title, MaxTitleLen)...)
	if len(a.AlternativeTitles) > MaxAltTitles {
		errs = append(errs, FieldError{"alternative_titles", "must hold at most 50 titles"})
	}
	for i, t := range a.AlternativeTitles {
		errs = append(errs, CheckName(IndexedField("alternative_titles", i), t, MaxTitleLen)...)
	}
	if len(a.Genres) > MaxGenres {
		errs = append(errs, FieldError{"genres", "must hold at most 50 genres"})
	}
	for i, g := range a.Genres {
		errs = append(errs, CheckName(IndexedField("genres", i), g, MaxTitleLen)...)
	}
	errs = append(errs, CheckAnimeDetails(a.Description, a.Year, a.Status, a.Poster)...)
	for i, e := range a.Episodes {
		errs = append(errs, PrefixFields(IndexedField("episodes", i), e.Check())...)
	}
	return errs
}

// CheckAnimeDetails validates an anime's optional fields, those given.
func CheckAnimeDetails(description *string, year *int, status, poster *string) []FieldError {
	var errs []FieldError
	if description != nil {
		errs = append(errs, CheckText("description", *description, MaxDescriptionLen, true)...)
	}
	if year != nil {
		errs = append(errs, CheckRange("year", *year, MinYear, MaxYear)...)
	}
	if status != nil && !ValidAnimeStatus(*status) {
		errs = append(errs, FieldError{"status", "must be one of ongoing, completed, upcoming"})
	}
	if poster != nil {
		errs = append(errs, CheckHTTPURL("poster", *poster)...)
	}
	return errs
}

// Check validates an episode as the parser sends it, with its players.
func (e EpisodeImport) Check() []FieldError {
	errs := CheckName("source_episode_id", e.SourceEpisodeID, MaxSourceIDLen)
	errs = append(errs, CheckRange("number", e.Number, 0, MaxEpisodeNumber)...)
	if e.Title != nil {
		errs = append(errs, CheckText("title", *e.Title, MaxTitleLen, false)...)
	}
	for i, p := range e.Players {
		errs = append(errs, PrefixFields(IndexedField("players", i), p.Check())...)
	}
	return errs
}

// Check validates a video source as the parser sends it (Type already in
// its stored form, "" when it was none of the known ones).
func (v VideoImport) Check() []FieldError {
	return CheckVideoFields(&v.Type, &v.URL, &v.SourceName, &v.Priority)
}

// CheckVideoFields validates a video source's fields, those given.
func CheckVideoFields(typ, url, sourceName *string, priority *int) []FieldError {
	var errs []FieldError
	if typ != nil {
		if _, ok := VideoType(*typ); !ok {
			errs = append(errs, FieldError{"type", "must be one of iframe, embed, m3u8 (or hls), mp4"})
		}
	}
	if url != nil {
		errs = append(errs, CheckHTTPURL("url", *url)...)
	}
	if sourceName != nil {
		errs = append(errs, CheckName("source_name", *sourceName, MaxSourceIDLen)...)
	}
	if priority != nil {
		errs = append(errs, CheckRange("priority", *priority, MinPriority, MaxPriority)...)
	}
	return errs
}

// IndexedField names the i-th element of a list field ("episodes[2]").
func IndexedField(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// DescribeFields joins field problems into one message
// ("title must be 1 to 500 characters; year must be …").
func DescribeFields(errs []FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + " " + e.Message
	}
	return strings.Join(parts, "; ")
}

// PrefixFields names each field as a part of prefix ("player.url").
func PrefixFields(prefix string, errs []FieldError) []FieldError {
	for i := range errs {
		errs[i].Field = prefix + "." + errs[i].Field
	}
	return errs
}
