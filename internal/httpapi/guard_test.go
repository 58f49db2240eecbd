package httpapi

import (
	"fmt"
	"net/http"
	"testing"
)

// loginFrom logs in from a peer address, with the device cookie when not
// empty, and returns the response.
func (a *testAPI) loginFrom(peer, email, password, device string) response {
	a.t.Helper()
	rq := req{method: "POST", path: "/api/v1/auth/login", body: credentials{email, password}}
	if device != "" {
		rq.header = map[string]string{"Cookie": deviceCookieName + "=" + device}
	}
	return a.doFrom(peer, rq)
}

func deviceOf(t *testing.T, r response) string {
	t.Helper()
	c := r.cookie(deviceCookieName)
	if c == nil || c.Value == "" || !c.HttpOnly || c.Path != "/api/v1" || c.MaxAge != 365*24*3600 || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("device cookie = %+v, want HttpOnly, Path /api/v1, a year, SameSite as the refresh cookie", c)
	}
	return c.Value
}

// Issue 16 item 3: guessing from many addresses locks strangers out, not
// the owner, whose browser holds the device cookie of an earlier login.
func TestDeviceCookieKeepsTheOwnerIn(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	api.register("owner@example.com", pw)
	device := deviceOf(t, api.loginFrom("198.51.100.1:1", "owner@example.com", pw, "").wantStatus(t, 200))
	for i := range 10 {
		api.loginFrom(fmt.Sprintf("203.0.113.%d:1", i), "owner@example.com", "guess-"+fmt.Sprint(i), "").wantStatus(t, 401)
	}
	api.loginFrom("203.0.113.50:1", "owner@example.com", pw, "").wantError(t, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
	r := api.loginFrom("198.51.100.1:1", "owner@example.com", pw, device).wantStatus(t, 200)
	if renewed := deviceOf(t, r); renewed == "" {
		t.Fatal("no renewed device cookie")
	}
	// A device cookie of another account, or a forged one, does not help.
	api.register("stranger@example.com", pw)
	other := deviceOf(t, api.loginFrom("203.0.113.60:1", "stranger@example.com", pw, "").wantStatus(t, 200))
	api.loginFrom("203.0.113.60:1", "owner@example.com", pw, other).wantStatus(t, 429)
	api.loginFrom("203.0.113.60:1", "owner@example.com", pw, device[:len(device)-2]+"xx").wantStatus(t, 429)
	// The device is judged by its own failures: ten of them stop it too,
	// and they do not count against the account.
	// (Each from its own address: the per-address login limit is 5 a minute.)
	for i := range 10 {
		api.loginFrom(fmt.Sprintf("198.51.100.%d:1", 10+i), "owner@example.com", "wrong-password", device).wantStatus(t, 401)
	}
	api.loginFrom("198.51.100.30:1", "owner@example.com", pw, device).wantStatus(t, 429)
	api.register("fresh@example.com", pw)
	fresh := deviceOf(t, api.loginFrom("198.51.100.2:1", "fresh@example.com", pw, "").wantStatus(t, 200))
	for i := range 10 {
		api.loginFrom(fmt.Sprintf("198.51.100.%d:1", 40+i), "fresh@example.com", "wrong-password", fresh).wantStatus(t, 401)
	}
	api.loginFrom("198.51.100.3:1", "fresh@example.com", pw, "").wantStatus(t, 200) // the account's budget is whole
}

// Issue 16 item 2: every spelling of one address shares its budget, and
// spellings other than the bare address are refused.
func TestLoginFailuresPerNormalisedAddress(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	api.register("bob@example.com", pw)
	for i, spelling := range []string{`"x" <bob@example.com>`, "bob@example.com (c1)", "<bob@example.com>", "Bob <bob@example.com>"} {
		api.loginFrom(fmt.Sprintf("203.0.113.%d:1", i), spelling, pw, "").wantStatus(t, 400)
		api.doFrom(fmt.Sprintf("203.0.113.%d:1", i), req{method: "POST", path: "/api/v1/auth/register", body: credentials{spelling, pw}}).wantStatus(t, 400)
	}
	for i, spelling := range []string{"bob@example.com", "BOB@example.com", " Bob@Example.com ", "bob@EXAMPLE.COM"} {
		for j := range 3 {
			if i*3+j == 10 {
				break
			}
			api.loginFrom(fmt.Sprintf("198.51.100.%d:1", i*3+j), spelling, "wrong-password", "").wantStatus(t, 401)
		}
	}
	api.loginFrom("198.51.100.99:1", "bob@example.com", pw, "").wantStatus(t, 429)
}

// Issue 16 item 5: a stolen access token is no faster a way to guess the
// password: wrong current passwords count against the account as failed
// logins do.
func TestOwnAccountPasswordChecksAreLimited(t *testing.T) {
	for _, method := range []string{"PATCH", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			api := newTestAPI(t, withLimits(limitsOf(1000)))
			s := api.register("victim@example.com", pw)
			device := deviceOf(t, api.loginFrom("198.51.100.1:1", "victim@example.com", pw, "").wantStatus(t, 200))
			body := func(guess string) string {
				if method == "PATCH" {
					return fmt.Sprintf(`{"current_password":%q,"new_password":"battery-staple-2"}`, guess)
				}
				return fmt.Sprintf(`{"password":%q}`, guess)
			}
			for i := range 10 {
				api.doFrom("203.0.113.9:1", req{method: method, path: "/api/v1/users/me", token: s.access, body: body("guess-" + fmt.Sprint(i))}).wantStatus(t, 400)
			}
			api.doFrom("203.0.113.9:1", req{method: method, path: "/api/v1/users/me", token: s.access, body: body(pw)}).
				wantError(t, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
			api.loginFrom("203.0.113.10:1", "victim@example.com", pw, "").wantStatus(t, 429) // one budget with the login
			api.loginFrom("198.51.100.1:1", "victim@example.com", pw, device).wantStatus(t, 200)
		})
	}
}

// Issue 16 item 6: with COOKIE_SAMESITE=none a cross-site page could log a
// victim into the attacker's account; an Origin outside ALLOWED_ORIGINS is
// refused on login and register as on refresh and logout.
func TestLoginAndRegisterRefuseOtherOrigins(t *testing.T) {
	api := newTestAPI(t)
	api.register("csrf@example.com", pw)
	evil := map[string]string{"Origin": "https://evil.example"}
	good := map[string]string{"Origin": "http://localhost:3000"}
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"csrf@example.com", pw}, header: evil}).
		wantError(t, 403, "AUTHORIZATION_ERROR", "Origin not allowed")
	api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"new@example.com", pw}, header: evil}).
		wantError(t, 403, "AUTHORIZATION_ERROR", "Origin not allowed")
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"csrf@example.com", pw}, header: good}).wantStatus(t, 200)
	api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"new@example.com", pw}, header: good}).wantStatus(t, 201)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: `{"email":"csrf@example.com","password":"` + pw + `"}`}).wantStatus(t, 200)
}
