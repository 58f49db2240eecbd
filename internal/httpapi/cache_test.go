package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/anirohi/anirohi-api/internal/platform/cache"
	"github.com/anirohi/anirohi-api/internal/platform/redistest"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// withCache gives the API a list cache on its own key prefix.
func withCache(c *cache.Redis) []func(*Deps) {
	return []func(*Deps){func(d *Deps) { d.Cache = c }}
}

func newCache(t testing.TB) *cache.Redis {
	c, _, _ := newCacheOn(t)
	return c
}

// newCacheOn is newCache with its Redis client and key prefix.
func newCacheOn(t testing.TB) (*cache.Redis, *redis.Client, string) {
	b := make([]byte, 6)
	rand.Read(b)
	rdb, prefix := redistest.Client(t), "test:"+hex.EncodeToString(b)+":"
	return cache.NewRedis(rdb, prefix, time.Minute), rdb, prefix
}

// Two instances sharing one database and one cache: a write on either is
// read at once on both.
func TestListCacheReadsOwnWritesOnEveryReplica(t *testing.T) {
	c := newCache(t)
	a := newTestAPI(t)
	a = newAPIWith(t, a.store, a.clock, withCache(c))
	b := newAPIWith(t, a.store, a.clock, withCache(c))
	s := a.register("cache@example.com", pw)
	list := func(api *testAPI, path string) string {
		t.Helper()
		return api.do(req{path: path, token: s.access}).wantStatus(t, 200).Body.String()
	}
	if list(a, "/api/v1/me/library") != "[]\n" || list(b, "/api/v1/me/library") != "[]\n" {
		t.Fatal("new library not empty")
	}
	b.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{"status":"planned"}`}).wantStatus(t, 200)
	if got := list(a, "/api/v1/me/library"); got == "[]\n" {
		t.Error("replica A served its cached empty library after B's write")
	}
	list(a, "/api/v1/me/history")
	list(a, "/api/v1/me/progress")
	b.do(req{method: "PUT", path: "/api/v1/me/progress/e1", token: s.access, body: progressBody("x", 5, 10)}).wantStatus(t, 200)
	if list(a, "/api/v1/me/progress") == "[]\n" || list(a, "/api/v1/me/history") == "[]\n" {
		t.Error("a progress save did not invalidate the cached progress and history")
	}
	before := list(a, "/api/v1/me/history")
	b.do(req{method: "DELETE", path: "/api/v1/me/history", token: s.access}).wantStatus(t, 200)
	if after := list(a, "/api/v1/me/history"); after == before {
		t.Error("clearing history did not invalidate it")
	}
	// Query parameters are part of the key.
	if list(a, "/api/v1/me/library?status=dropped") != "[]\n" || list(a, "/api/v1/me/library?status=planned") == "[]\n" {
		t.Error("filtered lists share a cache entry")
	}
}

// A list's cache key is made of the parameters it understands, in one
// order: junk parameters, the defaults spelt out and the plain URL share
// one entry, while real filters get entries of their own.
func TestListCacheKeyIsTheParsedQuery(t *testing.T) {
	onEachEngine(t, func(t *testing.T, base *testAPI) {
		c, rdb, prefix := newCacheOn(t)
		api := newAPIWith(t, base.store, base.clock, withCache(c))
		s := api.register("keys@example.com", pw)
		api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{"status":"planned","is_favorite":true}`}).wantStatus(t, 200)
		entries := func() int {
			t.Helper()
			keys, err := scanKeys(t, rdb, prefix+"d:*")
			if err != nil {
				t.Fatal(err)
			}
			return len(keys)
		}
		same := []string{"", "?x=1", "?y=2", "?limit=1000&provider=rpc", "?provider=rpc&x=1&limit=1000", "?favorites=false&junk="}
		for _, q := range same {
			api.do(req{path: "/api/v1/me/library" + q, token: s.access}).wantStatus(t, 200)
		}
		if n := entries(); n != 1 {
			t.Errorf("%d cache entries for %q, want 1", n, same)
		}
		filters := []string{"?status=planned", "?favorites=true", "?limit=5", "?provider=other", "?status=planned&favorites=1"}
		for _, q := range filters {
			api.do(req{path: "/api/v1/me/library" + q, token: s.access}).wantStatus(t, 200)
		}
		if n, want := entries(), 1+len(filters); n != want {
			t.Errorf("%d cache entries after the filters %q, want %d", n, filters, want)
		}
		// A filter spelt another way is the same list.
		api.do(req{path: "/api/v1/me/library?favorites=yes&status=planned&x=2", token: s.access}).wantStatus(t, 200)
		api.do(req{path: "/api/v1/me/progress?x=1", token: s.access}).wantStatus(t, 200)
		api.do(req{path: "/api/v1/me/progress", token: s.access}).wantStatus(t, 200)
		api.do(req{path: "/api/v1/me/history?x=1&limit=50", token: s.access}).wantStatus(t, 200)
		api.do(req{path: "/api/v1/me/history", token: s.access}).wantStatus(t, 200)
		if n, want := entries(), 1+len(filters)+2; n != want {
			t.Errorf("%d cache entries after progress and history with junk, want %d", n, want)
		}
	})
}

// scanKeys lists the keys matching pattern.
func scanKeys(t *testing.T, rdb *redis.Client, pattern string) ([]string, error) {
	var keys []string
	iter := rdb.Scan(t.Context(), 0, pattern, 100).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// A cached list is served without touching the database.
func TestCachedListCostsNoStatement(t *testing.T) {
	counter := &statementCounter{}
	base := newTestAPIOn(t, pgtest.OpenTraced(t, counter))
	api := newAPIWith(t, base.store, base.clock, withCache(newCache(t)))
	api.access.Poll(t.Context())
	s := api.register("hot@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
	first := api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200)
	before := counter.n.Load()
	second := api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200)
	if n := counter.n.Load() - before; n != 0 {
		t.Errorf("cached read sent %d statements, want 0", n)
	}
	if first.Body.String() != second.Body.String() || first.Header().Get("ETag") != second.Header().Get("ETag") {
		t.Error("cached answer differs from the fresh one")
	}
	api.do(req{path: "/api/v1/me/library", token: s.access, header: map[string]string{"If-None-Match": first.Header().Get("ETag")}}).wantStatus(t, 304)
}

// With Redis gone, lists come from the database and writes still succeed.
func TestListCacheOutageFailsNothing(t *testing.T) {
	mr := miniredis.RunT(t)
	c := cache.NewRedis(redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1}), "t:", time.Minute)
	base := newTestAPI(t)
	api := newAPIWith(t, base.store, base.clock, withCache(c))
	s := api.register("outage@example.com", pw)
	api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200)
	mr.Close()
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
	if body := api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200).Body.String(); body == "[]\n" {
		t.Error("read during the outage missed the write")
	}
	if !strings.Contains(api.logs.String(), "list cache invalidation failed") {
		t.Error("the failed invalidation was not logged")
	}
}
