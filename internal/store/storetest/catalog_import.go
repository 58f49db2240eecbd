package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testCatalogImport(t *testing.T, open Opener) {
	t.Run("a new anime is stored with its episodes and sources", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Shingeki no Kyojin", "Attack on Titan", "進撃の巨人"), "Action", "Dark Fantasy")
		a.Description, a.Year, a.Status, a.Poster = ptr("Humanity behind walls."), ptr(2013), ptr(domain.AnimeCompleted), ptr("https://img.example/aot.jpg")
		a.Episodes = episodes(2, "kodik", "aniboom")
		a.Episodes[1].Title = ptr("That Day")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 4})

		got := mustBySlug(t, s, "shingeki-no-kyojin")
		want := domain.Anime{ID: a.NewID, Title: a.Title, Slug: "shingeki-no-kyojin", Description: a.Description, Year: a.Year,
			Status: a.Status, Poster: a.Poster, SourceName: source, SourceID: "1", Genres: []string{"Action", "Dark Fantasy"},
			AlternativeTitles: []string{"Attack on Titan", "進撃の巨人"}, Active: true, CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("AnimeBySlug() mismatch (-want +got):\n%s", diff)
		}
		eps := mustEpisodes(t, s, a.NewID)
		source := func(name string, n, prio int) domain.VideoSource {
			return domain.VideoSource{Type: domain.VideoIframe, URL: fmt.Sprintf("https://%s.example/%d", name, n), SourceName: name,
				Priority: prio, Active: true, CreatedAt: now, UpdatedAt: now}
		}
		episode := func(n int, title *string) domain.Episode {
			return domain.Episode{AnimeID: a.NewID, Number: n, Title: title, SourceEpisodeID: fmt.Sprintf("ep%d", n), Active: true, CreatedAt: now, UpdatedAt: now}
		}
		wantEps := []domain.EpisodeWithSources{
			{Episode: episode(1, nil), Sources: []domain.VideoSource{source("aniboom", 1, 1), source("kodik", 1, 0)}},
			{Episode: episode(2, ptr("That Day")), Sources: []domain.VideoSource{source("aniboom", 2, 1), source("kodik", 2, 0)}},
		}
		ids := cmp.Options{cmpopts.IgnoreFields(domain.Episode{}, "ID"), cmpopts.IgnoreFields(domain.VideoSource{}, "ID", "EpisodeID")}
		if diff := cmp.Diff(wantEps, eps, ids); diff != "" {
			t.Fatalf("Episodes() mismatch (-want +got):\n%s", diff)
		}
		for _, e := range eps {
			for _, v := range e.Sources {
				if v.EpisodeID != e.Episode.ID || !domain.ValidUUID(v.ID) || !domain.ValidUUID(e.Episode.ID) {
					t.Errorf("source %+v of episode %s: want UUIDs and its episode's id", v, e.Episode.ID)
				}
			}
		}
	})

	t.Run("re-importing the same data writes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Mushishi", "蟲師"), "Mystery")
		a.Description, a.Year, a.Poster, a.Status = ptr("Ginko travels."), ptr(2005), ptr("https://img.example/m.jpg"), ptr(domain.AnimeCompleted)
		a.Episodes = episodes(3, "kodik", "aniboom")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 3, SourcesWritten: 6})
		before, beforeEps := mustBySlug(t, s, "mushishi"), mustEpisodes(t, s, a.NewID)

		again := a
		again.NewID, again.Status = domain.NewUUID(), nil // a new id is made for every request; no status keeps it
		mustImport(t, s, again, now.Add(time.Hour), domain.ImportCounts{AnimeUnchanged: 1, EpisodesUnchanged: 3, SourcesUnchanged: 6})
		if diff := cmp.Diff(before, mustBySlug(t, s, "mushishi")); diff != "" {
			t.Errorf("anime after an unchanged import (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(beforeEps, mustEpisodes(t, s, a.NewID)); diff != "" {
			t.Errorf("episodes after an unchanged import (-before +after):\n%s", diff)
		}
	})

	t.Run("a changed import overwrites the parser's fields, nulls included, but not the slug or an unsent status", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Shingeki no Kyojin", "AoT"), "Action")
		a.Description, a.Year, a.Status, a.Poster = ptr("Walls."), ptr(2013), ptr(domain.AnimeOngoing), ptr("https://img.example/1.jpg")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})

		b := withGenres(newAnime("1", "Attack on Titan"), "Drama", "Mystery")
		later := now.Add(time.Hour)
		mustImport(t, s, b, later, domain.ImportCounts{AnimeWritten: 1})
		got := mustBySlug(t, s, "shingeki-no-kyojin")
		want := domain.Anime{ID: a.NewID, Title: "Attack on Titan", Slug: "shingeki-no-kyojin", Status: ptr(domain.AnimeOngoing),
			SourceName: source, SourceID: "1", Genres: []string{"Drama", "Mystery"}, AlternativeTitles: []string{},
			Active: true, CreatedAt: now, UpdatedAt: later}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after the changed import (-want +got):\n%s", diff)
		}
		wantKind(t, "AnimeBySlug(slug of the new title)", func() error { _, err := s.AnimeBySlug(t.Context(), "attack-on-titan"); return err }(), domain.KindNotFound)
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "action"})
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "mystery"}, "Attack on Titan")
		wantTitles(t, s, domain.AnimeQuery{Search: "aot"})
		wantTitles(t, s, domain.AnimeQuery{Search: "titan"}, "Attack on Titan")

		b.Status = ptr(domain.AnimeCompleted)
		mustImport(t, s, b, later, domain.ImportCounts{AnimeWritten: 1})
		if got := mustBySlug(t, s, "shingeki-no-kyojin").Status; got == nil || *got != domain.AnimeCompleted {
			t.Errorf("status after an import that sends one = %v, want completed", got)
		}
	})

	t.Run("a slug taken by another anime gets -1, -2", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i := range 18 { // more than a store may look at in one go
			want := "test-anime"
			if i > 0 {
				want += fmt.Sprint("-", i)
			}
			a := newAnime(fmt.Sprint(i), "Test Anime")
			mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
			if got := mustBySlug(t, s, want); got.ID != a.NewID || got.Slug != want {
				t.Errorf("anime %d: AnimeBySlug(%q) = %s with slug %q, want %s", i, want, got.ID, got.Slug, a.NewID)
			}
		}
		one := newAnime("x", "Test Anime 1") // its base is the second anime's slug
		mustImport(t, s, one, now, domain.ImportCounts{AnimeWritten: 1})
		if got := mustBySlug(t, s, "test-anime-1-1"); got.ID != one.NewID {
			t.Errorf("AnimeBySlug(test-anime-1-1) = %s, want %s", got.ID, one.NewID)
		}
	})

	t.Run("concurrent imports of one title get distinct slugs, of one anime make it once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 6
		var wg sync.WaitGroup
		counts := make([]domain.ImportCounts, 2*n)
		errs := make([]error, 2*n)
		for i := range 2 * n {
			wg.Go(func() {
				a := newAnime(fmt.Sprint(i), "Same Title") // the first n are distinct anime
				if i >= n {
					a = newAnime("same", "Same Anime")
				}
				a.Episodes = episodes(2, "kodik")
				counts[i], errs[i] = s.ImportAnime(t.Context(), a, now)
			})
		}
		wg.Wait()
		var total domain.ImportCounts
		for i, err := range errs {
			if err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
			if i >= n {
				total.Add(counts[i])
			}
		}
		if want := (domain.ImportCounts{AnimeWritten: 1, AnimeUnchanged: n - 1, EpisodesWritten: 2, EpisodesUnchanged: 2 * (n - 1),
			SourcesWritten: 2, SourcesUnchanged: 2 * (n - 1)}); total != want {
			t.Errorf("imports of one anime counted %+v, want %+v", total, want)
		}
		list, _, err := s.AnimeList(t.Context(), domain.AnimeQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		slugs := map[string]bool{}
		for _, a := range list {
			slugs[a.Slug] = true
		}
		if len(list) != n+1 || len(slugs) != n+1 || !slugs["same-title"] || !slugs["same-title-"+fmt.Sprint(n-1)] || !slugs["same-anime"] {
			t.Errorf("slugs after concurrent imports = %v of %d anime, want same-title … same-title-%d and same-anime", slugs, len(list), n-1)
		}
	})

	t.Run("a former slug keeps finding its anime and is never given to another", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Naruto")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
		mustUpdateAnime(t, s, a.NewID, domain.AnimePatch{Slug: ptr("naruto-classic")}, now)
		if got := mustBySlug(t, s, "naruto"); got.ID != a.NewID || got.Slug != "naruto-classic" {
			t.Errorf("AnimeBySlug(former slug) = %s with slug %q, want %s with its current slug naruto-classic", got.ID, got.Slug, a.NewID)
		}
		b := newAnime("2", "Naruto")
		mustImport(t, s, b, now, domain.ImportCounts{AnimeWritten: 1})
		if got := mustBySlug(t, s, "naruto-1"); got.ID != b.NewID {
			t.Errorf("second Naruto: AnimeBySlug(naruto-1) = %s, want %s", got.ID, b.NewID)
		}
		if got := mustBySlug(t, s, "naruto"); got.ID != a.NewID {
			t.Errorf("AnimeBySlug(naruto) = %s after another Naruto came, want the first %s", got.ID, a.NewID)
		}
	})

	t.Run("an unavailable episode is deactivated and comes back when available", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Monster")
		a.Episodes = episodes(3, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 3, SourcesWritten: 3})
		a.Episodes[1].Available = false
		mustImport(t, s, a, now, domain.ImportCounts{AnimeUnchanged: 1, EpisodesWritten: 1, EpisodesUnchanged: 2, SourcesUnchanged: 3})
		wantEpisodes(t, s, a.NewID, "ep1#1 kodik/1:0", "ep3#3 kodik/3:0")
		a.Episodes[1].Available = true
		mustImport(t, s, a, now, domain.ImportCounts{AnimeUnchanged: 1, EpisodesWritten: 1, EpisodesUnchanged: 2, SourcesUnchanged: 3})
		wantEpisodes(t, s, a.NewID, "ep1#1 kodik/1:0", "ep2#2 kodik/2:0", "ep3#3 kodik/3:0")
	})

	t.Run("a key repeated in one import is not an error: the last one wins", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Steins;Gate")
		a.Episodes = []domain.EpisodeImport{
			{SourceEpisodeID: "ep1", Number: 1, Available: true, Players: []domain.VideoImport{player("kodik", 1, 1), player("kodik", 1, 2)}},
			{SourceEpisodeID: "ep2", Number: 2, Available: true},
			{SourceEpisodeID: "ep1", Number: 7, Available: true, Players: []domain.VideoImport{player("kodik", 1, 5), player("aniboom", 1, 0)}},
		}
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		wantEpisodes(t, s, a.NewID, "ep2#2", "ep1#7 kodik/1:5 aniboom/1:0")
	})

	t.Run("an import that fails leaves nothing of it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Broken"), "Drama")
		a.Episodes = episodes(2, "kodik", "aniboom")
		a.Episodes[1].Players[1].Type = "bogus" // past validation, the database refuses it
		if _, err := s.ImportAnime(t.Context(), a, now); err == nil {
			t.Fatal("ImportAnime() with a bogus video type succeeded")
		}
		wantKind(t, "AnimeBySlug(broken)", func() error { _, err := s.AnimeBySlug(t.Context(), "broken"); return err }(), domain.KindNotFound)
		wantTitles(t, s, domain.AnimeQuery{})
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "drama"})

		a.Episodes[1].Players[1].Type = domain.VideoMP4
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 4})
		got := mustBySlug(t, s, "broken") // not broken-1: the failed import kept no slug
		b := withGenres(newAnime("1", "Broken Again"), "Comedy")
		b.Episodes = append(episodes(2, "kodik"), domain.EpisodeImport{SourceEpisodeID: "ep3", Number: 3, Available: true,
			Players: []domain.VideoImport{{Type: "bogus", URL: "https://x.example/3", SourceName: "x"}}})
		b.Episodes[0].Number = 10
		if _, err := s.ImportAnime(t.Context(), b, now.Add(time.Hour)); err == nil {
			t.Fatal("ImportAnime() of an update with a bogus video type succeeded")
		}
		if diff := cmp.Diff(got, mustBySlug(t, s, "broken")); diff != "" {
			t.Errorf("anime after a failed update (-before +after):\n%s", diff)
		}
		wantEpisodes(t, s, a.NewID, "ep1#1 aniboom/1:1 kodik/1:0", "ep2#2 aniboom/2:1 kodik/2:0")
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "comedy"})
	})
}

// wantListed checks a list call's titles, in order.
func wantListed(t *testing.T, call string, list []domain.Anime, err error, want []string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s error = %v", call, err)
	}
	got := []string{}
	for _, a := range list {
		got = append(got, a.Title)
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s titles (-want +got):\n%s", call, diff)
	}
}

// wantTitles lists the catalog (a page of 100) and checks the titles in
// order and the total.
func wantTitles(t *testing.T, s domain.Store, q domain.AnimeQuery, want ...string) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	list, total, err := s.AnimeList(t.Context(), q)
	wantListed(t, fmt.Sprintf("AnimeList(%+v)", q), list, err, want)
	if q.Skip == 0 && q.Limit > len(want) && total != len(want) {
		t.Errorf("AnimeList(%+v) total = %d, want %d", q, total, len(want))
	}
}
