package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/textnorm"
)

const source = "shikimori"

// newAnime is an import of one anime with what the application derives
// from it: a new id, the slug base and the folded names.
func newAnime(sourceID, title string, alts ...string) domain.AnimeImport {
	slug := textnorm.Slug(title, domain.MaxSlugLen)
	if slug == "" { // the application has a fallback of its own
		slug = "anime-" + sourceID
	}
	return domain.AnimeImport{SourceName: source, SourceID: sourceID, Title: title, AlternativeTitles: alts,
		NewID: domain.NewUUID(), SlugBase: slug, Names: names(title, alts...)}
}

func names(title string, alts ...string) domain.Names {
	folded := []string{textnorm.Fold(title)}
	for _, a := range alts {
		folded = append(folded, textnorm.Fold(a))
	}
	return domain.Names{TitleKey: folded[0], Search: "\n" + strings.Join(folded, "\n") + "\n"}
}

// withGenres sets the genres and their folded keys.
func withGenres(a domain.AnimeImport, genres ...string) domain.AnimeImport {
	a.Genres, a.GenreKeys = genres, nil
	for _, g := range genres {
		a.GenreKeys = append(a.GenreKeys, textnorm.Fold(g))
	}
	return a
}

// episodes makes episodes ep1…epN numbered 1…N, each with one player per
// source name, the i-th of priority i, at https://<name>.example/<n>.
func episodes(n int, players ...string) []domain.EpisodeImport {
	var out []domain.EpisodeImport
	for i := 1; i <= n; i++ {
		e := domain.EpisodeImport{SourceEpisodeID: fmt.Sprintf("ep%d", i), Number: i, Available: true}
		for j, p := range players {
			e.Players = append(e.Players, player(p, i, j))
		}
		out = append(out, e)
	}
	return out
}

func player(name string, episode, priority int) domain.VideoImport {
	return domain.VideoImport{Type: domain.VideoIframe, URL: fmt.Sprintf("https://%s.example/%d", name, episode), SourceName: name, Priority: priority}
}

func mustImport(t *testing.T, s domain.Store, a domain.AnimeImport, at time.Time, want domain.ImportCounts) {
	t.Helper()
	got, err := s.ImportAnime(t.Context(), a, at)
	if err != nil {
		t.Fatalf("ImportAnime(%s) error = %v", a.SourceID, err)
	}
	if got != want {
		t.Fatalf("ImportAnime(%s) counts = %+v, want %+v", a.SourceID, got, want)
	}
}

func mustBySlug(t *testing.T, s domain.Store, slug string) domain.Anime {
	t.Helper()
	a, err := s.AnimeBySlug(t.Context(), slug)
	if err != nil {
		t.Fatalf("AnimeBySlug(%q) error = %v", slug, err)
	}
	return a
}

func mustEpisodes(t *testing.T, s domain.Store, animeID string) []domain.EpisodeWithSources {
	t.Helper()
	eps, err := s.Episodes(t.Context(), animeID)
	if err != nil {
		t.Fatalf("Episodes(%s) error = %v", animeID, err)
	}
	return eps
}

// summary shows episodes as "ep1#1 kodik/1:0 …": source episode id and
// number, then each source's host name, URL path and priority.
func summary(eps []domain.EpisodeWithSources) []string {
	out := []string{}
	for _, e := range eps {
		s := fmt.Sprintf("%s#%d", e.Episode.SourceEpisodeID, e.Episode.Number)
		for _, v := range e.Sources {
			s += " " + sourceSummary(v)
		}
		out = append(out, s)
	}
	return out
}

// sourceSummary shows a source as "kodik/1:0": its URL's host name and
// path, and its priority.
func sourceSummary(v domain.VideoSource) string {
	return fmt.Sprintf("%s:%d", strings.Replace(strings.TrimPrefix(v.URL, "https://"), ".example", "", 1), v.Priority)
}

func wantEpisodes(t *testing.T, s domain.Store, animeID string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, summary(mustEpisodes(t, s, animeID))); diff != "" {
		t.Errorf("Episodes() mismatch (-want +got):\n%s", diff)
	}
}

// wantError checks an error's kind and its client message.
func wantError(t *testing.T, call string, err error, kind domain.Kind, msg string) {
	t.Helper()
	wantKind(t, call, err, kind)
	var e *domain.Error
	if errors.As(err, &e); e.Msg != msg {
		t.Errorf("%s message = %q, want %q", call, e.Msg, msg)
	}
}

func testCatalog(t *testing.T, open Opener) {
	t.Run("import", func(t *testing.T) { testCatalogImport(t, open) })
	t.Run("protected rows", func(t *testing.T) { testCatalogEdited(t, open) })
	t.Run("episode and video imports", func(t *testing.T) { testEpisodeImports(t, open) })
	t.Run("list", func(t *testing.T) { testAnimeList(t, open) })
	t.Run("search", func(t *testing.T) { testAnimeSearch(t, open) })
	t.Run("read", func(t *testing.T) { testCatalogRead(t, open) })
	t.Run("export", func(t *testing.T) { testCatalogExport(t, open) })
}
