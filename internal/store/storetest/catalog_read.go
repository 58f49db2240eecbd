package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testCatalogRead(t *testing.T, open Opener) {
	t.Run("an unknown or inactive anime is not found by any of its slugs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Kaiji")
		importAll(t, s, a)
		_, err := s.AnimeBySlug(t.Context(), "nope")
		wantError(t, "AnimeBySlug(unknown)", err, domain.KindNotFound, "Anime not found: nope")
		mustUpdateAnime(t, s, a.NewID, domain.AnimePatch{Slug: ptr("kaiji-ultimate-survivor"), Active: ptr(false)}, now)
		for _, slug := range []string{"kaiji", "kaiji-ultimate-survivor"} {
			_, err := s.AnimeBySlug(t.Context(), slug)
			wantError(t, "AnimeBySlug(inactive "+slug+")", err, domain.KindNotFound, "Anime not found: "+slug)
		}
	})

	t.Run("episodes are the active ones by number, then id, with their active sources by priority, then id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Mononoke")
		a.Episodes = episodes(4, "kodik", "aniboom", "sibnet")
		a.Episodes[0].Number, a.Episodes[1].Number = 2, 2 // two episodes numbered 2
		a.Episodes[2].Available = false
		a.Episodes[3].Players[0].Priority = 1 // kodik and aniboom share a priority
		a.Episodes = append(a.Episodes, domain.EpisodeImport{SourceEpisodeID: "ep0", Number: 0, Available: true})
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 5, SourcesWritten: 12})
		eps := mustEpisodes(t, s, a.NewID)
		edited := eps[1].Episode.ID
		mustUpdateVideo(t, s, eps[1].Sources[0].ID, domain.VideoPatch{Active: ptr(false)}, now)

		eps = mustEpisodes(t, s, a.NewID)
		if len(eps) != 4 || eps[0].Episode.SourceEpisodeID != "ep0" || eps[3].Episode.SourceEpisodeID != "ep4" {
			t.Fatalf("Episodes() = %v, want ep0, ep1 and ep2 (both number 2), ep4", summary(eps))
		}
		if eps[0].Sources == nil || len(eps[0].Sources) != 0 {
			t.Errorf("Episodes()[0].Sources = %#v, want an empty list", eps[0].Sources)
		}
		if twins := []string{eps[1].Episode.ID, eps[2].Episode.ID}; !slices.IsSorted(twins) {
			t.Errorf("episodes numbered 2 in the order %v, want by id", twins)
		}
		for _, e := range eps[1:3] {
			n := strings.TrimPrefix(e.Episode.SourceEpisodeID, "ep")
			want := e.Episode.SourceEpisodeID + "#2 sibnet/" + n + ":2 aniboom/" + n + ":1 kodik/" + n + ":0"
			if e.Episode.ID == edited {
				want = e.Episode.SourceEpisodeID + "#2 aniboom/" + n + ":1 kodik/" + n + ":0" // sibnet deactivated
			}
			if got := summary([]domain.EpisodeWithSources{e}); got[0] != want {
				t.Errorf("episode %s = %s, want %s", e.Episode.ID, got[0], want)
			}
		}
		last := eps[3].Sources
		if len(last) != 3 || last[0].SourceName != "sibnet" || last[1].Priority != 1 || last[2].Priority != 1 || last[1].ID > last[2].ID {
			t.Errorf("sources of ep4 = %v, want sibnet (2), then the two of priority 1 by id", summary(eps[3:]))
		}
	})

	t.Run("an anime without episodes, or an unknown one, has none", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Empty")
		importAll(t, s, a)
		for _, id := range []string{a.NewID, domain.NewUUID(), "not-a-uuid"} {
			if eps := mustEpisodes(t, s, id); eps == nil || len(eps) != 0 {
				t.Errorf("Episodes(%s) = %#v, want an empty list", id, eps)
			}
		}
	})
}
