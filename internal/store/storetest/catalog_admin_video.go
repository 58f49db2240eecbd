package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func mustAdminVideos(t *testing.T, s domain.Store, episodeID string) ([]domain.VideoSource, int) {
	t.Helper()
	list, number, err := s.AdminVideos(t.Context(), episodeID)
	if err != nil {
		t.Fatalf("AdminVideos(%s) error = %v", episodeID, err)
	}
	return list, number
}

func mustUpdateVideo(t *testing.T, s domain.Store, id string, p domain.VideoPatch, at time.Time) domain.VideoSource {
	t.Helper()
	got, err := s.UpdateVideo(t.Context(), id, p, at, editAudit(domain.ActionVideoUpdate, domain.AuditTargetVideo, id))
	if err != nil {
		t.Fatalf("UpdateVideo(%s) error = %v", id, err)
	}
	return got
}

// wantVideos checks AdminVideos as sourceSummary shows them, " off" after
// an inactive one, and the episode's number.
func wantVideos(t *testing.T, s domain.Store, episodeID string, number int, want ...string) []domain.VideoSource {
	t.Helper()
	list, n := mustAdminVideos(t, s, episodeID)
	got := []string{}
	for _, v := range list {
		if v.EpisodeID != episodeID {
			t.Errorf("AdminVideos(%s) lists %+v of another episode", episodeID, v)
		}
		if got = append(got, sourceSummary(v)); !v.Active {
			got[len(got)-1] += " off"
		}
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" || n != number {
		t.Errorf("AdminVideos(%s) number %d, want %d; sources (-want +got):\n%s", episodeID, n, number, diff)
	}
	return list
}

// oneEpisode imports an anime of one episode, number 7, with a source per
// player name as episodes makes them, and returns the ids of both.
func oneEpisode(t *testing.T, s domain.Store, sourceID string, players ...string) (animeID, episodeID string) {
	t.Helper()
	a := newAnime(sourceID, "Anime "+sourceID)
	a.Episodes = episodes(1, players...)
	a.Episodes[0].Number = 7
	mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1, SourcesWritten: len(players)})
	return a.NewID, mustAdminEpisodes(t, s, a.NewID)[0].ID
}

func createVideo(s domain.Store, t *testing.T, v domain.VideoSource, at time.Time) (domain.VideoSource, error) {
	return s.CreateVideo(t.Context(), v, at, editAudit(domain.ActionVideoCreate, domain.AuditTargetVideo, ""))
}

func testAdminVideos(t *testing.T, open Opener) {
	t.Run("every source of an episode, active or not, by priority then id, and the episode's number", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, ep := oneEpisode(t, s, "1", "kodik", "aniboom", "sibnet", "cdn")
		list := wantVideos(t, s, ep, 7, "cdn/1:3", "sibnet/1:2", "aniboom/1:1", "kodik/1:0")
		mustUpdateVideo(t, s, list[0].ID, domain.VideoPatch{Active: ptr(false)}, now)
		mustUpdateVideo(t, s, list[3].ID, domain.VideoPatch{Priority: ptr(1)}, now) // kodik and aniboom share a priority
		ones := []string{"aniboom/1:1", "kodik/1:1"}
		if list[2].ID > list[3].ID {
			ones[0], ones[1] = ones[1], ones[0]
		}
		list = wantVideos(t, s, ep, 7, "cdn/1:3 off", "sibnet/1:2", ones[0], ones[1])
		want := domain.VideoSource{ID: list[1].ID, EpisodeID: ep, Type: domain.VideoIframe, URL: "https://sibnet.example/1",
			SourceName: "sibnet", Priority: 2, Active: true, CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, list[1]); diff != "" || !domain.ValidUUID(list[1].ID) {
			t.Errorf("AdminVideos()[1] mismatch (-want +got):\n%s", diff)
		}
		_, bare := oneEpisode(t, s, "2")
		wantVideos(t, s, bare, 7)
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, _, err := s.AdminVideos(t.Context(), id)
			wantError(t, "AdminVideos("+id+")", err, domain.KindNotFound, "Episode not found")
		}
	})

	t.Run("a created source is the editors'; its source name and URL are unique in its episode", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, ep := oneEpisode(t, s, "1", "kodik")
		_, other := oneEpisode(t, s, "2")
		at := now.Add(time.Hour)
		v := domain.VideoSource{EpisodeID: ep, Type: domain.VideoM3U8, URL: "https://cdn.example/1.m3u8", SourceName: "cdn", Priority: 5, Active: true}
		got, err := createVideo(s, t, v, at)
		if err != nil {
			t.Fatalf("CreateVideo() error = %v", err)
		}
		want := v
		want.ID, want.AdminModified, want.CreatedAt, want.UpdatedAt = got.ID, true, at, at
		if diff := cmp.Diff(want, got); diff != "" || !domain.ValidUUID(got.ID) {
			t.Errorf("CreateVideo() mismatch (-want +got):\n%s", diff)
		}
		if list := wantVideos(t, s, ep, 7, "cdn/1.m3u8:5", "kodik/1:0"); !cmp.Equal(want, list[0]) {
			t.Errorf("AdminVideos()[0] = %+v, want the created %+v", list[0], want)
		}
		for _, c := range []domain.VideoSource{
			{EpisodeID: ep, Type: domain.VideoMP4, URL: "https://cdn.example/1.m3u8", SourceName: "mirror", Priority: 1},
			{EpisodeID: other, Type: domain.VideoMP4, URL: "https://cdn.example/1.m3u8", SourceName: "cdn", Priority: 1, Active: true},
		} {
			if _, err := createVideo(s, t, c, at); err != nil {
				t.Fatalf("CreateVideo(%s %s in episode %s) error = %v", c.SourceName, c.URL, c.EpisodeID, err)
			}
		}
		for _, c := range []domain.VideoSource{
			{EpisodeID: ep, Type: domain.VideoMP4, URL: "https://cdn.example/1.m3u8", SourceName: "cdn", Priority: 0},
			{EpisodeID: ep, Type: domain.VideoIframe, URL: "https://kodik.example/1", SourceName: "kodik", Priority: 9, Active: true},
		} {
			_, err := createVideo(s, t, c, at)
			wantKind(t, "CreateVideo(taken "+c.SourceName+" "+c.URL+")", err, domain.KindConflict)
		}
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := createVideo(s, t, domain.VideoSource{EpisodeID: id, Type: domain.VideoMP4, URL: "https://x.example/1", SourceName: "x", Active: true}, at)
			wantError(t, "CreateVideo(unknown episode "+id+")", err, domain.KindNotFound, "Episode not found")
		}
		wantVideos(t, s, ep, 7, "cdn/1.m3u8:5", "cdn/1.m3u8:1 off", "kodik/1:0") // the second is mirror's
		if log := auditRows(t, s, domain.AuditTargetVideo, got.ID); len(log) != 1 || log[0].Action != domain.ActionVideoCreate {
			t.Errorf("audit rows of the created source = %+v, want its video_source.create", log)
		}
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 3 {
			t.Errorf("audit rows = %d, want one per created source", len(log))
		}
	})

	t.Run("a source's fields change, each audited; a taken source name and URL is a conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		anime, ep := oneEpisode(t, s, "1", "kodik", "aniboom")
		list, _ := mustAdminVideos(t, s, ep)
		want := list[1] // kodik
		steps := []struct {
			p       domain.VideoPatch
			apply   func(*domain.VideoSource)
			changes map[string]any
		}{
			{domain.VideoPatch{Type: ptr(domain.VideoMP4)}, func(v *domain.VideoSource) { v.Type = domain.VideoMP4 }, map[string]any{"type": oldNew("iframe", "mp4")}},
			{domain.VideoPatch{URL: ptr("https://kodik.example/1.mp4")}, func(v *domain.VideoSource) { v.URL = "https://kodik.example/1.mp4" },
				map[string]any{"url": oldNew("https://kodik.example/1", "https://kodik.example/1.mp4")}},
			{domain.VideoPatch{SourceName: ptr("kodik2")}, func(v *domain.VideoSource) { v.SourceName = "kodik2" }, map[string]any{"source_name": oldNew("kodik", "kodik2")}},
			{domain.VideoPatch{Priority: ptr(9)}, func(v *domain.VideoSource) { v.Priority = 9 }, map[string]any{"priority": oldNew(float64(0), float64(9))}},
			{domain.VideoPatch{Active: ptr(false), Priority: ptr(-3)}, func(v *domain.VideoSource) { v.Active, v.Priority = false, -3 },
				map[string]any{"is_active": oldNew(true, false), "priority": oldNew(float64(9), float64(-3))}},
		}
		for i, step := range steps {
			at := now.Add(time.Duration(i+1) * time.Minute)
			step.apply(&want)
			want.AdminModified, want.UpdatedAt = true, at
			if diff := cmp.Diff(want, mustUpdateVideo(t, s, want.ID, step.p, at)); diff != "" {
				t.Errorf("UpdateVideo(%+v) mismatch (-want +got):\n%s", step.p, diff)
			}
			log := auditRows(t, s, domain.AuditTargetVideo, want.ID)
			if len(log) != i+1 {
				t.Fatalf("audit rows after %d updates = %d, want one per update", i+1, len(log))
			}
			if diff := cmp.Diff(step.changes, log[0].Changes); diff != "" {
				t.Errorf("audit changes of UpdateVideo(%+v) (-want +got):\n%s", step.p, diff)
			}
		}
		wantVideos(t, s, ep, 7, "aniboom/1:1", "kodik/1.mp4:-3 off")
		wantEpisodes(t, s, anime, "ep1#7 aniboom/1:1")

		aniboom := list[0]
		noop := domain.VideoPatch{Type: ptr(domain.VideoIframe), URL: ptr(aniboom.URL), SourceName: ptr("aniboom"), Priority: ptr(1), Active: ptr(true)}
		if diff := cmp.Diff(aniboom, mustUpdateVideo(t, s, aniboom.ID, noop, now.Add(time.Hour))); diff != "" {
			t.Errorf("UpdateVideo(no change) (-before +after):\n%s", diff)
		}
		taken := domain.VideoPatch{URL: ptr("https://kodik.example/1.mp4"), SourceName: ptr("kodik2"), Priority: ptr(4)}
		_, err := s.UpdateVideo(t.Context(), aniboom.ID, taken, now, editAudit(domain.ActionVideoUpdate, domain.AuditTargetVideo, aniboom.ID))
		wantKind(t, "UpdateVideo(to another source's name and URL)", err, domain.KindConflict)
		_, err = s.UpdateVideo(t.Context(), domain.NewUUID(), noop, now, editAudit(domain.ActionVideoUpdate, domain.AuditTargetVideo, "x"))
		wantError(t, "UpdateVideo(unknown)", err, domain.KindNotFound, "Video source not found")
		wantVideos(t, s, ep, 7, "aniboom/1:1", "kodik/1.mp4:-3 off")
		if log := auditRows(t, s, domain.AuditTargetVideo, aniboom.ID); len(log) != 1 || len(log[0].Changes) != 0 {
			t.Errorf("audit rows of the source left as it was = %+v, want one of the no-op with empty changes", log)
		}
	})

	t.Run("a deleted source is gone, audited once; an unknown one is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		anime, ep := oneEpisode(t, s, "1", "kodik", "aniboom")
		list, _ := mustAdminVideos(t, s, ep)
		gone := list[0]
		if err := s.DeleteVideo(t.Context(), gone.ID, now, editAudit(domain.ActionVideoDelete, domain.AuditTargetVideo, gone.ID)); err != nil {
			t.Fatalf("DeleteVideo() error = %v", err)
		}
		wantVideos(t, s, ep, 7, "kodik/1:0")
		wantEpisodes(t, s, anime, "ep1#7 kodik/1:0")
		for _, id := range []string{gone.ID, domain.NewUUID(), "not-a-uuid"} {
			err := s.DeleteVideo(t.Context(), id, now, editAudit(domain.ActionVideoDelete, domain.AuditTargetVideo, id))
			wantError(t, "DeleteVideo("+id+")", err, domain.KindNotFound, "Video source not found")
		}
		log := auditLog(t, s, domain.AuditQuery{})
		if len(log) != 1 || log[0].Action != domain.ActionVideoDelete || log[0].TargetID != gone.ID || !log[0].CreatedAt.Equal(now) {
			t.Errorf("audit rows = %+v, want one video_source.delete of %s", log, gone.ID)
		}
	})
}
