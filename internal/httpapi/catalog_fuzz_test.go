package httpapi

// Fuzz targets of the catalog: the parser's import bodies and the public
// list's query parameters. Every answer holds the harness's invariants
// (never a 500, the envelope, the OpenAPI document); accepted ones also
// what the route promises.

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
)

func newCatalogFuzzAPI(f *testing.F) *fuzzAPI {
	f.Helper()
	fa := newFuzzAPI(f, withParser())
	fa.api.importing("catalog", `{"items":[`+titanItem+`,{"source_name":"shikimori","source_id":"2","title":"Ærøskøbing — Pokémon Café","genres":["Comedy"],"year":2020,"status":"ongoing"}]}`).wantStatus(f, 200)
	return fa
}

func importReq(route string, body []byte) fuzzReq {
	return fuzzReq{method: "POST", target: "/api/v1/internal/import/" + route, json: true, body: body,
		header: [][2]string{{"X-Internal-Token", parserToken}}}
}

var catalogSeeds = []string{
	titanItem,
	`{"source_name":"s","source_id":"1","title":"T","alternative_titles":null,"genres":null,"description":null,"year":null,"status":null,"poster":null}`,
	`{"source_name":"s","source_id":"1","title":"","year":1800,"status":"airing","poster":"ftp://x"}`,
	`{"source_name":"s","source_id":"1","title":"T","episodes":[{"source_episode_id":"e","number":1,"players":[{"type":"hls","url":"https://x.example/a","source_name":"k","priority":1001}]}]}`,
	`{"source_name":"s","source_id":"1","title":"T","episodes":[{"source_episode_id":"e","number":1},{"source_episode_id":"e","number":2}]}`,
	`{"source_name":"s","source_id":"1","title":"T","episodes":[{"number":"1"}]}`,
	`{"source_name":"s","source_id":"1","title":"\u0000"}`,
}

// FuzzImportCatalogBody: a bulk import answers per item; an accepted one
// counts every item once.
func FuzzImportCatalogBody(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	for _, s := range catalogSeeds {
		f.Add([]byte(`{"items":[` + s + `]}`))
	}
	addBytes(f, `{"items":[]}`, `{"items":null}`, `{"items":[1,"x",null,[]]}`, `{"items":{}}`)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := importReq("catalog", body)
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		var in struct{ Items []json.RawMessage }
		var out importAnswer
		json.Unmarshal(body, &in)
		if err := json.Unmarshal(res.body, &out); err != nil {
			expect(t, false, rq, res, "answer is not a batch result: %v", err)
			return
		}
		expect(t, out.Total == len(in.Items) && out.Imported+out.Unchanged+len(out.Errors) == out.Total &&
			out.Success == (len(out.Errors) == 0), rq, res, "items %d, answer %+v", len(in.Items), out)
	})
}

// FuzzImportAnimeBody: a single import is a 200 or a 400 naming fields.
func FuzzImportAnimeBody(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	addBytes(f, catalogSeeds...)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := importReq("anime", body)
		if res, ok := fa.send(t, rq); ok && fa.check(t, rq, res, 200, 400) && res.code == 200 {
			in, err := decodeAs[animeFields](body)
			expect(t, err == nil && len(in.toImport().Check()) == 0, rq, res, "imported, but the body is not valid: %v", err)
		}
	})
}

// FuzzImportEpisodesBody and FuzzImportVideoBody: the anime and episode of
// the seeds exist; anything else is a 404.
func FuzzImportEpisodesBody(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	addBytes(f, `{"source_name":"shikimori","anime_source_id":"16498","episodes":[{"source_episode_id":"aot-3","number":3}]}`,
		`{"source_name":"shikimori","anime_source_id":"16498","episodes":[{"source_episode_id":"aot-1","number":1,"is_available":false},{"number":-1}]}`,
		`{"source_name":"shikimori","anime_source_id":"nope","episodes":[{"source_episode_id":"x","number":1}]}`,
		`{"source_name":"shikimori","anime_source_id":"16498","episodes":[]}`)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := importReq("episodes", body)
		if res, ok := fa.send(t, rq); ok {
			fa.check(t, rq, res, 200, 400, 404)
		}
	})
}

func FuzzImportVideoBody(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	addBytes(f, `{"source_name":"shikimori","source_episode_id":"aot-1","player":{"type":"mp4","url":"https://x.example/1.mp4","source_name":"k"}}`,
		`{"source_name":"shikimori","source_episode_id":"aot-1","anime_source_id":"16498","player":{"type":"hls","url":"https://x.example/1","source_name":"k","priority":-1000}}`,
		`{"source_name":"shikimori","source_episode_id":"nope","player":{"type":"mp4","url":"https://x.example/1.mp4","source_name":"k"}}`,
		`{"source_name":"shikimori","source_episode_id":"aot-1","player":{"type":"flash","url":"javascript:alert(1)","source_name":""}}`,
		`{"source_name":"shikimori","source_episode_id":"aot-1","player":null}`)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := importReq("video", body)
		if res, ok := fa.send(t, rq); ok {
			fa.check(t, rq, res, 200, 400, 404, 409)
		}
	})
}

// FuzzCatalogQuery: any query of the public list is a 200 whose rows keep
// the filters and the page size, or a 400.
func FuzzCatalogQuery(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	for _, s := range []string{"", "limit=1", "skip=1&limit=1", "q=%E5%B7%A8%E4%BA%BA", "q=ATTACK+on", "q=%25", "q=_", "q=%5C",
		"q=%27%22", "q=%00", "genre=action", "genre=DRAMA", "status=completed", "year=2013", "year=0", "year=1899", "skip=10001",
		"limit=101", "q=" + url.QueryEscape("pokemon cafe"), "q=caf%C3%A9", "limit=1&limit=2", "status=ongoing&year=2020&genre=comedy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, path := range []string{"/api/v1/anime", "/api/read/anime"} {
			rq := fuzzReq{method: "GET", target: path + "?" + raw}
			res, ok := fa.send(t, rq)
			if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
				continue
			}
			var rows []struct {
				Status *string `json:"status"`
				Year   *int    `json:"year"`
			}
			json.Unmarshal(res.body, &rows)
			q, _ := url.ParseQuery(rawQuery(path, raw))
			limit, err := strconv.Atoi(q.Get("limit"))
			if err != nil || q.Get("limit") == "" {
				limit = 50
			}
			total, _ := strconv.Atoi(res.header.Get("X-Total-Count"))
			expect(t, len(rows) <= limit && len(rows) <= total, rq, res, "%d rows, limit %d, total %d", len(rows), limit, total)
			for _, r := range rows {
				if s := q.Get("status"); s != "" {
					expect(t, r.Status != nil && *r.Status == s, rq, res, "a row of status %v for status=%s", r.Status, s)
				}
				if y, _ := strconv.Atoi(q.Get("year")); y != 0 {
					expect(t, r.Year != nil && *r.Year == y, rq, res, "a row of year %v for year=%d", r.Year, y)
				}
			}
		}
	})
}
