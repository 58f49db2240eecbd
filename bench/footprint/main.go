// Command footprint starts a server binary several times, each in a fresh
// empty directory with an empty environment (so each run creates and
// migrates ./data/anirohi.db), and reports the time from exec to the first
// successful GET /health and the resident memory once it has settled.
// bench/footprint.sh builds the binary like the Dockerfile and runs this.
//
//	go run ./bench/footprint -bin ./anirohi -n 7
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one start of the binary.
type sample struct {
	start   time.Duration // exec to the first 200 from /health
	cpu     time.Duration // CPU time its threads used until then (less disturbed by a busy box)
	rssKiB  int           // VmRSS after the settle
	peakKiB int           // VmHWM: the most it was resident at once
}

func main() {
	bin := flag.String("bin", "", "the server binary (required)")
	runs := flag.Int("n", 7, "starts to measure")
	settle := flag.Duration("settle", time.Second, "wait after /health answers before reading RSS")
	var env envFlag
	flag.Var(&env, "env", "KEY=VALUE added to the otherwise empty environment (repeatable)")
	flag.Parse()
	if *bin == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		log.Fatal(err)
	}
	var all []sample
	for i := range *runs {
		s, err := measure(abs, env, *settle)
		if err != nil {
			log.Fatalf("run %d: %v", i+1, err)
		}
		fmt.Printf("run %d: start %6.1f ms  cpu %6.1f ms  rss %6.1f MiB  peak %6.1f MiB\n", i+1, ms(s.start), ms(s.cpu), mib(s.rssKiB), mib(s.peakKiB))
		all = append(all, s)
	}
	starts := collect(all, func(s sample) float64 { return ms(s.start) })
	cpu := collect(all, func(s sample) float64 { return ms(s.cpu) })
	rss := collect(all, func(s sample) float64 { return mib(s.rssKiB) })
	peak := collect(all, func(s sample) float64 { return mib(s.peakKiB) })
	fmt.Printf("median of %d: start %.1f ms (min %.1f, max %.1f), cpu %.1f ms, idle rss %.1f MiB (min %.1f, max %.1f), peak rss %.1f MiB\n",
		len(all), median(starts), starts[0], starts[len(starts)-1], median(cpu), median(rss), rss[0], rss[len(rss)-1], median(peak))
}

// measure starts bin once in a new empty directory and stops it with
// SIGTERM after reading its memory.
func measure(bin string, env []string, settle time.Duration) (sample, error) {
	dir, err := os.MkdirTemp("", "anirohi-footprint-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return sample{}, err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOST=127.0.0.1", "PORT=" + port}, env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://127.0.0.1:" + port + "/health"

	began := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var s sample
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.start = time.Since(began)
				s.cpu = cpuTime(cmd.Process.Pid)
				break
			}
		}
		if time.Since(began) > 20*time.Second {
			return sample{}, fmt.Errorf("no /health within 20 s:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "anirohi.db")); err != nil && !hasKey(env, "DATABASE_URL") {
		return sample{}, fmt.Errorf("/health answered but ./data/anirohi.db is missing: %v", err)
	}
	time.Sleep(settle)
	if s.rssKiB, s.peakKiB, err = memory(cmd.Process.Pid); err != nil {
		return sample{}, err
	}
	cmd.Process.Signal(syscall.SIGTERM)
	return s, nil
}

// cpuTime is the time the threads of pid have run on a CPU so far, from
// /proc/PID/task/*/schedstat (nanoseconds; 0 where it is unavailable).
// Threads that already exited are not counted.
func cpuTime(pid int) time.Duration {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	var total time.Duration
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(data) + " 0")[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// memory reads VmRSS and VmHWM (KiB) from /proc/PID/status.
func memory(pid int) (rss, peak int, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		key, val, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(val), " kB"))
		switch key {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, peak, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func hasKey(env []string, key string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// collect returns f of every sample, sorted.
func collect(all []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(all))
	for i, s := range all {
		out[i] = f(s)
	}
	slices.Sort(out)
	return out
}

// median of sorted values.
func median(v []float64) float64 {
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mib(kib int) float64        { return float64(kib) / 1024 }

type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }
func (e *envFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}
