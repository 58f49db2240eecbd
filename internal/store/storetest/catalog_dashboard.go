package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// dashboardView is a Dashboard with anime as their titles and episodes as
// "<anime title>/<source episode id>".
type dashboardView struct {
	TotalAnime, ActiveAnime, InactiveAnime int
	TotalEpisodes, InactiveEpisodes        int
	TotalSources                           int
	SourcesByName                          []domain.NamedCount
	RecentAnime, RecentEpisodes            []string
	WithoutSource                          int
	WithoutSourceAnime                     []string
}

func mustDashboard(t *testing.T, s domain.Store) (domain.Dashboard, dashboardView) {
	t.Helper()
	d, err := s.Dashboard(t.Context())
	if err != nil {
		t.Fatalf("Dashboard() error = %v", err)
	}
	v := dashboardView{TotalAnime: d.TotalAnime, ActiveAnime: d.ActiveAnime, InactiveAnime: d.InactiveAnime, TotalEpisodes: d.TotalEpisodes,
		InactiveEpisodes: d.InactiveEpisodes, TotalSources: d.TotalSources, SourcesByName: d.SourcesByName, WithoutSource: d.WithoutSource,
		RecentAnime: []string{}, RecentEpisodes: []string{}, WithoutSourceAnime: []string{}}
	if v.SourcesByName == nil {
		v.SourcesByName = []domain.NamedCount{}
	}
	for _, a := range d.RecentAnime {
		v.RecentAnime = append(v.RecentAnime, a.Title)
	}
	for _, e := range d.RecentEpisodes {
		v.RecentEpisodes = append(v.RecentEpisodes, mustAnimeByID(t, s, e.AnimeID).Title+"/"+e.SourceEpisodeID)
	}
	for _, a := range d.WithoutSourceAnime {
		v.WithoutSourceAnime = append(v.WithoutSourceAnime, a.Title)
	}
	return d, v
}

// counts are named counts of alternating names and counts.
func counts(kv ...any) []domain.NamedCount {
	out := []domain.NamedCount{}
	for i := 0; i < len(kv); i += 2 {
		out = append(out, domain.NamedCount{Name: kv[i].(string), Count: kv[i+1].(int)})
	}
	return out
}

func wantDashboard(t *testing.T, s domain.Store, want dashboardView) domain.Dashboard {
	t.Helper()
	d, got := mustDashboard(t, s)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dashboard() mismatch (-want +got):\n%s", diff)
	}
	return d
}

func testCatalogDashboard(t *testing.T, open Opener) {
	t.Run("an empty catalog counts nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		wantDashboard(t, s, dashboardView{SourcesByName: counts(), RecentAnime: []string{}, RecentEpisodes: []string{}, WithoutSourceAnime: []string{}})
	})

	t.Run("counts, sources by name, the newest anime and episodes, and the anime without an active source", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		minute := func(m int, sec int) time.Time {
			return now.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
		}
		add := func(a domain.AnimeImport, at time.Time, eps ...domain.EpisodeImport) {
			t.Helper()
			mustImport(t, s, a, at, domain.ImportCounts{AnimeWritten: 1})
			for i, e := range eps { // one by one, each created at its own time
				if _, err := s.ImportEpisodes(t.Context(), source, a.SourceID, []domain.EpisodeImport{e}, at.Add(time.Duration(i+1)*time.Second)); err != nil {
					t.Fatalf("ImportEpisodes(%s) error = %v", e.SourceEpisodeID, err)
				}
			}
		}
		episode := func(id string, n int, players ...domain.VideoImport) domain.EpisodeImport {
			return domain.EpisodeImport{SourceEpisodeID: id, Number: n, Available: true, Players: players}
		}
		alpha, beta, gamma, delta, zeta := newAnime("1", "Alpha"), newAnime("2", "Beta"), newAnime("3", "Gamma"), newAnime("4", "Delta"), newAnime("6", "Zeta")
		off := episode("ep2", 2, player("kodik", 2, 0), player("aniboom", 2, 1))
		off.Available = false
		add(alpha, minute(0, 0), episode("ep1", 1, player("kodik", 1, 0), player("aniboom", 1, 1)), off)
		add(beta, minute(1, 0), episode("ep1", 1, player("kodik", 1, 0)))
		add(gamma, minute(2, 0))
		add(delta, minute(3, 0))
		epsilon := mustCreateAnime(t, s, manual("m5", "Epsilon"), false, minute(4, 0))
		add(zeta, minute(6, 0), episode("ep1", 1, player("aniboom", 1, 0), player("sibnet", 1, 1)), episode("ep2", 2, player("cdn", 2, 0)))
		e, err := s.CreateEpisode(t.Context(), domain.NewEpisode{AnimeID: epsilon.ID, Number: 1, SourceEpisodeID: "m1", Active: true}, minute(5, 0),
			editAudit(domain.ActionEpisodeCreate, domain.AuditTargetEpisode, ""))
		if err != nil {
			t.Fatalf("CreateEpisode() error = %v", err)
		}
		manualVideo, err := createVideo(s, t, domain.VideoSource{EpisodeID: e.ID, Type: domain.VideoMP4, URL: "https://kodik.example/m1", SourceName: "kodik", Active: true}, minute(5, 0))
		if err != nil {
			t.Fatalf("CreateVideo() error = %v", err)
		}
		betaEp := mustAdminEpisodes(t, s, beta.NewID)[0]
		betaVideos, _ := mustAdminVideos(t, s, betaEp.ID)
		mustUpdateVideo(t, s, betaVideos[0].ID, domain.VideoPatch{Active: ptr(false)}, minute(7, 0))
		mustUpdateAnime(t, s, delta.NewID, domain.AnimePatch{Active: ptr(false)}, minute(7, 0))

		d := wantDashboard(t, s, dashboardView{
			TotalAnime: 6, ActiveAnime: 5, InactiveAnime: 1, TotalEpisodes: 6, InactiveEpisodes: 1, TotalSources: 9,
			SourcesByName:      counts("kodik", 4, "aniboom", 3, "cdn", 1, "sibnet", 1),
			RecentAnime:        []string{"Zeta", "Epsilon", "Delta", "Gamma", "Beta"},
			RecentEpisodes:     []string{"Zeta/ep2", "Zeta/ep1", "Epsilon/m1", "Beta/ep1", "Alpha/ep2"},
			WithoutSource:      2,
			WithoutSourceAnime: []string{"Beta", "Gamma"},
		})
		if len(d.RecentAnime) > 2 {
			if diff := cmp.Diff(mustAnimeByID(t, s, delta.NewID), d.RecentAnime[2]); diff != "" {
				t.Errorf("Dashboard().RecentAnime[2] mismatch (-want +got):\n%s", diff)
			}
		}
		if len(d.RecentEpisodes) > 2 {
			if diff := cmp.Diff(e.Episode, d.RecentEpisodes[2]); diff != "" {
				t.Errorf("Dashboard().RecentEpisodes[2] mismatch (-want +got):\n%s", diff)
			}
		}
		if len(d.WithoutSourceAnime) > 0 {
			if diff := cmp.Diff(mustAnimeByID(t, s, beta.NewID), d.WithoutSourceAnime[0]); diff != "" {
				t.Errorf("Dashboard().WithoutSourceAnime[0] mismatch (-want +got):\n%s", diff)
			}
		}

		// The counts follow the editors' changes: Gamma gets a source,
		// Epsilon loses its only one, Beta's plays again but not its episode.
		at := minute(8, 0)
		mustAttach(t, s, mustAdminEpisodes(t, s, zeta.NewID)[0].ID, gamma.NewID, at)
		must(t, s.DeleteVideo(t.Context(), manualVideo.ID, at, editAudit(domain.ActionVideoDelete, domain.AuditTargetVideo, manualVideo.ID)))
		mustUpdateVideo(t, s, betaVideos[0].ID, domain.VideoPatch{Active: ptr(true)}, at)
		mustUpdateEpisode(t, s, betaEp.ID, domain.EpisodePatch{Active: ptr(false)}, at)
		mustUpdateAnime(t, s, delta.NewID, domain.AnimePatch{Active: ptr(true)}, at)
		mustUpdateAnime(t, s, alpha.NewID, domain.AnimePatch{Active: ptr(false)}, at)
		wantDashboard(t, s, dashboardView{
			TotalAnime: 6, ActiveAnime: 5, InactiveAnime: 1, TotalEpisodes: 6, InactiveEpisodes: 2, TotalSources: 8,
			SourcesByName:      counts("aniboom", 3, "kodik", 3, "cdn", 1, "sibnet", 1),
			RecentAnime:        []string{"Zeta", "Epsilon", "Delta", "Gamma", "Beta"},
			RecentEpisodes:     []string{"Zeta/ep2", "Gamma/ep1", "Epsilon/m1", "Beta/ep1", "Alpha/ep2"},
			WithoutSource:      3,
			WithoutSourceAnime: []string{"Beta", "Delta", "Epsilon"},
		})
	})

	t.Run("the anime without an active source are the first 20 by title, all counted", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i := range 22 {
			n := (i * 7) % 22 // not in title order
			mustImport(t, s, newAnime(fmt.Sprint(n), fmt.Sprintf("Anime %02d", n)), now.Add(time.Duration(i)*time.Second), domain.ImportCounts{AnimeWritten: 1})
		}
		playable := newAnime("x", "Anime 00 playable")
		playable.Episodes = episodes(1, "kodik")
		mustImport(t, s, playable, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1, SourcesWritten: 1})
		d, _ := mustDashboard(t, s)
		var want, got []string
		for i := range 20 {
			want = append(want, fmt.Sprintf("Anime %02d", i))
		}
		for _, a := range d.WithoutSourceAnime {
			got = append(got, a.Title)
		}
		if diff := cmp.Diff(want, got); diff != "" || d.WithoutSource != 22 || d.TotalAnime != 23 {
			t.Errorf("Dashboard() without source %d of %d anime, want 22 of 23; the first 20 (-want +got):\n%s", d.WithoutSource, d.TotalAnime, diff)
		}
	})
}
