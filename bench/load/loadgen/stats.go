package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Route templates the viewers call; the stats group by these.
const (
	epSave        = "PUT /api/v1/me/progress/{episode_id}"
	epProgress    = "GET /api/v1/me/progress"
	epLibrary     = "GET /api/v1/me/library"
	epLibraryPut  = "PUT /api/v1/me/library/{title_id}"
	epHistory     = "GET /api/v1/me/history"
	epRefresh     = "POST /api/v1/auth/refresh"
	epLogin       = "POST /api/v1/auth/login"
	epMe          = "GET /api/v1/users/me"
	epTitlePage   = "GET /api/read/anime/{slug}"
	epEpisodeList = "GET /api/v1/anime/{slug}/episodes"
	overallLabel  = "overall"
	errorBodySize = 300
)

var endpointOrder = []string{epSave, epProgress, epLibrary, epLibraryPut, epHistory, epRefresh, epLogin, epMe, epTitlePage, epEpisodeList}

type epStats struct {
	h        hist
	errs     uint64
	byStatus map[string]uint64 // non-2xx status codes and transport error kinds
}

func (e *epStats) add(d time.Duration, key string) {
	e.h.record(d)
	if key != "" {
		e.errs++
		if e.byStatus == nil {
			e.byStatus = map[string]uint64{}
		}
		e.byStatus[key]++
	}
}

// ErrorSample is one failed request, for the report.
type ErrorSample struct {
	At       string `json:"at"` // offset from the run's start
	Endpoint string `json:"endpoint"`
	Path     string `json:"path"`
	Status   int    `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
	Body     string `json:"body,omitempty"`
}

// recorder collects every request's outcome. Requests intended before the
// measured window count as ramp, the rest as measured; the interval
// figures feed the progress lines.
type recorder struct {
	mu            sync.Mutex
	start         time.Time
	measureStart  time.Time
	lateThreshold time.Duration
	maxSamples    int

	measured map[string]*epStats
	ramp     map[string]*epStats
	interval epStats
	total    uint64

	sends, late, intervalLate uint64
	maxLag                    time.Duration
	samples                   []ErrorSample
}

func newRecorder(start, measureStart time.Time, late time.Duration, samples int) *recorder {
	return &recorder{start: start, measureStart: measureStart, lateThreshold: late, maxSamples: samples,
		measured: map[string]*epStats{}, ramp: map[string]*epStats{}}
}

// sent records how far behind schedule a send left.
func (r *recorder) sent(intended, at time.Time) {
	lag := at.Sub(intended)
	r.mu.Lock()
	r.sends++
	if lag > r.lateThreshold {
		r.late++
		r.intervalLate++
	}
	if lag > r.maxLag {
		r.maxLag = lag
	}
	r.mu.Unlock()
}

// done records one request: latency from its intended send time, and its
// error key (status code or transport error kind; "" when 2xx).
func (r *recorder) done(endpoint, path string, intended, end time.Time, status int, err error, body []byte) {
	key := ""
	switch {
	case err != nil:
		key = errKind(err)
	case status < 200 || status > 299:
		key = strconv.Itoa(status)
	}
	d := end.Sub(intended)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	m := r.measured
	if intended.Before(r.measureStart) {
		m = r.ramp
	}
	e := m[endpoint]
	if e == nil {
		e = &epStats{}
		m[endpoint] = e
	}
	e.add(d, key)
	r.interval.add(d, key)
	if key != "" && len(r.samples) < r.maxSamples {
		s := ErrorSample{At: end.Sub(r.start).Round(time.Millisecond).String(), Endpoint: endpoint, Path: path, Status: status}
		if err != nil {
			s.Error = err.Error()
		}
		if len(body) > 0 {
			s.Body = strings.TrimSpace(string(body[:min(len(body), errorBodySize)]))
		}
		r.samples = append(r.samples, s)
	}
}

// takeInterval returns and resets the interval figures.
func (r *recorder) takeInterval() (h hist, errs, late uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, errs, late = r.interval.h, r.interval.errs, r.intervalLate
	r.interval = epStats{}
	r.intervalLate = 0
	return
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "conn_refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "conn_reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return "transport"
}

// EndpointSummary is one row of the report.
type EndpointSummary struct {
	Endpoint string            `json:"endpoint"`
	Count    uint64            `json:"count"`
	RPS      float64           `json:"rps"`
	Errors   uint64            `json:"errors"`
	ByStatus map[string]uint64 `json:"errors_by_status,omitempty"`
	MeanMs   float64           `json:"mean_ms"`
	P50Ms    float64           `json:"p50_ms"`
	P95Ms    float64           `json:"p95_ms"`
	P99Ms    float64           `json:"p99_ms"`
	MaxMs    float64           `json:"max_ms"`
}

func summarize(name string, e *epStats, secs float64) EndpointSummary {
	s := EndpointSummary{Endpoint: name, Count: e.h.n, Errors: e.errs, ByStatus: e.byStatus,
		MeanMs: round3(e.h.mean()), P50Ms: e.h.quantile(0.50), P95Ms: e.h.quantile(0.95),
		P99Ms: e.h.quantile(0.99), MaxMs: float64(e.h.max) / 1000}
	if secs > 0 {
		s.RPS = round3(float64(e.h.n) / secs)
	}
	return s
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// LateSummary says how well the generator kept its schedule.
type LateSummary struct {
	Sends       uint64  `json:"sends"`
	Late        uint64  `json:"late"`
	ThresholdMs float64 `json:"threshold_ms"`
	MaxLagMs    float64 `json:"max_lag_ms"`
}

// PhaseSummary counts the requests of the ramp (not in the table).
type PhaseSummary struct {
	Requests uint64            `json:"requests"`
	Errors   uint64            `json:"errors"`
	ByStatus map[string]uint64 `json:"errors_by_status,omitempty"`
}

// CPUFigure is one watched process's CPU over the measured window.
type CPUFigure struct {
	Label        string  `json:"label"`
	PID          int     `json:"pid"`
	Percent      float64 `json:"cpu_pct_of_one_core"`
	MsPerRequest float64 `json:"cpu_ms_per_request"`
	// IdlePercent is the same process's CPU over an idle interval before
	// the run (background work: pollers, other databases); NetMsPerRequest
	// is the CPU per request above that rate.
	IdlePercent     float64 `json:"idle_cpu_pct_of_one_core"`
	NetMsPerRequest float64 `json:"net_cpu_ms_per_request"`
}

// Summary is the outcome of one Run.
type Summary struct {
	BaseURL         string            `json:"base_url"`
	Viewers         int               `json:"viewers"`
	RampSeconds     float64           `json:"ramp_seconds"`
	MeasuredSeconds float64           `json:"measured_seconds"`
	SaveEvery       string            `json:"save_every"`
	Rates           string            `json:"rates_per_viewer_minute"`
	RateScale       float64           `json:"rate_scale"`
	OfferedPerMin   float64           `json:"offered_requests_per_viewer_minute"`
	Endpoints       []EndpointSummary `json:"endpoints"`
	Overall         EndpointSummary   `json:"overall"`
	Ramp            PhaseSummary      `json:"ramp"`
	Late            LateSummary       `json:"late"`
	TotalRequests   uint64            `json:"total_requests"`
	CPU             []CPUFigure       `json:"cpu,omitempty"`
	Verify          *VerifyResult     `json:"verify,omitempty"`
	Memory          *MemoryReport     `json:"memory,omitempty"`
	ErrorSamples    []ErrorSample     `json:"error_samples,omitempty"`
}

// Errors is every failed request, ramp included.
func (s *Summary) Errors() uint64 { return s.Overall.Errors + s.Ramp.Errors }

func (r *recorder) summary(secs float64) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s Summary
	var all epStats
	for _, name := range append(endpointOrder, sortedKeys(r.measured)...) {
		e := r.measured[name]
		if e == nil || containsEndpoint(s.Endpoints, name) {
			continue
		}
		s.Endpoints = append(s.Endpoints, summarize(name, e, secs))
		all.h.merge(&e.h)
		all.errs += e.errs
		for k, v := range e.byStatus {
			if all.byStatus == nil {
				all.byStatus = map[string]uint64{}
			}
			all.byStatus[k] += v
		}
	}
	s.Overall = summarize(overallLabel, &all, secs)
	for _, e := range r.ramp {
		s.Ramp.Requests += e.h.n
		s.Ramp.Errors += e.errs
		for k, v := range e.byStatus {
			if s.Ramp.ByStatus == nil {
				s.Ramp.ByStatus = map[string]uint64{}
			}
			s.Ramp.ByStatus[k] += v
		}
	}
	s.Late = LateSummary{Sends: r.sends, Late: r.late, ThresholdMs: float64(r.lateThreshold.Microseconds()) / 1000,
		MaxLagMs: round3(float64(r.maxLag.Microseconds()) / 1000)}
	s.TotalRequests = r.total
	s.ErrorSamples = append([]ErrorSample(nil), r.samples...)
	return s
}

func containsEndpoint(l []EndpointSummary, name string) bool {
	for _, e := range l {
		if e.Endpoint == name {
			return true
		}
	}
	return false
}

func fmtStatus(m map[string]uint64) string {
	if len(m) == 0 {
		return ""
	}
	var b []string
	for _, k := range sortedKeys(m) {
		b = append(b, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(b, " ")
}

func fmtMs(f float64) string {
	switch {
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// Markdown prints the report: the per-endpoint table, then the schedule,
// CPU, verification and memory figures when present.
func (s *Summary) Markdown(w io.Writer) {
	fmt.Fprintf(w, "%d viewers against %s, %g s measured after a %g s ramp; save every %s, rates/viewer/min %s (×%g) ≈ %.1f req/viewer/min offered\n\n",
		s.Viewers, s.BaseURL, s.MeasuredSeconds, s.RampSeconds, s.SaveEvery, s.Rates, s.RateScale, s.OfferedPerMin)
	fmt.Fprintln(w, "| endpoint | requests | req/s | mean ms | p50 ms | p95 ms | p99 ms | max ms | errors | by status |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	row := func(e EndpointSummary, bold bool) {
		name := "`" + e.Endpoint + "`"
		if bold {
			name = "**" + e.Endpoint + "**"
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %s | %s | %d | %s |\n", name, e.Count, e.RPS,
			fmtMs(e.MeanMs), fmtMs(e.P50Ms), fmtMs(e.P95Ms), fmtMs(e.P99Ms), fmtMs(e.MaxMs), e.Errors, fmtStatus(e.ByStatus))
	}
	for _, e := range s.Endpoints {
		row(e, false)
	}
	row(s.Overall, true)
	fmt.Fprintf(w, "\nlatency is from each request's intended send time; late sends (> %s ms behind schedule): %d of %d, max lag %s ms\n",
		fmtMs(s.Late.ThresholdMs), s.Late.Late, s.Late.Sends, fmtMs(s.Late.MaxLagMs))
	fmt.Fprintf(w, "ramp: %d requests, %d errors %s; all phases: %d requests\n", s.Ramp.Requests, s.Ramp.Errors, fmtStatus(s.Ramp.ByStatus), s.TotalRequests)
	if len(s.CPU) > 0 {
		fmt.Fprintln(w, "\n| process | pid | cpu % of one core | idle before run % | cpu ms per request | net of idle ms per request |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, c := range s.CPU {
			if c.PID == 0 {
				fmt.Fprintf(w, "| %s | - | %.0f | - | - | - |\n", c.Label, c.Percent)
				continue
			}
			fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.3f | %.3f |\n", c.Label, c.PID, c.Percent, c.IdlePercent, c.MsPerRequest, c.NetMsPerRequest)
		}
	}
	if len(s.ErrorSamples) > 0 {
		fmt.Fprintln(w, "\nfirst errors:")
		for _, e := range s.ErrorSamples {
			fmt.Fprintf(w, "- +%s %s %s status=%d %s %s\n", e.At, e.Endpoint, e.Path, e.Status, e.Error, e.Body)
		}
	}
	if s.Verify != nil {
		s.Verify.Markdown(w)
	}
	if s.Memory != nil {
		s.Memory.Markdown(w)
	}
}
