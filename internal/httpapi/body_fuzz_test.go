package httpapi

// Fuzz targets for every request body of the API, through the real server
// (harness_fuzz_test.go): whatever the bytes, the status is one the route
// documents (never a 500), errors are the D2 envelope, a success is valid
// JSON that matches api/openapi.yaml and says what the body asked for.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// credentialSeeds are register and login bodies as the browser client
// sends them, and variations around them.
var credentialSeeds = []string{
	`{"email":"viewer@example.com","password":"correct-horse-1"}`,
	`{"email":"Viewer@Example.com","password":"correct-horse-1"}`,
	`{"email":"  viewer@example.com  ","password":"correct-horse-1"}`,
	`{"email":"Viewer <viewer@example.com>","password":"correct-horse-1"}`,
	`{"email":"viewer@example.com","password":"wrong-horse-1"}`,
	`{"email":"viewer@example.com","password":""}`,
	`{"email":"viewer@example.com"}`,
	`{"password":"correct-horse-1"}`,
	`{"email":"new.viewer+tag@example.org","password":"correct-horse-1"}`,
	`{"email":"ünïcode@exämple.com","password":"пароль-пароль"}`,
	`{"email":"a@b.test","password":"correct-horse-1"}`,
	`{"email":"not-an-email","password":"correct-horse-1"}`,
	`{"email":"@example.com","password":"correct-horse-1"}`,
	`{"email":"viewer@example.com","password":"short"}`,
	`{"email":"viewer@example.com","password":"` + strings.Repeat("x", 129) + `"}`,
	`{"email":"viewer@example.com","password":"` + strings.Repeat("é", 128) + `"}`,
	`{"email":"` + strings.Repeat("a", 250) + `@example.com","password":"correct-horse-1"}`,
	`{"email":null,"password":null}`,
	`{"email":1,"password":true}`,
	`{"email":["viewer@example.com"],"password":{"p":1}}`,
	`{"email":"viewer@example.com","password":"correct-horse-1","remember":true}`,
	`{"email":"other@example.com","email":"viewer@example.com","password":"correct-horse-1"}`,
	`{"email":"viewer@example.com","password":"correct-horse-1\u0000"}`,
	`{"email":"viewer\u0000@example.com","password":"correct-horse-1"}`,
	`{"email":"viewer@example.com","password":"\ud83c\udfac\ud83c\udfac\ud83c\udfac\ud83c\udfac"}`,
}

func FuzzRegisterBody(f *testing.F) {
	fa := newFuzzAPI(f)
	fa.api.register("taken@example.com", pw)
	addBytes(f, credentialSeeds...)
	addBytes(f, `{"email":"taken@example.com","password":"correct-horse-1"}`, `{"email":"TAKEN@example.com ","password":"another-pass"}`)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := fuzzReq{method: "POST", target: "/api/v1/auth/register", json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 201, 400, 409) || res.code != 201 {
			return
		}
		in, err := decodeAs[credentials](body)
		expect(t, err == nil, rq, res, "registered, but the body does not decode: %v", err)
		_, err = domain.NormalizeEmail(in.Email)
		expect(t, err == nil && domain.ValidatePassword("password", in.Password) == nil, rq, res, "registered an invalid email or password")
		checkTokens(t, rq, res)
	})
}

func FuzzLoginBody(f *testing.F) {
	fa := newFuzzAPI(f)
	fa.api.register("viewer@example.com", pw)
	addBytes(f, credentialSeeds...)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := fuzzReq{method: "POST", target: "/api/v1/auth/login", json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400, 401) || res.code != 200 {
			return
		}
		in, err := decodeAs[credentials](body)
		email, _ := domain.NormalizeEmail(in.Email)
		expect(t, err == nil && domain.EmailKey(email) == "viewer@example.com" && in.Password == pw, rq, res,
			"logged in with credentials %+v (decode error %v), want only viewer@example.com's", in, err)
		checkTokens(t, rq, res)
	})
}

// checkTokens holds a token answer: the body and the refresh cookie.
func checkTokens(t *testing.T, rq fuzzReq, res fuzzResp) {
	t.Helper()
	var tr tokenResponse
	if unmarshalOK(t, rq, res, &tr) {
		expect(t, tr.AccessToken != "" && tr.TokenType == "bearer" && tr.ExpiresIn > 0, rq, res, "token body %+v", tr)
	}
	expect(t, strings.HasPrefix(res.header.Get("Set-Cookie"), refreshCookie+"="), rq, res, "no refresh cookie")
}

// libraryTargets are the (title, provider) a library body is put to: a
// bounded set, so that rows do not pile up.
var libraryTargets = []struct{ title, query string }{
	{"one-piece-100", ""}, {"bleach", "?provider=rpc"}, {"naruto", "?provider=aniliberty"},
	{"日本語-タイトル", ""}, {"a%20b", ""}, {strings.Repeat("t", 200), ""},
}

func FuzzLibraryBody(f *testing.F) {
	fa := newFuzzAPI(f)
	s := fa.api.register("library@example.com", pw)
	for _, b := range []string{
		`{"status":"watching"}`, `{"status":"planned","is_favorite":true}`, `{"is_favorite":false}`,
		`{"status":"completed","score":10,"notes":"Great ending"}`, `{"status":"dropped","score":0,"notes":""}`,
		`{"score":null,"notes":null}`, `{"status":null,"is_favorite":null}`, `{"notes":"` + strings.Repeat("ü", 2000) + `"}`,
		`{"notes":"` + strings.Repeat("n", 2001) + `"}`, `{"score":11}`, `{"score":-1}`, `{"score":5.5}`, `{"score":1e2}`,
		`{"score":"7"}`, `{"status":"WATCHING"}`, `{"status":"paused"}`, `{"status":1}`, `{"is_favorite":"true"}`,
		`{"is_favorite":1}`, `{"notes":["a"]}`, `{"notes":"line\nbreak \u2028 \ud83c\udfac"}`, `{"notes":"bell\u0007 del\u007f"}`,
		`{"status":"watching","status":"dropped"}`, `{"score":99999999999999999999}`, `{"score":-0}`,
		`{"unknown":{"deep":[1,2,{"x":null}]}}`,
	} {
		f.Add([]byte(b), uint8(0))
	}
	for i := range libraryTargets {
		f.Add([]byte(`{"status":"planned","score":7,"notes":"n"}`), uint8(i))
	}
	for _, b := range nastyFew {
		f.Add([]byte(b), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, slot uint8) {
		lt := libraryTargets[int(slot)%len(libraryTargets)]
		rq := fuzzReq{method: "PUT", target: "/api/v1/me/library/" + lt.title + lt.query, token: s.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		in, err := decodeAs[libraryPatchRequest](body)
		var it libraryItemResponse
		if !expect(t, err == nil, rq, res, "saved, but the body does not decode: %v", err) || !unmarshalOK(t, rq, res, &it) {
			return
		}
		p := in.patch()
		title := strings.ReplaceAll(lt.title, "%20", " ")
		provider := strings.TrimPrefix(lt.query, "?provider=")
		if provider == "" {
			provider = domain.DefaultProvider
		}
		expect(t, it.TitleID == title && it.Provider == provider, rq, res, "saved %q/%q, want %q/%q", it.Provider, it.TitleID, provider, title)
		expect(t, p.Status == nil || it.Status == *p.Status, rq, res, "status %q, want %q", it.Status, deref(p.Status))
		expect(t, domain.ValidStatus(it.Status), rq, res, "stored status %q", it.Status)
		expect(t, p.IsFavorite == nil || it.IsFavorite == *p.IsFavorite, rq, res, "is_favorite %v, want %v", it.IsFavorite, deref(p.IsFavorite))
		expect(t, !p.SetScore || equalPtr(it.Score, p.Score), rq, res, "score %v, want %v", deref(it.Score), deref(p.Score))
		expect(t, !p.SetNotes || equalPtr(it.Notes, p.Notes), rq, res, "notes %q, want %q", deref(it.Notes), deref(p.Notes))
	})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// progressEpisodes are the episodes a progress body is saved to.
var progressEpisodes = []string{"one-piece-100-ep-12", "bleach-ep-1", "e", "エピソード-1", strings.Repeat("e", 200)}

func FuzzProgressBody(f *testing.F) {
	fa := newFuzzAPI(f)
	s := fa.api.register("player@example.com", pw)
	for _, b := range []string{
		`{"title_id":"one-piece-100","position_seconds":300.5,"duration_seconds":1440}`,
		`{"title_id":"one-piece-100","position_seconds":301,"duration_seconds":1440,"client_updated_at":1767855600000}`,
		`{"title_id":"bleach","position_seconds":4,"duration_seconds":null}`,
		`{"title_id":"bleach","position_seconds":0,"duration_seconds":0,"client_updated_at":0}`,
		`{"title_id":"bleach","position_seconds":1441,"duration_seconds":1440}`,
		`{"title_id":"bleach","position_seconds":1442,"duration_seconds":1440}`,
		`{"title_id":"t","position_seconds":604800,"duration_seconds":604800}`,
		`{"title_id":"t","position_seconds":604800.0001,"duration_seconds":null}`,
		`{"title_id":"t","position_seconds":-0,"duration_seconds":-0}`,
		`{"title_id":"t","position_seconds":-1,"duration_seconds":2}`,
		`{"title_id":"t","position_seconds":1e-320,"duration_seconds":5e-324}`,
		`{"title_id":"t","position_seconds":1e999,"duration_seconds":2}`,
		`{"title_id":"t","position_seconds":"1","duration_seconds":2}`,
		`{"title_id":"t","position_seconds":NaN,"duration_seconds":2}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":"null"}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":2,"client_updated_at":-1}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":2,"client_updated_at":1.5}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":2,"client_updated_at":9223372036854775807}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":2,"client_updated_at":9223372036854775808}`,
		`{"title_id":"t","position_seconds":1,"duration_seconds":2,"client_updated_at":null}`,
		`{"title_id":"","position_seconds":1,"duration_seconds":2}`,
		`{"title_id":"tab\there","position_seconds":1,"duration_seconds":2}`,
		`{"title_id":"` + strings.Repeat("字", 200) + `","position_seconds":1,"duration_seconds":2}`,
		`{"title_id":"` + strings.Repeat("字", 201) + `","position_seconds":1,"duration_seconds":2}`,
		`{"title_id":5,"position_seconds":1,"duration_seconds":2}`,
		`{"title_id":"t","title_id":"u","position_seconds":1,"duration_seconds":2}`,
		`{"position_seconds":1,"duration_seconds":2}`,
		`{"title_id":"t","duration_seconds":2}`,
		`{"title_id":"t","position_seconds":1}`,
	} {
		f.Add([]byte(b), uint8(0))
	}
	for i := range progressEpisodes {
		f.Add([]byte(`{"title_id":"one-piece-100","position_seconds":12,"duration_seconds":1440}`), uint8(i))
	}
	for _, b := range nastyFew {
		f.Add([]byte(b), uint8(2))
	}
	f.Fuzz(func(t *testing.T, body []byte, slot uint8) {
		episode := progressEpisodes[int(slot)%len(progressEpisodes)]
		rq := fuzzReq{method: "PUT", target: "/api/v1/me/progress/" + episode, token: s.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		in, err := decodeAs[progressRequest](body)
		var p progressResponse
		if !expect(t, err == nil, rq, res, "saved, but the body does not decode: %v", err) || !unmarshalOK(t, rq, res, &p) {
			return
		}
		expect(t, p.EpisodeID == episode && p.Provider == domain.DefaultProvider, rq, res, "saved episode %q/%q", p.Provider, p.EpisodeID)
		expect(t, domain.CheckPosition("", p.PositionSeconds) == nil && domain.CheckPosition("", p.DurationSeconds) == nil,
			rq, res, "stored position %v / duration %v out of range", p.PositionSeconds, p.DurationSeconds)
		var sent int64
		if in.ClientUpdatedAt != nil {
			sent = *in.ClientUpdatedAt
		}
		var stored int64
		if p.ClientUpdatedAt != nil {
			stored = *p.ClientUpdatedAt
		}
		if sent != 0 && stored != sent {
			// An older save than the stored one: the stored row comes back.
			expect(t, stored > sent, rq, res, "client_updated_at %d came back for a save at %d", stored, sent)
			return
		}
		dur := in.DurationSeconds.Value
		expect(t, p.TitleID == in.TitleID && p.PositionSeconds == in.PositionSeconds && p.DurationSeconds == dur,
			rq, res, "saved %q %v/%v, want %q %v/%v", p.TitleID, p.PositionSeconds, p.DurationSeconds, in.TitleID, in.PositionSeconds, dur)
	})
}

// legacySeeds are imports as the browser client sends its localStorage.
var legacySeeds = []string{
	`{"progress":[{"animeId":"one-piece-100","episodeNumber":12,"currentTime":300.5,"duration":1440,"updatedAt":1767840000000,"poster":"p.jpg","name":"One Piece"},{"animeId":"bleach","episodeNumber":1,"currentTime":20,"duration":null,"updatedAt":1767841000000}],"savedSeries":[{"id":"naruto","name":"Naruto","poster":"n.jpg","savedAt":1767842000000}],"provider":"rpc"}`,
	`{"progress":[],"savedSeries":[]}`,
	`{"progress":null,"savedSeries":null,"provider":null}`,
	`{"provider":"aniliberty","savedSeries":[{"id":"s1","savedAt":1}]}`,
	`{"provider":"bad provider"}`, `{"provider":""}`, `{"provider":"` + strings.Repeat("p", 33) + `"}`, `{"provider":7}`,
	`{"progress":"nope"}`, `{"progress":{}}`, `{"savedSeries":[1,"x",[],true,{}]}`,
	`{"progress":[null,[null,[null]],{"animeId":null}],"savedSeries":[null]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":10,"duration":100,"updatedAt":1767855600000},{"animeId":"","episodeNumber":1,"currentTime":10,"duration":100,"updatedAt":1767855600000},{"animeId":"b","episodeNumber":2,"currentTime":10,"duration":100,"updatedAt":0},{"animeId":"c","episodeNumber":1.5,"currentTime":10,"duration":100,"updatedAt":1767855600000},{"animeId":"d","episodeNumber":1,"currentTime":"x","duration":100,"updatedAt":1767855600000},5,{"animeId":"e","episodeNumber":3,"currentTime":-1,"duration":100,"updatedAt":1767855600000}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":"12","currentTime":1,"updatedAt":"1767855600000"}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1e2,"currentTime":1,"updatedAt":1767855600000}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":-1,"currentTime":1,"updatedAt":1767855600000}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":9223372036854775807,"currentTime":1,"updatedAt":253402300799999}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":1,"updatedAt":253402300800000}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":1,"updatedAt":99999999999999999999}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":500,"duration":100,"updatedAt":1}]}`,
	`{"progress":[{"animeId":"` + strings.Repeat("a", 200) + `","episodeNumber":1,"currentTime":1,"updatedAt":1}]}`,
	`{"progress":[{"animeId":"ctrl\u0007","episodeNumber":1,"currentTime":1,"updatedAt":1}]}`,
	`{"progress":[{"animeId":null,"episodeNumber":1,"currentTime":1,"updatedAt":1}]}`,
	`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":null,"updatedAt":1}]}`,
	`{"savedSeries":[{"id":"s","savedAt":1.0},{"id":"s","savedAt":-5},{"id":"s"},{"savedAt":1},{"id":"` + strings.Repeat("é", 201) + `","savedAt":1}]}`,
	`{"savedSeries":[{"id":"s","savedAt":1767842000000},{"id":"s","savedAt":1767842000001}]}`,
	`{"progress":[{"animeId":"a","animeId":"b","episodeNumber":1,"currentTime":1,"updatedAt":1}]}`,
}

func FuzzImportLegacyBody(f *testing.F) {
	fa := newFuzzAPI(f)
	s := fa.api.register("legacy@example.com", pw)
	addBytes(f, legacySeeds...)
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := fuzzReq{method: "POST", target: "/api/v1/me/import-legacy", token: s.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		in, err := decodeAs[legacyRequest](body)
		var out legacyResponse
		if !expect(t, err == nil, rq, res, "imported, but the body does not decode: %v", err) || !unmarshalOK(t, rq, res, &out) {
			return
		}
		expect(t, out.Success && out.ProgressImported+out.ProgressSkipped == len(in.Progress) &&
			out.LibraryImported+out.LibrarySkipped == len(in.SavedSeries), rq, res,
			"counts %+v for %d progress and %d saved series items", out, len(in.Progress), len(in.SavedSeries))
		seen := map[string]bool{}
		for _, e := range out.Errors {
			n := map[string]int{"progress": len(in.Progress), "savedSeries": len(in.SavedSeries)}[e.List]
			key := fmt.Sprint(e.List, e.Index)
			expect(t, e.Index >= 0 && e.Index < n && !seen[key] && e.Reason != "", rq, res, "error %+v", e)
			seen[key] = true
		}
		// An item reported invalid was skipped; the HTTP decoding of the
		// items agrees with what the import reported.
		var problems int
		for _, raw := range in.Progress {
			if decodeLegacyProgress(raw).Problem != "" {
				problems++
			}
		}
		for _, raw := range in.SavedSeries {
			if decodeLegacySeries(raw).Problem != "" {
				problems++
			}
		}
		expect(t, problems <= len(out.Errors) && len(out.Errors) <= out.ProgressSkipped+out.LibrarySkipped, rq, res,
			"%d items undecodable but %d errors reported", problems, len(out.Errors))
	})
}

func FuzzAdminSetActiveBody(f *testing.F) {
	fa := newFuzzAPI(f)
	admin := fa.api.registerAdmin("boss@example.com")
	victim := fa.api.userID(fa.api.registerEmail("victim@example.com"))
	self := fa.api.userID("boss@example.com")
	targets := []string{fmt.Sprint(victim), fmt.Sprint(self), "999999", "0", "-1", "x", "9223372036854775808"}
	for _, b := range []string{
		`{"is_active":false}`, `{"is_active":true}`, `{"is_active":null}`, `{}`, `{"is_active":"false"}`, `{"is_active":0}`,
		`{"is_active":[true]}`, `{"is_active":true,"is_active":false}`, `{"is_active":false,"roles":["admin"]}`,
	} {
		f.Add([]byte(b), uint8(0))
	}
	for i := range targets {
		f.Add([]byte(`{"is_active":false}`), uint8(i))
		f.Add([]byte(`{"is_active":true}`), uint8(i))
	}
	for _, b := range nastyFew {
		f.Add([]byte(b), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, who uint8) {
		target := targets[int(who)%len(targets)]
		rq := fuzzReq{method: "PATCH", target: "/api/v1/admin/users/" + target, token: admin.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400, 404, 409) || res.code != 200 {
			return
		}
		in, err := decodeAs[setActiveRequest](body)
		var u adminUserResponse
		if !expect(t, err == nil, rq, res, "changed, but the body does not decode: %v", err) || !unmarshalOK(t, rq, res, &u) {
			return
		}
		expect(t, fmt.Sprint(u.ID) == target && u.IsActive == in.IsActive && (u.ID != self || u.IsActive), rq, res,
			"user %d is_active %v after asking %v", u.ID, u.IsActive, in.IsActive)
	})
}

func FuzzChangePasswordBody(f *testing.F) {
	fa := newFuzzAPI(f)
	s := fa.api.register("owner@example.com", pw)
	for _, b := range []string{
		`{"current_password":"correct-horse-1","new_password":"battery-staple-2"}`,
		`{"current_password":"correct-horse-1","new_password":"correct-horse-1"}`,
		`{"current_password":"correct-horse-1","new_password":"short"}`,
		`{"current_password":"correct-horse-1","new_password":"` + strings.Repeat("ß", 128) + `"}`,
		`{"current_password":"correct-horse-1","new_password":"` + strings.Repeat("p", 129) + `"}`,
		`{"current_password":"wrong-horse-1","new_password":"battery-staple-2"}`,
		`{"current_password":"` + strings.Repeat("w", 5000) + `","new_password":"battery-staple-2"}`,
		`{"current_password":"","new_password":""}`, `{"current_password":null,"new_password":null}`,
		`{"new_password":"battery-staple-2"}`, `{"current_password":"correct-horse-1"}`,
		`{"current_password":1,"new_password":2}`, `{"current_password":"correct-horse-1","new_password":"tab\tand\u0000nul!"}`,
		`{"current_password":"correct-horse-1","new_password":"battery-staple-2","new_password":"x"}`,
	} {
		f.Add([]byte(b))
	}
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := fuzzReq{method: "PATCH", target: "/api/v1/users/me", token: s.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		in, err := decodeAs[changePasswordRequest](body)
		if !expect(t, err == nil && in.CurrentPassword == pw && domain.ValidatePassword("", in.NewPassword) == nil, rq, res,
			"changed the password with %+v (decode error %v)", in, err) {
			return
		}
		// Put the password back for the next input.
		back, _ := json.Marshal(changePasswordRequest{CurrentPassword: in.NewPassword, NewPassword: pw})
		rq = fuzzReq{method: "PATCH", target: "/api/v1/users/me", token: s.access, json: true, body: back}
		if res, ok := fa.send(t, rq); !ok || res.code != 200 {
			t.Fatalf("could not change the password back: %d %s", res.code, res.body)
		}
	})
}

func FuzzDeleteAccountBody(f *testing.F) {
	fa := newFuzzAPI(f)
	n := 0
	email := func() string { return fmt.Sprintf("leaver-%d@example.com", n) }
	s := fa.api.register(email(), pw)
	for _, b := range []string{
		`{"password":"correct-horse-1"}`, `{"password":"wrong-horse-1"}`, `{"password":""}`, `{"password":null}`, `{}`,
		`{"password":1}`, `{"password":["correct-horse-1"]}`, `{"password":"` + strings.Repeat("x", 4097) + `"}`,
		`{"password":"correct-horse-1","password":"wrong"}`, `{"password":"wrong","password":"correct-horse-1"}`,
		`{"password":"correct-horse-1","confirm":true}`,
	} {
		f.Add([]byte(b))
	}
	addBytes(f, nastyFew...)
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := fuzzReq{method: "DELETE", target: "/api/v1/users/me", token: s.access, json: true, body: body}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, 200, 400) || res.code != 200 {
			return
		}
		in, err := decodeAs[struct {
			Password string `json:"password"`
		}](body)
		expect(t, err == nil && in.Password == pw, rq, res, "deleted the account with %+v (decode error %v)", in, err)
		expect(t, strings.HasPrefix(res.header.Get("Set-Cookie"), refreshCookie+"=;"), rq, res, "refresh cookie not cleared")
		// The account is gone: its token no longer works. Make the next one.
		me := fuzzReq{method: "GET", target: "/api/v1/users/me", token: s.access}
		if res, ok := fa.send(t, me); !ok || res.code != 401 {
			t.Errorf("the deleted account's token still answers %d", res.code)
		}
		n++
		reg, _ := json.Marshal(credentials{email(), pw})
		res, ok = fa.send(t, fuzzReq{method: "POST", target: "/api/v1/auth/register", json: true, body: reg})
		var tr tokenResponse
		if !ok || res.code != 201 || json.Unmarshal(res.body, &tr) != nil {
			t.Fatalf("could not register the next account: %d %s", res.code, res.body)
		}
		s.access = tr.AccessToken
	})
}
