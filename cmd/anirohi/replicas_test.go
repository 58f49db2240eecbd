package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// call makes one request and decodes a JSON answer into out (may be nil).
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		data, _ := io.ReadAll(resp.Body)
		json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

func login(t *testing.T, base, email, password string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code := call(t, "POST", base+"/api/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), &tok); code != 200 {
		t.Fatalf("login %s = %d", email, code)
	}
	return tok.AccessToken
}

// Two instances on one PostgreSQL and one Redis behave as one service.
func TestTwoReplicas(t *testing.T) {
	b := make([]byte, 6)
	rand.Read(b)
	env := map[string]string{
		"ENV": "test", "HOST": "127.0.0.1", "PORT": "0", "SECRET_KEY": "replica-test-key-0123456789abcdef",
		"DATABASE_URL": pgtest.NewDatabase(t), "REDIS_URL": redistest.URL(t), "REDIS_KEY_PREFIX": "test-" + hex.EncodeToString(b) + ":",
		"RATE_LIMIT_PER_MINUTE": "10", "RATE_LIMIT_LOGIN_PER_MINUTE": "100", "RATE_LIMIT_REGISTER_PER_MINUTE": "100",
		"INTERNAL_TOKEN": "replica-parser-token-0123456789abcdef",
	}
	if err := run(t.Context(), []string{"users", "create-admin", "--email", "admin@example.com"}, envOf(env),
		strings.NewReader("admin-password-1\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, _ := startServer(t, env)
	bb, _ := startServer(t, env)

	call(t, "POST", a+"/api/v1/auth/register", "", `{"email":"viewer@example.com","password":"viewer-password-1"}`, nil)
	viewer := login(t, bb, "viewer@example.com", "viewer-password-1")
	admin := login(t, a, "admin@example.com", "admin-password-1")

	// The global limit (10 a minute per user) is one budget across both.
	ok := 0
	for i := range 16 {
		base := a
		if i%2 == 1 {
			base = bb
		}
		if call(t, "GET", base+"/api/v1/me/library", viewer, "", nil) == 200 {
			ok++
		}
	}
	if ok != 10 {
		t.Errorf("requests allowed across two instances = %d, want the one budget of 10", ok)
	}

	// A write on A is read on B at once (the list cache is shared and
	// invalidated before A answers). A second user, with a fresh budget.
	call(t, "POST", a+"/api/v1/auth/register", "", `{"email":"writer@example.com","password":"writer-password-1"}`, nil)
	writer := login(t, a, "writer@example.com", "writer-password-1")
	var before []map[string]any
	call(t, "GET", bb+"/api/v1/me/library", writer, "", &before)
	if code := call(t, "PUT", a+"/api/v1/me/library/one-piece", writer, `{"status":"watching"}`, nil); code != 200 {
		t.Fatalf("PUT on A = %d", code)
	}
	var after []map[string]any
	call(t, "GET", bb+"/api/v1/me/library", writer, "", &after)
	if len(before) != 0 || len(after) != 1 {
		t.Errorf("B read %d items before and %d after A's write, want 0 then 1", len(before), len(after))
	}

	// A catalog import through A is in B's read models at once, though B
	// had the catalog cached.
	var cached []map[string]any
	call(t, "GET", bb+"/api/read/anime", "", "", &cached)
	req, _ := http.NewRequest("POST", a+"/api/v1/internal/import/anime",
		strings.NewReader(`{"source_name":"shikimori","source_id":"16498","title":"進撃の巨人","alternative_titles":["Attack on Titan"]}`))
	req.Header.Set("X-Internal-Token", env["INTERNAL_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := client(t).Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("import on A = %v, %v", resp, err)
	}
	resp.Body.Close()
	var list []map[string]any
	var one map[string]any
	call(t, "GET", bb+"/api/read/anime", "", "", &list)
	if code := call(t, "GET", bb+"/api/read/anime/attack-on-titan", "", "", &one); code != 200 || one["title"] != "進撃の巨人" || len(cached) != 0 || len(list) != 1 {
		t.Errorf("B after A's import: detail %d %v, list %d (before %d); want the new anime", code, one, len(list), len(cached))
	}

	// Disabling the writer on A blocks its token on B within 5 seconds.
	var users struct {
		Items []struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"items"`
	}
	call(t, "GET", a+"/api/v1/admin/users?email=writer", admin, "", &users)
	if len(users.Items) != 1 {
		t.Fatalf("admin search = %+v", users)
	}
	start := time.Now()
	if code := call(t, "PATCH", fmt.Sprintf("%s/api/v1/admin/users/%d", a, users.Items[0].ID), admin, `{"is_active":false}`, nil); code != 200 {
		t.Fatalf("disable on A = %d", code)
	}
	for call(t, "GET", bb+"/api/v1/users/me", writer, "", nil) != 401 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("B still accepts the disabled user's token after 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("disabling on A reached B after %v", time.Since(start).Round(time.Millisecond))
}

// Two deployments with databases of their own sharing one Redis (staging
// and production often do) never see each other's cached lists or spend
// each other's rate limits, though their first users have the same id.
func TestDatabasesSharingRedis(t *testing.T) {
	b := make([]byte, 6)
	rand.Read(b)
	envFor := func() map[string]string {
		return map[string]string{
			"ENV": "test", "HOST": "127.0.0.1", "PORT": "0", "SECRET_KEY": "replica-test-key-0123456789abcdef",
			"DATABASE_URL": pgtest.NewDatabase(t), "REDIS_URL": redistest.URL(t), "REDIS_KEY_PREFIX": "test-" + hex.EncodeToString(b) + ":",
			"RATE_LIMIT_PER_MINUTE": "10", "RATE_LIMIT_LOGIN_PER_MINUTE": "100", "RATE_LIMIT_REGISTER_PER_MINUTE": "100",
		}
	}
	staging, _ := startServer(t, envFor())
	production, _ := startServer(t, envFor())
	token := func(base, email string) string {
		call(t, "POST", base+"/api/v1/auth/register", "", fmt.Sprintf(`{"email":%q,"password":"viewer-password-1"}`, email), nil)
		return login(t, base, email, "viewer-password-1")
	}
	st, pt := token(staging, "tester@example.com"), token(production, "viewer@example.com")
	var me struct{ ID int64 }
	call(t, "GET", staging+"/api/v1/users/me", st, "", &me)
	var other struct{ ID int64 }
	call(t, "GET", production+"/api/v1/users/me", pt, "", &other)
	if me.ID != other.ID {
		t.Fatalf("user ids %d and %d: the test needs equal ids", me.ID, other.ID)
	}

	// Staging writes and reads (its lists are now cached in Redis).
	call(t, "PUT", staging+"/api/v1/me/library/staging-title", st, `{"status":"watching"}`, nil)
	call(t, "PUT", staging+"/api/v1/me/progress/staging-ep", st, `{"title_id":"staging-title","position_seconds":10,"duration_seconds":100}`, nil)
	for _, list := range []string{"library", "progress", "history"} {
		var rows []map[string]any
		if call(t, "GET", staging+"/api/v1/me/"+list, st, "", &rows); len(rows) != 1 {
			t.Fatalf("staging %s = %v, want its one row", list, rows)
		}
	}
	// Production's user of the same id has nothing of it.
	for _, list := range []string{"library", "progress", "history"} {
		var rows []map[string]any
		if code := call(t, "GET", production+"/api/v1/me/"+list, pt, "", &rows); code != 200 || len(rows) != 0 {
			t.Errorf("production %s = %d %v, want 200 and no rows", list, code, rows)
		}
	}
	// Staging's user spends its whole global budget; production's is untouched.
	for range 10 {
		call(t, "GET", staging+"/api/v1/users/me", st, "", nil)
	}
	if code := call(t, "GET", staging+"/api/v1/users/me", st, "", nil); code != 429 {
		t.Errorf("staging after its budget = %d, want 429", code)
	}
	if code := call(t, "GET", production+"/api/v1/users/me", pt, "", nil); code != 200 {
		t.Errorf("production's user with the same id = %d, want 200 (a budget of its own)", code)
	}
}
