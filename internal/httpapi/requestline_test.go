package httpapi

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/metrics"
)

// lineWriter checks log lines as they are written and keeps only their
// count and the longest length: a buffer of every line would itself be the
// memory the test measures.
type lineWriter struct {
	mu             sync.Mutex
	lines, longest int
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		w.lines++
		w.longest = max(w.longest, len(line))
	}
	return len(p), nil
}

const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// randomToken is n characters valid in an HTTP method.
func randomToken(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tchars[rng.IntN(len(tchars))]
	}
	return string(b)
}

// liveHeap is the heap still reachable after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// vmRSS is the process's resident set as /proc reports it ("" elsewhere).
func vmRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var methodLabels = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "other"}

// A thousand requests with invented methods (up to 4 KB) and long paths
// (up to 8 KB), through net/http's parser, leave the metrics, the log and
// the heap about as they were: the method is labelled from a fixed set.
func TestInventedMethodsStayBounded(t *testing.T) {
	m := metrics.New(metrics.Build{Version: "test"})
	logs := &lineWriter{}
	base := newTestAPI(t)
	api := newAPIWith(t, base.store, base.clock, []func(*Deps){func(d *Deps) {
		d.Metrics, d.MetricsHandler = m, m.Handler("")
		d.Logger = logging.New(logs, -4, nil)
	}}, withLimits(limitsOf(1_000_000)))
	srv := httptest.NewServer(api.srv)
	t.Cleanup(srv.Close)
	client := srv.Client()
	send := func(method, path string) int {
		t.Helper()
		r, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatalf("%.20s %.40s: %v", method, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	send("GET", "/health") // the connection and the routed series exist before the measure
	send("GET", "/nope")
	heapBefore, rssBefore := liveHeap(), vmRSS()

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		method := randomToken(rng, 1+rng.IntN(4096))
		path := "/health" // a known path: 405
		if i%4 != 0 {
			path = "/" + randomToken(rng, 1+rng.IntN(8192)) // unknown: 404
			path = strings.NewReplacer("#", "", "%", "", "?", "").Replace(path)
		}
		if code := send(method, path); code != 404 && code != 405 {
			t.Fatalf("request %d = %d, want 404 or 405", i, code)
		}
	}
	heapAfter, rssAfter := liveHeap(), vmRSS()
	growth := int64(heapAfter) - int64(heapBefore)
	t.Logf("live heap %d → %d KiB (%+d KiB); VmRSS %s → %s", heapBefore>>10, heapAfter>>10, growth>>10, rssBefore, rssAfter)
	if growth > 2<<20 { // 7.6 MiB when each method was a label
		t.Errorf("live heap grew by %d KiB over 1,000 requests, want under 2 MiB", growth>>10)
	}

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series, odd := 0, 0
	for _, f := range families {
		if name := f.GetName(); name != "http_requests_total" && name != "http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			series++
			for _, l := range s.GetLabel() {
				if l.GetName() == "method" && !slices.Contains(methodLabels, l.GetValue()) {
					odd++
				}
			}
		}
	}
	resp, err := client.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if odd > 0 {
		t.Errorf("%d series have a method label outside %v", odd, methodLabels)
	}
	t.Logf("request series %d, /metrics %d KiB, log lines %d (longest %d bytes)", series, len(body)>>10, logs.lines, logs.longest)
	if series >= 40 {
		t.Errorf("http_requests_total and http_request_duration_seconds have %d series, want under 40", series)
	}
	if len(body) >= 200<<10 {
		t.Errorf("/metrics is %d KiB, want under 200", len(body)>>10)
	}
	if logs.longest >= 2<<10 {
		t.Errorf("longest log line is %d bytes, want under 2 KiB", logs.longest)
	}
}
