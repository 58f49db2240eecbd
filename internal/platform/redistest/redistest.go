// Package redistest gives tests a Redis: the real one of TEST_REDIS_URL, or
// outside CI an in-process miniredis where that is enough.
package redistest

import (
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// URL returns TEST_REDIS_URL. Without it the test is skipped, except under
// CI, where Redis must never silently drop out.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_REDIS_URL must be set in CI")
		}
		t.Skip("set TEST_REDIS_URL to run against Redis")
	}
	return u
}

// Client connects to TEST_REDIS_URL, or outside CI to a miniredis of the
// test's own; it is closed when the test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	opt := &redis.Options{}
	if u := os.Getenv("TEST_REDIS_URL"); u != "" || os.Getenv("CI") != "" {
		var err error
		if opt, err = redis.ParseURL(URL(t)); err != nil {
			t.Fatal(err)
		}
	} else {
		opt.Addr = miniredis.RunT(t).Addr()
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}
