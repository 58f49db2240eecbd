package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testCatalogEdited(t *testing.T, open Opener) {
	t.Run("rows an editor changed are not overwritten, yet new episodes and sources are added", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Bleach")
		a.Episodes = episodes(2, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		eps := mustEpisodes(t, s, a.NewID)
		mustUpdateAnime(t, s, a.NewID, retitle("Bleach (edited)"), now)
		mustUpdateEpisode(t, s, eps[0].Episode.ID, domain.EpisodePatch{Number: ptr(100)}, now)
		mustUpdateVideo(t, s, eps[1].Sources[0].ID, domain.VideoPatch{Priority: ptr(50)}, now)

		b := newAnime("1", "Bleach TV")
		b.Episodes = episodes(3, "kodik", "aniboom")
		b.Episodes[0].Available = false
		b.Episodes[1].Players[0].Priority = 9
		mustImport(t, s, b, now.Add(time.Hour), domain.ImportCounts{AnimeUnchanged: 1, EpisodesWritten: 1, EpisodesUnchanged: 2, SourcesWritten: 4, SourcesUnchanged: 2})
		got := mustBySlug(t, s, "bleach")
		if got.Title != "Bleach (edited)" || !got.AdminModified || !got.UpdatedAt.Equal(now) {
			t.Errorf("edited anime after an import = %q, admin modified %v, updated %v; want the editor's title, true, %v", got.Title, got.AdminModified, got.UpdatedAt, now)
		}
		wantTitles(t, s, domain.AnimeQuery{Search: "bleach tv"})
		wantEpisodes(t, s, a.NewID, "ep2#2 kodik/2:50 aniboom/2:1", "ep3#3 aniboom/3:1 kodik/3:0", "ep1#100 aniboom/1:1 kodik/1:0")
	})

	t.Run("an episode an editor moved to another anime is still the parser's, not made again", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := newAnime("1", "Fate/Zero"), newAnime("2", "Fate/Zero 2")
		a.Episodes = episodes(2, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		mustImport(t, s, b, now, domain.ImportCounts{AnimeWritten: 1})
		moved := mustEpisodes(t, s, a.NewID)[0].Episode.ID
		mustAttach(t, s, moved, b.NewID, now)

		a.Episodes = episodes(2, "kodik", "aniboom")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeUnchanged: 1, EpisodesUnchanged: 2, SourcesWritten: 2, SourcesUnchanged: 2})
		wantEpisodes(t, s, a.NewID, "ep2#2 aniboom/2:1 kodik/2:0")
		wantEpisodes(t, s, b.NewID, "ep1#1 aniboom/1:1 kodik/1:0")
		c, err := s.ImportVideo(t.Context(), source, "ep1", "1", player("sibnet", 1, 3), now)
		if err != nil || c != (domain.ImportCounts{SourcesWritten: 1}) {
			t.Fatalf("ImportVideo(moved episode) = %+v, %v; want one source written", c, err)
		}
		wantEpisodes(t, s, b.NewID, "ep1#1 sibnet/1:3 aniboom/1:1 kodik/1:0")
	})
}

func testEpisodeImports(t *testing.T, open Opener) {
	t.Run("episodes are imported under the anime of a source id, idempotently", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Frieren")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
		eps := episodes(2, "kodik")
		for _, want := range []domain.ImportCounts{{EpisodesWritten: 2, SourcesWritten: 2}, {EpisodesUnchanged: 2, SourcesUnchanged: 2}} {
			c, err := s.ImportEpisodes(t.Context(), source, "1", eps, now)
			if err != nil || c != want {
				t.Fatalf("ImportEpisodes() = %+v, %v; want %+v", c, err, want)
			}
		}
		wantEpisodes(t, s, a.NewID, "ep1#1 kodik/1:0", "ep2#2 kodik/2:0")
	})

	t.Run("episodes for an unknown anime are not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustImport(t, s, newAnime("1", "Frieren"), now, domain.ImportCounts{AnimeWritten: 1})
		_, err := s.ImportEpisodes(t.Context(), source, "2", episodes(1), now)
		wantError(t, "ImportEpisodes(unknown id)", err, domain.KindNotFound, "Anime not found: shikimori/2")
		_, err = s.ImportEpisodes(t.Context(), "other", "1", episodes(1), now)
		wantError(t, "ImportEpisodes(other source)", err, domain.KindNotFound, "Anime not found: other/1")
	})

	t.Run("a video is imported under the episode of a source id, idempotently", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Frieren")
		a.Episodes = episodes(1)
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1})
		v := domain.VideoImport{Type: domain.VideoM3U8, URL: "https://cdn.example/1.m3u8", SourceName: "cdn", Priority: 3}
		for _, step := range []struct {
			priority int
			want     domain.ImportCounts
		}{{3, domain.ImportCounts{SourcesWritten: 1}}, {3, domain.ImportCounts{SourcesUnchanged: 1}}, {-2, domain.ImportCounts{SourcesWritten: 1}}} {
			v.Priority = step.priority
			c, err := s.ImportVideo(t.Context(), source, "ep1", "", v, now)
			if err != nil || c != step.want {
				t.Fatalf("ImportVideo(priority %d) = %+v, %v; want %+v", step.priority, c, err, step.want)
			}
		}
		wantEpisodes(t, s, a.NewID, "ep1#1 cdn/1.m3u8:-2")
	})

	t.Run("a video for an unknown episode is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Frieren")
		a.Episodes = episodes(1)
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1})
		for _, c := range []struct{ sourceName, episode, anime string }{{source, "ep2", ""}, {"other", "ep1", ""}, {source, "ep1", "2"}} {
			_, err := s.ImportVideo(t.Context(), c.sourceName, c.episode, c.anime, player("kodik", 1, 0), now)
			wantError(t, "ImportVideo("+c.sourceName+", "+c.episode+", "+c.anime+")", err, domain.KindNotFound, "Episode not found: "+c.sourceName+"/"+c.episode)
		}
	})

	t.Run("a video for an episode id two anime share needs the anime source id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := newAnime("1", "Frieren"), newAnime("2", "Frieren 2")
		a.Episodes, b.Episodes = episodes(1), episodes(1)
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1})
		mustImport(t, s, b, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1})
		_, err := s.ImportVideo(t.Context(), source, "ep1", "", player("kodik", 1, 0), now)
		wantKind(t, "ImportVideo(shared episode id)", err, domain.KindConflict)
		if !strings.Contains(err.Error(), "anime_source_id") {
			t.Errorf("ImportVideo(shared episode id) error = %q, want it to ask for anime_source_id", err)
		}
		if _, err := s.ImportVideo(t.Context(), source, "ep1", "2", player("kodik", 1, 0), now); err != nil {
			t.Fatalf("ImportVideo(with anime source id) error = %v", err)
		}
		wantEpisodes(t, s, a.NewID, "ep1#1")
		wantEpisodes(t, s, b.NewID, "ep1#1 kodik/1:0")
	})
}
