package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux the bench runs on.
const clockTicks = 100

// statFields returns the fields of /proc/PID/stat after "pid (comm)",
// so that fields[0] is the state, fields[1] the ppid, fields[11] utime.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	return strings.Fields(s)
}

func fieldInt(f []string, i int) int64 {
	if i >= len(f) {
		return 0
	}
	n, _ := strconv.ParseInt(f[i], 10, 64)
	return n
}

// procTicks is a process's user+system CPU in clock ticks; with tree, plus
// the children it reaped and its live children (lib.sh's tree_ticks).
func procTicks(pid int, tree bool) int64 {
	f := statFields(pid)
	if f == nil {
		return 0
	}
	t := fieldInt(f, 11) + fieldInt(f, 12)
	if !tree {
		return t
	}
	t += fieldInt(f, 13) + fieldInt(f, 14)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cf := statFields(c); cf != nil && fieldInt(cf, 1) == int64(pid) {
			t += fieldInt(cf, 11) + fieldInt(cf, 12)
		}
	}
	return t
}

type cpuSnap struct {
	at              time.Time
	ticks           []int64
	boxBusy, boxAll int64 // whole machine, /proc/stat
}

func snapCPU(w []ProcWatch) cpuSnap {
	s := cpuSnap{at: time.Now(), ticks: make([]int64, len(w))}
	for i, p := range w {
		s.ticks[i] = procTicks(p.PID, p.Tree)
	}
	s.boxBusy, s.boxAll = boxTicks()
	return s
}

// boxTicks reads the machine's busy and total jiffies (lib.sh's box_ticks).
func boxTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	v := func(i int) int64 { n, _ := strconv.ParseInt(f[i], 10, 64); return n }
	// user nice system idle iowait irq softirq steal
	busy = v(1) + v(2) + v(3) + v(6) + v(7) + v(8)
	return busy, busy + v(4) + v(5)
}

// boxFigures: the whole machine's busy CPU over the window, and the part
// no watched process accounts for (other work on a shared box, interrupts),
// both in % of one core.
func boxFigures(figs []CPUFigure, a, b cpuSnap) []CPUFigure {
	all := b.boxAll - a.boxAll
	if all <= 0 {
		return figs
	}
	ncpu := float64(runtime.NumCPU())
	busy := round3(100 * ncpu * float64(b.boxBusy-a.boxBusy) / float64(all))
	other := busy
	for _, f := range figs {
		other -= f.Percent
	}
	return append(figs, CPUFigure{Label: "whole box (busy)", Percent: busy},
		CPUFigure{Label: "other (not watched: other work, irq)", Percent: round3(max(0, other))})
}

// cpuFigures turns the snapshots around the measured window (a, b) and
// around an idle interval before the run (ia, ib; may be zero) into CPU
// percentages and CPU per request, gross and net of the idle rate.
func cpuFigures(w []ProcWatch, a, b, ia, ib cpuSnap, requests uint64) []CPUFigure {
	secs := b.at.Sub(a.at).Seconds()
	idleSecs := ib.at.Sub(ia.at).Seconds()
	var out []CPUFigure
	for i, p := range w {
		d := float64(b.ticks[i]-a.ticks[i]) / clockTicks
		f := CPUFigure{Label: p.Label, PID: p.PID}
		if secs > 0 {
			f.Percent = round3(100 * d / secs)
		}
		if idleSecs > 0 {
			f.IdlePercent = round3(100 * float64(ib.ticks[i]-ia.ticks[i]) / clockTicks / idleSecs)
		}
		if requests > 0 {
			f.MsPerRequest = round3(1000 * d / float64(requests))
			f.NetMsPerRequest = round3(max(0, 10*(f.Percent-f.IdlePercent)*secs/float64(requests)))
		}
		out = append(out, f)
	}
	return out
}

// MemoryConfig samples a server's memory during a run: RSS from
// /proc/PID/status, the Go heap in use and the goroutines from its
// Prometheus /metrics.
type MemoryConfig struct {
	PID          int
	MetricsURL   string        // e.g. http://127.0.0.1:8000/metrics ("" = RSS only)
	MetricsToken string        // METRICS_TOKEN, if the server has one
	Every        time.Duration // 10 s
	MaxGrowth    float64       // verdict: the last third's mean over the second third's (0.10)
}

// MemSample is one sample.
type MemSample struct {
	Offset     float64 `json:"offset_s"`
	RSSBytes   int64   `json:"rss_bytes"`
	HeapInuse  int64   `json:"go_heap_inuse_bytes"`
	Goroutines int64   `json:"go_goroutines"`
	Err        string  `json:"error,omitempty"`
}

// MemTrend compares a figure's mean over the last third of the samples
// with its mean over the second third.
type MemTrend struct {
	Metric     string  `json:"metric"`
	Second     float64 `json:"second_third_mean"`
	Last       float64 `json:"last_third_mean"`
	GrowthPct  float64 `json:"growth_pct"`
	Pass       bool    `json:"pass"`
	Applicable bool    `json:"applicable"`
}

// MemoryReport is the sampled series and its verdict.
type MemoryReport struct {
	PID       int         `json:"pid"`
	Every     string      `json:"every"`
	Samples   []MemSample `json:"samples"`
	Trends    []MemTrend  `json:"trends"`
	MaxGrowth float64     `json:"max_growth_pct"`
	Pass      bool        `json:"pass"`
}

func sampleMemory(ctx context.Context, c MemoryConfig, start time.Time, client *http.Client) MemSample {
	s := MemSample{Offset: round3(time.Since(start).Seconds())}
	if f, err := os.Open("/proc/" + strconv.Itoa(c.PID) + "/status"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				s.RSSBytes = kb * 1024
			}
		}
		f.Close()
	} else {
		s.Err = err.Error()
	}
	if c.MetricsURL == "" {
		return s
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", c.MetricsURL, nil)
	if c.MetricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.MetricsToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.Err = "metrics: " + resp.Status
		io.Copy(io.Discard, resp.Body)
		return s
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for name, dst := range map[string]*int64{"go_memstats_heap_inuse_bytes": &s.HeapInuse, "go_goroutines": &s.Goroutines} {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				*dst = int64(f)
			}
		}
	}
	return s
}

// sampleLoop samples every c.Every until stop is closed, then once more.
func sampleLoop(ctx context.Context, c MemoryConfig, start time.Time, stop <-chan struct{}, out chan<- []MemSample) {
	client := &http.Client{Timeout: 5 * time.Second}
	var samples []MemSample
	t := time.NewTicker(c.Every)
	defer t.Stop()
	samples = append(samples, sampleMemory(ctx, c, start, client))
	for {
		select {
		case <-t.C:
			samples = append(samples, sampleMemory(ctx, c, start, client))
		case <-stop:
			samples = append(samples, sampleMemory(ctx, c, start, client))
			out <- samples
			return
		case <-ctx.Done():
			out <- samples
			return
		}
	}
}

func memoryReport(c MemoryConfig, samples []MemSample) *MemoryReport {
	r := &MemoryReport{PID: c.PID, Every: c.Every.String(), Samples: samples, MaxGrowth: 100 * c.MaxGrowth, Pass: true}
	n := len(samples)
	metrics := []struct {
		name string
		get  func(MemSample) int64
	}{
		{"rss_bytes", func(s MemSample) int64 { return s.RSSBytes }},
		{"go_heap_inuse_bytes", func(s MemSample) int64 { return s.HeapInuse }},
		{"go_goroutines", func(s MemSample) int64 { return s.Goroutines }},
	}
	mean := func(from, to int, get func(MemSample) int64) float64 {
		var sum float64
		for _, s := range samples[from:to] {
			sum += float64(get(s))
		}
		return sum / float64(to-from)
	}
	for _, m := range metrics {
		t := MemTrend{Metric: m.name, Pass: true}
		if n >= 6 {
			t.Applicable = true
			t.Second = round3(mean(n/3, 2*n/3, m.get))
			t.Last = round3(mean(2*n/3, n, m.get))
			if t.Second > 0 {
				t.GrowthPct = round3(100 * (t.Last - t.Second) / t.Second)
			}
			t.Pass = t.GrowthPct <= r.MaxGrowth
			if !t.Pass {
				r.Pass = false
			}
		}
		r.Trends = append(r.Trends, t)
	}
	return r
}

func mib(b float64) string { return strconv.FormatFloat(b/(1<<20), 'f', 1, 64) }

// Markdown prints the samples and the verdict.
func (m *MemoryReport) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\nserver memory (pid %d), a sample every %s:\n\n", m.PID, m.Every)
	fmt.Fprintln(w, "| t s | RSS MiB | Go heap in use MiB | goroutines | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range m.Samples {
		fmt.Fprintf(w, "| %.0f | %s | %s | %d | %s |\n", s.Offset, mib(float64(s.RSSBytes)), mib(float64(s.HeapInuse)), s.Goroutines, s.Err)
	}
	fmt.Fprintf(w, "\n| metric | second third mean | last third mean | growth %% | verdict (≤ %.0f%%) |\n|---|---|---|---|---|\n", m.MaxGrowth)
	for _, t := range m.Trends {
		v := "pass"
		if !t.Applicable {
			v = "too few samples"
		} else if !t.Pass {
			v = "FAIL"
		}
		a, b := strconv.FormatFloat(t.Second, 'f', 0, 64), strconv.FormatFloat(t.Last, 'f', 0, 64)
		if t.Metric != "go_goroutines" {
			a, b = mib(t.Second)+" MiB", mib(t.Last)+" MiB"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %+.1f | %s |\n", t.Metric, a, b, t.GrowthPct, v)
	}
	v := "PASS"
	if !m.Pass {
		v = "FAIL"
	}
	fmt.Fprintf(w, "\nmemory verdict: %s (growth of the last third over the second third > %.0f%% fails)\n", v, m.MaxGrowth)
}
