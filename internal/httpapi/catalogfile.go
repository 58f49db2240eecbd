package httpapi

import (
	"encoding/json"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// A catalog file is JSON Lines of bulk import items (one anime with its
// episodes and their players per line), the format of the items of POST
// /api/v1/internal/import/catalog, so that `anirohi catalog import`,
// `export` and `seed` speak what the parser speaks.

// DecodeCatalogItem reads one bulk import item; problem says what is
// wrong with it (fields by path), "" when nothing is.
func DecodeCatalogItem(raw []byte) (a domain.AnimeImport, problem string) {
	items, bad, err := decodeCatalogItems([]json.RawMessage{raw})
	switch {
	case err != nil:
		return a, domain.DescribeFields(fieldsOfError(err))
	case len(bad) > 0:
		return a, bad[0].Message
	}
	return items.anime[0], ""
}

// catalogItemOut is a bulk import item as written.
type catalogItemOut struct {
	animeFields
	Episodes []episodeOut `json:"episodes"`
}

type episodeOut struct {
	SourceEpisodeID string         `json:"source_episode_id"`
	Number          int            `json:"number"`
	Title           *string        `json:"title"`
	IsAvailable     bool           `json:"is_available"`
	Players         []playerFields `json:"players"`
}

// EncodeCatalogItem writes one bulk import item, without a line feed.
func EncodeCatalogItem(a domain.AnimeImport) ([]byte, error) {
	out := catalogItemOut{animeFields: animeFields{SourceName: a.SourceName, SourceID: a.SourceID, Title: a.Title,
		AlternativeTitles: nonNil(a.AlternativeTitles), Description: a.Description, Year: a.Year, Status: a.Status,
		Poster: a.Poster, Genres: nonNil(a.Genres)}, Episodes: make([]episodeOut, len(a.Episodes))}
	for i, e := range a.Episodes {
		out.Episodes[i] = episodeOut{SourceEpisodeID: e.SourceEpisodeID, Number: e.Number, Title: e.Title, IsAvailable: e.Available,
			Players: convert(e.Players, func(v domain.VideoImport) playerFields {
				return playerFields{Type: v.Type, URL: v.URL, SourceName: v.SourceName, Priority: v.Priority}
			})}
	}
	return json.Marshal(out)
}
