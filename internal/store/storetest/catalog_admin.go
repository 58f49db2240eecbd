package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testCatalogAdmin(t *testing.T, open Opener) {
	t.Run("anime list", func(t *testing.T) { testAdminAnimeList(t, open) })
	t.Run("create anime", func(t *testing.T) { testCreateAnime(t, open) })
	t.Run("update anime", func(t *testing.T) { testUpdateAnime(t, open) })
	t.Run("episodes", func(t *testing.T) { testAdminEpisodes(t, open) })
	t.Run("video sources", func(t *testing.T) { testAdminVideos(t, open) })
	t.Run("audit", func(t *testing.T) { testCatalogAudit(t, open) })
	t.Run("dashboard", func(t *testing.T) { testCatalogDashboard(t, open) })
	t.Run("a walk through every edit", func(t *testing.T) { testEditWalk(t, open) })
}

// editAudit is the audit entry an editor's change starts with.
func editAudit(action, targetType, targetID string) *domain.AuditEntry {
	return &domain.AuditEntry{Action: action, TargetType: targetType, TargetID: targetID, TraceID: "trace-c"}
}

// set is a Change to v, cleared one to nil.
func set[T any](v T) domain.Change[T] { return domain.Change[T]{Set: true, Value: &v} }

func cleared[T any]() domain.Change[T] { return domain.Change[T]{Set: true} }

// oldNew is an audit change from o to n.
func oldNew(o, n any) map[string]any { return map[string]any{"old": o, "new": n} }

// retitle is a patch of the title with the names the application derives.
func retitle(title string, alts ...string) domain.AnimePatch {
	n := names(title, alts...)
	return domain.AnimePatch{Title: &title, Names: &n}
}

// manual is an anime as an editor creates it.
func manual(sourceID, title string) domain.AnimeImport {
	a := newAnime(sourceID, title)
	a.SourceName = domain.ManualSource
	return a
}

func mustCreateAnime(t *testing.T, s domain.Store, a domain.AnimeImport, exactSlug bool, at time.Time) domain.Anime {
	t.Helper()
	got, err := s.CreateAnime(t.Context(), a, exactSlug, at, editAudit(domain.ActionAnimeCreate, domain.AuditTargetAnime, ""))
	if err != nil {
		t.Fatalf("CreateAnime(%s, exact %v) error = %v", a.SlugBase, exactSlug, err)
	}
	return got
}

func mustUpdateAnime(t *testing.T, s domain.Store, id string, p domain.AnimePatch, at time.Time) domain.Anime {
	t.Helper()
	got, err := s.UpdateAnime(t.Context(), id, p, at, editAudit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, id))
	if err != nil {
		t.Fatalf("UpdateAnime(%s) error = %v", id, err)
	}
	return got
}

func mustAnimeByID(t *testing.T, s domain.Store, id string) domain.Anime {
	t.Helper()
	a, err := s.AnimeByID(t.Context(), id)
	if err != nil {
		t.Fatalf("AnimeByID(%s) error = %v", id, err)
	}
	return a
}

// wantAdminTitles lists the catalog as editors do (a page of 100 unless
// paged) and checks the titles in order and the total.
func wantAdminTitles(t *testing.T, s domain.Store, q domain.AdminAnimeQuery, total int, want ...string) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	list, n, err := s.AdminAnimeList(t.Context(), q)
	wantListed(t, fmt.Sprintf("AdminAnimeList(%+v)", q), list, err, want)
	if n != total {
		t.Errorf("AdminAnimeList(%+v) total = %d, want %d", q, n, total)
	}
}

// auditRows returns the audit rows of a target, newest first.
func auditRows(t *testing.T, s domain.Store, targetType, targetID string) []domain.AuditEntry {
	t.Helper()
	return auditLog(t, s, domain.AuditQuery{TargetType: targetType, TargetID: targetID})
}

func testAdminAnimeList(t *testing.T, open Opener) {
	t.Run("every anime, active or not, most recently updated first, filtered and paged", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c := newAnime("1", "Zeta Titan"), newAnime("2", "Beta"), newAnime("3", "Titan")
		mustImport(t, s, a, now, domain.ImportCounts{AnimeWritten: 1})
		mustImport(t, s, b, now.Add(time.Minute), domain.ImportCounts{AnimeWritten: 1})
		mustImport(t, s, c, now.Add(2*time.Minute), domain.ImportCounts{AnimeWritten: 1})
		mustCreateAnime(t, s, manual("m1", "Delta"), false, now.Add(3*time.Minute))
		mustUpdateAnime(t, s, a.NewID, domain.AnimePatch{Active: ptr(false)}, now.Add(4*time.Minute))

		wantAdminTitles(t, s, domain.AdminAnimeQuery{}, 4, "Zeta Titan", "Delta", "Titan", "Beta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Active: ptr(true)}, 3, "Delta", "Titan", "Beta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Active: ptr(false)}, 1, "Zeta Titan")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{SourceName: domain.ManualSource}, 1, "Delta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{SourceName: source}, 3, "Zeta Titan", "Titan", "Beta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{SourceName: "other"}, 0)
		// Still by update, not by relevance or title: "Titan" is the exact match.
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "titan"}, 2, "Zeta Titan", "Titan")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "titan", Active: ptr(true)}, 1, "Titan")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "titan", SourceName: domain.ManualSource}, 0)
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: "elt"}, 1, "Delta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Offset: 1, Limit: 2}, 4, "Delta", "Titan")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Offset: 3, Limit: 2}, 4, "Beta")
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Offset: 4, Limit: 2}, 4)
		wantAdminTitles(t, s, domain.AdminAnimeQuery{Active: ptr(true), Offset: 2, Limit: 1}, 3, "Beta")
	})

	t.Run("search is the folded names' substring, wildcards literal", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		raw := func(id, name string) domain.AnimeImport {
			a := newAnime(id, name)
			a.Names = domain.Names{TitleKey: name, Search: "\n" + name + "\n"}
			return a
		}
		for i, a := range []domain.AnimeImport{raw("1", "100% love"), raw("2", "100 love"), raw("3", "a_b"), raw("4", "axb"),
			newAnime("5", "Shingeki no Kyojin", "Attack on Titan", "進撃の巨人")} {
			mustImport(t, s, a, now.Add(time.Duration(i)*time.Minute), domain.ImportCounts{AnimeWritten: 1})
		}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"100%", []string{"100% love"}}, {"%", []string{"100% love"}}, {"0%l", nil}, {"100", []string{"100 love", "100% love"}},
			{"a_b", []string{"a_b"}}, {"_", []string{"a_b"}}, {"a%b", nil},
			{"attack on", []string{"Shingeki no Kyojin"}}, {"巨人", []string{"Shingeki no Kyojin"}},
		} {
			wantAdminTitles(t, s, domain.AdminAnimeQuery{Search: c.q}, len(c.want), c.want...)
		}
	})

	t.Run("an anime is found by id in any state; an unknown id is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := newAnime("1", "Kaiji")
		importAll(t, s, a)
		off := mustUpdateAnime(t, s, a.NewID, domain.AnimePatch{Active: ptr(false)}, now.Add(time.Hour))
		got := mustAnimeByID(t, s, a.NewID)
		if diff := cmp.Diff(off, got); diff != "" || got.Active || got.ID != a.NewID {
			t.Errorf("AnimeByID(inactive) = %+v, want what UpdateAnime returned, inactive (-want +got):\n%s", got, diff)
		}
		for _, id := range []string{domain.NewUUID(), "not-a-uuid"} {
			_, err := s.AnimeByID(t.Context(), id)
			wantError(t, "AnimeByID("+id+")", err, domain.KindNotFound, "Anime not found")
		}
	})
}

func testCreateAnime(t *testing.T, open Opener) {
	t.Run("a created anime is the editors', stored as an import would store it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := withGenres(manual("m1", "Mushishi"), "Mystery")
		a.AlternativeTitles, a.Names = []string{"蟲師"}, names("Mushishi", "蟲師")
		a.Description, a.Year, a.Status, a.Poster = ptr("Ginko travels."), ptr(2005), ptr(domain.AnimeCompleted), ptr("https://img.example/m.jpg")
		got := mustCreateAnime(t, s, a, false, now)
		want := domain.Anime{ID: a.NewID, Title: "Mushishi", Slug: "mushishi", Description: a.Description, Year: a.Year, Status: a.Status,
			Poster: a.Poster, SourceName: domain.ManualSource, SourceID: "m1", Genres: []string{"Mystery"}, AlternativeTitles: []string{"蟲師"},
			Active: true, AdminModified: true, CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CreateAnime() mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, mustAnimeByID(t, s, a.NewID)); diff != "" {
			t.Errorf("AnimeByID(created) mismatch (-want +got):\n%s", diff)
		}
		if got := mustBySlug(t, s, "mushishi"); got.ID != a.NewID {
			t.Errorf("AnimeBySlug(mushishi) = %s, want the created %s", got.ID, a.NewID)
		}
		wantTitles(t, s, domain.AnimeQuery{Search: "蟲", GenreKey: "mystery"}, "Mushishi")
		log := auditRows(t, s, domain.AuditTargetAnime, a.NewID)
		if len(log) != 1 || log[0].Action != domain.ActionAnimeCreate || log[0].TraceID != "trace-c" || !log[0].CreatedAt.Equal(now) {
			t.Errorf("audit rows of the created anime = %+v, want one anime.create at %v, its TargetID the new id", log, now)
		}
	})

	t.Run("its slug is the base when exact, else the first free of base, base-1, …, never a former one", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		n := newAnime("1", "Naruto")
		importAll(t, s, n)
		mustUpdateAnime(t, s, n.NewID, domain.AnimePatch{Slug: ptr("naruto-classic")}, now)
		for _, c := range []struct {
			a     domain.AnimeImport
			exact bool
			want  string
		}{
			{manual("m1", "Naruto"), false, "naruto-1"},
			{manual("m2", "Naruto Classic"), false, "naruto-classic-1"},
			{manual("m3", "Naruto"), false, "naruto-2"},
			{manual("m4", "Boruto"), true, "boruto"},
		} {
			if got := mustCreateAnime(t, s, c.a, c.exact, now); got.Slug != c.want || mustBySlug(t, s, c.want).ID != c.a.NewID {
				t.Errorf("CreateAnime(%s, exact %v) slug = %q, want %q", c.a.SlugBase, c.exact, got.Slug, c.want)
			}
		}
		before := len(auditLog(t, s, domain.AuditQuery{}))
		for _, slug := range []string{"naruto", "naruto-classic", "naruto-1", "boruto"} {
			a := manual("x-"+slug, "Other")
			a.SlugBase = slug
			_, err := s.CreateAnime(t.Context(), a, true, now, editAudit(domain.ActionAnimeCreate, domain.AuditTargetAnime, ""))
			wantKind(t, "CreateAnime(exact taken slug "+slug+")", err, domain.KindConflict)
			wantKind(t, "AnimeByID(refused anime)", func() error { _, err := s.AnimeByID(t.Context(), a.NewID); return err }(), domain.KindNotFound)
		}
		if got := len(auditLog(t, s, domain.AuditQuery{})); got != before {
			t.Errorf("audit rows after refused creations = %d, want %d", got, before)
		}
	})

	t.Run("a taken source id is a conflict and writes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		importAll(t, s, newAnime("1", "Frieren"))
		mustCreateAnime(t, s, manual("m1", "Dandadan"), false, now.Add(time.Minute))
		for _, a := range []domain.AnimeImport{newAnime("1", "Other"), manual("m1", "Other")} {
			_, err := s.CreateAnime(t.Context(), a, false, now, editAudit(domain.ActionAnimeCreate, domain.AuditTargetAnime, ""))
			wantKind(t, "CreateAnime(taken "+a.SourceName+"/"+a.SourceID+")", err, domain.KindConflict)
		}
		wantAdminTitles(t, s, domain.AdminAnimeQuery{}, 2, "Dandadan", "Frieren")
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 1 {
			t.Errorf("audit rows = %+v, want only the one creation", log)
		}
	})
}
