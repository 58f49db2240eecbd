package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testUpdateAnime(t *testing.T, open Opener) {
	t.Run("each field changes alone, audited with its typed old and new values", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(newAnime("1", "Shingeki no Kyojin", "AoT"), "Action")
		a.Description, a.Year, a.Status, a.Poster = ptr("Humanity."), ptr(2013), ptr(domain.AnimeOngoing), ptr("https://img.example/1.jpg")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
		want := mustAnimeByID(t, s, a.NewID)
		steps := []struct {
			name    string
			p       domain.AnimePatch
			apply   func(*domain.Anime)
			changes map[string]any
		}{
			{"title", retitle("Attack on Titan", "AoT"), func(a *domain.Anime) { a.Title = "Attack on Titan" },
				map[string]any{"title": oldNew("Shingeki no Kyojin", "Attack on Titan")}},
			{"slug", domain.AnimePatch{Slug: ptr("aot")}, func(a *domain.Anime) { a.Slug = "aot" },
				map[string]any{"slug": oldNew("shingeki-no-kyojin", "aot")}},
			{"description", domain.AnimePatch{Description: set("Walls.")}, func(a *domain.Anime) { a.Description = ptr("Walls.") },
				map[string]any{"description": oldNew("Humanity.", "Walls.")}},
			{"description cleared", domain.AnimePatch{Description: cleared[string]()}, func(a *domain.Anime) { a.Description = nil },
				map[string]any{"description": oldNew("Walls.", nil)}},
			{"year", domain.AnimePatch{Year: set(2014)}, func(a *domain.Anime) { a.Year = ptr(2014) },
				map[string]any{"year": oldNew(float64(2013), float64(2014))}},
			{"year cleared", domain.AnimePatch{Year: cleared[int]()}, func(a *domain.Anime) { a.Year = nil },
				map[string]any{"year": oldNew(float64(2014), nil)}},
			{"status", domain.AnimePatch{Status: set(domain.AnimeCompleted)}, func(a *domain.Anime) { a.Status = ptr(domain.AnimeCompleted) },
				map[string]any{"status": oldNew("ongoing", "completed")}},
			{"poster", domain.AnimePatch{Poster: set("https://img.example/2.jpg")}, func(a *domain.Anime) { a.Poster = ptr("https://img.example/2.jpg") },
				map[string]any{"poster": oldNew("https://img.example/1.jpg", "https://img.example/2.jpg")}},
			{"poster cleared", domain.AnimePatch{Poster: cleared[string]()}, func(a *domain.Anime) { a.Poster = nil },
				map[string]any{"poster": oldNew("https://img.example/2.jpg", nil)}},
			{"active", domain.AnimePatch{Active: ptr(false)}, func(a *domain.Anime) { a.Active = false },
				map[string]any{"is_active": oldNew(true, false)}},
			{"status cleared, active again", domain.AnimePatch{Status: cleared[string](), Active: ptr(true)},
				func(a *domain.Anime) { a.Status, a.Active = nil, true },
				map[string]any{"status": oldNew("completed", nil), "is_active": oldNew(false, true)}},
		}
		for i, step := range steps {
			at := now.Add(time.Duration(i+1) * time.Minute)
			step.apply(&want)
			want.AdminModified, want.UpdatedAt = true, at
			got, err := s.UpdateAnime(t.Context(), a.NewID, step.p, at, editAudit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, a.NewID))
			if err != nil {
				t.Fatalf("UpdateAnime(%s) error = %v", step.name, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("UpdateAnime(%s) mismatch (-want +got):\n%s", step.name, diff)
			}
			if diff := cmp.Diff(want, mustAnimeByID(t, s, a.NewID)); diff != "" {
				t.Errorf("AnimeByID() after UpdateAnime(%s) mismatch (-want +got):\n%s", step.name, diff)
			}
			log := auditRows(t, s, domain.AuditTargetAnime, a.NewID)
			if len(log) != i+1 {
				t.Fatalf("audit rows after %d updates = %d, want one per update", i+1, len(log))
			}
			if diff := cmp.Diff(step.changes, log[0].Changes); diff != "" {
				t.Errorf("audit changes of UpdateAnime(%s) (-want +got):\n%s", step.name, diff)
			}
			if e := log[0]; e.Action != domain.ActionAnimeUpdate || e.TargetID != a.NewID || !e.CreatedAt.Equal(at) {
				t.Errorf("audit row of UpdateAnime(%s) = %+v, want anime.update of %s at %v", step.name, e, a.NewID, at)
			}
		}
	})

	t.Run("a patch that changes nothing leaves the row as it was and is audited with empty changes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Monster")
		a.Description, a.Year, a.Status = ptr("Tenma."), ptr(2004), ptr(domain.AnimeCompleted)
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
		before := mustAnimeByID(t, s, a.NewID)
		same := retitle("Monster")
		same.Slug, same.Description, same.Year, same.Status, same.Poster, same.Active = ptr("monster"), set("Tenma."), set(2004),
			set(domain.AnimeCompleted), cleared[string](), ptr(true)
		for i, p := range []domain.AnimePatch{{}, same} {
			got, err := s.UpdateAnime(t.Context(), a.NewID, p, now.Add(time.Hour), editAudit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, a.NewID))
			if err != nil {
				t.Fatalf("UpdateAnime(no-op %d) error = %v", i, err)
			}
			if diff := cmp.Diff(before, got); diff != "" {
				t.Errorf("UpdateAnime(no-op %d) (-before +after):\n%s", i, diff)
			}
		}
		if diff := cmp.Diff(before, mustAnimeByID(t, s, a.NewID)); diff != "" || before.AdminModified {
			t.Errorf("AnimeByID() after no-op patches (-before +after):\n%s", diff)
		}
		wantAuditChanges(t, s, domain.ActionAnimeUpdate, []map[string]any{{}, {}})
		b := newAnime("1", "Monster (2004)") // still the parser's
		mustImport(t, s, b, now.Add(2*time.Hour), domain.ImportCounts{AnimeWritten: 1})
	})

	t.Run("a new slug keeps the old one leading to the anime; another anime's slug, current or former, is a conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		n, b := newAnime("1", "Naruto"), newAnime("2", "Bleach")
		importAll(t, s, n, b)
		mustUpdateAnime(t, s, n.NewID, domain.AnimePatch{Slug: ptr("naruto-classic")}, now)
		for _, slug := range []string{"naruto", "naruto-classic"} {
			if got := mustBySlug(t, s, slug); got.ID != n.NewID || got.Slug != "naruto-classic" {
				t.Errorf("AnimeBySlug(%s) = %s with slug %q, want %s with slug naruto-classic", slug, got.ID, got.Slug, n.NewID)
			}
		}
		bleach := mustUpdateAnime(t, s, b.NewID, domain.AnimePatch{Slug: ptr("bleach-tv")}, now)
		for _, slug := range []string{"naruto", "naruto-classic"} {
			p := domain.AnimePatch{Slug: ptr(slug), Year: set(2004)}
			_, err := s.UpdateAnime(t.Context(), b.NewID, p, now.Add(time.Hour), editAudit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, b.NewID))
			wantKind(t, fmt.Sprintf("UpdateAnime(slug %s of another anime)", slug), err, domain.KindConflict)
		}
		if diff := cmp.Diff(bleach, mustAnimeByID(t, s, b.NewID)); diff != "" {
			t.Errorf("anime after refused slug changes (-before +after):\n%s", diff)
		}
		if log := auditRows(t, s, domain.AuditTargetAnime, b.NewID); len(log) != 1 {
			t.Errorf("audit rows of the anime refused slugs = %d, want only its one change", len(log))
		}
		if got := mustUpdateAnime(t, s, n.NewID, domain.AnimePatch{Slug: ptr("naruto")}, now.Add(time.Hour)); got.Slug != "naruto" {
			t.Errorf("UpdateAnime(back to its former slug) slug = %q, want naruto", got.Slug)
		}
		for _, slug := range []string{"naruto", "naruto-classic"} {
			if got := mustBySlug(t, s, slug); got.ID != n.NewID || got.Slug != "naruto" {
				t.Errorf("AnimeBySlug(%s) = %s with slug %q, want %s with slug naruto", slug, got.ID, got.Slug, n.NewID)
			}
		}
		if got := mustBySlug(t, s, "bleach"); got.ID != b.NewID {
			t.Errorf("AnimeBySlug(bleach) = %s, want %s", got.ID, b.NewID)
		}
	})

	t.Run("a new title is what the lists order and search by", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Shingeki no Kyojin", "進撃の巨人")
		importAll(t, s, a, newAnime("2", "Banana"))
		mustUpdateAnime(t, s, a.NewID, retitle("Attack on Titan", "進撃の巨人"), now.Add(time.Hour))
		wantTitles(t, s, domain.AnimeQuery{}, "Attack on Titan", "Banana")
		wantTitles(t, s, domain.AnimeQuery{Search: "titan"}, "Attack on Titan")
		wantTitles(t, s, domain.AnimeQuery{Search: "巨人"}, "Attack on Titan")
		wantTitles(t, s, domain.AnimeQuery{Search: "kyojin"})
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "attack"}, 1, "Attack on Titan")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "shingeki"}, 0)
	})

	t.Run("an unknown anime is not found and nothing is audited", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := s.UpdateAnime(t.Context(), id, domain.AnimePatch{Active: ptr(false)}, now, editAudit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, id))
			wantError(t, "UpdateAnime("+id+")", err, domain.KindNotFound, "Anime not found")
		}
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 0 {
			t.Errorf("audit rows after failed updates = %+v", log)
		}
	})
}
