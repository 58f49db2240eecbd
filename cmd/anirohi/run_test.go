package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/openapitest"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

// testEnv is a minimal ENV=test environment on a fresh SQLite file.
func testEnv(t *testing.T) map[string]string {
	return map[string]string{
		"ENV":          "test",
		"HOST":         "127.0.0.1",
		"PORT":         "0",
		"SECRET_KEY":   "test-key-not-for-production",
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "anirohi.db"),
	}
}

// startServer runs run("serve") until the test ends and returns its base
// URL, read from the "listening" log line. The returned function stops it
// and returns run's error.
func startServer(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	base, stop, _ := startServerLogs(t, env)
	return base, stop
}

// lines collects a server's log lines.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// startServerLogs is startServer that also keeps every log line.
func startServerLogs(t *testing.T, env map[string]string) (string, func() error, *lines) {
	t.Helper()
	logs := &lines{}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logs.add(sc.Text())
			var line struct{ Message, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "listening" {
				addr <- line.Addr
			}
		}
	}()
	var stopped bool
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("server did not stop within 20s")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	select {
	case a := <-addr:
		return "http://" + a, stop, logs
	case err := <-done:
		t.Fatalf("run() returned before listening: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start within 20s")
	}
	return "", nil, nil
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := client(t).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestRunServesHealthAndReady(t *testing.T) {
	base, stop := startServer(t, testEnv(t))
	if code, body := getJSON(t, base+"/health"); code != 200 || body["status"] != "healthy" || body["version"] != buildVersion {
		t.Errorf("/health = %d %v", code, body)
	}
	code, body := getJSON(t, base+"/ready")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || body["status"] != "ready" || checks["database"] != "ok" || checks["redis"] != "disabled" {
		t.Errorf("/ready = %d %v", code, body)
	}
	if err := stop(); err != nil {
		t.Errorf("graceful stop: run() = %v, want nil", err)
	}
}

func TestRunServesPostgres(t *testing.T) {
	env := testEnv(t)
	env["DATABASE_URL"] = pgtest.NewEmptyDatabase(t) // migrated by start-up in ENV=test
	base, _ := startServer(t, env)
	code, body := getJSON(t, base+"/ready")
	if code != 200 || body["checks"].(map[string]any)["database"] != "ok" {
		t.Errorf("/ready on PostgreSQL = %d %v", code, body)
	}
}

func TestProductionStartRefusesBadConfig(t *testing.T) {
	var stdout bytes.Buffer
	err := run(t.Context(), nil, envOf(map[string]string{"ENV": "production", "PORT": "0"}), nil, &stdout, io.Discard)
	if err == nil {
		t.Fatal("run() in production without SECRET_KEY = nil, want an error")
	}
	for _, name := range []string{"SECRET_KEY", "DATABASE_URL", "COOKIE_SECURE", "REDIS_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Error("server listened despite the bad configuration")
	}
}

func TestProductionRefusesUnmigratedDatabase(t *testing.T) {
	env := goodProduction()
	env["DATABASE_URL"] = pgtest.NewEmptyDatabase(t)
	env["PORT"] = "0"
	err := run(t.Context(), nil, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("run() on an unmigrated production database = %v, want a schema error", err)
	}
}

func TestMigrateCommands(t *testing.T) {
	engines := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") },
		"postgres": func(t *testing.T) string { return pgtest.NewEmptyDatabase(t) },
	}
	for name, newURL := range engines {
		t.Run(name, func(t *testing.T) {
			env := envOf(map[string]string{"ENV": "test", "DATABASE_URL": newURL(t)})
			migrate := func(args ...string) string {
				t.Helper()
				var out bytes.Buffer
				if err := run(t.Context(), append([]string{"migrate"}, args...), env, nil, &out, io.Discard); err != nil {
					t.Fatalf("migrate %v: %v", args, err)
				}
				return out.String()
			}
			if got := migrate("status"); !strings.Contains(got, "pending") {
				t.Errorf("status before up = %q, want pending steps", got)
			}
			if got := migrate("up"); !strings.Contains(got, "applied 1 00001_init.sql") {
				t.Errorf("up = %q", got)
			}
			steps, _ := fs.Glob(sqlite.Migrations(), "*.sql")
			n := len(steps)
			if got, want := migrate("version"), fmt.Sprintf("current %d, latest %d\n", n, n); got != want {
				t.Errorf("version = %q, want %q", got, want)
			}
			if got := migrate("down", "1"); !strings.Contains(got, fmt.Sprintf("rolled back %d", n)) {
				t.Errorf("down = %q", got)
			}
			if got, want := migrate("version"), fmt.Sprintf("current %d, latest %d\n", n-1, n); got != want {
				t.Errorf("version after down = %q, want %q", got, want)
			}
		})
	}
}

// The migrator's session-level lock does not survive transaction pooling:
// migrate refuses to run through PgBouncer, before connecting anywhere.
func TestMigrateRefusesPgBouncer(t *testing.T) {
	env := envOf(map[string]string{"ENV": "test", "DATABASE_URL": "postgres://u@127.0.0.1:1/d", "DB_PGBOUNCER": "true"})
	err := run(t.Context(), []string{"migrate", "up"}, env, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DB_PGBOUNCER unset") || strings.Contains(err.Error(), "connect") {
		t.Errorf("migrate up with DB_PGBOUNCER=true = %v, want a refusal naming the fix", err)
	}
}

func TestMigrateCreate(t *testing.T) {
	dir := t.TempDir()
	for _, e := range []string{"postgres", "sqlite"} {
		os.MkdirAll(filepath.Join(dir, e, "migrations"), 0o755)
		os.WriteFile(filepath.Join(dir, e, "migrations", "00001_init.sql"), nil, 0o644)
	}
	if err := run(t.Context(), []string{"migrate", "-dir", dir, "create", "add_things"}, envOf(nil), nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate create: %v", err)
	}
	for _, e := range []string{"postgres", "sqlite"} {
		if _, err := os.Stat(filepath.Join(dir, e, "migrations", "00002_add_things.sql")); err != nil {
			t.Errorf("%s step not created: %v", e, err)
		}
	}
	if err := run(t.Context(), []string{"migrate", "-dir", dir, "create", "Bad Name"}, envOf(nil), nil, io.Discard, io.Discard); err == nil {
		t.Error("migrate create with a bad name = nil, want an error")
	}
}

func TestHealthcheckCommand(t *testing.T) {
	base, stop := startServer(t, testEnv(t))
	port := base[strings.LastIndex(base, ":")+1:]
	check := func() error {
		return run(t.Context(), []string{"healthcheck", "-timeout", "2s"}, envOf(map[string]string{"PORT": port}), nil, io.Discard, io.Discard)
	}
	if err := check(); err != nil {
		t.Errorf("healthcheck against a running server = %v, want nil", err)
	}
	stop()
	if err := check(); err == nil {
		t.Error("healthcheck against a stopped server = nil, want an error")
	}
}

func TestDotEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(path, []byte("APP_NAME=From File\nPORT=9999\nNOT_A_SETTING=1\n"), 0o644)
	env, err := readEnv(envOf(map[string]string{"PORT": "8123"}), path)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.get("APP_NAME"); got != "From File" {
		t.Errorf("APP_NAME = %q, want the .env value", got)
	}
	if got := env.get("PORT"); got != "8123" {
		t.Errorf("PORT = %q, want the process value to win", got)
	}
	_, known, _ := loadConfig(env.get)
	var unknown []string
	for _, k := range env.dotKeys {
		if !known.known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) != 1 || unknown[0] != "NOT_A_SETTING" {
		t.Errorf("unknown .env keys = %v, want [NOT_A_SETTING]", unknown)
	}
}

func TestUsersCreateAdmin(t *testing.T) {
	env := testEnv(t)
	admin := func(email, password string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), []string{"users", "create-admin", "--email", email}, envOf(env), strings.NewReader(password+"\n"), &out, io.Discard)
		return out.String(), err
	}
	if out, err := admin("root@example.com", "a-strong-password"); err != nil || !strings.Contains(out, "created administrator") {
		t.Fatalf("first run = %q, %v", out, err)
	}
	if out, err := admin("root@example.com", "ignored-now"); err != nil || !strings.Contains(out, "already an administrator") {
		t.Errorf("second run = %q, %v; want harmless", out, err)
	}
	if _, err := admin("weak@example.com", "short"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("short password = %v, want a password error", err)
	}
	if _, err := admin("not-an-email", "a-strong-password"); err == nil {
		t.Error("bad email accepted")
	}
	// The new administrator can log in and use the admin API.
	base, _ := startServer(t, env)
	resp, err := client(t).Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"root@example.com","password":"a-strong-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/admin/roles", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("admin API as the created admin = %d", resp.StatusCode)
	}
}

// client checks every exchange it makes against api/openapi.yaml.
func client(t *testing.T) *http.Client {
	return &http.Client{Transport: openapitest.Transport{T: t}}
}

// While draining, answers close their connection and the shutdown check
// fails; before it, neither.
func TestDrainClosesConnectionsAndFailsReadiness(t *testing.T) {
	var d drainState
	h := d.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, on := range []bool{false, true} {
		d.on.Store(on)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if got := w.Header().Get("Connection") == "close"; got != on {
			t.Errorf("draining %v: Connection: close = %v", on, got)
		}
		if got := d.check(context.Background()) != nil; got != on {
			t.Errorf("draining %v: readiness check fails = %v", on, got)
		}
	}
}

func TestUsersGrantAndRevokeRole(t *testing.T) {
	env := testEnv(t)
	users := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"users"}, args...), envOf(env), strings.NewReader("a-strong-password\n"), &out, io.Discard)
		return out.String(), err
	}
	if _, err := users("create-admin", "--email", "staff@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"grant-role", "--email", "Staff@example.com", "--role", "editor"}, "granted editor to Staff@example.com"},
		{[]string{"grant-role", "--email", "staff@example.com", "--role", "editor"}, "already holds editor"},
		{[]string{"revoke-role", "--email", "staff@example.com", "--role", "editor"}, "revoked editor from staff@example.com"},
		{[]string{"revoke-role", "--email", "staff@example.com", "--role", "editor"}, "does not hold editor"},
	} {
		if out, err := users(c.args...); err != nil || !strings.Contains(out, c.want) {
			t.Errorf("users %v = %q, %v; want %q", c.args, out, err, c.want)
		}
	}
	if _, err := users("grant-role", "--email", "nobody@example.com", "--role", "editor"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("unknown account = %v, want an error naming it", err)
	}
	if _, err := users("grant-role", "--email", "staff@example.com", "--role", "overlord"); err == nil || !strings.Contains(err.Error(), "Role not found") {
		t.Errorf("unknown role = %v, want Role not found", err)
	}
	if _, err := users("grant-role", "--email", "staff@example.com"); err == nil {
		t.Error("grant-role without --role accepted")
	}
}
