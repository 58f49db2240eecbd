package httpapi

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
)

// A misfiled episode: the parser filed Titan's episode 26 under season 3.
const seasonItem = `{"source_name":"shikimori","source_id":"35760","title":"Attack on Titan Season 3","year":2018,
	"episodes":[{"source_episode_id":"s3-1","number":1,"players":[{"type":"mp4","url":"https://cdn.example/s3/1.mp4","source_name":"kodik"}]},
		{"source_episode_id":"aot-26","number":26,"players":[{"type":"mp4","url":"https://cdn.example/aot/26.mp4","source_name":"kodik"}]}]}`

// staffLogin logs in through the staff login.
func (a *testAPI) staffLogin(email string) session {
	a.t.Helper()
	return a.sessionFrom(a.do(req{method: "POST", path: "/api/v1/admin/login", body: credentials{email, pw}}).wantStatus(a.t, 200))
}

// get decodes a 200 answer of path into v.
func (a *testAPI) get(path, token string, v any) response {
	a.t.Helper()
	r := a.do(req{path: path, token: token}).wantStatus(a.t, 200)
	r.json(a.t, v)
	return r
}

// findAnime returns the admin list's anime of a slug.
func (a *testAPI) findAnime(token, search, slug string) adminAnimeItem {
	a.t.Helper()
	var page pageResponse[adminAnimeItem]
	a.get("/api/v1/admin/anime?search="+url.QueryEscape(search), token, &page)
	for _, it := range page.Items {
		if it.Slug == slug {
			return it
		}
	}
	a.t.Fatalf("no %s in the admin list of %q: %+v", slug, search, page.Items)
	return adminAnimeItem{}
}

// auditOf returns the audit rows of one target.
func (a *testAPI) auditOf(token, targetType, targetID string) []auditResponse {
	a.t.Helper()
	var log pageResponse[auditResponse]
	a.get("/api/v1/admin/audit-log?target_type="+targetType+"&target_id="+targetID, token, &log)
	return log.Items
}

// The "done when": an editor logs in through the staff login,
// renames a slug, deactivates a dead source and moves a misfiled episode;
// each is visible at once on another replica, in the public API and the
// read models, has one typed audit row, survives a re-import, and a viewer
// can do none of it.
func TestEditorFixesTheCatalog(t *testing.T) {
	onEachEngine(t, func(t *testing.T, base *testAPI) {
		c := newCache(t)
		a := newAPIWith(t, base.store, base.clock, withCache(c), withParser())
		b := newAPIWith(t, base.store, base.clock, withCache(c))
		a.importing("catalog", `{"items":[`+titanItem+`,`+seasonItem+`]}`).wantStatus(t, 200)
		a.registerWithRole("editor@example.com", domain.RoleEditor)
		ed := a.staffLogin("editor@example.com")
		admin := a.registerAdmin("admin@example.com")
		viewer := a.register("viewer@example.com", pw)

		// Warm every cached answer on b.
		var eps []episodeResponse
		before := b.get("/api/v1/anime/attack-on-titan/episodes", "", &eps).Header().Get("ETag")
		var detail readDetailResponse
		b.get("/api/read/anime/attack-on-titan", "", &detail)

		titan := a.findAnime(ed.access, "attack", "attack-on-titan")
		season := a.findAnime(ed.access, "season 3", "attack-on-titan-season-3")
		var titanEps, seasonEps struct {
			Items []adminEpisodeItem `json:"items"`
		}
		a.get("/api/v1/admin/anime/"+titan.ID+"/episodes", ed.access, &titanEps)
		a.get("/api/v1/admin/anime/"+season.ID+"/episodes", ed.access, &seasonEps)
		ep1, misfiled := titanEps.Items[0], seasonEps.Items[1]
		var videos struct {
			Items []adminVideoItem `json:"items"`
		}
		a.get("/api/v1/admin/episodes/"+ep1.ID+"/video", ed.access, &videos)
		dead := videos.Items[0] // priority 5
		changes := []req{
			{method: "PATCH", path: "/api/v1/admin/anime/" + titan.ID, body: `{"slug":"shingeki-no-kyojin"}`},
			{method: "POST", path: "/api/v1/admin/video/" + dead.ID + "/state", body: `{"is_active":false}`},
			{method: "POST", path: "/api/v1/admin/episodes/" + misfiled.ID + "/attach", body: `{"anime_id":"` + titan.ID + `"}`},
		}
		for _, rq := range changes {
			rq.token = viewer.access
			a.do(rq).wantStatus(t, 403)
		}
		for _, rq := range changes {
			rq.token = ed.access
			a.do(rq).wantStatus(t, 200)
		}

		// At once on b: the old slug redirects, one source left on episode
		// 1, episode 26 under Titan.
		for _, p := range []string{"/api/v1/anime/%s", "/api/v1/anime/%s/episodes", "/api/read/anime/%s"} {
			r := b.do(req{path: fmt.Sprintf(p, "attack-on-titan")}).wantStatus(t, 308)
			if got, want := r.Header().Get("Location"), fmt.Sprintf(p, "shingeki-no-kyojin"); got != want {
				t.Errorf("%s redirects to %q, want %q", p, got, want)
			}
		}
		after := b.get("/api/v1/anime/shingeki-no-kyojin/episodes", "", &eps).Header().Get("ETag")
		b.get("/api/read/anime/shingeki-no-kyojin", "", &detail)
		checkFixed := func(when string) {
			if len(eps) != 3 || eps[0].Number != 1 || len(eps[0].VideoSources) != 1 || eps[2].Number != 26 {
				t.Errorf("%s: public episodes = %+v, want 1 (one source), 2, 26", when, eps)
			}
			if len(detail.Episodes) != 3 || len(detail.Episodes[0].VideoSources) != 1 || detail.Slug != "shingeki-no-kyojin" {
				t.Errorf("%s: read model = %+v", when, detail)
			}
			var rest []episodeResponse
			b.get("/api/v1/anime/attack-on-titan-season-3/episodes", "", &rest)
			if len(rest) != 1 {
				t.Errorf("%s: season 3 has %d episodes, want 1", when, len(rest))
			}
		}
		checkFixed("after the edits")
		if before == after {
			t.Errorf("ETag %s did not change", after)
		}

		// One typed audit row each, by the editor.
		edID := a.userID("editor@example.com")
		for _, want := range []struct {
			targetType, id, action string
			changes                map[string]any
		}{
			{"anime", titan.ID, "anime.update", map[string]any{"slug": map[string]any{"old": "attack-on-titan", "new": "shingeki-no-kyojin"}}},
			{"video_source", dead.ID, "video_source.state", map[string]any{"is_active": map[string]any{"old": true, "new": false}}},
			{"episode", misfiled.ID, "episode.attach", map[string]any{"anime_id": map[string]any{"old": season.ID, "new": titan.ID}}},
		} {
			rows := a.auditOf(admin.access, want.targetType, want.id)
			if len(rows) != 1 || rows[0].Action != want.action || rows[0].ActorID == nil || *rows[0].ActorID != edID || rows[0].TraceID == "" {
				t.Errorf("audit of %s %s = %+v, want one %s by the editor", want.targetType, want.id, rows, want.action)
				continue
			}
			if diff := cmp.Diff(want.changes, rows[0].Changes); diff != "" {
				t.Errorf("%s changes (-want +got):\n%s", want.action, diff)
			}
		}

		// The parser sends it all again: nothing an editor changed moves.
		var rep importAnswer
		a.importing("catalog", `{"items":[`+titanItem+`,`+seasonItem+`]}`).wantStatus(t, 200).json(t, &rep)
		if rep.Total != 2 || len(rep.Errors) != 0 {
			t.Fatalf("re-import = %+v", rep)
		}
		b.get("/api/v1/anime/shingeki-no-kyojin/episodes", "", &eps)
		b.get("/api/read/anime/shingeki-no-kyojin", "", &detail)
		checkFixed("after a re-import")
	})
}

// Staff login is D3's login for editors and admins only; anyone else gets
// 403 whether or not the password was right, and a wrong one still counts.
func TestStaffLogin(t *testing.T) {
	limits := limitsOf(1000)
	limits.Login, limits.LoginFailures = ratelimit.PerMinute(100), ratelimit.Limit{Burst: 3, Period: 15 * time.Minute}
	api := newTestAPI(t, withLimits(limits))
	api.register("viewer@example.com", pw)
	api.registerWithRole("editor@example.com", domain.RoleEditor)
	api.registerAdmin("admin@example.com")
	api.staffLogin("editor@example.com")
	api.staffLogin("admin@example.com")
	login := func(email, password string) response {
		return api.do(req{method: "POST", path: "/api/v1/admin/login", body: credentials{email, password}})
	}
	login("viewer@example.com", pw).wantError(t, 403, "AUTHORIZATION_ERROR", "Staff access required")
	login("nobody@example.com", pw).wantError(t, 401, "AUTHENTICATION_ERROR", "Incorrect email or password")
	login("editor@example.com", "wrong-password").wantError(t, 401, "AUTHENTICATION_ERROR", "Incorrect email or password")
	for range 3 {
		login("viewer@example.com", "wrong-password").wantError(t, 403, "AUTHORIZATION_ERROR", "Staff access required")
	}
	login("viewer@example.com", pw).wantStatus(t, 429) // the three wrong ones counted
}

// Disabling an editor locks it out of the catalog routes at once where it
// happened and within five seconds on another replica.
func TestDisabledEditorIsLockedOut(t *testing.T) {
	a := newTestAPI(t)
	b := newReplica(t, a)
	admin := a.registerAdmin("admin@example.com")
	a.registerWithRole("editor@example.com", domain.RoleEditor)
	ed := a.staffLogin("editor@example.com")
	b.do(req{path: "/api/v1/admin/dashboard", token: ed.access}).wantStatus(t, 200) // cached on b
	b.access.Poll(t.Context())
	a.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", a.userID("editor@example.com")), token: admin.access, body: `{"is_active":false}`}).wantStatus(t, 200)
	a.do(req{path: "/api/v1/admin/dashboard", token: ed.access}).wantStatus(t, 401)
	b.clock.Advance(5 * time.Second)
	b.access.Poll(t.Context())
	b.do(req{path: "/api/v1/admin/dashboard", token: ed.access}).wantStatus(t, 401)
	a.do(req{method: "POST", path: "/api/v1/admin/login", body: credentials{"editor@example.com", pw}}).wantStatus(t, 403)
}

// Bad input is a 400 naming its fields, unknown targets 404, taken slugs
// 409; none of them writes an audit row.
func TestCatalogAdminValidation(t *testing.T) {
	api := newTestAPI(t, withParser())
	api.importing("catalog", `{"items":[`+titanItem+`,`+seasonItem+`]}`).wantStatus(t, 200)
	ed := api.registerWithRole("editor@example.com", domain.RoleEditor)
	admin := api.registerAdmin("admin@example.com")
	titan := api.findAnime(ed.access, "attack", "attack-on-titan")
	var eps struct {
		Items []adminEpisodeItem `json:"items"`
	}
	api.get("/api/v1/admin/anime/"+titan.ID+"/episodes", ed.access, &eps)
	var videos struct {
		Items []adminVideoItem `json:"items"`
	}
	api.get("/api/v1/admin/episodes/"+eps.Items[0].ID+"/video", ed.access, &videos)
	anime, episode, video := "/api/v1/admin/anime/"+titan.ID, "/api/v1/admin/episodes/"+eps.Items[0].ID, "/api/v1/admin/video/"+videos.Items[0].ID
	long := func(n int) string { return fmt.Sprintf("%0*d", n, 0) }
	for _, c := range []struct {
		method, path, body string
		fields             []string
	}{
		{"PATCH", anime, `{"status":"airing"}`, []string{"status"}},
		{"PATCH", anime, `{"slug":"Bad Slug"}`, []string{"slug"}},
		{"PATCH", anime, `{"slug":"a--b"}`, []string{"slug"}},
		{"PATCH", anime, `{"slug":"` + long(201) + `"}`, []string{"slug"}},
		{"PATCH", anime, `{"title":"","year":1800,"poster":"ftp://x/y.jpg"}`, []string{"title", "year", "poster"}},
		{"PATCH", anime, `{"year":"2013"}`, []string{"year"}},
		{"PATCH", anime, `{"description":"` + long(20001) + `"}`, []string{"description"}},
		{"POST", "/api/v1/admin/anime", `{"year":2013}`, []string{"title"}},
		{"POST", "/api/v1/admin/anime", `{"title":"X","slug":"-x"}`, []string{"slug"}},
		{"PATCH", episode, `{"number":-1}`, []string{"number"}},
		{"PATCH", episode, `{"number":100001,"title":"` + long(501) + `"}`, []string{"number", "title"}},
		{"POST", "/api/v1/admin/episodes", `{"anime_id":"` + titan.ID + `","number":3}`, []string{"source_episode_id"}},
		{"POST", episode + "/attach", `{}`, []string{"anime_id"}},
		{"POST", episode + "/detach", `{"reason":"` + long(1001) + `"}`, []string{"reason"}},
		{"PATCH", video, `{"type":"flash","url":"javascript:alert(1)","priority":1001}`, []string{"type", "url", "priority"}},
		{"POST", video + "/state", `{"priority":1}`, []string{"is_active"}},
		{"POST", "/api/v1/admin/video", `{"episode_id":"` + eps.Items[0].ID + `","type":"mp4","url":"https://x.example/a.mp4"}`, []string{"source_name"}},
		{"GET", "/api/v1/admin/anime?per_page=101&is_active=maybe", "", []string{"per_page", "is_active"}},
		{"GET", "/api/v1/admin/anime?search=" + long(201), "", []string{"search"}},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		got := api.do(req{method: c.method, path: c.path, token: ed.access, body: body}).invalidFields(t)
		if !cmp.Equal(got, c.fields) {
			t.Errorf("%s %s %.60s: fields %v, want %v", c.method, c.path, c.body, got, c.fields)
		}
	}
	const unknown = "00000000-0000-4000-8000-000000000000"
	for _, c := range []struct{ method, path, body, message string }{
		{"GET", "/api/v1/admin/anime/" + unknown, "", "Anime not found"},
		{"GET", "/api/v1/admin/anime/not-a-uuid", "", "Anime not found"},
		{"PATCH", "/api/v1/admin/anime/" + unknown, `{"title":"X"}`, "Anime not found"},
		{"GET", "/api/v1/admin/anime/" + unknown + "/episodes", "", "Anime not found"},
		{"POST", episode + "/attach", `{"anime_id":"` + unknown + `"}`, "Anime not found"},
		{"POST", "/api/v1/admin/episodes", `{"anime_id":"` + unknown + `","number":1,"source_episode_id":"x"}`, "Anime not found"},
		{"PATCH", "/api/v1/admin/episodes/" + unknown, `{"number":1}`, "Episode not found"},
		{"GET", "/api/v1/admin/episodes/" + unknown + "/video", "", "Episode not found"},
		{"POST", "/api/v1/admin/video", `{"episode_id":"` + unknown + `","type":"mp4","url":"https://x.example/a.mp4","source_name":"manual"}`, "Episode not found"},
		{"DELETE", "/api/v1/admin/video/" + unknown, "", "Video source not found"},
		{"POST", "/api/v1/admin/video/x/state", `{"is_active":true}`, "Video source not found"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		api.do(req{method: c.method, path: c.path, token: ed.access, body: body}).wantError(t, 404, "NOT_FOUND", c.message)
	}
	r := api.do(req{method: "PATCH", path: anime, token: ed.access, body: `{"slug":"attack-on-titan-season-3"}`})
	r.wantError(t, 409, "CONFLICT", "Slug already in use: attack-on-titan-season-3")
	api.do(req{method: "POST", path: "/api/v1/admin/anime", token: ed.access, body: `{"title":"X","slug":"attack-on-titan"}`}).wantStatus(t, 409)
	if rows := api.auditOf(admin.access, "anime", titan.ID); len(rows) != 0 {
		t.Errorf("refused changes wrote audit rows: %+v", rows)
	}
}

// What editors create, change and delete, and a change that changes
// nothing: 200, the row as it was, one audit row with empty changes.
func TestCatalogAdminWrites(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		ed := api.registerWithRole("editor@example.com", domain.RoleEditor)
		admin := api.registerAdmin("admin@example.com")
		var a adminAnimeDetail
		api.do(req{method: "POST", path: "/api/v1/admin/anime", token: ed.access,
			body: `{"title":"Frieren: Beyond Journey's End","alternative_titles":["葬送のフリーレン"],"year":2023,"status":"ongoing","genres":["Fantasy"]}`}).
			wantStatus(t, 201).json(t, &a)
		if a.Slug != "frieren-beyond-journey-s-end" && a.Slug != "frieren-beyond-journeys-end" || a.SourceName != "manual" || a.SourceID != a.ID || !a.AdminModified || !a.IsActive {
			t.Errorf("created anime = %+v", a)
		}
		var found []animeItemResponse
		api.get("/api/v1/anime?q="+url.QueryEscape("フリーレン"), "", &found)
		if len(found) != 1 || found[0].ID != a.ID {
			t.Errorf("public search for the new anime = %+v", found)
		}
		var same adminAnimeDetail
		api.do(req{method: "PATCH", path: "/api/v1/admin/anime/" + a.ID, token: ed.access, body: `{"title":"` + a.Title + `","year":2023}`}).wantStatus(t, 200).json(t, &same)
		if !same.UpdatedAt.Equal(a.UpdatedAt) {
			t.Errorf("a no-op PATCH moved updated_at %v -> %v", a.UpdatedAt, same.UpdatedAt)
		}
		var retitled adminAnimeDetail
		api.do(req{method: "PATCH", path: "/api/v1/admin/anime/" + a.ID, token: ed.access, body: `{"title":"Sousou no Frieren","description":"A mage.","poster":null}`}).
			wantStatus(t, 200).json(t, &retitled)
		api.get("/api/v1/anime?q=sousou", "", &found)
		if len(found) != 1 || *retitled.Description != "A mage." || retitled.Slug != a.Slug {
			t.Errorf("retitled = %+v, found %d by its new title", retitled, len(found))
		}

		var ep adminEpisodeItem
		api.do(req{method: "POST", path: "/api/v1/admin/episodes", token: ed.access, body: `{"anime_id":"` + a.ID + `","number":1,"source_episode_id":"fr-1"}`}).
			wantStatus(t, 201).json(t, &ep)
		if ep.HasVideo || !ep.IsActive || ep.AnimeID != a.ID {
			t.Errorf("created episode = %+v", ep)
		}
		var v adminVideoItem
		api.do(req{method: "POST", path: "/api/v1/admin/video", token: ed.access,
			body: `{"episode_id":"` + ep.ID + `","type":"hls","url":"https://cdn.example/fr/1.m3u8","source_name":"manual","priority":3}`}).
			wantStatus(t, 201).json(t, &v)
		if v.Type != "m3u8" || v.Priority != 3 || !v.IsActive {
			t.Errorf("created source = %+v", v)
		}
		var eps struct {
			Items      []adminEpisodeItem `json:"items"`
			Total      int                `json:"total"`
			AnimeTitle string             `json:"anime_title"`
		}
		api.get("/api/v1/admin/anime/"+a.ID+"/episodes", ed.access, &eps)
		if eps.Total != 1 || !eps.Items[0].HasVideo || eps.AnimeTitle != "Sousou no Frieren" {
			t.Errorf("episodes = %+v", eps)
		}
		var public []episodeResponse
		api.get("/api/v1/anime/"+a.Slug+"/episodes", "", &public)
		if len(public) != 1 || len(public[0].VideoSources) != 1 {
			t.Errorf("public episodes = %+v", public)
		}
		api.do(req{method: "PATCH", path: "/api/v1/admin/video/" + v.ID, token: ed.access, body: `{"priority":7,"url":"https://cdn.example/fr/1b.m3u8"}`}).wantStatus(t, 200)
		api.do(req{method: "DELETE", path: "/api/v1/admin/video/" + v.ID, token: ed.access}).wantStatus(t, 204)
		api.do(req{method: "DELETE", path: "/api/v1/admin/video/" + v.ID, token: ed.access}).wantStatus(t, 404)
		api.get("/api/v1/anime/"+a.Slug+"/episodes", "", &public)
		if len(public) != 1 || len(public[0].VideoSources) != 0 {
			t.Errorf("public episodes after the delete = %+v", public)
		}
		api.do(req{method: "POST", path: "/api/v1/admin/episodes/" + ep.ID + "/detach", token: ed.access, body: `{"reason":"duplicate"}`}).wantStatus(t, 200)
		api.get("/api/v1/anime/"+a.Slug+"/episodes", "", &public)
		if len(public) != 0 {
			t.Errorf("a detached episode is still public: %+v", public)
		}

		wantActions := func(targetType, id string, want ...string) []auditResponse {
			rows := api.auditOf(admin.access, targetType, id)
			var got []string
			for _, r := range rows {
				got = append(got, r.Action)
			}
			if !cmp.Equal(got, want) {
				t.Errorf("audit of %s = %v, want %v", targetType, got, want)
			}
			return rows
		}
		rows := wantActions("anime", a.ID, "anime.update", "anime.update", "anime.create")
		if len(rows) == 3 && (len(rows[1].Changes) != 0 || rows[0].Changes["title"] == nil || rows[2].Changes["year"] == nil) {
			t.Errorf("anime audit changes = %+v", rows)
		}
		wantActions("episode", ep.ID, "episode.detach", "episode.create")
		rows = wantActions("video_source", v.ID, "video_source.delete", "video_source.update", "video_source.create")
		if len(rows) == 3 && !cmp.Equal(rows[1].Changes["priority"], map[string]any{"old": 3.0, "new": 7.0}) {
			t.Errorf("video update changes = %+v", rows[1].Changes)
		}

		var d dashboardResponse
		api.get("/api/v1/admin/dashboard", ed.access, &d)
		if d.TotalAnime != 1 || d.ActiveAnime != 1 || d.TotalEpisodes != 1 || d.InactiveEpisodes != 1 || d.TotalSources != 0 ||
			d.WithoutSource != 1 || len(d.WithoutSourceList) != 1 || len(d.RecentAnime) != 1 || len(d.RecentEpisodes) != 1 {
			t.Errorf("dashboard = %+v", d)
		}
		var me meResponse
		api.get("/api/v1/admin/me", ed.access, &me)
		if me.Email != "editor@example.com" || !cmp.Equal(me.Roles, []string{"editor", "user"}) || len(me.Permissions) != 7 {
			t.Errorf("/admin/me = %+v", me)
		}
	})
}

// The dashboard is computed at most every DashboardTTL: an import shows
// after it, an editor's change on the same instance at once.
func TestDashboardIsAtMostTwoSecondsOld(t *testing.T) {
	api := newTestAPI(t, withParser())
	ed := api.registerWithRole("editor@example.com", domain.RoleEditor)
	total := func() int {
		var d dashboardResponse
		api.get("/api/v1/admin/dashboard", ed.access, &d)
		return d.TotalAnime
	}
	if n := total(); n != 0 {
		t.Fatalf("empty catalog: %d anime", n)
	}
	api.importing("catalog", `{"items":[`+titanItem+`]}`).wantStatus(t, 200)
	if n := total(); n != 0 {
		t.Errorf("at once after an import: %d anime, want the dashboard of a moment ago (0)", n)
	}
	api.clock.Advance(app.DashboardTTL)
	if n := total(); n != 1 {
		t.Errorf("%v after an import: %d anime, want 1", app.DashboardTTL, n)
	}
	api.do(req{method: "POST", path: "/api/v1/admin/anime", token: ed.access, body: `{"title":"Frieren"}`}).wantStatus(t, 201)
	if n := total(); n != 2 {
		t.Errorf("at once after an editor's change: %d anime, want 2", n)
	}
}
