package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

var walkAt = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)

// walkImport is an editor's anime with its slug as its only name.
func walkImport(sourceID, title, slug string) domain.AnimeImport {
	return domain.AnimeImport{SourceName: domain.ManualSource, SourceID: sourceID, Title: title, NewID: domain.NewUUID(),
		SlugBase: slug, Names: domain.Names{TitleKey: slug, Search: "\n" + slug + "\n"}}
}

// auditJSON returns the JSON of the changes of the newest audit entry of a
// target, as the audit log reads them back.
func auditJSON(t *testing.T, s domain.Store, targetType, targetID string) string {
	t.Helper()
	list, total, err := s.AuditLog(t.Context(), domain.AuditQuery{TargetType: targetType, TargetID: targetID, Limit: 10})
	if err != nil || total == 0 {
		t.Fatalf("AuditLog(%s %s) = %d entries, %v", targetType, targetID, total, err)
	}
	data, _ := json.Marshal(list[0].Changes)
	return string(data)
}

// testEditWalk walks through one edit of each kind, checking the audit
// changes exactly as the audit log reads them back.
func testEditWalk(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	a, err := s.CreateAnime(ctx, walkImport("1", "Frieren", "frieren"), true, walkAt,
		&domain.AuditEntry{Action: domain.ActionAnimeCreate, TargetType: domain.AuditTargetAnime})
	if err != nil || a.Slug != "frieren" || !a.AdminModified || !a.Active {
		t.Fatalf("CreateAnime() = %+v, %v", a, err)
	}
	if got, want := auditJSON(t, s, domain.AuditTargetAnime, a.ID),
		`{"is_active":{"new":true,"old":null},"slug":{"new":"frieren","old":null},"source_id":{"new":"1","old":null},`+
			`"source_name":{"new":"manual","old":null},"title":{"new":"Frieren","old":null}}`; got != want {
		t.Errorf("create audit = %s, want %s", got, want)
	}
	if _, err := s.CreateAnime(ctx, walkImport("2", "Frieren", "frieren"), true, walkAt, nil); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("CreateAnime(exact taken slug) error = %v, want a conflict", err)
	}
	b, err := s.CreateAnime(ctx, walkImport("2", "Frieren", "frieren"), false, walkAt, nil)
	if err != nil || b.Slug != "frieren-1" {
		t.Errorf("CreateAnime(taken slug) = %q, %v; want frieren-1", b.Slug, err)
	}

	year, later := 2023, walkAt.Add(time.Hour)
	audit := &domain.AuditEntry{Action: domain.ActionAnimeUpdate, TargetType: domain.AuditTargetAnime, TargetID: a.ID}
	u, err := s.UpdateAnime(ctx, a.ID, domain.AnimePatch{Slug: ptr("sousou-no-frieren"), Year: domain.Change[int]{Set: true, Value: &year}}, later, audit)
	if err != nil || u.Slug != "sousou-no-frieren" || !u.UpdatedAt.Equal(later) {
		t.Fatalf("UpdateAnime() = %+v, %v", u, err)
	}
	if got, want := auditJSON(t, s, domain.AuditTargetAnime, a.ID),
		`{"slug":{"new":"sousou-no-frieren","old":"frieren"},"year":{"new":2023,"old":null}}`; got != want {
		t.Errorf("update audit = %s, want %s", got, want)
	}
	if old, err := s.AnimeBySlug(ctx, "frieren"); err != nil || old.ID != a.ID {
		t.Errorf("AnimeBySlug(former slug) = %+v, %v", old, err)
	}
	if _, err := s.UpdateAnime(ctx, a.ID, domain.AnimePatch{Slug: ptr("frieren-1")}, later, nil); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("UpdateAnime(another's slug) error = %v, want a conflict", err)
	}
	same, err := s.UpdateAnime(ctx, a.ID, domain.AnimePatch{Slug: ptr("sousou-no-frieren"), Year: domain.Change[int]{Set: true, Value: &year}}, later.Add(time.Hour),
		&domain.AuditEntry{Action: domain.ActionAnimeUpdate, TargetType: domain.AuditTargetAnime, TargetID: a.ID})
	if err != nil || !same.UpdatedAt.Equal(later) || auditJSON(t, s, domain.AuditTargetAnime, a.ID) != `{}` {
		t.Errorf("UpdateAnime(no change) = updated %v, %v; audit %s", same.UpdatedAt, err, auditJSON(t, s, domain.AuditTargetAnime, a.ID))
	}
	if back, err := s.UpdateAnime(ctx, a.ID, domain.AnimePatch{Slug: ptr("frieren")}, later, nil); err != nil || back.Slug != "frieren" {
		t.Errorf("UpdateAnime(own former slug) = %q, %v", back.Slug, err)
	}

	e, err := s.CreateEpisode(ctx, domain.NewEpisode{AnimeID: a.ID, Number: 1, SourceEpisodeID: "e1", Active: true}, walkAt,
		&domain.AuditEntry{Action: domain.ActionEpisodeCreate, TargetType: domain.AuditTargetEpisode})
	if err != nil || e.HasVideo || !e.AdminModified {
		t.Fatalf("CreateEpisode() = %+v, %v", e, err)
	}
	if _, err := s.CreateEpisode(ctx, domain.NewEpisode{AnimeID: a.ID, Number: 2, SourceEpisodeID: "e1"}, walkAt, nil); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("CreateEpisode(taken source id) error = %v, want a conflict", err)
	}
	v, err := s.CreateVideo(ctx, domain.VideoSource{EpisodeID: e.ID, Type: domain.VideoMP4, URL: "https://v.example/1.mp4", SourceName: "v", Priority: 2, Active: true}, walkAt, nil)
	if err != nil {
		t.Fatalf("CreateVideo() error = %v", err)
	}
	if _, err := s.CreateVideo(ctx, domain.VideoSource{EpisodeID: e.ID, Type: domain.VideoMP4, URL: "https://v.example/1.mp4", SourceName: "v"}, walkAt, nil); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("CreateVideo(same source) error = %v, want a conflict", err)
	}
	eps, err := s.AdminEpisodes(ctx, a.ID)
	if err != nil || len(eps) != 1 || !eps[0].HasVideo {
		t.Errorf("AdminEpisodes() = %+v, %v; want one episode with video", eps, err)
	}
	if _, err := s.AttachEpisode(ctx, e.ID, domain.NewUUID(), later, nil); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("AttachEpisode(unknown anime) error = %v, want not found", err)
	}
	moved, err := s.AttachEpisode(ctx, e.ID, b.ID, later, &domain.AuditEntry{Action: domain.ActionEpisodeAttach, TargetType: domain.AuditTargetEpisode, TargetID: e.ID})
	if err != nil || moved.AnimeID != b.ID {
		t.Fatalf("AttachEpisode() = %+v, %v", moved, err)
	}
	if got, want := auditJSON(t, s, domain.AuditTargetEpisode, e.ID), `{"anime_id":{"new":"`+b.ID+`","old":"`+a.ID+`"}}`; got != want {
		t.Errorf("attach audit = %s, want %s", got, want)
	}
	if _, err := s.UpdateVideo(ctx, v.ID, domain.VideoPatch{Active: ptr(false)}, later, nil); err != nil {
		t.Fatalf("UpdateVideo() error = %v", err)
	}
	d, err := s.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAnime != 2 || d.TotalEpisodes != 1 || d.TotalSources != 1 || d.WithoutSource != 2 || len(d.WithoutSourceAnime) != 2 ||
		d.RecentEpisodes[0].ID != e.ID || !cmp.Equal(d.SourcesByName, []domain.NamedCount{{Name: "v", Count: 1}}) {
		t.Errorf("Dashboard() = %+v", d)
	}
	if err := s.DeleteVideo(ctx, v.ID, later, &domain.AuditEntry{Action: domain.ActionVideoDelete, TargetType: domain.AuditTargetVideo, TargetID: v.ID}); err != nil {
		t.Fatal(err)
	}
	if got, want := auditJSON(t, s, domain.AuditTargetVideo, v.ID),
		`{"episode_id":{"new":null,"old":"`+e.ID+`"},"is_active":{"new":null,"old":false},"priority":{"new":null,"old":2},`+
			`"source_name":{"new":null,"old":"v"},"type":{"new":null,"old":"mp4"},"url":{"new":null,"old":"https://v.example/1.mp4"}}`; got != want {
		t.Errorf("delete audit = %s, want %s", got, want)
	}
	if list, n, err := s.AdminVideos(ctx, e.ID); err != nil || n != 1 || len(list) != 0 {
		t.Errorf("AdminVideos() = %d sources, number %d, %v", len(list), n, err)
	}
	if list, total, err := s.AdminAnimeList(ctx, domain.AdminAnimeQuery{Search: "frie", Limit: 1}); err != nil || total != 2 || list[0].ID != a.ID {
		t.Errorf("AdminAnimeList() = %d of %d, %v; want the last updated first", len(list), total, err)
	}
}
