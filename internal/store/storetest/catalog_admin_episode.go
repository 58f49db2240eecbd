package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func mustAdminEpisodes(t *testing.T, s domain.Store, animeID string) []domain.AdminEpisode {
	t.Helper()
	eps, err := s.AdminEpisodes(t.Context(), animeID)
	if err != nil {
		t.Fatalf("AdminEpisodes(%s) error = %v", animeID, err)
	}
	return eps
}

func mustUpdateEpisode(t *testing.T, s domain.Store, id string, p domain.EpisodePatch, at time.Time) domain.AdminEpisode {
	t.Helper()
	got, err := s.UpdateEpisode(t.Context(), id, p, at, editAudit(domain.ActionEpisodeUpdate, domain.AuditTargetEpisode, id))
	if err != nil {
		t.Fatalf("UpdateEpisode(%s) error = %v", id, err)
	}
	return got
}

func mustAttach(t *testing.T, s domain.Store, id, animeID string, at time.Time) domain.AdminEpisode {
	t.Helper()
	got, err := s.AttachEpisode(t.Context(), id, animeID, at, editAudit(domain.ActionEpisodeAttach, domain.AuditTargetEpisode, id))
	if err != nil {
		t.Fatalf("AttachEpisode(%s, %s) error = %v", id, animeID, err)
	}
	return got
}

// adminSummary shows admin episodes as "ep1#1 off video": source episode
// id and number, "off" when inactive, "video" when HasVideo.
func adminSummary(eps []domain.AdminEpisode) []string {
	out := []string{}
	for _, e := range eps {
		s := fmt.Sprintf("%s#%d", e.SourceEpisodeID, e.Number)
		if !e.Active {
			s += " off"
		}
		if e.HasVideo {
			s += " video"
		}
		out = append(out, s)
	}
	return out
}

func wantAdminEpisodes(t *testing.T, s domain.Store, animeID string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, adminSummary(mustAdminEpisodes(t, s, animeID))); diff != "" {
		t.Errorf("AdminEpisodes() mismatch (-want +got):\n%s", diff)
	}
}

func testAdminEpisodes(t *testing.T, open Opener) {
	t.Run("every episode, active or not, by number then id, with a video when an active source exists", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Mononoke")
		a.Episodes = episodes(5, "kodik")
		a.Episodes[0].Number = 2 // two episodes numbered 2
		a.Episodes[2].Available = false
		a.Episodes[4].Title = ptr("Finale")
		a.Episodes = append(a.Episodes, domain.EpisodeImport{SourceEpisodeID: "ep0", Number: 0, Available: true})
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 6, SourcesWritten: 5})
		eps := mustAdminEpisodes(t, s, a.NewID)
		if len(eps) != 6 {
			t.Fatalf("AdminEpisodes() = %v, want 6 episodes", adminSummary(eps))
		}
		ep4 := eps[4]
		videos, _ := mustAdminVideos(t, s, ep4.ID)
		mustUpdateVideo(t, s, videos[0].ID, domain.VideoPatch{Active: ptr(false)}, now)

		eps = mustAdminEpisodes(t, s, a.NewID)
		first, second := "ep1#2 video", "ep2#2 video"
		id := map[string]string{}
		for _, e := range mustEpisodes(t, s, a.NewID) {
			id[e.Episode.SourceEpisodeID] = e.Episode.ID
		}
		if id["ep1"] > id["ep2"] {
			first, second = second, first
		}
		if ids := []string{eps[1].ID, eps[2].ID}; !slices.IsSorted(ids) {
			t.Errorf("AdminEpisodes() lists those numbered 2 in the order %v, want by id", ids)
		}
		if got, want := adminSummary(eps), []string{"ep0#0", first, second, "ep3#3 off video", "ep4#4", "ep5#5 video"}; !cmp.Equal(got, want) {
			t.Errorf("AdminEpisodes() = %v, want %v (those numbered 2 by id)", got, want)
		}
		want := domain.AdminEpisode{Episode: domain.Episode{ID: eps[5].ID, AnimeID: a.NewID, Number: 5, Title: ptr("Finale"),
			SourceEpisodeID: "ep5", Active: true, CreatedAt: now, UpdatedAt: now}, HasVideo: true}
		if diff := cmp.Diff(want, eps[5]); diff != "" || !domain.ValidUUID(eps[5].ID) {
			t.Errorf("AdminEpisodes()[5] mismatch (-want +got):\n%s", diff)
		}
		empty := newAnime("2", "Empty")
		importAll(t, s, empty)
		wantAdminEpisodes(t, s, empty.NewID)
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := s.AdminEpisodes(t.Context(), id)
			wantError(t, "AdminEpisodes("+id+")", err, domain.KindNotFound, "Anime not found")
		}
	})

	t.Run("a created episode is the editors'; its source episode id is unique in its anime", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := newAnime("1", "Frieren"), newAnime("2", "Frieren 2")
		a.Episodes = episodes(1, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1, SourcesWritten: 1})
		importAll(t, s, b)
		at := now.Add(time.Hour)
		create := func(e domain.NewEpisode) (domain.AdminEpisode, error) {
			return s.CreateEpisode(t.Context(), e, at, editAudit(domain.ActionEpisodeCreate, domain.AuditTargetEpisode, ""))
		}
		got, err := create(domain.NewEpisode{AnimeID: a.NewID, Number: 2, Title: ptr("Extra"), SourceEpisodeID: "m1", Active: true})
		if err != nil {
			t.Fatalf("CreateEpisode() error = %v", err)
		}
		want := domain.AdminEpisode{Episode: domain.Episode{ID: got.ID, AnimeID: a.NewID, Number: 2, Title: ptr("Extra"),
			SourceEpisodeID: "m1", Active: true, AdminModified: true, CreatedAt: at, UpdatedAt: at}}
		if diff := cmp.Diff(want, got); diff != "" || !domain.ValidUUID(got.ID) {
			t.Errorf("CreateEpisode() mismatch (-want +got):\n%s", diff)
		}
		if eps := mustAdminEpisodes(t, s, a.NewID); len(eps) != 2 || !cmp.Equal(want, eps[1]) {
			t.Errorf("AdminEpisodes() = %+v, want ep1 and the created one", eps)
		}
		off, err := create(domain.NewEpisode{AnimeID: a.NewID, Number: 3, SourceEpisodeID: "m2"})
		if err != nil || off.Active {
			t.Fatalf("CreateEpisode(inactive) = %+v, %v", off, err)
		}
		if _, err := create(domain.NewEpisode{AnimeID: b.NewID, Number: 1, SourceEpisodeID: "m1", Active: true}); err != nil {
			t.Fatalf("CreateEpisode(m1 in another anime) error = %v", err)
		}
		for _, id := range []string{"m1", "ep1"} {
			_, err := create(domain.NewEpisode{AnimeID: a.NewID, Number: 9, SourceEpisodeID: id, Active: true})
			wantKind(t, "CreateEpisode(taken "+id+")", err, domain.KindConflict)
		}
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := create(domain.NewEpisode{AnimeID: id, Number: 1, SourceEpisodeID: "m9", Active: true})
			wantError(t, "CreateEpisode(unknown anime "+id+")", err, domain.KindNotFound, "Anime not found")
		}
		wantEpisodes(t, s, a.NewID, "ep1#1 kodik/1:0", "m1#2")
		wantAdminEpisodes(t, s, a.NewID, "ep1#1 video", "m1#2", "m2#3 off")
		var targets []string
		for _, e := range auditLog(t, s, domain.AuditQuery{Action: domain.ActionEpisodeCreate}) {
			if e.TargetType != domain.AuditTargetEpisode {
				t.Errorf("audit row %+v, want target type episode", e)
			}
			targets = append(targets, e.TargetID)
		}
		if len(targets) != 3 || !slices.Contains(targets, got.ID) || !slices.Contains(targets, off.ID) {
			t.Errorf("episode.create targets = %v, want the 3 created ids, %s and %s among them", targets, got.ID, off.ID)
		}
	})

	t.Run("an episode's number, title and activity change, each audited", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Monster")
		a.Episodes = episodes(2, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		eps := mustAdminEpisodes(t, s, a.NewID)
		want := eps[0]
		steps := []struct {
			p       domain.EpisodePatch
			apply   func(*domain.AdminEpisode)
			changes map[string]any
		}{
			{domain.EpisodePatch{Number: ptr(7)}, func(e *domain.AdminEpisode) { e.Number = 7 }, map[string]any{"number": oldNew(float64(1), float64(7))}},
			{domain.EpisodePatch{Title: set("Pilot")}, func(e *domain.AdminEpisode) { e.Title = ptr("Pilot") }, map[string]any{"title": oldNew(nil, "Pilot")}},
			{domain.EpisodePatch{Title: cleared[string]()}, func(e *domain.AdminEpisode) { e.Title = nil }, map[string]any{"title": oldNew("Pilot", nil)}},
			{domain.EpisodePatch{Active: ptr(false)}, func(e *domain.AdminEpisode) { e.Active = false }, map[string]any{"is_active": oldNew(true, false)}},
			{domain.EpisodePatch{Number: ptr(0), Active: ptr(true)}, func(e *domain.AdminEpisode) { e.Number, e.Active = 0, true },
				map[string]any{"number": oldNew(float64(7), float64(0)), "is_active": oldNew(false, true)}},
		}
		for i, step := range steps {
			at := now.Add(time.Duration(i+1) * time.Minute)
			step.apply(&want)
			want.AdminModified, want.UpdatedAt = true, at
			if diff := cmp.Diff(want, mustUpdateEpisode(t, s, want.ID, step.p, at)); diff != "" {
				t.Errorf("UpdateEpisode(%+v) mismatch (-want +got):\n%s", step.p, diff)
			}
			log := auditRows(t, s, domain.AuditTargetEpisode, want.ID)
			if len(log) != i+1 {
				t.Fatalf("audit rows after %d updates = %d, want one per update", i+1, len(log))
			}
			if diff := cmp.Diff(step.changes, log[0].Changes); diff != "" || log[0].Action != domain.ActionEpisodeUpdate {
				t.Errorf("audit row %s of UpdateEpisode(%+v), changes (-want +got):\n%s", log[0].Action, step.p, diff)
			}
		}
		wantAdminEpisodes(t, s, a.NewID, "ep1#0 video", "ep2#2 video")

		untouched := eps[1]
		noop := domain.EpisodePatch{Number: ptr(2), Title: cleared[string](), Active: ptr(true)}
		if diff := cmp.Diff(untouched, mustUpdateEpisode(t, s, untouched.ID, noop, now.Add(time.Hour))); diff != "" {
			t.Errorf("UpdateEpisode(no change) (-before +after):\n%s", diff)
		}
		if log := auditRows(t, s, domain.AuditTargetEpisode, untouched.ID); len(log) != 1 || len(log[0].Changes) != 0 || log[0].Changes == nil {
			t.Errorf("audit rows of a no-op = %+v, want one with empty changes", log)
		}
		a.Episodes[1].Number = 20 // the parser's still; ep1 is the editor's
		mustImport(t, s, a, now.Add(2*time.Hour), domain.ImportCounts{AnimeUnchanged: 1, EpisodesWritten: 1, EpisodesUnchanged: 1, SourcesUnchanged: 2})
		wantAdminEpisodes(t, s, a.NewID, "ep1#0 video", "ep2#20 video")

		_, err := s.UpdateEpisode(t.Context(), domain.NewUUID(), noop, now, editAudit(domain.ActionEpisodeUpdate, domain.AuditTargetEpisode, "x"))
		wantError(t, "UpdateEpisode(unknown)", err, domain.KindNotFound, "Episode not found")
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != len(steps)+1 {
			t.Errorf("audit rows = %d, want %d: none for the unknown episode", len(log), len(steps)+1)
		}
	})

	t.Run("an episode attached to another anime moves; an unknown anime is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := newAnime("1", "Fate/Zero"), newAnime("2", "Fate/Zero 2")
		a.Episodes = episodes(2, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		importAll(t, s, b)
		ep := mustAdminEpisodes(t, s, a.NewID)[0]
		at := now.Add(time.Hour)
		want := ep
		want.AnimeID, want.AdminModified, want.UpdatedAt = b.NewID, true, at
		if diff := cmp.Diff(want, mustAttach(t, s, ep.ID, b.NewID, at)); diff != "" {
			t.Errorf("AttachEpisode() mismatch (-want +got):\n%s", diff)
		}
		wantAdminEpisodes(t, s, a.NewID, "ep2#2 video")
		wantAdminEpisodes(t, s, b.NewID, "ep1#1 video")
		wantEpisodes(t, s, b.NewID, "ep1#1 kodik/1:0")
		if diff := cmp.Diff(want, mustAttach(t, s, ep.ID, b.NewID, at.Add(time.Hour))); diff != "" {
			t.Errorf("AttachEpisode(to its anime) (-before +after):\n%s", diff)
		}
		wantAuditChanges(t, s, domain.ActionEpisodeAttach, []map[string]any{{}, {"anime_id": oldNew(a.NewID, b.NewID)}})

		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := s.AttachEpisode(t.Context(), ep.ID, id, now, editAudit(domain.ActionEpisodeAttach, domain.AuditTargetEpisode, ep.ID))
			wantError(t, "AttachEpisode(unknown anime "+id+")", err, domain.KindNotFound, "Anime not found")
			_, err = s.AttachEpisode(t.Context(), id, a.NewID, now, editAudit(domain.ActionEpisodeAttach, domain.AuditTargetEpisode, id))
			wantError(t, "AttachEpisode(unknown episode "+id+")", err, domain.KindNotFound, "Episode not found")
		}
		wantAdminEpisodes(t, s, b.NewID, "ep1#1 video")
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 2 {
			t.Errorf("audit rows = %d, want 2: none for failed attachments", len(log))
		}
	})

	t.Run("a detached episode is inactive and its audit row keeps the reason", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Monster")
		a.Episodes = episodes(2, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 2, SourcesWritten: 2})
		ep := mustAdminEpisodes(t, s, a.NewID)[1]
		audit := editAudit(domain.ActionEpisodeDetach, domain.AuditTargetEpisode, ep.ID)
		audit.Changes = map[string]any{"reason": "wrong anime"}
		got, err := s.UpdateEpisode(t.Context(), ep.ID, domain.EpisodePatch{Active: ptr(false)}, now.Add(time.Hour), audit)
		if err != nil || got.Active || !got.AdminModified {
			t.Fatalf("UpdateEpisode(detach) = %+v, %v; want inactive and the editor's", got, err)
		}
		wantEpisodes(t, s, a.NewID, "ep1#1 kodik/1:0")
		wantAdminEpisodes(t, s, a.NewID, "ep1#1 video", "ep2#2 off video")
		wantAuditChanges(t, s, domain.ActionEpisodeDetach, []map[string]any{{"reason": "wrong anime", "is_active": oldNew(true, false)}})
	})
}
