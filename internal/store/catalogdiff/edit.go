package catalogdiff

import "github.com/anirohi/anirohi-api/internal/domain"

// Values are the values of a catalog row that editors see, by their API
// names, as JSON has them (strings, numbers, booleans and nil for null):
// what an editor's change is audited with, on every engine.
type Values map[string]any

// AnimeValues are an anime's.
func AnimeValues(a domain.Anime) Values {
	return Values{"title": a.Title, "slug": a.Slug, "description": value(a.Description), "year": value(a.Year),
		"status": value(a.Status), "poster": value(a.Poster), "is_active": a.Active,
		"source_name": a.SourceName, "source_id": a.SourceID}
}

// EpisodeValues are an episode's.
func EpisodeValues(e domain.Episode) Values {
	return Values{"anime_id": e.AnimeID, "number": e.Number, "title": value(e.Title),
		"source_episode_id": e.SourceEpisodeID, "is_active": e.Active}
}

// VideoValues are a video source's.
func VideoValues(v domain.VideoSource) Values {
	return Values{"episode_id": v.EpisodeID, "type": v.Type, "url": v.URL, "source_name": v.SourceName,
		"priority": v.Priority, "is_active": v.Active}
}

// value is what p points to, or nil.
func value[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// Diff returns the audit changes from old to new, {field: {old, new}} for
// each field that differs. A created row's old fields are nil, a deleted
// row's new ones, so that a creation lists what is set and a deletion what
// was.
func Diff(old, new Values) map[string]any {
	out := map[string]any{}
	for k, v := range new {
		if old[k] != v {
			out[k] = map[string]any{"old": old[k], "new": v}
		}
	}
	for k, v := range old {
		if _, ok := new[k]; !ok && v != nil {
			out[k] = map[string]any{"old": v, "new": nil}
		}
	}
	return out
}

// Set replaces *dst with *p, if p is not nil.
func Set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// Change applies an optional change of a nullable field.
func Change[T any](dst **T, c domain.Change[T]) {
	if c.Set {
		*dst = c.Value
	}
}

// PatchAnime returns a with the patch applied (not its names, which the
// row keeps beside its title).
func PatchAnime(a domain.Anime, p domain.AnimePatch) domain.Anime {
	Set(&a.Title, p.Title)
	Set(&a.Slug, p.Slug)
	Change(&a.Description, p.Description)
	Change(&a.Year, p.Year)
	Change(&a.Status, p.Status)
	Change(&a.Poster, p.Poster)
	Set(&a.Active, p.Active)
	return a
}

// PatchEpisode returns e with the patch applied.
func PatchEpisode(e domain.Episode, p domain.EpisodePatch) domain.Episode {
	Set(&e.Number, p.Number)
	Change(&e.Title, p.Title)
	Set(&e.Active, p.Active)
	return e
}

// PatchVideo returns v with the patch applied.
func PatchVideo(v domain.VideoSource, p domain.VideoPatch) domain.VideoSource {
	Set(&v.Type, p.Type)
	Set(&v.URL, p.URL)
	Set(&v.SourceName, p.SourceName)
	Set(&v.Priority, p.Priority)
	Set(&v.Active, p.Active)
	return v
}
