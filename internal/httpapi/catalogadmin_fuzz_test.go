package httpapi

// Fuzz target of the editors' request bodies: every catalog admin route
// that takes one, against a seeded catalog. Beyond the harness's
// invariants, an accepted change answers what the body asked for.

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// adminBodyRoute is one editor route with a body and what its success
// must say about that body.
type adminBodyRoute struct {
	method, path string
	ok           []int // the statuses it may answer
	accepted     func(body, answer []byte) bool
}

// asked returns a check that each of the route's fields the body holds
// has the same JSON value in the answer (type "hls" is m3u8), but for the
// fields where null keeps or defaults the value and an empty slug (one is
// derived).
func asked(fields []string, nullKeeps ...string) func(body, answer []byte) bool {
	return func(body, answer []byte) bool {
		var in, out map[string]json.RawMessage
		if json.Unmarshal(body, &in) != nil || json.Unmarshal(answer, &out) != nil {
			return false
		}
		for _, k := range fields {
			v, ok := in[k]
			if !ok || k == "slug" && string(v) == `""` || string(v) == "null" && slices.Contains(nullKeeps, k) {
				continue
			}
			var want, have any
			json.Unmarshal(v, &want)
			json.Unmarshal(out[k], &have)
			if k == "type" && want == "hls" {
				want = domain.VideoM3U8
			}
			if mustJSON(want) != mustJSON(have) {
				return false
			}
		}
		return true
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func FuzzCatalogAdminBody(f *testing.F) {
	fa := newCatalogFuzzAPI(f)
	ed := fa.api.registerWithRole("editor@example.com", domain.RoleEditor)
	titan := fa.api.findAnime(ed.access, "attack", "attack-on-titan")
	other := fa.api.findAnime(ed.access, "pokemon", "rskbing-pokemon-cafe")
	var eps struct {
		Items []adminEpisodeItem `json:"items"`
	}
	fa.api.get("/api/v1/admin/anime/"+titan.ID+"/episodes", ed.access, &eps)
	var videos struct {
		Items []adminVideoItem `json:"items"`
	}
	fa.api.get("/api/v1/admin/episodes/"+eps.Items[0].ID+"/video", ed.access, &videos)
	episode, video := eps.Items[0].ID, videos.Items[0].ID
	var (
		animeFields   = []string{"title", "slug", "description", "year", "status", "poster", "is_active"}
		episodeFields = []string{"number", "title", "is_active"}
		videoFields   = []string{"type", "url", "source_name", "priority", "is_active"}
	)
	routes := []adminBodyRoute{
		{"POST", "/api/v1/admin/anime", []int{201, 400, 409}, asked(append(animeFields[:6:6], "alternative_titles", "genres"), "slug", "alternative_titles", "genres")},
		{"PATCH", "/api/v1/admin/anime/" + titan.ID, []int{200, 400, 409}, asked(animeFields, "title", "slug", "is_active")},
		{"POST", "/api/v1/admin/episodes", []int{201, 400, 404, 409}, asked(append(episodeFields, "anime_id", "source_episode_id"), "is_active")},
		{"PATCH", "/api/v1/admin/episodes/" + episode, []int{200, 400}, asked(episodeFields, "number", "is_active")},
		{"POST", "/api/v1/admin/episodes/" + episode + "/attach", []int{200, 400, 404}, asked([]string{"anime_id"})},
		{"POST", "/api/v1/admin/episodes/" + episode + "/detach", []int{200, 400}, func(_, answer []byte) bool {
			var e adminEpisodeItem
			return json.Unmarshal(answer, &e) == nil && !e.IsActive
		}},
		{"POST", "/api/v1/admin/video", []int{201, 400, 404, 409}, asked(append(videoFields, "episode_id"), "priority", "is_active")},
		{"PATCH", "/api/v1/admin/video/" + video, []int{200, 400, 409}, asked(videoFields, videoFields...)},
		{"POST", "/api/v1/admin/video/" + video + "/state", []int{200, 400}, asked([]string{"is_active", "priority"}, "priority")},
	}
	seeds := []string{
		`{"title":"Frieren","alternative_titles":["葬送のフリーレン"],"year":2023,"status":"ongoing","genres":["Fantasy"]}`,
		`{"title":"X","slug":"attack-on-titan"}`, `{"title":"X","slug":"Bad Slug"}`, `{"title":""}`,
		`{"slug":"shingeki-no-kyojin","description":null,"year":null,"status":null,"poster":null}`,
		`{"title":"進撃の巨人 改","is_active":false,"poster":"https://img.example/p.jpg"}`, `{"year":"2013","status":"airing"}`,
		`{"anime_id":"` + titan.ID + `","number":3,"source_episode_id":"m-3","title":"Three"}`,
		`{"anime_id":"` + other.ID + `"}`, `{"anime_id":"00000000-0000-4000-8000-000000000000"}`, `{"anime_id":"x"}`,
		`{"number":-1}`, `{"number":7,"title":null,"is_active":true}`, `{"reason":"duplicate"}`, `{"reason":null}`,
		`{"episode_id":"` + episode + `","type":"hls","url":"https://cdn.example/x.m3u8","source_name":"manual","priority":3}`,
		`{"type":"flash","url":"javascript:alert(1)","priority":1001}`, `{"url":"https://cdn.example/aot/1/b","source_name":"kodik"}`,
		`{"is_active":false,"priority":-1000}`, `{"priority":1}`,
	}
	for i := range routes {
		for _, s := range seeds {
			f.Add([]byte(s), uint8(i))
		}
	}
	for _, s := range nastyFew {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		route := routes[int(which)%len(routes)]
		rq := fuzzReq{method: route.method, target: route.path, token: ed.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, route.ok...) || res.code >= 300 {
			return
		}
		expect(t, route.accepted(body, res.body), rq, res, "the answer does not say what the body asked for")
	})
}
