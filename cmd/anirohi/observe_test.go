package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// A full flow, with DEBUG on (SQL statements logged), leaves no password,
// token, cookie value or secret in the logs.
func TestLogsHoldNoSecrets(t *testing.T) {
	env := testEnv(t)
	env["DEBUG"] = "true"
	env["METRICS_TOKEN"] = "metrics-token-0123456789"
	base, stop, logs := startServerLogs(t, env)

	const password = "Sup3r-Secret-Passw0rd"
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	resp := post(t, base+"/api/v1/auth/register", `{"email":"flow@example.com","password":"`+password+`"}`, "")
	refresh := cookie(resp, "refresh_token")
	call(t, "POST", base+"/api/v1/auth/login", "", `{"email":"flow@example.com","password":"wrong-`+password+`"}`, nil)
	resp = post(t, base+"/api/v1/auth/login", `{"email":"flow@example.com","password":"`+password+`"}`, "")
	refresh2 := cookie(resp, "refresh_token")
	resp = post(t, base+"/api/v1/auth/refresh", "", refresh2)
	readJSON(t, resp, &tok)
	refresh3 := cookie(resp, "refresh_token")
	call(t, "PUT", base+"/api/v1/me/library/one-piece", tok.AccessToken, `{"status":"watching","notes":"private note"}`, nil)
	call(t, "PUT", base+"/api/v1/me/progress/one-piece-ep-1", tok.AccessToken, `{"title_id":"one-piece","position_seconds":12,"duration_seconds":1440}`, nil)
	call(t, "GET", base+"/api/v1/me/library", tok.AccessToken, "", nil)
	call(t, "PATCH", base+"/api/v1/users/me", tok.AccessToken, `{"current_password":"`+password+`","new_password":"An0ther-Passw0rd"}`, nil)
	metrics := get(t, base+"/metrics", "metrics-token-0123456789")
	stop()

	out := logs.String()
	if !strings.Contains(out, `"message":"sql"`) || !strings.Contains(out, "INSERT INTO user_library_items") {
		t.Fatal("DEBUG logged no SQL statement: the scan proves nothing")
	}
	for name, secret := range map[string]string{
		"password": password, "new password": "An0ther-Passw0rd", "access token": tok.AccessToken,
		"refresh token": refresh, "rotated refresh token": refresh3, "login refresh token": refresh2,
		"secret key": env["SECRET_KEY"], "metrics token": env["METRICS_TOKEN"], "password hash": "$argon2id$",
		"notes": "private note",
	} {
		if secret == "" {
			t.Fatalf("%s is empty: the flow failed", name)
		}
		if strings.Contains(out, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	if !strings.Contains(metrics, "anirohi_logins_total") {
		t.Error("the metrics endpoint did not answer with the token")
	}
}

func TestMetricsEndpoint(t *testing.T) {
	env := testEnv(t)
	env["METRICS_TOKEN"] = "scrape-me"
	env["INTERNAL_TOKEN"] = "metrics-parser-token-0123456789abcdef"
	base, _ := startServer(t, env)
	resp, err := client(t).Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("/metrics without the token = %d, want 401", resp.StatusCode)
	}
	call(t, "GET", base+"/health", "", "", nil)
	call(t, "GET", base+"/api/v1/me/library/", "", "", nil) // a redirect, then a 401
	req, _ := http.NewRequest("POST", base+"/api/v1/internal/import/catalog", strings.NewReader(`{"items":[
		{"source_name":"s","source_id":"1","title":"One","episodes":[{"source_episode_id":"e","number":1,"players":[{"type":"mp4","url":"https://x.example/1.mp4","source_name":"k"}]}]},
		{"source_name":"s","source_id":"2","title":""}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Internal-Token", env["INTERNAL_TOKEN"])
	if resp, err := client(t).Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("import = %v, %v", resp, err)
	}
	body := get(t, base+"/metrics", "scrape-me")
	for _, want := range []string{
		`http_requests_total{handler="/health",method="GET",status="2xx"}`,
		`http_request_duration_seconds_bucket{handler="/api/v1/me/library",method="GET",le="0.005"}`,
		`http_requests_total{handler="/api/v1/me/library",method="GET",status="4xx"}`,
		"http_requests_in_progress", "http_request_size_bytes", "http_response_size_bytes",
		`anirohi_db_pool_connections{pool="sqlite_write",state="idle"}`, "anirohi_db_pool_max_connections",
		`anirohi_build_info{commit="unknown"`, "go_goroutines", "process_resident_memory_bytes",
		`anirohi_log_messages_total{level="INFO"}`,
		`anirohi_catalog_import_rows_total{kind="anime",result="written"} 1`, `anirohi_catalog_import_rows_total{kind="anime",result="failed"} 1`,
		`anirohi_catalog_import_rows_total{kind="sources",result="written"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	env["METRICS_ENABLED"] = "false"
	off, _ := startServer(t, env)
	if code := call(t, "GET", off+"/metrics", "", "", nil); code != 404 {
		t.Errorf("/metrics with METRICS_ENABLED=false = %d, want 404", code)
	}
}

func post(t *testing.T, url, body, refresh string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if refresh != "" {
		req.AddCookie(&http.Cookie{Name: "refresh_token", Value: refresh})
	}
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func cookie(resp *http.Response, name string) string {
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func readJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// With Redis unreachable, every line the process writes, on stdout and on
// stderr, is a JSON object (go-redis's own logger goes through ours), and a
// failure go-redis repeats on every dial is written once.
func TestUnreachableRedisLogsOnlyJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := builtBinary(t)
	env := []string{"REDIS_URL=redis://127.0.0.1:" + freePort(t) + "/0", "SHUTDOWN_DRAIN_SECONDS=0"}
	cmd, port, out := startBinary(t, bin, env)
	for range 20 { // rate-limited requests: each asks Redis until the fallback takes over
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET / with Redis down = %v, %v", resp, err)
		}
		resp.Body.Close()
		time.Sleep(150 * time.Millisecond) // past the fallback's 1 s retry, several times
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	dials := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct{ Logger, Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON line: %q", line)
		}
		if rec.Logger == "anirohi.redis" && strings.Contains(rec.Message, "failed to dial") {
			dials++
		}
	}
	if dials != 1 {
		t.Errorf("go-redis's dial failure written %d times, want once:\n%s", dials, out)
	}
}

// With tracing on, every catalog store call is a span of its own.
func TestCatalogStoreCallsAreSpans(t *testing.T) {
	store, err := openDatabase(t.Context(), Database{Engine: "sqlite", Path: filepath.Join(t.TempDir(), "c.db")}, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if m, _ := store.Migrator(); m != nil {
		if _, err := m.Up(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	traced := tracedCatalog{store, tp.Tracer("test")}
	if _, _, err := traced.AnimeList(t.Context(), domain.AnimeQuery{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := traced.AnimeBySlug(t.Context(), "nope"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("AnimeBySlug(nope) = %v", err)
	}
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name()+":"+s.Status().Code.String())
	}
	if want := []string{"catalog.AnimeList:Unset", "catalog.AnimeBySlug:Error"}; !slices.Equal(names, want) {
		t.Errorf("spans = %v, want %v", names, want)
	}
}
