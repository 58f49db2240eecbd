package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

var (
	buildDir  string // removed by TestMain
	buildOnce sync.Once
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// builtBinary returns the binary built by the Dockerfile's own go build line
// (no Docker engine here), building it once per test run.
func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = buildLikeDockerfile() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildLikeDockerfile() (string, error) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		return "", err
	}
	var line string
	for sc := bufio.NewScanner(strings.NewReader(string(data))); sc.Scan(); {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "RUN ") && strings.Contains(l, " go build ") {
			line = strings.TrimPrefix(l, "RUN ")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.buildVersion=${VERSION}", "-X main.buildCommit=${COMMIT}"} {
		if !strings.Contains(line, want) {
			return "", fmt.Errorf("the Dockerfile's build line %q lacks %s", line, want)
		}
	}
	if buildDir, err = os.MkdirTemp("", "anirohi-build-"); err != nil {
		return "", err
	}
	bin := filepath.Join(buildDir, "anirohi")
	cmd := exec.Command("sh", "-c", strings.Replace(line, "/out/anirohi", bin, 1))
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "VERSION=9.9.9-test", "COMMIT=abc1234")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
}

// The footprint budget: binary size, and resident memory right after the
// first /health (no password is hashed at start).
const (
	maxBinaryBytes = 26_000_000 // 25.2 MB with the catalog editors (issue 18)
	maxIdleRSSKiB  = 30 * 1024
)

// residentKiB is VmRSS of a process (Linux only: an error elsewhere).
func residentKiB(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// startBinary runs bin in an empty directory with exactly env, waits for
// /health and returns the process.
func startBinary(t *testing.T, bin string, env []string) (*exec.Cmd, string, *strings.Builder) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Dir, cmd.Env = dir, append(env, "HOST=127.0.0.1", "PORT="+port)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://127.0.0.1:" + port + "/health"); err == nil {
			resp.Body.Close()
			return cmd, port, out
		}
	}
	t.Fatalf("the binary did not answer /health:\n%s", out)
	return nil, "", nil
}

// healthcheckExit runs "anirohi healthcheck" and returns its exit code.
func healthcheckExit(t *testing.T, bin, port string) int {
	t.Helper()
	cmd := exec.Command(bin, "healthcheck", "-timeout", "2s")
	cmd.Env = []string{"PORT=" + port}
	cmd.Dir = t.TempDir()
	err := cmd.Run()
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestDockerBuildAndHealthcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := builtBinary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(out), "anirohi 9.9.9-test (commit abc1234") {
		t.Errorf("version = %q, %v; want the stamped version and commit", out, err)
	}
	info, _ := exec.Command("go", "version", "-m", bin).Output()
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("binary built without %s:\n%s", want, info)
		}
	}
	// The footprint budget (bench/footprint.sh measures it all).
	if st, err := os.Stat(bin); err != nil || st.Size() > maxBinaryBytes {
		t.Errorf("binary is %d bytes (%v), over the budget of %d: see what grew with go version -m and go tool nm -size -sort size", st.Size(), err, maxBinaryBytes)
	}
	for _, mod := range []string{"google.golang.org/grpc", "github.com/getkin/kin-openapi", "github.com/chromedp/"} {
		if strings.Contains(string(info), "\t"+mod) {
			t.Errorf("the binary links %s, which belongs in tests only (gRPC also keeps every exported method, through html/template)", mod)
		}
	}

	t.Run("zero setup from an empty directory", func(t *testing.T) {
		cmd, port, logs := startBinary(t, bin, nil)
		if _, err := os.Stat(filepath.Join(cmd.Dir, "data", "anirohi.db")); err != nil {
			t.Errorf("no SQLite database under ./data: %v", err)
		}
		if rss, err := residentKiB(cmd.Process.Pid); err == nil && rss > maxIdleRSSKiB {
			t.Errorf("resident memory right after start is %d KiB, over the budget of %d KiB", rss, maxIdleRSSKiB)
		}
		if code := healthcheckExit(t, bin, port); code != 0 {
			t.Errorf("healthcheck against a running server exited %d", code)
		}
		// One version everywhere: the one stamped at build time.
		var health struct{ Version string }
		if resp, err := http.Get("http://127.0.0.1:" + port + "/health"); err == nil {
			json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
		}
		metrics := ""
		if resp, err := http.Get("http://127.0.0.1:" + port + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			metrics = string(b)
			resp.Body.Close()
		}
		if health.Version != "9.9.9-test" || !strings.Contains(metrics, `anirohi_build_info{commit="abc1234",go_version=`) ||
			!strings.Contains(metrics, `version="9.9.9-test"} 1`) {
			t.Errorf("/health version %q, build info %q: want the stamped 9.9.9-test everywhere", health.Version, grepLine(metrics, "anirohi_build_info{"))
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs)
		}
		if code := healthcheckExit(t, bin, port); code != 1 {
			t.Errorf("healthcheck against a stopped server exited %d, want 1", code)
		}
	})

	t.Run("production with only environment variables", func(t *testing.T) {
		env := []string{
			"ENV=production", "DATABASE_URL=" + pgtest.NewDatabase(t), "REDIS_URL=" + redistest.URL(t),
			"SECRET_KEY=" + randomKey(), "COOKIE_SECURE=true", "ALLOWED_ORIGINS=https://anirohi.example",
		}
		cmd, port, logs := startBinary(t, bin, env)
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%s/ready", port))
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("/ready in production = %v, %v\n%s", resp, err, logs)
		}
		if code := healthcheckExit(t, bin, port); code != 0 {
			t.Errorf("healthcheck exited %d", code)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	})
}

// grepLine returns the first line of text that contains s.
func grepLine(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
