package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testCatalogExport(t *testing.T, open Opener) {
	t.Run("an export gives back what was imported, by title, in chunks", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var sent []domain.AnimeImport
		for i := range domain.ExportChunk + 3 { // more than one chunk
			a := newAnime(fmt.Sprintf("src-%04d", i), fmt.Sprintf("Anime %04d", i))
			if i%100 == 0 {
				a = withGenres(a, "Action", "Drama")
				a.Episodes = episodes(3, "kodik", "aniboom")
				a.Episodes[1].Available = false
			}
			mustImport(t, s, a, now, importCounts(a))
			sent = append(sent, a)
		}
		var got []domain.AnimeImport
		if err := s.ExportCatalog(t.Context(), func(a domain.AnimeImport) error { got = append(got, a); return nil }); err != nil {
			t.Fatalf("ExportCatalog() error = %v", err)
		}
		if len(got) != len(sent) {
			t.Fatalf("exported %d anime, want %d", len(got), len(sent))
		}
		for i := range sent {
			want := sent[i]
			want.NewID, want.SlugBase, want.Names, want.GenreKeys = "", "", domain.Names{}, nil
			for j := range want.Episodes { // sources come by priority, highest first
				p := want.Episodes[j].Players
				want.Episodes[j].Players = []domain.VideoImport{p[1], p[0]}
			}
			if want.Genres == nil {
				want.Genres = []string{}
			}
			if want.AlternativeTitles == nil {
				want.AlternativeTitles = []string{}
			}
			if diff := cmp.Diff(want, got[i]); diff != "" {
				t.Fatalf("exported anime %d mismatch (-want +got):\n%s", i, diff)
			}
		}
	})

	t.Run("an error from yield stops the export and is returned", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustImport(t, s, newAnime("a", "A"), now, domain.ImportCounts{AnimeWritten: 1})
		mustImport(t, s, newAnime("b", "B"), now, domain.ImportCounts{AnimeWritten: 1})
		stop, calls := errors.New("stop"), 0
		err := s.ExportCatalog(t.Context(), func(domain.AnimeImport) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("ExportCatalog() = %v after %d calls, want the yield error after 1", err, calls)
		}
	})
}

// importCounts is what importing a into an empty store writes.
func importCounts(a domain.AnimeImport) domain.ImportCounts {
	c := domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: len(a.Episodes)}
	for _, e := range a.Episodes {
		c.SourcesWritten += len(e.Players)
	}
	return c
}
