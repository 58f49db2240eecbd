package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The original service's library tests.

func TestLibraryCRUDFlow(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("lib@example.com", pw)
	list := func(query string) []libraryItemResponse {
		t.Helper()
		var out []libraryItemResponse
		api.do(req{path: "/api/v1/me/library" + query, token: s.access}).wantStatus(t, 200).json(t, &out)
		return out
	}
	if got := list(""); len(got) != 0 {
		t.Fatalf("new library = %v, want empty", got)
	}
	var it libraryItemResponse
	api.do(req{method: "PUT", path: "/api/v1/me/library/one-piece", token: s.access, body: map[string]any{"is_favorite": true}}).wantStatus(t, 200).json(t, &it)
	if it.Status != "watching" || !it.IsFavorite || it.Provider != "rpc" || it.TitleID != "one-piece" || it.Score != nil || it.Notes != nil {
		t.Errorf("created item = %+v", it)
	}
	if len(list("")) != 1 {
		t.Error("list after create is not 1 item")
	}
	api.do(req{method: "PUT", path: "/api/v1/me/library/one-piece", token: s.access, body: map[string]any{"status": "completed"}}).wantStatus(t, 200).json(t, &it)
	if it.Status != "completed" || !it.IsFavorite {
		t.Errorf("after status update = %+v, want completed and still a favourite", it)
	}
	if len(list("?status=completed")) != 1 || len(list("?status=watching")) != 0 {
		t.Error("status filter does not work both ways")
	}
	if len(list("?favorites=true")) != 1 {
		t.Error("favourites filter lost the favourite")
	}
	r := api.do(req{method: "DELETE", path: "/api/v1/me/library/one-piece", token: s.access}).wantStatus(t, 200)
	var m message
	r.json(t, &m)
	if m.Message != "Library item removed" || len(list("")) != 0 {
		t.Errorf("delete = %q, list after = %v", m.Message, list(""))
	}
	api.do(req{method: "DELETE", path: "/api/v1/me/library/one-piece", token: s.access}).wantError(t, 404, "NOT_FOUND", "Library item not found")
}

func TestLibraryScoreAndNotes(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("notes@example.com", pw)
	putItem := func(body string) libraryItemResponse {
		t.Helper()
		var it libraryItemResponse
		api.do(req{method: "PUT", path: "/api/v1/me/library/t1", token: s.access, body: body}).wantStatus(t, 200).json(t, &it)
		return it
	}
	if it := putItem(`{"score": 8, "notes": "rewatch"}`); *it.Score != 8 || *it.Notes != "rewatch" {
		t.Errorf("set: %+v", it)
	}
	if it := putItem(`{"status": "planned"}`); it.Score == nil || *it.Score != 8 || it.Notes == nil {
		t.Errorf("absent fields did not keep their values: %+v", it)
	}
	if it := putItem(`{"score": null}`); it.Score != nil || it.Notes == nil {
		t.Errorf("null score did not clear only the score: %+v", it)
	}
	// New items show score and notes as null.
	r := api.do(req{method: "PUT", path: "/api/v1/me/library/t2", token: s.access, body: `{}`}).wantStatus(t, 200)
	if !strings.Contains(r.Body.String(), `"score":null,"notes":null`) {
		t.Errorf("new item body %s lacks null score and notes", r.Body.String())
	}
}

func TestMultipleProviders(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("prov@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x?provider=rpc", token: s.access, body: `{"status":"watching"}`}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x?provider=aniliberty", token: s.access, body: `{"status":"dropped"}`}).wantStatus(t, 200)
	for provider, want := range map[string]string{"rpc": "watching", "aniliberty": "dropped"} {
		var out []libraryItemResponse
		api.do(req{path: "/api/v1/me/library?provider=" + provider, token: s.access}).wantStatus(t, 200).json(t, &out)
		if len(out) != 1 || out[0].Status != want {
			t.Errorf("provider %s = %+v, want one %s item", provider, out, want)
		}
	}
}

func TestViewerDataRequiresAuthentication(t *testing.T) {
	api := newTestAPI(t)
	for _, rq := range []req{
		{path: "/api/v1/me/library"}, {method: "PUT", path: "/api/v1/me/library/x", body: `{}`},
		{method: "DELETE", path: "/api/v1/me/library/x"}, {path: "/api/v1/me/progress"},
		{method: "PUT", path: "/api/v1/me/progress/e", body: `{}`}, {path: "/api/v1/me/history"},
		{method: "DELETE", path: "/api/v1/me/history/1"}, {method: "DELETE", path: "/api/v1/me/history"},
		{method: "POST", path: "/api/v1/me/import-legacy", body: `{}`},
	} {
		r := api.do(rq)
		if r.Code != 401 || r.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a token = %d, want 401 with WWW-Authenticate", rq.method, rq.path, r.Code)
		}
	}
}

func TestOtherUsersRowsAreNotFound(t *testing.T) {
	api := newTestAPI(t)
	a, b := api.register("a@example.com", pw), api.register("b@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: a.access, body: `{}`}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/e1", token: a.access, body: `{"title_id":"x","position_seconds":1,"duration_seconds":2}`}).wantStatus(t, 200)
	var h []historyResponse
	api.do(req{path: "/api/v1/me/history", token: a.access}).wantStatus(t, 200).json(t, &h)
	api.do(req{method: "DELETE", path: "/api/v1/me/library/x", token: b.access}).wantStatus(t, 404)
	api.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/me/history/%d", h[0].ID), token: b.access}).wantError(t, 404, "NOT_FOUND", "History entry not found")
	for _, path := range []string{"/api/v1/me/library", "/api/v1/me/progress", "/api/v1/me/history"} {
		if body := api.do(req{path: path, token: b.access}).wantStatus(t, 200).Body.String(); body != "[]\n" {
			t.Errorf("%s for another user = %s, want []", path, body)
		}
	}
}

func TestConcurrentFirstWrites(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		s := api.register("conc@example.com", pw)
		var wg sync.WaitGroup
		codes := make([]int, 40)
		for i := range 20 {
			wg.Go(func() {
				codes[i] = api.do(req{method: "PUT", path: "/api/v1/me/library/race", token: s.access, body: `{"status":"planned"}`}).Code
			})
			wg.Go(func() {
				codes[20+i] = api.do(req{method: "PUT", path: "/api/v1/me/progress/race-ep-1", token: s.access,
					body: fmt.Sprintf(`{"title_id":"race","position_seconds":%d,"duration_seconds":100}`, i)}).Code
			})
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Errorf("request %d = %d, want 200", i, c)
			}
		}
		for _, path := range []string{"/api/v1/me/library", "/api/v1/me/progress", "/api/v1/me/history"} {
			var rows []map[string]any
			api.do(req{path: path, token: s.access}).wantStatus(t, 200).json(t, &rows)
			if len(rows) != 1 {
				t.Errorf("%s has %d rows, want 1", path, len(rows))
			}
		}
	})
}

func TestLibraryValidation(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("val@example.com", pw)
	long := strings.Repeat("x", 201)
	tests := []struct {
		method, path, body string
		fields             []string
	}{
		{"PUT", "/api/v1/me/library/x", `{"status":"paused"}`, []string{"status"}},
		{"PUT", "/api/v1/me/library/x", `{"status":""}`, []string{"status"}},
		{"PUT", "/api/v1/me/library/x", `{"is_favorite":"yes"}`, []string{"is_favorite"}},
		{"PUT", "/api/v1/me/library/x", `{"score":11}`, []string{"score"}},
		{"PUT", "/api/v1/me/library/x", `{"score":-1}`, []string{"score"}},
		{"PUT", "/api/v1/me/library/x", `{"score":7.5}`, []string{"score"}},
		{"PUT", "/api/v1/me/library/x", `{"notes":"` + strings.Repeat("n", 2001) + `"}`, []string{"notes"}},
		{"PUT", "/api/v1/me/library/" + long, `{}`, []string{"title_id"}},
		{"PUT", "/api/v1/me/library/a%00b", `{}`, []string{"title_id"}},
		{"PUT", "/api/v1/me/library/x?provider=bad%20provider", `{}`, []string{"provider"}},
		{"PUT", "/api/v1/me/library/x?provider=", `{}`, []string{"provider"}},
		{"PUT", "/api/v1/me/library/x?provider=" + strings.Repeat("p", 33), `{}`, []string{"provider"}},
		{"PUT", "/api/v1/me/library/x", `[]`, []string{"body"}},
		{"GET", "/api/v1/me/library?status=paused", "", []string{"status"}},
		{"GET", "/api/v1/me/library?favorites=maybe", "", []string{"favorites"}},
		{"GET", "/api/v1/me/library?limit=0", "", []string{"limit"}},
		{"GET", "/api/v1/me/library?limit=1001", "", []string{"limit"}},
		{"GET", "/api/v1/me/library?cursor=not-a-cursor", "", []string{"cursor"}},
		{"GET", "/api/v1/me/progress?limit=x&title_id=" + long, "", []string{"limit", "title_id"}},
		{"GET", "/api/v1/me/history?limit=0", "", []string{"limit"}},
		{"GET", "/api/v1/me/history?limit=-5", "", []string{"limit"}},
		{"GET", "/api/v1/me/history?limit=101", "", []string{"limit"}},
		{"DELETE", "/api/v1/me/history/abc", "", []string{"history_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path[:min(len(tt.path), 60)], func(t *testing.T) {
			rq := req{method: tt.method, path: tt.path, token: s.access}
			if tt.body != "" {
				rq.body = tt.body
			}
			r := api.do(rq)
			if got := r.invalidFields(t); !cmp.Equal(got, tt.fields) {
				t.Errorf("fields = %v, want %v (%s)", got, tt.fields, r.Body.String())
			}
		})
	}
}

func TestListETag(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("etag@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
	first := api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200)
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a list")
	}
	r := api.do(req{path: "/api/v1/me/library", token: s.access, header: map[string]string{"If-None-Match": etag}})
	if r.Code != http.StatusNotModified || r.Body.Len() != 0 || r.Header().Get("ETag") != etag {
		t.Errorf("matching If-None-Match = %d with %d bytes, want 304 without a body", r.Code, r.Body.Len())
	}
	api.do(req{path: "/api/v1/me/library", token: s.access, header: map[string]string{"If-None-Match": `W/` + etag}}).wantStatus(t, 304)
	api.clock.Advance(1)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{"status":"dropped"}`}).wantStatus(t, 200)
	r = api.do(req{path: "/api/v1/me/library", token: s.access, header: map[string]string{"If-None-Match": etag}}).wantStatus(t, 200)
	if r.Header().Get("ETag") == etag {
		t.Error("ETag unchanged after a write")
	}
}

// Following X-Next-Cursor visits every row that existed at the start
// exactly once, while new rows are being written.
func TestPagingUnderWrites(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		s := api.register("pages@example.com", pw)
		want := map[string]bool{}
		for i := range 30 {
			title := fmt.Sprintf("old-%02d", i)
			want[title] = true
			api.clock.Advance(1000)
			api.do(req{method: "PUT", path: "/api/v1/me/library/" + title, token: s.access, body: `{}`}).wantStatus(t, 200)
		}
		seen := map[string]int{}
		path := "/api/v1/me/library?limit=7"
		for page := 0; ; page++ {
			var items []libraryItemResponse
			r := api.do(req{path: path, token: s.access}).wantStatus(t, 200)
			r.json(t, &items)
			for _, it := range items {
				seen[it.TitleID]++
			}
			// A write between pages: a new item lands at the top.
			api.clock.Advance(1000)
			api.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/me/library/new-%d", page), token: s.access, body: `{}`}).wantStatus(t, 200)
			next := r.Header().Get("X-Next-Cursor")
			if next == "" {
				break
			}
			path = "/api/v1/me/library?limit=7&cursor=" + next
		}
		for title := range want {
			if seen[title] != 1 {
				t.Errorf("%s seen %d times, want once", title, seen[title])
			}
		}
		for title, n := range seen {
			if n > 1 {
				t.Errorf("%s repeated %d times", title, n)
			}
		}
	})
}

// TestHostileValuesNeverReachTheDatabase: values PostgreSQL would refuse
// (a NUL in text, an id past int4) or SQLite would misread (a NUL in a
// LIKE pattern, a time past 9999) are a 400 or a plain answer, never a 500.
func TestHostileValuesNeverReachTheDatabase(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		admin := api.registerAdmin("root@example.com")
		s := api.register("viewer@example.com", pw)
		future := base64.RawURLEncoding.EncodeToString([]byte("253402300800000000.1"))
		for _, tt := range []struct {
			method, path, body, token string
			status                    int
			field                     string
		}{
			{"PUT", "/api/v1/me/library/x", `{"notes":"a\u0000b"}`, s.access, 400, "notes"},
			{"PUT", "/api/v1/me/library/x", `{"notes":"line\none\ttab"}`, s.access, 200, ""},
			{"GET", "/api/v1/me/library?limit=1&limit=2", "", s.access, 400, "limit"},
			{"GET", "/api/v1/me/library?status=watching%00", "", s.access, 400, "status"},
			{"GET", "/api/v1/me/progress?title_id=a%00", "", s.access, 400, "title_id"},
			{"GET", "/api/v1/me/history?cursor=" + future, "", s.access, 400, "cursor"},
			{"GET", "/api/v1/admin/users?email=a%00", "", admin.access, 400, "email"},
			{"GET", "/api/v1/admin/audit-log?action=x%00", "", admin.access, 400, "action"},
			{"GET", "/api/v1/admin/audit-log?action=%FF", "", admin.access, 400, "action"},
			{"GET", "/api/v1/admin/audit-log?actor_id=9223372036854775807", "", admin.access, 200, ""},
		} {
			r := api.do(req{method: tt.method, path: tt.path, body: tt.body, token: tt.token}).wantStatus(t, tt.status)
			if tt.field == "" {
				continue
			}
			var body errorBody
			r.json(t, &body)
			if len(body.Error.Details) != 1 || body.Error.Details[0].Field != tt.field {
				t.Errorf("%s %s: details %+v, want one on %s", tt.method, tt.path, body.Error.Details, tt.field)
			}
		}
	})
}
