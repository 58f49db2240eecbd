package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/token"
)

const deviceCookieName = "anirohi_device"

// passwordGuard is the failed-password policy of every request that checks
// a password (logins, and the own-account changes that ask for the current
// one). Failures count per account (its normalised email), so guesses from
// many addresses are stopped, except for a client holding a device cookie
// of that account, set by an earlier successful login: it is judged by its
// own failures only, so a stranger's guesses cannot lock the owner out.
type passwordGuard struct {
	s       *Server
	devices *token.Devices
	cookies cookieJar
}

// bucket is whose failures judge one attempt.
type bucket struct {
	scope, key string
	device     string // the request's device id, "" without a valid cookie
}

// bucketFor picks the device's bucket when the request carries a valid
// device cookie for account, else the account's.
func (g passwordGuard) bucketFor(r *http.Request, account string) bucket {
	if id, ok := g.devices.Verify(cookieValue(r, deviceCookieName), account, time.Now()); ok {
		return bucket{scope: "login_device", key: id, device: id}
	}
	return bucket{scope: "login_failures", key: account}
}

// check refuses the attempt, before its password is looked at, when the
// bucket has no failure left.
func (g passwordGuard) check(w http.ResponseWriter, r *http.Request, b bucket) error {
	return g.s.refuseWhenSpent(w, r, b, g.s.cfg.Limits.LoginFailures)
}

// failed counts a wrong password.
func (g passwordGuard) failed(ctx context.Context, b bucket) {
	g.s.countFailure(ctx, b, g.s.cfg.Limits.LoginFailures)
}

// deviceCookie is the cookie a successful login sets: the same device id
// when the request had one for this account, a new one otherwise. Its path
// covers every route that checks a password.
func (g passwordGuard) deviceCookie(account string, b bucket) *http.Cookie {
	return &http.Cookie{Name: deviceCookieName, Value: g.devices.Issue(account, b.device, time.Now()), Path: "/api/v1",
		MaxAge: int(token.DeviceTTL.Seconds()), HttpOnly: true, Secure: g.cookies.secure, SameSite: g.cookies.sameSite}
}
