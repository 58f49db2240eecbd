package loadgen

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// CapacityConfig is a capacity search: the most viewers one instance
// sustains with the overall p95 under MaxP95 and no error at all.
type CapacityConfig struct {
	Run      Config        // every step's run; Viewers is set per step
	Start    int           // first step (100)
	Max      int           // never more viewers than this (len(Run.Accounts))
	MaxP95   time.Duration // 100 ms
	MaxSteps int           // stop after this many steps (12)
	// Bisection stops when the failing and passing steps are within
	// max(MinGap, RelGap × passing viewers) of each other.
	MinGap int     // 25
	RelGap float64 // 0.10

	// BeforeStep runs before every step (e.g. wait for a quiet machine).
	BeforeStep func(ctx context.Context, viewers int) error
	// AfterStep sees every step's outcome (e.g. print it).
	AfterStep func(Step)
	// Confirm repeats a failing step this many times; it fails only if
	// every repeat fails too (on a shared machine a burst of other work
	// can fail one step). The repeats are in Steps.
	Confirm int
	// MaxOtherPct, when positive, marks a failing step as disturbed when
	// the CPU used by processes not watched (other work on the box and
	// interrupts, in % of one core) exceeded it; a disturbed step is run
	// again, up to MaxDisturbed times (3), without counting as a step.
	MaxOtherPct  float64
	MaxDisturbed int
}

// Step is one run of the search.
type Step struct {
	Viewers int     `json:"viewers"`
	Pass    bool    `json:"pass"`
	Reason  string  `json:"reason,omitempty"`
	RPS     float64 `json:"rps"`
	P50Ms   float64 `json:"p50_ms"`
	P95Ms   float64 `json:"p95_ms"`
	P99Ms   float64 `json:"p99_ms"`
	MaxMs   float64 `json:"max_ms"`
	Errors  uint64  `json:"errors"`
	Late    uint64  `json:"late_sends"`
	// OtherPct is the CPU the watched processes do not account for (% of
	// one core); Disturbed marks a failing step rerun because of it.
	OtherPct  float64  `json:"other_cpu_pct"`
	Disturbed bool     `json:"disturbed,omitempty"`
	Summary   *Summary `json:"summary"`
}

// CapacityResult is the search's answer: Capacity is the largest passing
// step (0 if none passed).
type CapacityResult struct {
	Capacity  int     `json:"capacity"`
	MaxP95Ms  float64 `json:"max_p95_ms"`
	LastPass  *Step   `json:"last_pass,omitempty"`
	FirstFail *Step   `json:"first_fail,omitempty"`
	Steps     []Step  `json:"steps"`
	Note      string  `json:"note,omitempty"`
}

func judge(s *Summary, maxP95 time.Duration) Step {
	st := Step{Viewers: s.Viewers, RPS: s.Overall.RPS, P50Ms: s.Overall.P50Ms, P95Ms: s.Overall.P95Ms,
		P99Ms: s.Overall.P99Ms, MaxMs: s.Overall.MaxMs, Errors: s.Errors(), Late: s.Late.Late, Summary: s, Pass: true}
	for _, c := range s.CPU {
		if strings.HasPrefix(c.Label, "other") {
			st.OtherPct = c.Percent
		}
	}
	lim := float64(maxP95.Microseconds()) / 1000
	switch {
	case st.Errors > 0:
		st.Pass, st.Reason = false, fmt.Sprintf("%d errors (%s)", st.Errors, fmtStatus(mergeCounts(s.Overall.ByStatus, s.Ramp.ByStatus)))
	case st.P95Ms >= lim:
		st.Pass, st.Reason = false, fmt.Sprintf("p95 %s ms ≥ %s ms", fmtMs(st.P95Ms), fmtMs(lim))
	case s.Verify != nil && !s.Verify.OK():
		st.Pass, st.Reason = false, fmt.Sprintf("%d acknowledged saves lost", s.Verify.Missing)
	}
	return st
}

func mergeCounts(a, b map[string]uint64) map[string]uint64 {
	m := map[string]uint64{}
	for k, v := range a {
		m[k] += v
	}
	for k, v := range b {
		m[k] += v
	}
	return m
}

// FindCapacity doubles the viewers from Start until a step fails (or Max
// passes), then bisects between the last passing and the first failing
// step. Steps run back to back on the same accounts, whose tokens carry
// over from step to step.
func FindCapacity(ctx context.Context, c CapacityConfig) (*CapacityResult, error) {
	if c.Start <= 0 {
		c.Start = 100
	}
	if c.Max <= 0 || c.Max > len(c.Run.Accounts) {
		c.Max = len(c.Run.Accounts)
	}
	if c.MaxP95 <= 0 {
		c.MaxP95 = 100 * time.Millisecond
	}
	if c.MaxSteps <= 0 {
		c.MaxSteps = 12
	}
	if c.MinGap <= 0 {
		c.MinGap = 25
	}
	if c.RelGap <= 0 {
		c.RelGap = 0.10
	}
	if c.MaxDisturbed <= 0 {
		c.MaxDisturbed = 3
	}
	res := &CapacityResult{MaxP95Ms: float64(c.MaxP95.Microseconds()) / 1000}
	step := func(n int) (Step, error) {
		if c.BeforeStep != nil {
			if err := c.BeforeStep(ctx, n); err != nil {
				return Step{}, err
			}
		}
		cfg := c.Run
		cfg.Viewers = n
		s, err := Run(ctx, cfg)
		if err != nil {
			return Step{}, err
		}
		st := judge(s, c.MaxP95)
		if !st.Pass && c.MaxOtherPct > 0 && st.OtherPct > c.MaxOtherPct {
			st.Disturbed = true
			st.Reason += fmt.Sprintf("; disturbed: other work used %.0f%% of a core", st.OtherPct)
		}
		res.Steps = append(res.Steps, st)
		if c.AfterStep != nil {
			c.AfterStep(st)
		}
		return st, nil
	}
	judged := 0
	// undisturbed runs a step again while it fails disturbed by other work.
	undisturbed := func(n int) (Step, error) {
		st, err := step(n)
		for i := 0; err == nil && st.Disturbed && i < c.MaxDisturbed; i++ {
			st, err = step(n)
		}
		return st, err
	}
	confirmed := func(n int) (Step, error) {
		judged++
		st, err := undisturbed(n)
		for i := 0; err == nil && !st.Pass && i < c.Confirm; i++ {
			st, err = undisturbed(n)
		}
		return st, err
	}
	var lo, hi *Step
	n := min(c.Start, c.Max)
	for judged < c.MaxSteps {
		st, err := confirmed(n)
		if err != nil {
			return res, err
		}
		if !st.Pass {
			hi = &st
			break
		}
		lo = &st
		if n >= c.Max {
			res.Note = fmt.Sprintf("the largest step allowed (%d viewers, the accounts available) passed", c.Max)
			break
		}
		n = min(2*n, c.Max)
	}
	for lo != nil && hi != nil && judged < c.MaxSteps {
		gap := max(c.MinGap, int(c.RelGap*float64(lo.Viewers)))
		if hi.Viewers-lo.Viewers <= gap {
			break
		}
		mid := (lo.Viewers + hi.Viewers) / 2
		st, err := confirmed(mid)
		if err != nil {
			return res, err
		}
		if st.Pass {
			lo = &st
		} else {
			hi = &st
		}
	}
	if judged >= c.MaxSteps && res.Note == "" {
		res.Note = fmt.Sprintf("stopped after %d steps", c.MaxSteps)
	}
	res.LastPass, res.FirstFail = lo, hi
	if lo != nil {
		res.Capacity = lo.Viewers
	}
	return res, nil
}

// Markdown prints the steps and the answer.
func (r *CapacityResult) Markdown(w io.Writer, label string) {
	fmt.Fprintf(w, "\ncapacity search%s: p95 < %s ms overall and no error\n\n", label, fmtMs(r.MaxP95Ms))
	fmt.Fprintln(w, "| step | viewers | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | late sends | cpu % (of one core) | verdict |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for i, s := range r.Steps {
		v := "pass"
		if !s.Pass {
			v = "FAIL: " + s.Reason
		}
		if s.Disturbed {
			v = "rerun, " + v
		}
		var cpu []string
		if s.Summary != nil {
			for _, c := range s.Summary.CPU {
				if c.PID > 0 || strings.HasPrefix(c.Label, "other") {
					cpu = append(cpu, fmt.Sprintf("%s %.0f", strings.Fields(c.Label)[0], c.Percent))
				}
			}
		}
		fmt.Fprintf(w, "| %d | %d | %.1f | %s | %s | %s | %s | %d | %d | %s | %s |\n", i+1, s.Viewers, s.RPS,
			fmtMs(s.P50Ms), fmtMs(s.P95Ms), fmtMs(s.P99Ms), fmtMs(s.MaxMs), s.Errors, s.Late, strings.Join(cpu, ", "), v)
	}
	fmt.Fprintf(w, "\nCAPACITY%s: %d viewers", label, r.Capacity)
	if r.LastPass != nil {
		fmt.Fprintf(w, " (last pass: %d viewers, %.1f req/s, p95 %s ms, %d errors)", r.LastPass.Viewers, r.LastPass.RPS, fmtMs(r.LastPass.P95Ms), r.LastPass.Errors)
	}
	if r.FirstFail != nil {
		fmt.Fprintf(w, "; first fail: %d viewers, %.1f req/s, p95 %s ms, %d errors (%s)", r.FirstFail.Viewers, r.FirstFail.RPS, fmtMs(r.FirstFail.P95Ms), r.FirstFail.Errors, r.FirstFail.Reason)
	}
	fmt.Fprintln(w)
	if r.Note != "" {
		fmt.Fprintln(w, "note:", r.Note)
	}
}
