package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

type runner struct {
	cfg    Config
	client *http.Client
	rec    *recorder
	active atomic.Int64

	start, measureStart, end time.Time
}

// Run drives cfg.Viewers viewers for cfg.Ramp + cfg.Duration and returns
// the figures of the measured window (after the ramp). It fails only on a
// bad configuration; errors of the server are in the Summary.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := cfg.Client
	if client == nil {
		client = NewClient(cfg.Viewers, cfg.Timeout)
		defer client.CloseIdleConnections()
	}
	watch := append([]ProcWatch(nil), cfg.Watch...)
	if len(watch) > 0 {
		watch = append(watch, ProcWatch{Label: "load generator", PID: os.Getpid()})
	}
	var idleA, idleB cpuSnap
	if len(watch) > 0 && cfg.IdleSample > 0 {
		idleA = snapCPU(watch)
		if !sleepUntil(ctx, time.Now().Add(cfg.IdleSample)) {
			return nil, ctx.Err()
		}
		idleB = snapCPU(watch)
	}
	r := &runner{cfg: cfg, client: client}
	r.start = time.Now().Add(20 * time.Millisecond)
	r.measureStart = r.start.Add(cfg.Ramp)
	r.end = r.measureStart.Add(cfg.Duration)
	r.rec = newRecorder(r.start, r.measureStart, cfg.LateThreshold, cfg.ErrorSamples)

	var cpuA cpuSnap
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		if len(watch) > 0 && sleepUntil(ctx, r.measureStart) {
			cpuA = snapCPU(watch)
		}
	}()

	var memOut chan []MemSample
	memStop := make(chan struct{})
	if m := cfg.Memory; m != nil {
		if m.Every <= 0 {
			m.Every = 10 * time.Second
		}
		if m.MaxGrowth <= 0 {
			m.MaxGrowth = 0.10
		}
		memOut = make(chan []MemSample, 1)
		go sampleLoop(ctx, *m, r.start, memStop, memOut)
	}

	progDone := make(chan struct{})
	progStop := make(chan struct{})
	go r.progress(progStop, progDone)

	viewers := make([]*viewer, cfg.Viewers)
	var wg sync.WaitGroup
	for i := range viewers {
		viewers[i] = newViewer(r, i)
		wg.Go(func() { viewers[i].run(ctx) })
	}
	wg.Wait()
	close(progStop)
	<-progDone
	<-cpuDone
	cpuB := snapCPU(watch)

	s := r.rec.summary(cfg.Duration.Seconds())
	s.BaseURL, s.Viewers = cfg.BaseURL, cfg.Viewers
	s.RampSeconds, s.MeasuredSeconds = cfg.Ramp.Seconds(), cfg.Duration.Seconds()
	s.SaveEvery, s.Rates, s.RateScale = cfg.SaveEvery.String(), cfg.Rates.String(), cfg.RateScale
	scaled := cfg.Rates
	for _, n := range rateNames {
		*scaled.field(n) *= cfg.RateScale
	}
	s.OfferedPerMin = round3(scaled.PerMinute(cfg.SaveEvery))
	if len(watch) > 0 && !cpuA.at.IsZero() {
		s.CPU = boxFigures(cpuFigures(watch, cpuA, cpuB, idleA, idleB, s.Overall.Count), cpuA, cpuB)
	}
	if memOut != nil {
		close(memStop)
		s.Memory = memoryReport(*cfg.Memory, <-memOut)
	}
	if cfg.VerifyWrites && ctx.Err() == nil {
		s.Verify = r.verify(ctx, viewers)
	}
	return &s, ctx.Err()
}

// progress prints a line every ProgressEvery: the interval's request rate,
// latency quantiles, errors and late sends.
func (r *runner) progress(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	w := r.cfg.Progress
	if w == nil {
		<-stop
		return
	}
	t := time.NewTicker(r.cfg.ProgressEvery)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			h, errs, late := r.rec.takeInterval()
			phase := "measure"
			if now.Before(r.measureStart) {
				phase = "ramp"
			}
			secs := now.Sub(last).Seconds()
			last = now
			fmt.Fprintf(w, "[%4.0fs %-7s] viewers=%d req/s=%.1f p50=%sms p95=%sms p99=%sms max=%sms errors=%d late=%d\n",
				now.Sub(r.start).Seconds(), phase, r.active.Load(), float64(h.n)/secs,
				fmtMs(h.quantile(0.5)), fmtMs(h.quantile(0.95)), fmtMs(h.quantile(0.99)), fmtMs(float64(h.max)/1000), errs, late)
		}
	}
}
