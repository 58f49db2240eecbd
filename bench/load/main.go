// Command load drives a running Anirohi API with simulated viewers (browser
// tabs of the real client on the watch page) and prints per-endpoint
// throughput, latency quantiles and errors as a markdown table. The viewer
// loop, statistics, write verification and capacity search are the
// package bench/load/loadgen; this command only parses flags and prints.
//
//	go run ./bench/load -url http://127.0.0.1:8000 -accounts-file bench/out/accounts.txt -viewers 200 -duration 60s
//	go run ./bench/load ... -verify-writes            # read every viewer's progress back at the end
//	go run ./bench/load ... -find-capacity -p95 100ms # step viewers up: the most with p95 < 100 ms and no error
//
// Accounts come from bench/prep -accounts N -accounts-out FILE (email:password,
// a pre-minted access token and a fresh refresh token per line).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/anirohi/anirohi-api/bench/load/loadgen"
)

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: load -url URL -accounts-file FILE [flags]

Simulated viewers of the Anirohi web client, each paced by its own schedule
(not a closed loop): a progress save every -save-every, plus Poisson events
at -rates per viewer per minute. Latency is measured from each request's
intended send time. The server should trust 127.0.0.1 as a proxy
(TRUSTED_PROXIES=127.0.0.1/32) so that -xff spreads the per-IP limits of
login and refresh over the viewers' own addresses.

Flags:
`)
		fs.PrintDefaults()
	}
	var (
		url        = fs.String("url", "http://127.0.0.1:8000", "base URL of the running server")
		viewers    = fs.Int("viewers", 100, "concurrent viewers (each needs an account)")
		duration   = fs.Duration("duration", 60*time.Second, "measured window, after the ramp (capacity: per step)")
		ramp       = fs.Duration("ramp", 10*time.Second, "viewers start spread evenly over this; not in the table")
		saveEvery  = fs.Duration("save-every", 5*time.Second, "progress save period; the position advances 5 s per save")
		rates      = fs.String("rates", loadgen.DefaultRates.String(), "occasional events per viewer per minute (library, progress, history: GETs; library-put; refresh; login)")
		rateScale  = fs.Float64("rate", 1, "multiplier of every -rates entry")
		refetch    = fs.Float64("refetch-after-save", 0, "probability that a save is followed by GET progress (the client's query invalidation)")
		accounts   = fs.String("accounts-file", "", "`FILE` of accounts, one per line: email:password [access [refresh]], or access [refresh] (bench/prep -accounts-out)")
		out        = fs.String("out", "", "write the JSON summary here")
		verify     = fs.Bool("verify-writes", false, "at the end, read back every viewer's progress and report acknowledged saves that are missing")
		timeout    = fs.Duration("timeout", 10*time.Second, "per-request timeout (counted as an error)")
		xff        = fs.Bool("xff", true, "send X-Forwarded-For with a distinct 10.x.y.z per viewer")
		origin     = fs.String("origin", "http://localhost:3000", "Origin header as the cross-origin web app sends it (\"\" = none)")
		progress   = fs.Duration("progress", 10*time.Second, "print a progress line this often to stderr (0 = never)")
		late       = fs.Duration("late", 10*time.Millisecond, "a send this far behind its intended time counts as late")
		seed       = fs.Int64("seed", 0, "random seed (0 = time based)")
		serverPID  = fs.Int("server-pid", 0, "measure this process's CPU over the measured window")
		pgPID      = fs.Int("pg-pid", 0, "measure this process tree's CPU (the postmaster and its backends)")
		idle       = fs.Duration("idle", 5*time.Second, "with -server-pid/-pg-pid: measure their idle CPU this long before the run, to report CPU per request net of it")
		memPID     = fs.Int("mem-pid", 0, "sample this process's RSS during the run (soak)")
		memMetrics = fs.String("mem-metrics", "", "with -mem-pid: the server's /metrics URL for go_memstats_heap_inuse_bytes and go_goroutines")
		memEvery   = fs.Duration("mem-every", 10*time.Second, "memory sample period")
		memGrowth  = fs.Float64("mem-max-growth", 0.10, "memory verdict: fail when the last third's mean exceeds the second third's by more than this")
		findCap    = fs.Bool("find-capacity", false, "capacity search: double viewers from -cap-start until a step fails, then bisect")
		capStart   = fs.Int("cap-start", 100, "capacity: first step's viewers")
		capMax     = fs.Int("cap-max", 0, "capacity: most viewers tried (0 = the number of accounts)")
		p95        = fs.Duration("p95", 100*time.Millisecond, "capacity: a step passes with overall p95 below this and no error")
		maxSteps   = fs.Int("max-steps", 12, "capacity: most steps")
		minGap     = fs.Int("min-gap", 25, "capacity: stop bisecting when pass and fail are this close (or 10% apart)")
		confirm    = fs.Int("confirm", 1, "capacity: repeat a failing step this many times; it fails only if every repeat fails (shared machines)")
		maxOther   = fs.Float64("max-other", 60, "capacity: a failing step during which other processes (not the server, PostgreSQL or the generator) used more than this % of a core is rerun (0 = never)")
		stepHook   = fs.String("step-hook", "", "capacity: shell command run before each step (e.g. wait for a quiet box); VIEWERS is set")
		label      = fs.String("label", "", "a name printed with the results (e.g. the engine)")
		titles     = fs.Int("catalog-titles", 10000, "title pages and episode lists pick from the first this many catalog titles (GET /api/v1/anime at the start, which pages no deeper than skip=10000; 0 = no catalog reads)")
	)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "load: "+format+"\n", a...)
		return 1
	}
	if *accounts == "" {
		return fail("-accounts-file is required (bench/prep -accounts N -accounts-out FILE)")
	}
	accts, err := loadgen.LoadAccounts(*accounts)
	if err != nil {
		return fail("%v", err)
	}
	rt, err := loadgen.ParseRates(*rates, loadgen.DefaultRates)
	if err != nil {
		return fail("%v", err)
	}
	cfg := loadgen.Config{
		BaseURL: *url, Viewers: *viewers, Ramp: *ramp, Duration: *duration,
		SaveEvery: *saveEvery, Rates: rt, RateScale: *rateScale, RefetchAfterSave: *refetch,
		Accounts: accts, Timeout: *timeout, ForwardedFor: *xff, Origin: *origin,
		LateThreshold: *late, VerifyWrites: *verify, ProgressEvery: *progress, Seed: *seed, IdleSample: *idle,
	}
	if *progress > 0 {
		cfg.Progress = os.Stderr
	}
	if *titles > 0 {
		if cfg.Slugs, err = loadgen.FetchSlugs(context.Background(), loadgen.NewClient(1, *timeout), *url, *titles); err != nil {
			return fail("catalog titles: %v", err)
		}
		if len(cfg.Slugs) == 0 {
			fmt.Fprintln(os.Stderr, "load: the catalog is empty: no title pages or episode lists in the mix")
		}
	}
	if *serverPID > 0 {
		cfg.Watch = append(cfg.Watch, loadgen.ProcWatch{Label: "server", PID: *serverPID})
	}
	if *pgPID > 0 {
		cfg.Watch = append(cfg.Watch, loadgen.ProcWatch{Label: "postgres", PID: *pgPID, Tree: true})
	}
	if *memPID > 0 {
		cfg.Memory = &loadgen.MemoryConfig{PID: *memPID, MetricsURL: *memMetrics, MetricsToken: os.Getenv("METRICS_TOKEN"),
			Every: *memEvery, MaxGrowth: *memGrowth}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	name := ""
	if *label != "" {
		name = " (" + *label + ")"
	}

	if *findCap {
		cc := loadgen.CapacityConfig{Run: cfg, Start: *capStart, Max: *capMax, MaxP95: *p95, MaxSteps: *maxSteps, MinGap: *minGap, Confirm: *confirm, MaxOtherPct: *maxOther}
		if *stepHook != "" {
			cc.BeforeStep = func(ctx context.Context, n int) error {
				cmd := exec.CommandContext(ctx, "bash", "-c", *stepHook)
				cmd.Env = append(os.Environ(), fmt.Sprintf("VIEWERS=%d", n))
				cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
				return cmd.Run()
			}
		}
		cc.AfterStep = func(s loadgen.Step) {
			v := "pass"
			if !s.Pass {
				v = "FAIL: " + s.Reason
			}
			fmt.Fprintf(os.Stderr, "== step%s: %d viewers, %.1f req/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.0f ms, errors %d, late %d, other cpu %.0f%% → %s\n",
				name, s.Viewers, s.RPS, s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs, s.Errors, s.Late, s.OtherPct, v)
			s.Summary.Markdown(os.Stderr)
			fmt.Fprintln(os.Stderr)
		}
		res, err := loadgen.FindCapacity(ctx, cc)
		if res != nil {
			res.Markdown(os.Stdout, name)
			if res.LastPass != nil && res.LastPass.Summary != nil {
				fmt.Println(resultLine(res.LastPass.Summary)) // the last passing step's, for the CPU ratios
			}
			writeJSON(*out, res)
		}
		if err != nil {
			return fail("%v", err)
		}
		return 0
	}

	s, err := loadgen.Run(ctx, cfg)
	if s != nil {
		if *label != "" {
			fmt.Printf("### %s\n\n", *label)
		}
		s.Markdown(os.Stdout)
		fmt.Println()
		fmt.Println(resultLine(s))
		writeJSON(*out, s)
	}
	if err != nil {
		return fail("%v", err)
	}
	switch {
	case s.Verify != nil && !s.Verify.OK():
		return 3
	case s.Memory != nil && !s.Memory.Pass:
		return 4
	}
	return 0
}

func writeJSON(path string, v any) {
	if path == "" {
		return
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: write", path+":", err)
	}
}

// resultLine is one machine-readable line for the shell runners, in the
// spirit of the wrk scripts' BENCHRESULT: the overall figures, the share
// of writes (PUT and POST) and the CPU of the watched processes.
func resultLine(s *loadgen.Summary) string {
	var writes uint64
	for _, e := range s.Endpoints {
		if strings.HasPrefix(e.Endpoint, "PUT ") || strings.HasPrefix(e.Endpoint, "POST ") {
			writes += e.Count
		}
	}
	share := 0.0
	if s.Overall.Count > 0 {
		share = float64(writes) / float64(s.Overall.Count)
	}
	o := s.Overall
	line := fmt.Sprintf("LOADRESULT viewers=%d requests=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d late=%d write_share=%.3f",
		s.Viewers, o.Count, o.RPS, o.P50Ms, o.P95Ms, o.P99Ms, o.MaxMs, s.Errors(), s.Late.Late, share)
	for _, c := range s.CPU {
		if c.PID == 0 {
			continue
		}
		key := strings.Fields(c.Label)[0]
		if key == "load" {
			key = "gen"
		}
		line += fmt.Sprintf(" %s_cpu_pct=%.0f %s_idle_cpu_pct=%.0f %s_cpu_ms_per_req=%.3f %s_net_cpu_ms_per_req=%.3f",
			key, c.Percent, key, c.IdlePercent, key, c.MsPerRequest, key, c.NetMsPerRequest)
	}
	if s.Verify != nil {
		line += fmt.Sprintf(" verify_missing=%d", s.Verify.Missing)
	}
	if s.Memory != nil {
		line += fmt.Sprintf(" memory_pass=%t", s.Memory.Pass)
	}
	return line
}
