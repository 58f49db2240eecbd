package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Text folds names for comparison and makes slugs (platform/textnorm).
type Text interface {
	Fold(s string) string
	Slug(s string, max int) string
}

// CatalogEvents hears what imports did (for metrics): n rows of a kind
// ("anime", "episodes", "sources") with a result ("written", "unchanged",
// "failed").
type CatalogEvents interface {
	CatalogImported(kind, result string, n int)
}

// Failed counts the rows of refused import items.
type Failed struct{ Anime, Episodes, Sources int }

type noCatalogEvents struct{}

func (noCatalogEvents) CatalogImported(string, string, int) {}

// Catalog is the anime catalog: the parser's imports and the public reads.
// Every write that changes something calls changed before it returns, so
// that cached read models are dropped before the writer hears of success.
type Catalog struct {
	store   domain.CatalogStore
	clock   Clock
	text    Text
	events  CatalogEvents
	changed func(ctx context.Context)
}

// NewCatalog returns the catalog use cases. changed may be nil (nothing is
// cached), events too.
func NewCatalog(store domain.CatalogStore, clock Clock, text Text, events CatalogEvents, changed func(ctx context.Context)) *Catalog {
	if events == nil {
		events = noCatalogEvents{}
	}
	if changed == nil {
		changed = func(context.Context) {}
	}
	return &Catalog{store: store, clock: clock, text: text, events: events, changed: changed}
}

// ImportError is one refused item of a batch.
type ImportError struct {
	Index    int
	SourceID string
	Message  string
}

// ImportReport says what a batch did: of Total items, Imported wrote
// something, Unchanged were as stored, and Errors were refused.
type ImportReport struct {
	Total, Imported, Unchanged int
	Errors                     []ImportError
}

// slugRoom keeps room after a slug for the -N of a collision.
const slugRoom = 8

// ImportAnime imports one anime (with any episodes it carries). Invalid
// input is KindInvalid, with every field at fault.
func (c *Catalog) ImportAnime(ctx context.Context, a domain.AnimeImport) (domain.ImportCounts, error) {
	if errs := a.Check(); len(errs) > 0 {
		c.report(domain.ImportCounts{}, failedOf(a))
		return domain.ImportCounts{}, domain.Invalid(errs...)
	}
	counts, err := c.store.ImportAnime(ctx, c.derive(a), c.clock.Now())
	if err != nil {
		return counts, fmt.Errorf("import anime: %w", err)
	}
	c.done(ctx, counts, Failed{})
	return counts, nil
}

// ImportCatalog imports many anime, each atomically with its episodes and
// players: an invalid anime (or one of its parts) is refused whole and
// reported, the others are imported.
func (c *Catalog) ImportCatalog(ctx context.Context, items []domain.AnimeImport) (ImportReport, error) {
	rep := ImportReport{Total: len(items)}
	var total domain.ImportCounts
	var failed Failed
	defer func() { c.done(ctx, total, failed) }()
	for i, a := range items {
		if errs := a.Check(); len(errs) > 0 {
			rep.Errors = append(rep.Errors, ImportError{Index: i, SourceID: a.SourceID, Message: domain.DescribeFields(errs)})
			failed.add(failedOf(a))
			continue
		}
		counts, err := c.store.ImportAnime(ctx, c.derive(a), c.clock.Now())
		if err != nil {
			return rep, fmt.Errorf("import catalog item %d: %w", i, err)
		}
		total.Add(counts)
		if counts.Wrote() {
			rep.Imported++
		} else {
			rep.Unchanged++
		}
	}
	return rep, nil
}

// ImportEpisodes imports episodes of one anime in one transaction: the
// invalid ones are reported and left out, the others written together.
// KindNotFound when the parser has no such anime here.
func (c *Catalog) ImportEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []domain.EpisodeImport) (ImportReport, error) {
	rep := ImportReport{Total: len(eps)}
	if errs := append(domain.CheckName("source_name", sourceName, domain.MaxSourceIDLen),
		domain.CheckName("anime_source_id", animeSourceID, domain.MaxSourceIDLen)...); len(errs) > 0 {
		return rep, domain.Invalid(errs...)
	}
	valid := make([]domain.EpisodeImport, 0, len(eps))
	var failed Failed
	for i, e := range eps {
		if errs := e.Check(); len(errs) > 0 {
			rep.Errors = append(rep.Errors, ImportError{Index: i, SourceID: e.SourceEpisodeID, Message: domain.DescribeFields(errs)})
			failed.add(failedEpisodes(eps[i : i+1]))
			continue
		}
		valid = append(valid, e)
	}
	counts, err := c.store.ImportEpisodes(ctx, sourceName, animeSourceID, valid, c.clock.Now())
	if err != nil {
		c.report(domain.ImportCounts{}, failedEpisodes(eps))
		return rep, fmt.Errorf("import episodes: %w", err)
	}
	rep.Imported, rep.Unchanged = counts.EpisodesWritten, len(valid)-counts.EpisodesWritten
	c.done(ctx, counts, failed)
	return rep, nil
}

// ImportVideo imports one video source of an episode. KindNotFound when no
// episode matches; KindConflict when episodes of several anime do and
// animeSourceID is empty.
func (c *Catalog) ImportVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v domain.VideoImport) (domain.ImportCounts, error) {
	errs := append(domain.CheckName("source_name", sourceName, domain.MaxSourceIDLen),
		domain.CheckName("source_episode_id", sourceEpisodeID, domain.MaxSourceIDLen)...)
	if animeSourceID != "" {
		errs = append(errs, domain.CheckName("anime_source_id", animeSourceID, domain.MaxSourceIDLen)...)
	}
	errs = append(errs, domain.PrefixFields("player", v.Check())...)
	if len(errs) > 0 {
		c.report(domain.ImportCounts{}, Failed{Sources: 1})
		return domain.ImportCounts{}, domain.Invalid(errs...)
	}
	counts, err := c.store.ImportVideo(ctx, sourceName, sourceEpisodeID, animeSourceID, v, c.clock.Now())
	if err != nil {
		c.report(domain.ImportCounts{}, Failed{Sources: 1})
		return counts, fmt.Errorf("import video: %w", err)
	}
	c.done(ctx, counts, Failed{})
	return counts, nil
}

// done drops cached read models when something was written, then reports.
func (c *Catalog) done(ctx context.Context, counts domain.ImportCounts, failed Failed) {
	if counts.Wrote() {
		c.changed(ctx)
	}
	c.report(counts, failed)
}

// report tells the events what an import wrote, left and refused.
func (c *Catalog) report(counts domain.ImportCounts, failed Failed) {
	for _, r := range [...]struct {
		kind, result string
		n            int
	}{
		{"anime", "written", counts.AnimeWritten}, {"anime", "unchanged", counts.AnimeUnchanged}, {"anime", "failed", failed.Anime},
		{"episodes", "written", counts.EpisodesWritten}, {"episodes", "unchanged", counts.EpisodesUnchanged}, {"episodes", "failed", failed.Episodes},
		{"sources", "written", counts.SourcesWritten}, {"sources", "unchanged", counts.SourcesUnchanged}, {"sources", "failed", failed.Sources},
	} {
		if r.n > 0 {
			c.events.CatalogImported(r.kind, r.result, r.n)
		}
	}
}

// derive fills in what the store needs beside the parser's fields: the new
// id, the slug base, the folded names and genres.
func (c *Catalog) derive(a domain.AnimeImport) domain.AnimeImport {
	a.NewID = domain.NewUUID()
	a.SlugBase = c.slugBase(a)
	a.Names = c.Names(a.Title, a.AlternativeTitles)
	a.GenreKeys = c.foldAll(a.Genres)
	return a
}

// slugBase is the slug of the title; when the title has nothing a slug can
// hold (Japanese, Cyrillic…), of the first alternative title that has;
// else anime-<the id's first 8 hex digits>.
func (c *Catalog) slugBase(a domain.AnimeImport) string {
	for _, name := range append([]string{a.Title}, a.AlternativeTitles...) {
		if s := c.text.Slug(name, domain.MaxSlugLen-slugRoom); s != "" {
			return s
		}
	}
	return "anime-" + a.NewID[:8]
}

// Names folds an anime's title and alternative titles for ordering and
// search (domain.Names).
func (c *Catalog) Names(title string, alternatives []string) domain.Names {
	names := c.foldAll(append([]string{title}, alternatives...))
	return domain.Names{TitleKey: c.text.Fold(title), Search: "\n" + strings.Join(names, "\n") + "\n"}
}

// foldAll folds each text, dropping empty and repeated results.
func (c *Catalog) foldAll(texts []string) []string {
	out := make([]string, 0, len(texts))
	for _, t := range texts {
		if f := c.text.Fold(t); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// CatalogQuery is a public list request: Search and Genre as the client
// typed them.
type CatalogQuery struct {
	Skip, Limit int
	Year        *int
	Status      string
	Genre       string
	Search      string
}

// List returns a page of the active catalog and how many anime match. A
// search that folds to nothing (only punctuation) matches nothing.
func (c *Catalog) List(ctx context.Context, q CatalogQuery) ([]domain.Anime, int, error) {
	sq := domain.AnimeQuery{Skip: q.Skip, Limit: q.Limit, Year: q.Year, Status: q.Status, ActiveOnly: true}
	if q.Genre != "" {
		if sq.GenreKey = c.text.Fold(q.Genre); sq.GenreKey == "" {
			return []domain.Anime{}, 0, nil
		}
	}
	if q.Search != "" {
		if sq.Search = c.text.Fold(q.Search); sq.Search == "" {
			return []domain.Anime{}, 0, nil
		}
	}
	return c.store.AnimeList(ctx, sq)
}

// Anime returns the active anime of a slug, current or former (the result
// has the current one). KindNotFound when none.
func (c *Catalog) Anime(ctx context.Context, slug string) (domain.Anime, error) {
	if !domain.ValidSlug(slug) {
		return domain.Anime{}, notFoundSlug(slug)
	}
	return c.store.AnimeBySlug(ctx, slug)
}

// Episodes returns the active episodes of an anime with their active
// sources.
func (c *Catalog) Episodes(ctx context.Context, animeID string) ([]domain.EpisodeWithSources, error) {
	return c.store.Episodes(ctx, animeID)
}

func notFoundSlug(slug string) error {
	return domain.E(domain.KindNotFound, "Anime not found: "+clip(slug, domain.MaxSlugLen))
}

// failedOf counts the rows of a refused anime item.
func failedOf(a domain.AnimeImport) Failed {
	f := failedEpisodes(a.Episodes)
	f.Anime = 1
	return f
}

// failedEpisodes counts the rows of refused episodes.
func failedEpisodes(eps []domain.EpisodeImport) Failed {
	f := Failed{Episodes: len(eps)}
	for _, e := range eps {
		f.Sources += len(e.Players)
	}
	return f
}

func (f *Failed) add(o Failed) {
	f.Anime, f.Episodes, f.Sources = f.Anime+o.Anime, f.Episodes+o.Episodes, f.Sources+o.Sources
}
