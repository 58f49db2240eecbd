package httpapi

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

const parserToken = "parser-token-0123456789abcdef0123456789"

// withParser turns the internal API on with the parser's token.
func withParser(previous ...string) apiOption {
	return withConfig(func(c *Config) { c.InternalTokens = append([]string{parserToken}, previous...) })
}

// importing sends a body to an internal import route with the parser's
// token.
func (a *testAPI) importing(route, body string) response {
	a.t.Helper()
	return a.do(req{method: "POST", path: "/api/v1/internal/import/" + route, body: body,
		header: map[string]string{"X-Internal-Token": parserToken}})
}

const titanItem = `{"source_name":"shikimori","source_id":"16498","title":"進撃の巨人","alternative_titles":["Attack on Titan","Shingeki no Kyojin"],
	"description":"Humanity behind walls.","year":2013,"status":"completed","poster":"https://img.example/aot.jpg","genres":["Action","Drama"],
	"updated_at":"2026-12-01T00:00:00Z","last_episode_number":25,
	"episodes":[
		{"source_episode_id":"aot-1","number":1,"title":"To You, 2000 Years From Now","players":[
			{"type":"hls","url":"https://cdn.example/aot/1/a.m3u8","source_name":"kodik","priority":0},
			{"type":"iframe","url":"https://cdn.example/aot/1/b","source_name":"kodik","priority":5}]},
		{"source_episode_id":"aot-2","number":2,"players":[{"type":"mp4","url":"https://cdn.example/aot/2.mp4","source_name":"kodik"}]}]}`

type importAnswer struct {
	Success   bool `json:"success"`
	Total     int  `json:"total"`
	Imported  int  `json:"imported"`
	Unchanged int  `json:"unchanged"`
	Errors    []struct {
		Index    int    `json:"index"`
		SourceID string `json:"source_id"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// The "done when": an import of 進撃の巨人 is served at
// /attack-on-titan, found by fragments in either script, its episodes with
// sources by priority, on a cold read model too; a second import's
// deactivation is gone everywhere at once.
func TestCatalogImportAndRead(t *testing.T) {
	onEachEngine(t, func(t *testing.T, base *testAPI) {
		api := newAPIWith(t, base.store, base.clock, withCache(newCache(t)), withParser())
		var rep importAnswer
		api.importing("catalog", `{"items":[`+titanItem+`]}`).wantStatus(t, 200).json(t, &rep)
		if !rep.Success || rep.Total != 1 || rep.Imported != 1 {
			t.Fatalf("import = %+v, want one imported", rep)
		}
		var a animeDetailResponse
		api.do(req{path: "/api/v1/anime/attack-on-titan"}).wantStatus(t, 200).json(t, &a)
		if a.Title != "進撃の巨人" || a.Slug != "attack-on-titan" || *a.Year != 2013 || !cmp.Equal(a.Genres, []string{"Action", "Drama"}) {
			t.Errorf("detail = %+v", a)
		}
		for _, q := range []string{"巨人", "attack", "ATTACK on", "shingeki", "kyojin", "進撃の"} {
			var list []animeItemResponse
			r := api.do(req{path: "/api/v1/anime?q=" + url.QueryEscape(q)}).wantStatus(t, 200)
			r.json(t, &list)
			if len(list) != 1 || list[0].Slug != "attack-on-titan" || r.Header().Get("X-Total-Count") != "1" {
				t.Errorf("q=%s: %d results (total %s), want the one", q, len(list), r.Header().Get("X-Total-Count"))
			}
		}
		var eps []episodeResponse
		r := api.do(req{path: "/api/v1/anime/attack-on-titan/episodes"}).wantStatus(t, 200)
		r.json(t, &eps)
		if len(eps) != 2 || eps[0].Number != 1 || len(eps[0].VideoSources) != 2 ||
			eps[0].VideoSources[0].Priority != 5 || eps[0].VideoSources[1].Type != "m3u8" {
			t.Errorf("episodes = %+v, want 2, the first with its sources by priority, hls stored as m3u8", eps)
		}
		if got := r.Header().Get("Cache-Control"); got != "public, max-age=60" || r.Header().Get("ETag") == "" {
			t.Errorf("Cache-Control %q ETag %q, want public caching and an ETag", got, r.Header().Get("ETag"))
		}
		if strings.Contains(r.Body.String(), "kodik") || strings.Contains(r.Body.String(), "source_") {
			t.Errorf("public episodes show parser internals: %s", r.Body.String())
		}
		// The read model, cold, then warm: the same answer.
		var cold, warm readDetailResponse
		coldBody := api.do(req{path: "/api/read/anime/attack-on-titan"}).wantStatus(t, 200)
		coldBody.json(t, &cold)
		warmBody := api.do(req{path: "/api/read/anime/attack-on-titan"}).wantStatus(t, 200).Body.String()
		if len(cold.Episodes) != 2 || cold.ID == "" || *cold.Description != "Humanity behind walls." || coldBody.Body.String() != warmBody {
			t.Errorf("read model cold %s warm %s", coldBody.Body.String(), warmBody)
		}
		// A second import deactivates episode 2: gone from both at once.
		api.importing("episodes", `{"source_name":"shikimori","anime_source_id":"16498","episodes":[{"source_episode_id":"aot-2","number":2,"is_available":false}]}`).
			wantStatus(t, 200).json(t, &rep)
		if !rep.Success || rep.Imported != 1 {
			t.Fatalf("deactivation = %+v", rep)
		}
		api.do(req{path: "/api/v1/anime/attack-on-titan/episodes"}).wantStatus(t, 200).json(t, &eps)
		api.do(req{path: "/api/read/anime/attack-on-titan"}).wantStatus(t, 200).json(t, &warm)
		if len(eps) != 1 || len(warm.Episodes) != 1 {
			t.Errorf("after deactivation: %d public episodes, %d in the read model; want 1 and 1", len(eps), len(warm.Episodes))
		}
		// The catalog item makes episode 2 available again: a change; sent
		// once more, it writes nothing.
		api.importing("catalog", `{"items":[`+titanItem+`]}`).wantStatus(t, 200).json(t, &rep)
		if rep.Imported != 1 || rep.Unchanged != 0 {
			t.Errorf("re-activating import = %+v, want it imported", rep)
		}
		api.importing("catalog", `{"items":[`+titanItem+`]}`).wantStatus(t, 200).json(t, &rep)
		if rep.Unchanged != 1 || rep.Imported != 0 {
			t.Errorf("unchanged re-import = %+v, want it unchanged", rep)
		}
	})
}

func TestInternalToken(t *testing.T) {
	off := newTestAPI(t)
	off.do(req{method: "POST", path: "/api/v1/internal/import/anime", body: `{}`, header: map[string]string{"X-Internal-Token": parserToken}}).
		wantStatus(t, 404)

	api := newTestAPI(t, withParser("old-parser-token-0123456789abcdef0123"), withLimits(limitsOf(1000)))
	body := `{"source_name":"shikimori","source_id":"1","title":"Test Anime"}`
	api.do(req{method: "POST", path: "/api/v1/internal/import/anime", body: body}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "X-Internal-Token header required")
	api.do(req{method: "POST", path: "/api/v1/internal/import/anime", body: body, header: map[string]string{"X-Internal-Token": "old-parser-token-0123456789abcdef0123"}}).
		wantStatus(t, 200)
	for i := range 5 {
		api.do(req{method: "POST", path: "/api/v1/internal/import/anime", body: body, header: map[string]string{"X-Internal-Token": fmt.Sprint("guess-", i)}}).
			wantError(t, 403, "AUTHORIZATION_ERROR", "Invalid internal token")
	}
	// The address's failure budget is spent: even the right token waits.
	api.importing("anime", body).wantStatus(t, 429)
	api.doFrom("198.51.100.8:1", req{method: "POST", path: "/api/v1/internal/import/anime", body: body, header: map[string]string{"X-Internal-Token": parserToken}}).
		wantStatus(t, 200)
	// Accepted calls are not limited (the global limit here is 1000 a minute; the login limit 5).
	for range 20 {
		api.doFrom("198.51.100.8:1", req{method: "POST", path: "/api/v1/internal/import/anime", body: body, header: map[string]string{"X-Internal-Token": parserToken}}).
			wantStatus(t, 200)
	}
}

func TestImportValidation(t *testing.T) {
	api := newTestAPI(t, withParser())
	// A single anime: a 400 naming every field at fault.
	got := api.importing("anime", `{"source_name":"s","source_id":"1","title":"","year":1800,"status":"airing","poster":"ftp://x","genres":[""]}`).invalidFields(t)
	if want := []string{"title", "genres[0]", "year", "status", "poster"}; !cmp.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	api.importing("anime", `{"source_name":"s","source_id":"1","title":5}`).invalidFields(t)
	// A batch: bad items are reported, never with exception text, the rest imported.
	var rep importAnswer
	api.importing("catalog", `{"items":[
		{"source_name":"s","source_id":"ok","title":"Fine"},
		{"source_name":"s","source_id":"bad-type","title":7},
		{"source_name":"s","source_id":"bad-ep","title":"Half","episodes":[{"source_episode_id":"e1","number":1},{"source_episode_id":"e2","number":-3}]},
		{"source_name":"s","source_id":"bad-player","title":"Player","episodes":[{"source_episode_id":"e1","number":1,"players":[{"type":"flash","url":"https://x.example/1","source_name":"k"}]}]},
		"not an object"]}`).wantStatus(t, 200).json(t, &rep)
	if rep.Success || rep.Total != 5 || rep.Imported != 1 || len(rep.Errors) != 4 {
		t.Fatalf("batch = %+v, want 1 imported and 4 refused", rep)
	}
	for i, e := range rep.Errors {
		if e.Index != i+1 || e.Message == "" || strings.Contains(strings.ToLower(e.Message), "sql") {
			t.Errorf("error %d = %+v", i, e)
		}
	}
	// Half an anime is never written.
	api.do(req{path: "/api/v1/anime?q=half"}).wantStatus(t, 200)
	var list []animeItemResponse
	api.do(req{path: "/api/v1/anime"}).wantStatus(t, 200).json(t, &list)
	if len(list) != 1 || list[0].Title != "Fine" {
		t.Errorf("catalog = %+v, want only Fine", list)
	}
	// Bounds of a request.
	many := make([]string, 20001)
	for i := range many {
		many[i] = fmt.Sprintf(`{"source_episode_id":"e%d","number":%d}`, i, i%100000)
	}
	api.importing("episodes", `{"source_name":"s","anime_source_id":"ok","episodes":[`+strings.Join(many, ",")+`]}`).invalidFields(t)
	api.importing("episodes", `{"source_name":"s","anime_source_id":"ok","episodes":[]}`).invalidFields(t)
	api.importing("episodes", `{"source_name":"s","anime_source_id":"missing","episodes":[{"source_episode_id":"e","number":1}]}`).
		wantError(t, 404, "NOT_FOUND", "Anime not found: s/missing")
	api.importing("video", `{"source_name":"s","source_episode_id":"nope","player":{"type":"mp4","url":"https://x.example/v.mp4","source_name":"k"}}`).
		wantError(t, 404, "NOT_FOUND", "Episode not found: s/nope")
}

// An episode id two anime share needs the anime: 409, never a 500.
func TestVideoImportAmbiguity(t *testing.T) {
	api := newTestAPI(t, withParser())
	for _, id := range []string{"a", "b"} {
		api.importing("catalog", `{"items":[{"source_name":"s","source_id":"`+id+`","title":"Anime `+id+`","episodes":[{"source_episode_id":"ep-1","number":1}]}]}`).wantStatus(t, 200)
	}
	player := `"player":{"type":"mp4","url":"https://x.example/v.mp4","source_name":"k"}`
	r := api.importing("video", `{"source_name":"s","source_episode_id":"ep-1",`+player+`}`)
	r.wantStatus(t, 409)
	api.importing("video", `{"source_name":"s","source_episode_id":"ep-1","anime_source_id":"b",`+player+`}`).wantStatus(t, 200)
	var eps []episodeResponse
	api.do(req{path: "/api/v1/anime/anime-b/episodes"}).wantStatus(t, 200).json(t, &eps)
	if len(eps) != 1 || len(eps[0].VideoSources) != 1 {
		t.Errorf("anime b episodes = %+v, want its one source", eps)
	}
}

func TestCatalogQueryValidation(t *testing.T) {
	api := newTestAPI(t, withParser())
	api.importing("anime", `{"source_name":"s","source_id":"1","title":"100% Orange_Juice \\ 'quoted'"}`).wantStatus(t, 200)
	for _, q := range []string{"skip=-1", "skip=10001", "skip=99999999999999999999", "limit=0", "limit=101", "year=1800", "year=abc",
		"status=airing", "q=" + strings.Repeat("x", 201), "q=" + strings.Repeat("漢", 10000), "q=a%00b", "genre=" + strings.Repeat("g", 501),
		"limit=1&limit=2"} {
		api.do(req{path: "/api/v1/anime?" + q}).invalidFields(t)
		api.do(req{path: "/api/read/anime?" + q}).invalidFields(t)
	}
	// LIKE's characters are literal: "%" and "_" fold away, so they match nothing on their own.
	for q, want := range map[string]int{"%": 0, "_": 0, `\`: 0, "'": 0, `"`: 0, "100%": 1, "orange_juice": 1, "quoted": 1, "%25": 0} {
		var list []animeItemResponse
		api.do(req{path: "/api/v1/anime?q=" + url.QueryEscape(q)}).wantStatus(t, 200).json(t, &list)
		if len(list) != want {
			t.Errorf("q=%q: %d results, want %d", q, len(list), want)
		}
	}
	api.do(req{path: "/api/v1/anime/No-Such_Slug"}).wantError(t, 404, "NOT_FOUND", "Anime not found: No-Such_Slug")
	api.do(req{path: "/api/read/anime/nope"}).wantError(t, 404, "NOT_FOUND", "Anime not found: nope")
}

// The caller's read models, empty and after writes.
func TestReadModelsOfTheCaller(t *testing.T) {
	base := newTestAPI(t)
	api := newAPIWith(t, base.store, base.clock, withCache(newCache(t)))
	s := api.register("reader@example.com", pw)
	r := api.do(req{path: "/api/read/me/history/last", token: s.access}).wantStatus(t, 200)
	if strings.TrimSpace(r.Body.String()) != "null" {
		t.Errorf("last watched without history = %s, want null", r.Body.String())
	}
	api.do(req{method: "PUT", path: "/api/v1/me/library/attack-on-titan", token: s.access, body: `{"status":"watching"}`}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/aot-1", token: s.access,
		body: `{"title_id":"attack-on-titan","position_seconds":120,"duration_seconds":1440}`}).wantStatus(t, 200)
	var lib []readLibraryResponse
	api.do(req{path: "/api/read/me/library", token: s.access}).wantStatus(t, 200).json(t, &lib)
	var prog []readProgressResponse
	api.do(req{path: "/api/read/me/progress", token: s.access}).wantStatus(t, 200).json(t, &prog)
	var last readLastResponse
	api.do(req{path: "/api/read/me/history/last", token: s.access}).wantStatus(t, 200).json(t, &last)
	if len(lib) != 1 || lib[0].TitleID != "attack-on-titan" || len(prog) != 1 || prog[0].PositionSeconds != 120 ||
		last.EpisodeID != "aot-1" || *last.PositionSeconds != 120 {
		t.Errorf("read models = %+v %+v %+v", lib, prog, last)
	}
	// A write drops them before it answers.
	api.do(req{method: "PUT", path: "/api/v1/me/progress/aot-1", token: s.access,
		body: `{"title_id":"attack-on-titan","position_seconds":300,"duration_seconds":1440}`}).wantStatus(t, 200)
	api.do(req{path: "/api/read/me/progress", token: s.access}).wantStatus(t, 200).json(t, &prog)
	api.do(req{path: "/api/read/me/history/last", token: s.access}).wantStatus(t, 200).json(t, &last)
	if prog[0].PositionSeconds != 300 || *last.PositionSeconds != 300 {
		t.Errorf("after a save: progress %v, last %v; want 300 both", prog[0].PositionSeconds, *last.PositionSeconds)
	}
	api.do(req{path: "/api/read/me/library"}).wantStatus(t, 401)
}

// A former slug answers 308 to the same path under the current one, with
// the query kept; the read model too.
func TestFormerSlugRedirects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slugs.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	m, _ := s.Migrator()
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	api := newTestAPIOn(t, s, withParser())
	api.importing("catalog", `{"items":[`+titanItem+`]}`).wantStatus(t, 200)
	// What an editor's rename does (the admin API comes later): a new
	// current slug, the old one kept among the anime's slugs.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE anime SET slug = 'shingeki-no-kyojin'; INSERT INTO anime_slugs (slug, anime_id, created_at)
		SELECT 'shingeki-no-kyojin', id, created_at FROM anime`); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{
		"/api/v1/anime/attack-on-titan":          "/api/v1/anime/shingeki-no-kyojin",
		"/api/v1/anime/attack-on-titan/episodes": "/api/v1/anime/shingeki-no-kyojin/episodes",
		"/api/read/anime/attack-on-titan?x=1":    "/api/read/anime/shingeki-no-kyojin?x=1",
	} {
		r := api.do(req{path: from}).wantStatus(t, 308)
		if got := r.Header().Get("Location"); got != to {
			t.Errorf("%s: Location %q, want %q", from, got, to)
		}
	}
	api.do(req{path: "/api/v1/anime/shingeki-no-kyojin"}).wantStatus(t, 200)
}
