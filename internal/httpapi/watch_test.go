package httpapi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The original service's progress and history tests.

func progressBody(title string, pos, dur float64) string {
	return fmt.Sprintf(`{"title_id":%q,"position_seconds":%v,"duration_seconds":%v}`, title, pos, dur)
}

func TestProgressTracking(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("prog@example.com", pw)
	list := func(query string) []progressResponse {
		t.Helper()
		var out []progressResponse
		api.do(req{path: "/api/v1/me/progress" + query, token: s.access}).wantStatus(t, 200).json(t, &out)
		return out
	}
	if len(list("")) != 0 {
		t.Fatal("new progress list not empty")
	}
	var p progressResponse
	api.do(req{method: "PUT", path: "/api/v1/me/progress/op-ep-1", token: s.access, body: progressBody("op", 120.5, 1440)}).wantStatus(t, 200).json(t, &p)
	if p.EpisodeID != "op-ep-1" || p.TitleID != "op" || p.PositionSeconds != 120.5 || p.DurationSeconds != 1440 || p.Provider != "rpc" {
		t.Errorf("created = %+v", p)
	}
	if len(list("")) != 1 || len(list("?title_id=op")) != 1 || len(list("?title_id=other")) != 0 || len(list("?title_id=")) != 1 {
		t.Error("title_id filter wrong")
	}
	api.clock.Advance(time.Second)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/op-ep-1", token: s.access, body: progressBody("op", 300, 1440)}).wantStatus(t, 200).json(t, &p)
	if got := list(""); len(got) != 1 || got[0].PositionSeconds != 300 {
		t.Errorf("after update = %+v, want one row at 300", got)
	}
}

func TestWatchHistory(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("hist@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/op-ep-1", token: s.access, body: progressBody("op", 60, 1440)}).wantStatus(t, 200)
	api.clock.Advance(time.Second)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/op-ep-2", token: s.access, body: progressBody("op", 30, 1440)}).wantStatus(t, 200)
	var h []historyResponse
	api.do(req{path: "/api/v1/me/history", token: s.access}).wantStatus(t, 200).json(t, &h)
	if len(h) != 2 || h[0].EpisodeID != "op-ep-2" || h[1].EpisodeID != "op-ep-1" || *h[1].PositionSeconds != 60 || h[0].TitleID != "op" {
		t.Errorf("history = %+v, want ep 2 then ep 1", h)
	}
	api.do(req{path: "/api/v1/me/history?limit=1", token: s.access}).wantStatus(t, 200).json(t, &h)
	if len(h) != 1 {
		t.Errorf("limit=1 gave %d rows", len(h))
	}

	r := api.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/me/history/%d", h[0].ID), token: s.access}).wantStatus(t, 200)
	var m message
	r.json(t, &m)
	if m.Message != "History entry deleted" {
		t.Errorf("delete message = %q", m.Message)
	}
	api.do(req{method: "DELETE", path: "/api/v1/me/history/999", token: s.access}).wantError(t, 404, "NOT_FOUND", "History entry not found")
}

func TestClearHistoryByProvider(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("clear@example.com", pw)
	for i := range 5 {
		api.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/me/progress/e%d", i), token: s.access, body: progressBody("t", 1, 2)}).wantStatus(t, 200)
	}
	api.do(req{method: "PUT", path: "/api/v1/me/progress/e0?provider=aniliberty", token: s.access, body: progressBody("t", 1, 2)}).wantStatus(t, 200)
	var m message
	api.do(req{method: "DELETE", path: "/api/v1/me/history", token: s.access}).wantStatus(t, 200).json(t, &m)
	if m.Message != "Cleared 5 history entries" {
		t.Errorf("clear = %q", m.Message)
	}
	if body := api.do(req{path: "/api/v1/me/history", token: s.access}).Body.String(); body != "[]\n" {
		t.Errorf("rpc history after clear = %s", body)
	}
	var other []historyResponse
	api.do(req{path: "/api/v1/me/history?provider=aniliberty", token: s.access}).wantStatus(t, 200).json(t, &other)
	if len(other) != 1 {
		t.Errorf("aniliberty history = %d rows, want 1 kept", len(other))
	}
}

func TestProgressRules(t *testing.T) { onEachEngine(t, testProgressRules) }

func testProgressRules(t *testing.T, api *testAPI) {
	s := api.register("rules@example.com", pw)
	put := func(body string) response {
		return api.do(req{method: "PUT", path: "/api/v1/me/progress/e1", token: s.access, body: body})
	}
	var p progressResponse
	put(`{"title_id":"t","position_seconds":4,"duration_seconds":null}`).wantStatus(t, 200).json(t, &p)
	if p.DurationSeconds != 0 {
		t.Errorf("null duration stored as %v, want 0", p.DurationSeconds)
	}
	put(`{"title_id":"t","position_seconds":50,"duration_seconds":100,"client_updated_at":2000}`).wantStatus(t, 200)
	put(`{"title_id":"t","position_seconds":10,"duration_seconds":100,"client_updated_at":1000}`).wantStatus(t, 200).json(t, &p)
	if p.PositionSeconds != 50 || *p.ClientUpdatedAt != 2000 {
		t.Errorf("an older tab's save rewound the position: %+v", p)
	}
	// A stale duration (an ad, a switched stream) never refuses the save:
	// both numbers are stored as sent.
	put(`{"title_id":"t","position_seconds":2000,"duration_seconds":100,"client_updated_at":3000}`).wantStatus(t, 200).json(t, &p)
	var list []progressResponse
	api.do(req{path: "/api/v1/me/progress", token: s.access}).wantStatus(t, 200).json(t, &list)
	if p.PositionSeconds != 2000 || p.DurationSeconds != 100 || len(list) != 1 || list[0].PositionSeconds != 2000 || list[0].DurationSeconds != 100 {
		t.Errorf("position past the duration: saved %+v, listed %+v; want 2000/100 both", p, list)
	}
	bad := map[string][]string{
		`{"position_seconds":1,"duration_seconds":2}`:                       {"title_id"},
		`{"title_id":"t","duration_seconds":2}`:                             {"position_seconds"},
		`{"title_id":"t","position_seconds":1}`:                             {"duration_seconds"},
		`{"title_id":"t","position_seconds":-1,"duration_seconds":2}`:       {"position_seconds"},
		`{"title_id":"t","position_seconds":1e9,"duration_seconds":2e9}`:    {"position_seconds", "duration_seconds"},
		`{"title_id":"","position_seconds":1,"duration_seconds":2}`:         {"title_id"},
		`{"title_id":5,"position_seconds":1,"duration_seconds":2}`:          {"title_id"},
		`{"title_id":"t","position_seconds":"1","duration_seconds":2}`:      {"position_seconds"},
		`{"title_id":"t","position_seconds":Infinity,"duration_seconds":2}`: {"body"},
		`{"title_id":"t","position_seconds":1e999,"duration_seconds":2}`:    {"position_seconds"},
	}
	for body, fields := range bad {
		if got := put(body).invalidFields(t); !cmp.Equal(got, fields) {
			t.Errorf("%s: fields %v, want %v", body, got, fields)
		}
	}
}

// The browser client's calls (its watch page), with its exact headers: JSON
// Content-Type on every request, the bearer token, provider=rpc where it
// sends it; every field it reads is checked.
func TestBrowserClientSession(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		client := func(method, path, token, body string) response {
			t.Helper()
			rq := req{method: method, path: path, token: token, header: map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:3000"}}
			if body != "" {
				rq.body = body
			}
			r := api.do(rq)
			if r.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
				t.Errorf("%s %s: no CORS allow-origin for the client", method, path)
			}
			return r
		}
		var tok tokenResponse
		client("POST", "/api/v1/auth/register", "", `{"email":"viewer@example.com","password":"hunter2-hunter2"}`).wantStatus(t, 201).json(t, &tok)
		token := tok.AccessToken
		var me map[string]any
		client("GET", "/api/v1/users/me", token, "").wantStatus(t, 200).json(t, &me)
		for _, f := range []string{"id", "email", "is_active", "created_at"} {
			if _, ok := me[f]; !ok {
				t.Errorf("/users/me lacks %s", f)
			}
		}
		// use-login-merge: the localStorage data, as the client stores it.
		var imp map[string]any
		client("POST", "/api/v1/me/import-legacy", token, `{"progress":[
			{"animeId":"one-piece-100","episodeNumber":12,"currentTime":300.5,"duration":1440,"updatedAt":1767840000000,"poster":"p.jpg","name":"One Piece"},
			{"animeId":"bleach","episodeNumber":1,"currentTime":20,"duration":null,"updatedAt":1767841000000}],
			"savedSeries":[{"id":"naruto","name":"Naruto","poster":"n.jpg","savedAt":1767842000000}],"provider":"rpc"}`).wantStatus(t, 200).json(t, &imp)
		if imp["success"] != true || imp["progress_imported"] != 2.0 || imp["library_imported"] != 1.0 || imp["progress_skipped"] != 0.0 || imp["library_skipped"] != 0.0 {
			t.Errorf("import = %v", imp)
		}
		// Library page tabs and the add/favourite buttons.
		client("PUT", "/api/v1/me/library/one-piece-100?provider=rpc", token, `{"status":"watching"}`).wantStatus(t, 200)
		client("PUT", "/api/v1/me/library/bleach?provider=rpc", token, `{"is_favorite":true,"status":"planned"}`).wantStatus(t, 200)
		var lib []map[string]any
		client("GET", "/api/v1/me/library", token, "").wantStatus(t, 200).json(t, &lib)
		if len(lib) != 3 {
			t.Fatalf("library = %v, want 3 items", lib)
		}
		for _, f := range []string{"title_id", "provider", "status", "is_favorite"} {
			if _, ok := lib[0][f]; !ok {
				t.Errorf("library item lacks %s", f)
			}
		}
		client("GET", "/api/v1/me/library?status=planned", token, "").wantStatus(t, 200).json(t, &lib)
		if len(lib) != 2 { // naruto (import) and bleach
			t.Errorf("planned tab = %v", lib)
		}
		client("GET", "/api/v1/me/library?favorites=true&provider=rpc", token, "").wantStatus(t, 200).json(t, &lib)
		if len(lib) != 2 {
			t.Errorf("favourites = %v", lib)
		}
		// The player: progress saves every few seconds, duration null first.
		api.clock.Advance(time.Minute)
		client("PUT", "/api/v1/me/progress/bleach-ep-2?provider=rpc", token, `{"title_id":"bleach","position_seconds":5.2,"duration_seconds":null}`).wantStatus(t, 200)
		api.clock.Advance(5 * time.Second)
		client("PUT", "/api/v1/me/progress/bleach-ep-2?provider=rpc", token, `{"title_id":"bleach","position_seconds":10.4,"duration_seconds":1420.1}`).wantStatus(t, 200)
		var prog []map[string]any
		client("GET", "/api/v1/me/progress", token, "").wantStatus(t, 200).json(t, &prog)
		if len(prog) != 3 || prog[0]["episode_id"] != "bleach-ep-2" || prog[0]["position_seconds"] != 10.4 || prog[0]["duration_seconds"] != 1420.1 {
			t.Errorf("progress = %v", prog)
		}
		if _, ok := prog[0]["updated_at"]; !ok {
			t.Error("progress lacks updated_at")
		}
		// History page (limit=100) and the continue-watching block (limit=50).
		var hist []map[string]any
		client("GET", "/api/v1/me/history?limit=100", token, "").wantStatus(t, 200).json(t, &hist)
		if len(hist) != 3 || hist[0]["episode_id"] != "bleach-ep-2" || hist[0]["position_seconds"] != 10.4 {
			t.Errorf("history = %v", hist)
		}
		for _, f := range []string{"id", "title_id", "episode_id", "position_seconds", "watched_at"} {
			if _, ok := hist[0][f]; !ok {
				t.Errorf("history entry lacks %s", f)
			}
		}
		client("GET", "/api/v1/me/history?limit=50", token, "").wantStatus(t, 200)
		client("DELETE", fmt.Sprintf("/api/v1/me/history/%v", hist[0]["id"]), token, "").wantStatus(t, 200)
		var m message
		client("DELETE", "/api/v1/me/history?provider=rpc", token, "").wantStatus(t, 200).json(t, &m)
		if m.Message != "Cleared 2 history entries" {
			t.Errorf("clear = %q", m.Message)
		}
		client("DELETE", "/api/v1/me/library/bleach?provider=rpc", token, "").wantStatus(t, 200)
		client("POST", "/api/v1/auth/logout", "", "").wantStatus(t, 200)
	})
}

func TestLegacyImportMapping(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("legacy@example.com", pw)
	const t0 = 1767855600000
	body := fmt.Sprintf(`{"progress":[
		{"animeId":"a","episodeNumber":1,"currentTime":10,"duration":100,"updatedAt":%[1]d},
		{"animeId":"","episodeNumber":1,"currentTime":10,"duration":100,"updatedAt":%[1]d},
		{"animeId":"b","episodeNumber":2,"currentTime":10,"duration":100,"updatedAt":0},
		{"animeId":"c","episodeNumber":1.5,"currentTime":10,"duration":100,"updatedAt":%[1]d},
		{"animeId":"d","episodeNumber":1,"currentTime":"x","duration":100,"updatedAt":%[1]d},
		5,
		{"animeId":"e","episodeNumber":3,"currentTime":-1,"duration":100,"updatedAt":%[1]d},
		{"animeId":"a","episodeNumber":1,"currentTime":20,"duration":100,"updatedAt":%[1]d}
	],"savedSeries":[
		{"id":"s1","savedAt":%[1]d},
		{"id":"s2","name":null,"savedAt":%[1]d},
		{"id":"","savedAt":%[1]d},
		{"id":"s3"}
	]}`, t0)
	var res legacyResponse
	api.do(req{method: "POST", path: "/api/v1/me/import-legacy", token: s.access, body: body}).wantStatus(t, 200).json(t, &res)
	want := legacyResponse{
		Success: true, ProgressImported: 1, ProgressSkipped: 7, LibraryImported: 2, LibrarySkipped: 2,
		Message: "Imported 3 items, skipped 9 items (already up-to-date)",
		Errors: []legacyItemError{
			{"progress", 1, "animeId is empty"},
			{"progress", 2, "updatedAt must be a positive epoch-milliseconds time"},
			{"progress", 3, "episodeNumber must be an integer"},
			{"progress", 4, "currentTime must be a number"},
			{"progress", 5, "must be an object"},
			{"progress", 6, "currentTime must be a number from 0 to 604800"},
			{"savedSeries", 2, "id is empty"},
			{"savedSeries", 3, "savedAt is required"},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("import mismatch (-want +got):\n%s", diff)
	}
	var prog []progressResponse
	api.do(req{path: "/api/v1/me/progress", token: s.access}).wantStatus(t, 200).json(t, &prog)
	if len(prog) != 1 || prog[0].EpisodeID != "a-ep-1" || prog[0].PositionSeconds != 10 || !prog[0].UpdatedAt.Equal(time.UnixMilli(t0)) {
		t.Errorf("progress = %+v", prog)
	}
	// Importing again changes nothing.
	api.do(req{method: "POST", path: "/api/v1/me/import-legacy", token: s.access, body: body}).wantStatus(t, 200).json(t, &res)
	if res.ProgressImported+res.LibraryImported != 0 {
		t.Errorf("re-import imported %d items", res.ProgressImported+res.LibraryImported)
	}
	// Too many items is refused as a whole.
	items := strings.Repeat(`{"id":"x","savedAt":1},`, 5001)
	api.do(req{method: "POST", path: "/api/v1/me/import-legacy", token: s.access, body: `{"savedSeries":[` + strings.TrimSuffix(items, ",") + `]}`}).wantStatus(t, 400)
	api.do(req{method: "POST", path: "/api/v1/me/import-legacy", token: s.access, body: `{"provider":"bad provider"}`}).wantStatus(t, 400)
	api.do(req{method: "POST", path: "/api/v1/me/import-legacy", token: s.access, body: `{"progress":"nope"}`}).wantStatus(t, 400)
}
