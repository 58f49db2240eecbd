package storetest

import (
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// importAll imports each anime (new ones) and returns them.
func importAll(t *testing.T, s domain.Store, as ...domain.AnimeImport) []domain.AnimeImport {
	t.Helper()
	for _, a := range as {
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
	}
	return as
}

func testAnimeList(t *testing.T, open Opener) {
	t.Run("lists are ordered by folded title, then id, and count every match", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		late, early := newAnime("1", "Twin"), newAnime("2", "twin")
		late.NewID, early.NewID = "ffffffff-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"
		importAll(t, s, newAnime("3", "Zeta"), late, newAnime("4", "Étoile"), newAnime("5", "apple"), early, newAnime("6", "Banana"),
			newAnime("7", "Ácaro"), newAnime("8", "進撃"), newAnime("9", "Волк"), newAnime("10", "Ab"), newAnime("11", "A B"))
		// Byte-wise, as SQLite compares: a space before letters, Latin before Cyrillic before kanji.
		wantTitles(t, s, domain.AnimeQuery{}, "A B", "Ab", "Ácaro", "apple", "Banana", "Étoile", "twin", "Twin", "Zeta", "Волк", "進撃")
		wantTitles(t, s, domain.AnimeQuery{ActiveOnly: true, Skip: 4, Limit: 3}, "Banana", "Étoile", "twin")
		wantTitles(t, s, domain.AnimeQuery{Skip: 10, Limit: 5}, "進撃")
		wantTitles(t, s, domain.AnimeQuery{Skip: 11, Limit: 5})
		for _, q := range []domain.AnimeQuery{{Skip: 4, Limit: 3}, {Skip: 11, Limit: 5}, {Skip: 100, Limit: 1}} {
			if _, total, err := s.AnimeList(t.Context(), q); err != nil || total != 11 {
				t.Errorf("AnimeList(%+v) total = %d, %v; want 11", q, total, err)
			}
		}
	})

	t.Run("filters by year, status, genre and activity, together", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Alpha"), "Action", "Sci-Fi")
		a.Year, a.Status = ptr(2020), ptr(domain.AnimeOngoing)
		b := withGenres(newAnime("2", "Beta"), "Drama")
		b.Year, b.Status = ptr(2020), ptr(domain.AnimeCompleted)
		c := withGenres(newAnime("3", "Gamma"), "Action")
		c.Year = ptr(2021)
		d := withGenres(newAnime("4", "Delta"), "Action")
		d.Year, d.Status = ptr(2020), ptr(domain.AnimeOngoing)
		importAll(t, s, a, b, c, d)
		mustUpdateAnime(t, s, d.NewID, domain.AnimePatch{Active: ptr(false)}, now)

		wantTitles(t, s, domain.AnimeQuery{}, "Alpha", "Beta", "Delta", "Gamma")
		wantTitles(t, s, domain.AnimeQuery{ActiveOnly: true}, "Alpha", "Beta", "Gamma")
		wantTitles(t, s, domain.AnimeQuery{Year: ptr(2020)}, "Alpha", "Beta", "Delta")
		wantTitles(t, s, domain.AnimeQuery{Year: ptr(1999)})
		wantTitles(t, s, domain.AnimeQuery{Status: domain.AnimeOngoing}, "Alpha", "Delta")
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "action"}, "Alpha", "Delta", "Gamma")
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "sci fi"}, "Alpha")
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "act"})
		wantTitles(t, s, domain.AnimeQuery{GenreKey: "action", Year: ptr(2020), Status: domain.AnimeOngoing, ActiveOnly: true}, "Alpha")
	})
}

func testAnimeSearch(t *testing.T, open Opener) {
	t.Run("a fragment of any name in any script is found, however short", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		importAll(t, s, newAnime("1", "Shingeki no Kyojin", "Attack on Titan", "進撃の巨人"),
			newAnime("2", "Kyoukai no Kanata", "Beyond the Boundary", "境界の彼方"),
			newAnime("3", "Ōkami-san", "Волчица и семь её спутников"))
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"巨人", []string{"Shingeki no Kyojin"}},
			{"の", []string{"Kyoukai no Kanata", "Shingeki no Kyojin"}},
			{"kyo", []string{"Kyoukai no Kanata", "Shingeki no Kyojin"}},
			{"ttack on ti", []string{"Shingeki no Kyojin"}},
			{"okami", []string{"Ōkami-san"}},
			{"волчица", []string{"Ōkami-san"}},
			{"ее", []string{"Ōkami-san"}},
			{"z", nil},
			{"titanic", nil},
		} {
			wantTitles(t, s, domain.AnimeQuery{Search: c.q}, c.want...)
		}
	})

	t.Run("matches are ranked: a whole name, a name's start, a word's start, the rest", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		importAll(t, s, newAnime("1", "Anaruto"), newAnime("2", "Boruto: Naruto Next Generations"), newAnime("3", "Naruto Shippuden"),
			newAnime("4", "Tails", "Naruto"), newAnime("5", "Naruto"), newAnime("6", "Bleach"), newAnime("7", "Aaa", "The Naruto Movie"))
		wantTitles(t, s, domain.AnimeQuery{Search: "naruto"},
			"Naruto", "Tails", "Naruto Shippuden", "Aaa", "Boruto: Naruto Next Generations", "Anaruto")
		wantTitles(t, s, domain.AnimeQuery{Search: "naruto", Skip: 1, Limit: 2}, "Tails", "Naruto Shippuden")
		if _, total, err := s.AnimeList(t.Context(), domain.AnimeQuery{Search: "naruto", Skip: 1, Limit: 2}); err != nil || total != 6 {
			t.Errorf("AnimeList(naruto, page 2 of 2) total = %d, %v; want 6", total, err)
		}
	})

	t.Run("a search meets the other filters and skips inactive anime when asked", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c := withGenres(newAnime("1", "Titan One"), "Action"), withGenres(newAnime("2", "Titan Two"), "Drama"), newAnime("3", "Titan Three")
		a.Year, b.Year, c.Year = ptr(2001), ptr(2001), ptr(2001)
		importAll(t, s, a, b, c)
		mustUpdateAnime(t, s, c.NewID, domain.AnimePatch{Active: ptr(false)}, now)
		wantTitles(t, s, domain.AnimeQuery{Search: "titan", ActiveOnly: true}, "Titan One", "Titan Two")
		wantTitles(t, s, domain.AnimeQuery{Search: "titan"}, "Titan One", "Titan Three", "Titan Two")
		wantTitles(t, s, domain.AnimeQuery{Search: "titan", GenreKey: "drama", Year: ptr(2001)}, "Titan Two")
		wantTitles(t, s, domain.AnimeQuery{Search: "titan", Year: ptr(2002)})
	})

	t.Run("wildcards, escapes and quotes in a search are literal", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// The names fold to search texts without these characters; the store
		// must still take a search for what it is.
		raw := func(id, name string) domain.AnimeImport {
			a := newAnime(id, name)
			a.Names = domain.Names{TitleKey: name, Search: "\n" + name + "\n"}
			return a
		}
		importAll(t, s, raw("1", "100% love"), raw("2", "100 love"), raw("3", "a_b"), raw("4", "axb"), raw("5", `c\d`), raw("6", "cd"),
			raw("7", "it's"), raw("8", "its"), raw("9", "e*f"), raw("10", "e?f"), raw("11", "e[f]"), raw("12", "ef"), raw("13", `say "hi"`))
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"100%", []string{"100% love"}}, {"%", []string{"100% love"}}, {"0%l", nil},
			{"a_b", []string{"a_b"}}, {"_", []string{"a_b"}},
			{`c\d`, []string{`c\d`}}, {`\`, []string{`c\d`}}, {`\d`, []string{`c\d`}},
			{"it's", []string{"it's"}}, {"'", []string{"it's"}}, {`"hi"`, []string{`say "hi"`}},
			{"e*f", []string{"e*f"}}, {"e?f", []string{"e?f"}}, {"[f]", []string{"e[f]"}}, {"[", []string{"e[f]"}}, {"*", []string{"e*f"}},
		} {
			wantTitles(t, s, domain.AnimeQuery{Search: c.q}, c.want...)
		}
	})
}
