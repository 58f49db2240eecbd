package httpapi

// Fuzz targets for the credentials the HTTP layer parses itself: the
// Authorization header (bearerToken) and the refresh cookie (refresh and
// logout). Inputs may hold placeholders that become real tokens, so the
// fuzzer mutates around valid credentials as well as garbage.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Placeholders in fuzzed credentials.
const (
	phToken    = "$TOKEN"    // a valid access token of a plain user
	phRevoked  = "$REVOKED"  // the access token of a session that ended
	phDisabled = "$DISABLED" // the access token of a disabled user
	phRefresh  = "$REFRESH"  // the current refresh token of a live session
	phRotated  = "$ROTATED"  // a refresh token already rotated away
)

// authRoutes are read-only routes the header is sent to, with the status
// an accepted token gets (403: the plain user lacks admin:access).
var authRoutes = []struct {
	path string
	ok   int
}{
	{"/api/v1/users/me", 200}, {"/api/v1/me/library", 200}, {"/api/v1/auth/sessions", 200}, {"/api/v1/admin/roles", 403},
}

func FuzzAuthorizationHeader(f *testing.F) {
	fa := newFuzzAPI(f)
	a := fa.api
	admin := a.registerAdmin("boss@example.com")
	user := a.register("viewer@example.com", pw)
	ended := a.login("viewer@example.com", pw)
	var sessions []sessionResponse
	a.do(req{path: "/api/v1/auth/sessions", token: ended.access}).wantStatus(f, 200).json(f, &sessions)
	for _, se := range sessions {
		if se.Current {
			a.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/auth/sessions/%d", se.ID), token: user.access}).wantStatus(f, 200)
		}
	}
	disabled := a.register("disabled@example.com", pw)
	a.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", a.userID("disabled@example.com")), token: admin.access,
		body: `{"is_active":false}`}).wantStatus(f, 200)
	repl := strings.NewReplacer(phToken, user.access, phRevoked, ended.access, phDisabled, disabled.access)
	for i, s := range []string{
		"Bearer $TOKEN", "bearer $TOKEN", "BEARER $TOKEN", "Bearer  $TOKEN  ", "\tBearer $TOKEN\t", "Bearer\t$TOKEN",
		"Bearer $TOKEN extra", "Bearer $TOKEN$TOKEN", "Bearer $REVOKED", "Bearer $DISABLED", "Bearer", "Bearer ", "bearer:$TOKEN",
		"Basic dmlld2VyOnB3", "Token $TOKEN", "$TOKEN", "", " ", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
		"Bearer $TOKEN\u00a0", "Bearer\u00a0$TOKEN", "Bearer \xff\xfe", "Bearer " + strings.Repeat("A", 8192), "Bearer , Bearer $TOKEN",
		"Bearer $TOKEN, Basic x", "Beare $TOKEN", "Bearerr $TOKEN", "Bearer \"$TOKEN\"",
	} {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, header string, route uint8) {
		rt := authRoutes[int(route)%len(authRoutes)]
		value := repl.Replace(header)
		rq := fuzzReq{method: "GET", target: rt.path, header: [][2]string{{"Authorization", value}}}
		res, ok := fa.send(t, rq)
		if !ok || !fa.check(t, rq, res, rt.ok, 401) {
			return
		}
		// What the handler saw: net/http drops the value's surrounding
		// spaces and tabs.
		seen := strings.Trim(value, " \t")
		tok, err := bearerToken(seen)
		valid := err == nil && tok == user.access
		if res.code != 401 {
			expect(t, valid, rq, res, "accepted a token that is not the valid one (%q)", tok)
			return
		}
		expect(t, !valid, rq, res, "refused the valid token")
		expect(t, res.header.Get("WWW-Authenticate") == `Bearer realm="anirohi"`, rq, res, "401 without WWW-Authenticate")
		var e errorBody
		json.Unmarshal(res.body, &e)
		want := "Could not validate credentials"
		if err != nil {
			want = err.Error()
		}
		expect(t, e.Error.Message == want, rq, res, "message %q, want %q", e.Error.Message, want)
	})
}

func FuzzRefreshCookie(f *testing.F) {
	fa := newFuzzAPI(f)
	a := fa.api
	s := a.register("viewer@example.com", pw)
	// current is the live refresh token, rotated the one it replaced; family
	// holds every token of their session, which a logout with any of them ends.
	current, rotated, family := s.refresh, "", map[string]bool{s.refresh: true}
	r := a.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: current}).wantStatus(f, 200)
	rotated, current = current, r.cookie(refreshCookie).Value
	family[current] = true
	for i, c := range []string{
		"refresh_token=$REFRESH", "refresh_token=$ROTATED", "refresh_token=", "", "refresh_token=x", "refresh_token=\"$REFRESH\"",
		"a=b; refresh_token=$REFRESH", "refresh_token=$REFRESH; refresh_token=x", "refresh_token=x; refresh_token=$REFRESH",
		"REFRESH_TOKEN=$REFRESH", "refresh_token =$REFRESH", "refresh_token=$REFRESH;", " refresh_token=$REFRESH ",
		"refresh_token=$REFRESHx", "refresh_token=" + strings.Repeat("A", 43), "refresh_token=" + strings.Repeat("A", 44),
		"refresh_token=" + strings.Repeat("*", 43), "refresh_token=\xff", "refresh_token=a b", "refresh_token=%41",
		"refresh_token=$REFRESH,other=1", ";;;", "=", "refresh_token",
	} {
		f.Add(c, "", i%2 == 0)
	}
	for _, o := range []string{"http://localhost:3000", "http://evil.example", "null", "http://localhost:3000 ", "HTTP://LOCALHOST:3000", "*"} {
		f.Add("refresh_token=$REFRESH", o, false)
		f.Add("refresh_token=$REFRESH", o, true)
	}
	f.Fuzz(func(t *testing.T, cookie, origin string, logout bool) {
		value := strings.NewReplacer(phRefresh, current, phRotated, rotated).Replace(cookie)
		path := "/api/v1/auth/refresh"
		if logout {
			path = "/api/v1/auth/logout"
		}
		rq := fuzzReq{method: "POST", target: path}
		if value != "" {
			rq.header = append(rq.header, [2]string{"Cookie", value})
		}
		if origin != "" {
			rq.header = append(rq.header, [2]string{"Origin", origin})
		}
		res, ok := fa.send(t, rq)
		allowed := []int{200, 401, 403}
		if logout {
			allowed = []int{200, 403}
		}
		if !ok || !fa.check(t, rq, res, allowed...) {
			return
		}
		// What the handler saw, parsed by net/http.
		hr := http.Request{Header: http.Header{}}
		if value != "" {
			hr.Header.Set("Cookie", strings.Trim(value, " \t"))
		}
		sent := cookieValue(&hr, refreshCookie)
		origin = strings.Trim(origin, " \t")
		if origin != "" && origin != "http://localhost:3000" {
			expect(t, res.code == 403 && strings.Contains(string(res.body), "Origin not allowed"), rq, res, "origin %q let through", origin)
			return
		}
		if logout {
			expect(t, res.code == 200 && strings.HasPrefix(res.header.Get("Set-Cookie"), refreshCookie+"=;"), rq, res, "logout did not clear the cookie")
			if family[sent] {
				// The session ended: its token no longer refreshes. Start
				// another, rotated once.
				again := fa.refresh(t, current)
				expect(t, again.code == 401, rq, again, "the logged-out session's token still refreshes")
				rotated = fa.login(t)
				res := fa.refresh(t, rotated)
				current = refreshCookieOf(res)
				if res.code != 200 || current == "" {
					t.Fatalf("refresh after login: %d %s", res.code, res.body)
				}
				family = map[string]bool{rotated: true, current: true}
			}
			return
		}
		if sent != current {
			want := "Invalid or expired refresh token"
			if sent == "" {
				want = "Refresh token not found"
			}
			expect(t, res.code == 401 && strings.Contains(string(res.body), want), rq, res, "want a 401 %q", want)
			return
		}
		if !expect(t, res.code == 200, rq, res, "the valid refresh token was refused") {
			return
		}
		checkTokens(t, rq, res)
		next := refreshCookieOf(res)
		expect(t, next != "" && !family[next], rq, res, "no new refresh token")
		rotated, current = current, next
		family[next] = true
	})
}

// refreshCookieOf is the refresh token a response sets, "" for none.
func refreshCookieOf(res fuzzResp) string {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == refreshCookie {
			return c.Value
		}
	}
	return ""
}

// refresh posts a refresh token.
func (fa *fuzzAPI) refresh(t *testing.T, tok string) fuzzResp {
	t.Helper()
	res, _ := fa.send(t, fuzzReq{method: "POST", target: "/api/v1/auth/refresh", header: [][2]string{{"Cookie", refreshCookie + "=" + tok}}})
	return res
}

// login starts a session of viewer@example.com and returns its refresh token.
func (fa *fuzzAPI) login(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(credentials{"viewer@example.com", pw})
	res, ok := fa.send(t, fuzzReq{method: "POST", target: "/api/v1/auth/login", json: true, body: body})
	tok := refreshCookieOf(res)
	if !ok || res.code != 200 || tok == "" {
		t.Fatalf("login failed: %d %s", res.code, res.body)
	}
	return tok
}
