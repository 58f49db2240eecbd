package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// wantAuditActions checks the actions of the audit rows q finds, newest
// first, and their count.
func wantAuditActions(t *testing.T, s domain.Store, q domain.AuditQuery, want ...string) {
	t.Helper()
	list, total, err := s.AuditLog(t.Context(), domain.AuditQuery{TargetType: q.TargetType, TargetID: q.TargetID, Action: q.Action, Limit: 100})
	if err != nil {
		t.Fatalf("AuditLog(%+v) error = %v", q, err)
	}
	got := []string{}
	for _, e := range list {
		if q.TargetType != "" && e.TargetType != q.TargetType || q.TargetID != "" && e.TargetID != q.TargetID {
			t.Errorf("AuditLog(%+v) lists %+v", q, e)
		}
		got = append(got, e.Action)
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" || total != len(want) {
		t.Errorf("AuditLog(%+v) total %d; actions, newest first (-want +got):\n%s", q, total, diff)
	}
}

func testCatalogAudit(t *testing.T, open Opener) {
	t.Run("every change writes one audit row, found by its target; a failed change writes none", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		editor := mustCreateUser(t, s, domain.RoleEditor)
		at := now
		audit := func(action, targetType, targetID string) (*domain.AuditEntry, time.Time) {
			at = at.Add(time.Second)
			e := editAudit(action, targetType, targetID)
			e.ActorID = editor.ID
			return e, at
		}
		ok := func(call string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s error = %v", call, err)
			}
		}
		a := newAnime("1", "Frieren")
		a.Episodes = episodes(1, "kodik")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 1, SourcesWritten: 1})
		ep := mustAdminEpisodes(t, s, a.NewID)[0].ID
		v, _ := mustAdminVideos(t, s, ep)

		e, at := audit(domain.ActionAnimeCreate, domain.AuditTargetAnime, "")
		b, err := s.CreateAnime(t.Context(), manual("m1", "Frieren 2"), false, at, e)
		ok("CreateAnime()", err)
		e, at = audit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, a.NewID)
		_, err = s.UpdateAnime(t.Context(), a.NewID, domain.AnimePatch{Year: set(2023)}, at, e)
		ok("UpdateAnime()", err)
		e, at = audit(domain.ActionEpisodeUpdate, domain.AuditTargetEpisode, ep)
		_, err = s.UpdateEpisode(t.Context(), ep, domain.EpisodePatch{Title: set("Journey")}, at, e)
		ok("UpdateEpisode()", err)
		e, at = audit(domain.ActionEpisodeAttach, domain.AuditTargetEpisode, ep)
		_, err = s.AttachEpisode(t.Context(), ep, b.ID, at, e)
		ok("AttachEpisode()", err)
		e, at = audit(domain.ActionEpisodeCreate, domain.AuditTargetEpisode, "")
		ep2, err := s.CreateEpisode(t.Context(), domain.NewEpisode{AnimeID: a.NewID, Number: 2, SourceEpisodeID: "m1", Active: true}, at, e)
		ok("CreateEpisode()", err)
		e, at = audit(domain.ActionVideoCreate, domain.AuditTargetVideo, "")
		v2, err := s.CreateVideo(t.Context(), domain.VideoSource{EpisodeID: ep2.ID, Type: domain.VideoMP4, URL: "https://x.example/2", SourceName: "x", Active: true}, at, e)
		ok("CreateVideo()", err)
		e, at = audit(domain.ActionVideoState, domain.AuditTargetVideo, v[0].ID)
		_, err = s.UpdateVideo(t.Context(), v[0].ID, domain.VideoPatch{Active: ptr(false), Priority: ptr(3)}, at, e)
		ok("UpdateVideo()", err)
		e, at = audit(domain.ActionVideoDelete, domain.AuditTargetVideo, v2.ID)
		ok("DeleteVideo()", s.DeleteVideo(t.Context(), v2.ID, at, e))

		unknown := domain.NewUUID()
		taken := manual("m1", "Taken")
		failures := map[string]func(*domain.AuditEntry, time.Time) error{
			"CreateAnime(taken source id)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.CreateAnime(t.Context(), taken, false, at, e)
				return err
			},
			"UpdateAnime(unknown)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.UpdateAnime(t.Context(), unknown, domain.AnimePatch{Year: set(2000)}, at, e)
				return err
			},
			"UpdateAnime(taken slug)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.UpdateAnime(t.Context(), b.ID, domain.AnimePatch{Slug: ptr("frieren"), Year: set(2000)}, at, e)
				return err
			},
			"CreateEpisode(taken source episode id)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.CreateEpisode(t.Context(), domain.NewEpisode{AnimeID: a.NewID, Number: 3, SourceEpisodeID: "m1"}, at, e)
				return err
			},
			"CreateEpisode(unknown anime)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.CreateEpisode(t.Context(), domain.NewEpisode{AnimeID: unknown, Number: 3, SourceEpisodeID: "m3"}, at, e)
				return err
			},
			"UpdateEpisode(unknown)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.UpdateEpisode(t.Context(), unknown, domain.EpisodePatch{Number: ptr(3)}, at, e)
				return err
			},
			"AttachEpisode(unknown anime)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.AttachEpisode(t.Context(), ep, unknown, at, e)
				return err
			},
			"CreateVideo(taken source name and URL)": func(e *domain.AuditEntry, at time.Time) error {
				w := v[0]
				w.ID = ""
				_, err := s.CreateVideo(t.Context(), w, at, e)
				return err
			},
			"CreateVideo(unknown episode)": func(e *domain.AuditEntry, at time.Time) error {
				w := v[0]
				w.ID, w.EpisodeID, w.URL = "", unknown, "https://x.example/9"
				_, err := s.CreateVideo(t.Context(), w, at, e)
				return err
			},
			"UpdateVideo(deleted)": func(e *domain.AuditEntry, at time.Time) error {
				_, err := s.UpdateVideo(t.Context(), v2.ID, domain.VideoPatch{Priority: ptr(1)}, at, e)
				return err
			},
			"DeleteVideo(deleted)": func(e *domain.AuditEntry, at time.Time) error { return s.DeleteVideo(t.Context(), v2.ID, at, e) },
		}
		for call, f := range failures {
			e, at := audit("failed", domain.AuditTargetAnime, "")
			if err := f(e, at); err == nil {
				t.Errorf("%s succeeded", call)
			}
		}

		all := auditLog(t, s, domain.AuditQuery{})
		for _, e := range all {
			if e.ActorID != editor.ID || e.TraceID != "trace-c" || e.Action == "failed" || e.Changes == nil {
				t.Errorf("audit row %+v, want the editor's, with its trace id and changes", e)
			}
		}
		wantAuditActions(t, s, domain.AuditQuery{}, domain.ActionVideoDelete, domain.ActionVideoState, domain.ActionVideoCreate,
			domain.ActionEpisodeCreate, domain.ActionEpisodeAttach, domain.ActionEpisodeUpdate, domain.ActionAnimeUpdate, domain.ActionAnimeCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetAnime}, domain.ActionAnimeUpdate, domain.ActionAnimeCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetAnime, TargetID: b.ID}, domain.ActionAnimeCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetEpisode}, domain.ActionEpisodeCreate, domain.ActionEpisodeAttach, domain.ActionEpisodeUpdate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetEpisode, TargetID: ep}, domain.ActionEpisodeAttach, domain.ActionEpisodeUpdate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetEpisode, TargetID: ep2.ID}, domain.ActionEpisodeCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetVideo}, domain.ActionVideoDelete, domain.ActionVideoState, domain.ActionVideoCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetVideo, TargetID: v2.ID}, domain.ActionVideoDelete, domain.ActionVideoCreate)
		wantAuditActions(t, s, domain.AuditQuery{TargetID: v[0].ID}, domain.ActionVideoState)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetEpisode, Action: domain.ActionEpisodeAttach}, domain.ActionEpisodeAttach)
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetVideo, TargetID: ep})
		wantAuditActions(t, s, domain.AuditQuery{TargetType: domain.AuditTargetUser})
		wantAuditChanges(t, s, domain.ActionVideoState, []map[string]any{
			{"is_active": oldNew(true, false), "priority": oldNew(float64(0), float64(3))},
		})
		page, total, err := s.AuditLog(t.Context(), domain.AuditQuery{TargetType: domain.AuditTargetEpisode, Offset: 1, Limit: 1})
		if err != nil || total != 3 || len(page) != 1 || page[0].Action != domain.ActionEpisodeAttach {
			t.Errorf("AuditLog(episodes, second page of 1) = %+v of %d, %v; want the attachment of 3", page, total, err)
		}
	})

	t.Run("a re-import writes none of what editors changed", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := withGenres(newAnime("1", "Bleach"), "Action"), newAnime("2", "Bleach 2")
		a.Episodes = episodes(3, "kodik", "aniboom")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1, EpisodesWritten: 3, SourcesWritten: 6})
		importAll(t, s, b)
		eps := mustAdminEpisodes(t, s, a.NewID)
		mustUpdateAnime(t, s, a.NewID, domain.AnimePatch{Description: set("Edited.")}, now)
		kodik, _ := mustAdminVideos(t, s, eps[0].ID)
		mustUpdateVideo(t, s, kodik[1].ID, domain.VideoPatch{Active: ptr(false)}, now)
		mustAttach(t, s, eps[2].ID, b.NewID, now)
		type catalog struct {
			Anime    domain.Anime
			Episodes [][]domain.AdminEpisode
			Sources  [][]domain.VideoSource
		}
		read := func() catalog {
			c := catalog{Anime: mustAnimeByID(t, s, a.NewID)}
			for _, id := range []string{a.NewID, b.NewID} {
				c.Episodes = append(c.Episodes, mustAdminEpisodes(t, s, id))
			}
			for _, e := range eps {
				list, _ := mustAdminVideos(t, s, e.ID)
				c.Sources = append(c.Sources, list)
			}
			return c
		}
		before := read()
		if !before.Anime.AdminModified || *before.Anime.Description != "Edited." || before.Sources[0][1].Active {
			t.Fatalf("edits before the import = %+v", before)
		}
		mustImport(t, s, a, now.Add(time.Hour), domain.ImportCounts{AnimeUnchanged: 1, EpisodesUnchanged: 3, SourcesUnchanged: 6})
		if diff := cmp.Diff(before, read()); diff != "" {
			t.Errorf("catalog after re-importing the same data (-before +after):\n%s", diff)
		}

		changed := withGenres(newAnime("1", "Bleach TV"), "Drama")
		changed.Episodes = episodes(3, "kodik", "aniboom")
		changed.Episodes[0].Players[0].Priority = 5 // kodik of ep1, deactivated by an editor
		changed.Episodes[1].Number = 20
		changed.Episodes[2].Number = 30 // attached by an editor
		mustImport(t, s, changed, now.Add(2*time.Hour), domain.ImportCounts{AnimeUnchanged: 1, EpisodesWritten: 1, EpisodesUnchanged: 2,
			SourcesUnchanged: 6})
		after := read()
		if diff := cmp.Diff(before.Anime, after.Anime); diff != "" {
			t.Errorf("edited anime after a changed import (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(before.Sources, after.Sources); diff != "" {
			t.Errorf("sources after a changed import (-before +after):\n%s", diff)
		}
		wantAdminEpisodes(t, s, a.NewID, "ep1#1 video", "ep2#20 video")
		wantAdminEpisodes(t, s, b.NewID, "ep3#3 video")
	})
}
