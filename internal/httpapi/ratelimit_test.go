package httpapi

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
)

func limitsOf(global int) Limits {
	return Limits{
		Global: ratelimit.PerMinute(global), Login: ratelimit.PerMinute(5), Register: ratelimit.PerMinute(5),
		Refresh: ratelimit.PerMinute(30), LoginFailures: ratelimit.Limit{Burst: 10, Period: 15 * time.Minute},
	}
}

func TestLoginLimitPerIP(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	api.register("ip@example.com", pw)
	for i := range 5 {
		r := api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"ip@example.com", pw}}).wantStatus(t, 200)
		if got := r.Header().Get("RateLimit-Remaining"); got != strconv.Itoa(4-i) || r.Header().Get("RateLimit-Limit") != "5" {
			t.Errorf("login %d: RateLimit-Limit %q Remaining %q", i+1, r.Header().Get("RateLimit-Limit"), got)
		}
	}
	r := api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"ip@example.com", pw}})
	r.wantError(t, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
	if ra, _ := strconv.Atoi(r.Header().Get("Retry-After")); ra < 1 || ra > 12 {
		t.Errorf("Retry-After = %q, want 1..12 s", r.Header().Get("Retry-After"))
	}
	api.clock.Advance(12 * time.Second)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"ip@example.com", pw}}).wantStatus(t, 200)
	// Another address has its own budget.
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"ip@example.com", pw}}).wantStatus(t, 429)
	other := api.doFrom("198.51.100.7:1234", req{method: "POST", path: "/api/v1/auth/login", body: credentials{"ip@example.com", pw}})
	other.wantStatus(t, 200)
}

func TestFailedLoginsPerEmail(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	api.register("target@example.com", pw)
	api.register("bystander@example.com", pw)
	for i := range 10 {
		// From many addresses: the per-IP login limit does not save the account, the per-email one does.
		api.doFrom(fmt.Sprintf("203.0.113.%d:1", i), req{method: "POST", path: "/api/v1/auth/login", body: credentials{"Target@example.com", "guess-" + strconv.Itoa(i)}}).wantStatus(t, 401)
	}
	r := api.doFrom("203.0.113.200:1", req{method: "POST", path: "/api/v1/auth/login", body: credentials{"target@example.com", pw}})
	r.wantError(t, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
	if r.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	api.doFrom("203.0.113.201:1", req{method: "POST", path: "/api/v1/auth/login", body: credentials{"bystander@example.com", pw}}).wantStatus(t, 200)
	api.clock.Advance(90 * time.Second) // one failure's worth refills (15 min / 10)
	api.doFrom("203.0.113.202:1", req{method: "POST", path: "/api/v1/auth/login", body: credentials{"target@example.com", pw}}).wantStatus(t, 200)
}

func TestRegisterAndRefreshLimits(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	for i := range 5 {
		api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{fmt.Sprintf("r%d@example.com", i), pw}}).wantStatus(t, 201)
	}
	api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"r9@example.com", pw}}).wantStatus(t, 429)
	s := api.doFrom("198.51.100.1:1", req{method: "POST", path: "/api/v1/auth/register", body: credentials{"fresh@example.com", pw}}).wantStatus(t, 201)
	tok := api.sessionFrom(s).refresh
	for range 30 {
		r := api.doFrom("198.51.100.1:1", req{method: "POST", path: "/api/v1/auth/refresh", cookie: tok}).wantStatus(t, 200)
		tok = api.sessionFrom(r).refresh
	}
	api.doFrom("198.51.100.1:1", req{method: "POST", path: "/api/v1/auth/refresh", cookie: tok}).wantStatus(t, 429)
}

func TestGlobalLimitPerClient(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(3)))
	a := api.doFrom("198.51.100.1:1", req{method: "POST", path: "/api/v1/auth/register", body: credentials{"a@example.com", pw}}).wantStatus(t, 201)
	b := api.doFrom("198.51.100.2:1", req{method: "POST", path: "/api/v1/auth/register", body: credentials{"b@example.com", pw}}).wantStatus(t, 201)
	ta, tb := api.sessionFrom(a).access, api.sessionFrom(b).access
	// Authenticated: per user, whatever the address.
	for range 3 {
		api.do(req{path: "/api/v1/me/library", token: ta}).wantStatus(t, 200)
	}
	api.do(req{path: "/api/v1/me/library", token: ta}).wantStatus(t, 429)
	api.do(req{path: "/api/v1/me/library", token: tb}).wantStatus(t, 200)
	// Anonymous (and failed authentication): per address.
	for range 3 {
		api.doFrom("203.0.113.9:1", req{path: "/"}).wantStatus(t, 200)
	}
	api.doFrom("203.0.113.9:1", req{path: "/"}).wantStatus(t, 429)
	api.doFrom("203.0.113.9:1", req{path: "/api/v1/me/library", token: "garbage"}).wantStatus(t, 429)
	// Probes are exempt.
	for range 10 {
		api.doFrom("203.0.113.9:1", req{path: "/health"}).wantStatus(t, 200)
		api.doFrom("203.0.113.9:1", req{path: "/ready"}).wantStatus(t, 200)
	}
}

// Requests that match no route spend the global budget of their address
// like any other anonymous request: 404 or 405 until it is spent, then 429.
func TestUnroutedRequestsAreLimited(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(3)))
	const peer = "203.0.113.7:1"
	api.doFrom(peer, req{path: "/nope"}).wantError(t, 404, "NOT_FOUND", "Not Found")
	r := api.doFrom(peer, req{method: "DELETE", path: "/health"})
	r.wantError(t, 405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
	if r.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("405 Allow = %q, want GET, HEAD", r.Header().Get("Allow"))
	}
	api.doFrom(peer, req{method: "ZZMETHOD1", path: "/nope/x"}).wantStatus(t, 404)
	for _, rq := range []req{{path: "/nope"}, {method: "DELETE", path: "/health"}, {method: "ZZMETHOD2", path: "/x"}, {path: "/"}} {
		r := api.doFrom(peer, rq)
		r.wantError(t, 429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
		if r.Header().Get("Retry-After") == "" || r.Header().Get("Allow") != "" {
			t.Errorf("%s %s: Retry-After %q, Allow %q; want a Retry-After and no Allow", rq.method, rq.path,
				r.Header().Get("Retry-After"), r.Header().Get("Allow"))
		}
	}
	api.doFrom("203.0.113.8:1", req{path: "/nope"}).wantStatus(t, 404)
	api.doFrom(peer, req{path: "/health"}).wantStatus(t, 200) // probes stay exempt
}

// An IPv6 client is its /64: whatever interface ids a network makes up,
// its addresses share one budget. An IPv4-mapped address is the IPv4 one.
func TestIPv6ClientsShareTheirPrefix(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(3)))
	rng := rand.New(rand.NewPCG(3, 4))
	allowed := 0
	for range 10_000 {
		peer := fmt.Sprintf("[2001:db8:1:2:%x:%x:%x:%x]:443", rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16))
		if api.doFrom(peer, req{path: "/"}).Code == 200 {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("10,000 addresses of one /64 got %d requests through, want the one budget of 3", allowed)
	}
	api.doFrom("[2001:db8:1:3::1]:443", req{path: "/"}).wantStatus(t, 200) // the next /64
	for range 3 {
		api.doFrom("198.51.100.7:1", req{path: "/"}).wantStatus(t, 200)
	}
	api.doFrom("[::ffff:198.51.100.7]:1", req{path: "/"}).wantStatus(t, 429)

	whole := limitsOf(3)
	whole.IPv6Prefix = 128 // RATE_LIMIT_IPV6_PREFIX=128: every address its own client
	exact := newTestAPI(t, withLimits(whole))
	for i := range 10 {
		exact.doFrom(fmt.Sprintf("[2001:db8:1:2::%x]:443", i), req{path: "/"}).wantStatus(t, 200)
	}
}

// Only the limit's key is the prefix: the access log and the sessions keep
// the client's own address.
func TestIPv6AddressIsKeptWhole(t *testing.T) {
	onEachEngine(t, func(t *testing.T, api *testAPI) {
		const addr = "2001:db8:1:2:aaaa:bbbb:cccc:dddd"
		r := api.doFrom("["+addr+"]:443", req{method: "POST", path: "/api/v1/auth/register", body: credentials{"six@example.com", pw}}).wantStatus(t, 201)
		var list []sessionResponse
		api.do(req{path: "/api/v1/auth/sessions", token: api.sessionFrom(r).access}).wantStatus(t, 200).json(t, &list)
		if len(list) != 1 || list[0].IP != addr {
			t.Errorf("sessions = %+v, want one from %s", list, addr)
		}
		if !strings.Contains(api.logs.String(), `"client_ip":"`+addr+`"`) {
			t.Errorf("no access line with client_ip %s:\n%s", addr, api.logs.String())
		}
	})
}

func TestLimitsFollowTrustedProxies(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(2)), withConfig(func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	}))
	via := func(xff string) response {
		return api.doFrom("10.0.0.5:1", req{path: "/", header: map[string]string{"X-Forwarded-For": xff}})
	}
	via("198.51.100.1").wantStatus(t, 200)
	via("6.6.6.6, 198.51.100.1").wantStatus(t, 200) // a spoofed hop does not change the client
	via("198.51.100.1").wantStatus(t, 429)
	via("198.51.100.2").wantStatus(t, 200)
	// From an untrusted peer the header means nothing.
	for i := range 2 {
		api.doFrom("203.0.113.1:1", req{path: "/", header: map[string]string{"X-Forwarded-For": fmt.Sprint("1.1.1.", i)}}).wantStatus(t, 200)
	}
	api.doFrom("203.0.113.1:1", req{path: "/", header: map[string]string{"X-Forwarded-For": "1.1.1.9"}}).wantStatus(t, 429)
}

func TestLimitsOff(t *testing.T) {
	api := newTestAPI(t)
	for range 20 {
		r := api.do(req{path: "/"}).wantStatus(t, 200)
		if r.Header().Get("RateLimit-Limit") != "" {
			t.Fatal("RateLimit headers with limits off")
		}
	}
}
