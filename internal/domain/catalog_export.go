package domain

import "context"

// CatalogExporter reads the whole catalog back in the form imports take
// it, for `anirohi catalog export`.
type CatalogExporter interface {
	// ExportCatalog yields every anime (active or not) by TitleKey, then
	// ID, with all its episodes (an inactive one as not Available) by
	// Number, then ID, each with its active sources by Priority
	// descending, then ID, from one snapshot. An error from yield stops
	// it and is returned. What imports cannot say (inactive anime and
	// sources, editors' changes) is not in it.
	ExportCatalog(ctx context.Context, yield func(AnimeImport) error) error
}

// AsImport is the anime as an import would send it.
func (a Anime) AsImport() AnimeImport {
	return AnimeImport{SourceName: a.SourceName, SourceID: a.SourceID, Title: a.Title, AlternativeTitles: a.AlternativeTitles,
		Description: a.Description, Year: a.Year, Status: a.Status, Poster: a.Poster, Genres: a.Genres}
}

// AsImport is the episode as an import would send it, with its sources.
func (e EpisodeWithSources) AsImport() EpisodeImport {
	out := EpisodeImport{SourceEpisodeID: e.Episode.SourceEpisodeID, Number: e.Episode.Number, Title: e.Episode.Title,
		Available: e.Episode.Active, Players: make([]VideoImport, len(e.Sources))}
	for i, v := range e.Sources {
		out.Players[i] = VideoImport{Type: v.Type, URL: v.URL, SourceName: v.SourceName, Priority: v.Priority}
	}
	return out
}

// ExportChunk is how many anime an export reads at a time.
const ExportChunk = 500
