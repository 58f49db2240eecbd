// Package catalogdiff compares a catalog import with the rows a store
// holds, so that every engine writes only what is new or changed (an
// unchanged import writes nothing), leaves editors' rows alone and counts
// alike. It runs no statements and imports only the domain.
package catalogdiff

import (
	"slices"
	"strconv"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Fields are the columns of an anime that an import writes.
type Fields struct {
	Title             string
	Description       *string
	Year              *int
	Status            *string
	Poster            *string
	Genres            []string
	AlternativeTitles []string
	TitleKey          string
	SearchText        string
}

// Anime is a stored anime as far as imports care.
type Anime struct {
	ID            string
	AdminModified bool
	Fields
}

// Episode is a stored episode of the anime it was imported under, with its
// sources.
type Episode struct {
	ID            string
	Number        int
	Title         *string
	Active        bool
	AdminModified bool
	Sources       map[SourceKey]Source
}

// SourceKey is what identifies a source within its episode.
type SourceKey struct{ SourceName, URL string }

// Source is a stored video source.
type Source struct {
	Type          string
	Priority      int
	AdminModified bool
}

// AddSource records a stored source of e.
func (e *Episode) AddSource(k SourceKey, s Source) {
	if e.Sources == nil {
		e.Sources = make(map[SourceKey]Source)
	}
	e.Sources[k] = s
}

// FieldsOf returns what an import of a writes over stored (nil for a new
// anime): its own fields, with stored's status when a sends none, and empty
// rather than nil lists.
func FieldsOf(a domain.AnimeImport, stored *Anime) Fields {
	f := Fields{Title: a.Title, Description: a.Description, Year: a.Year, Status: a.Status, Poster: a.Poster,
		Genres: nonNil(a.Genres), AlternativeTitles: nonNil(a.AlternativeTitles),
		TitleKey: a.Names.TitleKey, SearchText: a.Names.Search}
	if f.Status == nil && stored != nil {
		f.Status = stored.Status
	}
	return f
}

// AnimeWrite says what to do with an anime row: insert it (stored is nil),
// update it (changed and not protected), or nothing.
func AnimeWrite(f Fields, stored *Anime) (insert, update bool) {
	if stored == nil {
		return true, false
	}
	return false, !stored.AdminModified && !f.equal(stored.Fields)
}

func (f Fields) equal(g Fields) bool {
	return f.Title == g.Title && eq(f.Description, g.Description) && eq(f.Year, g.Year) && eq(f.Status, g.Status) &&
		eq(f.Poster, g.Poster) && slices.Equal(f.Genres, g.Genres) && slices.Equal(f.AlternativeTitles, g.AlternativeTitles) &&
		f.TitleKey == g.TitleKey && f.SearchText == g.SearchText
}

func eq[T comparable](a, b *T) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// EpisodeWrite is an episode to insert (New, with a fresh ID) or to
// update (the stored ID).
type EpisodeWrite struct {
	ID  string
	New bool
	domain.EpisodeImport
}

// SourceWrite is a source to insert or update, of the episode with
// SourceEpisodeID (EpisodeID is its stored or fresh id). ID is fresh: the
// new row's, should there be none to update.
type SourceWrite struct {
	ID              string
	EpisodeID       string
	SourceEpisodeID string
	domain.VideoImport
}

// Writes are the episode and source rows an import must write; the other
// rows it sends are unchanged (as stored, or protected by AdminModified).
type Writes struct {
	Episodes                            []EpisodeWrite
	Sources                             []SourceWrite
	EpisodesUnchanged, SourcesUnchanged int
}

// Episodes compares eps, merged as domain.MergeEpisodes does, with the
// stored episodes of their anime by source episode id. New episodes and
// sources get fresh ids; a stored row is written only when it differs and
// is not protected. An episode's new sources are added even when the
// episode itself is protected.
func Episodes(eps []domain.EpisodeImport, stored map[string]Episode) Writes {
	var w Writes
	for _, e := range domain.MergeEpisodes(eps) {
		old, ok := stored[e.SourceEpisodeID]
		switch {
		case !ok:
			old.ID = domain.NewUUID()
			w.Episodes = append(w.Episodes, EpisodeWrite{ID: old.ID, New: true, EpisodeImport: e})
		case !old.AdminModified && (old.Number != e.Number || !eq(old.Title, e.Title) || old.Active != e.Available):
			w.Episodes = append(w.Episodes, EpisodeWrite{ID: old.ID, EpisodeImport: e})
		default:
			w.EpisodesUnchanged++
		}
		for _, p := range e.Players {
			s, ok := old.Sources[SourceKey{p.SourceName, p.URL}]
			switch {
			case !ok:
				w.Sources = append(w.Sources, SourceWrite{ID: domain.NewUUID(), EpisodeID: old.ID, SourceEpisodeID: e.SourceEpisodeID, VideoImport: p})
			case !s.AdminModified && (s.Type != p.Type || s.Priority != p.Priority):
				w.Sources = append(w.Sources, SourceWrite{ID: domain.NewUUID(), EpisodeID: old.ID, SourceEpisodeID: e.SourceEpisodeID, VideoImport: p})
			default:
				w.SourcesUnchanged++
			}
		}
	}
	return w
}

// Counts returns the counts of an import whose statements wrote
// episodesWritten of w.Episodes and sourcesWritten of w.Sources (a row an
// editor protected meanwhile is not written, and counts as unchanged).
func (w Writes) Counts(episodesWritten, sourcesWritten int) domain.ImportCounts {
	return domain.ImportCounts{
		EpisodesWritten: episodesWritten, EpisodesUnchanged: w.EpisodesUnchanged + len(w.Episodes) - episodesWritten,
		SourcesWritten: sourcesWritten, SourcesUnchanged: w.SourcesUnchanged + len(w.Sources) - sourcesWritten,
	}
}

// SlugBatch is how many candidate slugs SlugCandidates makes at once.
const SlugBatch = 16

// SlugCandidates returns SlugBatch candidate slugs of base from the n-th
// on: base itself (n = 0), base-1, base-2, …
func SlugCandidates(base string, n int) []string {
	cands := make([]string, SlugBatch)
	for i := range cands {
		cands[i] = base
		if k := n + i; k > 0 {
			cands[i] = base + "-" + strconv.Itoa(k)
		}
	}
	return cands
}

// FirstFree returns the first of cands that is not taken, "" when all are.
func FirstFree(cands, taken []string) string {
	for _, c := range cands {
		if !slices.Contains(taken, c) {
			return c
		}
	}
	return ""
}

// FreeSlug returns the first of base-n, base-(n+1), … (base itself for 0)
// that taken does not report, asking it about SlugBatch candidates at a
// time. taken returns those of the candidates that are in use.
func FreeSlug(base string, n int, taken func(candidates []string) ([]string, error)) (string, error) {
	for ; ; n += SlugBatch {
		cands := SlugCandidates(base, n)
		used, err := taken(cands)
		if err != nil {
			return "", err
		}
		if c := FirstFree(cands, used); c != "" {
			return c, nil
		}
	}
}

// OneEpisode checks that the lookup of a video import's episode found
// exactly one (it asks for at most two): KindNotFound for none,
// KindConflict for episodes of several anime.
func OneEpisode(found int, sourceName, sourceEpisodeID string) error {
	switch found {
	case 0:
		return domain.E(domain.KindNotFound, "Episode not found: "+sourceName+"/"+sourceEpisodeID)
	case 1:
		return nil
	}
	return domain.E(domain.KindConflict, "Episodes of several anime have the source episode id "+sourceName+"/"+
		sourceEpisodeID+": send anime_source_id")
}
