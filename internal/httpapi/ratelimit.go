package httpapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
)

// Limits are the rate limits of D7.
type Limits struct {
	Enabled       bool
	Global        ratelimit.Limit // per client: the user when authenticated, else the IP
	Login         ratelimit.Limit // per IP
	LoginFailures ratelimit.Limit // failed logins per email
	Register      ratelimit.Limit // per IP
	Refresh       ratelimit.Limit // per IP
	// IPv6Prefix is how many leading bits of an IPv6 address make one
	// client (0 means 64: a site's /64 is one client, as it can pick any
	// address in it). IPv4 addresses count whole.
	IPv6Prefix int
}

var errRateLimited = domain.E(domain.KindRateLimited, "Rate limit exceeded")

// take spends one request of the bucket scope:key. It sets the RateLimit
// headers (of the tightest limit met so far) and returns errRateLimited,
// with Retry-After set, when the bucket is empty. A failing limiter lets
// the request through: limits never cost availability.
func (s *Server) take(w http.ResponseWriter, r *http.Request, scope, key string, l ratelimit.Limit) error {
	return s.spend(w, r, scope, key, l, 1)
}

func (s *Server) spend(w http.ResponseWriter, r *http.Request, scope, key string, l ratelimit.Limit, n int) error {
	if !s.cfg.Limits.Enabled {
		return nil
	}
	res, err := s.deps.Limiter.Allow(r.Context(), scope+":"+key, l, n)
	if err != nil {
		requestLogger(r.Context()).WarnContext(r.Context(), "rate limiter failed", slog.String("error", err.Error()))
		return nil
	}
	ri := info(r.Context())
	if ri.rateRemaining < 0 || res.Remaining <= ri.rateRemaining || !res.Allowed {
		ri.rateRemaining = res.Remaining
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(res.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("RateLimit-Reset", seconds(res.ResetAfter.Seconds()))
	}
	if res.Allowed {
		return nil
	}
	w.Header().Set("Retry-After", seconds(res.RetryAfter.Seconds()))
	s.deps.Metrics.RateLimited(scope)
	return errRateLimited
}

func seconds(s float64) string { return strconv.Itoa(int(math.Ceil(s))) }

// addressKey is the bucket key of the request's client address.
func addressKey(r *http.Request) string { return "ip:" + info(r.Context()).clientNet }

// clientNet is the part of a client address that limits count: an IPv4
// address whole (also written IPv4-mapped), an IPv6 address's leading bits
// as a prefix ("2001:db8:1:2::/64").
func clientNet(ip string, ipv6Bits int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.WithZone("").Unmap(); a.Is4() {
		return a.String()
	}
	if ipv6Bits == 0 {
		ipv6Bits = 64
	}
	p, err := a.Prefix(ipv6Bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// limitIP applies a per-IP limit of scope before next.
func (s *Server) limitIP(scope string, l ratelimit.Limit, next http.Handler) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.take(w, r, scope, addressKey(r), l); err != nil {
			return err
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// A failure budget counts what went wrong (wrong passwords, wrong internal
// tokens), not attempts: refuseWhenSpent looks before the check, and only
// a failed check spends.

// refuseWhenSpent refuses the request when bucket b has no failure left.
func (s *Server) refuseWhenSpent(w http.ResponseWriter, r *http.Request, b bucket, l ratelimit.Limit) error {
	if !s.cfg.Limits.Enabled {
		return nil
	}
	res, err := s.deps.Limiter.Allow(r.Context(), b.scope+":"+b.key, l, 0)
	if err != nil || res.Remaining > 0 {
		return nil
	}
	// Empty: take one to learn when the next attempt is allowed.
	return s.spend(w, r, b.scope, b.key, l, 1)
}

// countFailure spends one failure of bucket b.
func (s *Server) countFailure(ctx context.Context, b bucket, l ratelimit.Limit) {
	if s.cfg.Limits.Enabled {
		s.deps.Limiter.Allow(ctx, b.scope+":"+b.key, l, 1)
	}
}
