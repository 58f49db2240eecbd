// Package loadgen drives a running Anirohi API with simulated browser tabs
// ("viewers") of the real browser client's watch page: each one saves its player
// position every few seconds and now and then reads or writes its library,
// reads its progress and history, refreshes its session or logs in again.
//
// The model is per-viewer paced (open loop per viewer): every request has an
// intended send time fixed by the viewer's schedule, not by the previous
// answer. A viewer that falls behind sends at once and its latency is
// measured from the intended time, so a stalled server shows up as latency
// instead of as a politely lower request rate (coordinated omission).
//
// Run executes one load run and returns its Summary; FindCapacity steps the
// number of viewers up to find the most one instance sustains under a
// latency and error budget. With Config.VerifyWrites every acknowledged
// progress save is checked at the end against what the server reads back.
package loadgen

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is one user a viewer plays. Tokens change during a run (refresh
// and login replace them); the latest ones stay in the Account, so several
// runs in one process (FindCapacity) can reuse the accounts.
type Account struct {
	Email    string
	Password string

	mu      sync.Mutex
	access  string
	refresh string
	exp     time.Time // the access token's expiry (zero: unknown)
}

// NewAccount makes an account from its credentials and tokens (any may be empty).
func NewAccount(email, password, access, refresh string) *Account {
	return &Account{Email: email, Password: password, access: access, refresh: refresh, exp: jwtExpiry(access)}
}

// jwtExpiry reads the exp claim of a JWT without verifying it.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil || c.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(c.Exp, 0)
}

// expiresWithin says the access token is known to expire within d.
func (a *Account) expiresWithin(d time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access != "" && !a.exp.IsZero() && time.Until(a.exp) < d
}

// Tokens returns the account's current access and refresh tokens.
func (a *Account) Tokens() (access, refresh string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access, a.refresh
}

func (a *Account) setTokens(access, refresh string, expiresIn time.Duration) {
	a.mu.Lock()
	if access != "" {
		a.access = access
		a.exp = jwtExpiry(access)
		if a.exp.IsZero() && expiresIn > 0 {
			a.exp = time.Now().Add(expiresIn)
		}
	}
	if refresh != "" {
		a.refresh = refresh
	}
	a.mu.Unlock()
}

// ParseAccounts reads an accounts file, one account per line; blank lines
// and lines starting with # are skipped. A line is whitespace-separated
// fields, in any of these forms:
//
//	email:password                          the viewer logs in at its start
//	email:password ACCESS REFRESH           pre-minted tokens (bench/prep -accounts-out)
//	email:password ACCESS                   no refresh cookie: refreshes become logins
//	ACCESS [REFRESH]                        tokens only: no login possible
//
// A field is taken as email:password when it contains "@" and a ":" after it.
func ParseAccounts(r io.Reader) ([]*Account, error) {
	var out []*Account
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		a := &Account{}
		if at := strings.Index(f[0], "@"); at > 0 && strings.Contains(f[0][at:], ":") {
			c := at + strings.Index(f[0][at:], ":")
			a.Email, a.Password = f[0][:c], f[0][c+1:]
			f = f[1:]
		}
		if len(f) > 2 {
			return nil, fmt.Errorf("accounts line %d: too many fields", n)
		}
		if len(f) > 0 {
			a.access = f[0]
			a.exp = jwtExpiry(a.access)
		}
		if len(f) > 1 {
			a.refresh = f[1]
		}
		if a.Email == "" && a.access == "" {
			return nil, fmt.Errorf("accounts line %d: neither email:password nor a token", n)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// LoadAccounts reads an accounts file (see ParseAccounts).
func LoadAccounts(path string) ([]*Account, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseAccounts(f)
}

// Rates are how often each viewer does the occasional things, in events
// per viewer per minute (Poisson: exponential gaps with that mean). The
// progress save is not here: it is periodic, Config.SaveEvery.
type Rates struct {
	LibraryRead  float64 // GET  /api/v1/me/library (plain, a status tab or favourites)
	ProgressRead float64 // GET  /api/v1/me/progress (title and episode pages)
	HistoryRead  float64 // GET  /api/v1/me/history?limit=50 (continue watching; 1 in 5 the history page, limit=100)
	LibraryWrite float64 // PUT  /api/v1/me/library/{title}?provider=rpc {"status"} (1 in 4 also is_favorite)
	Refresh      float64 // POST /api/v1/auth/refresh with the refresh_token cookie
	Login        float64 // POST /api/v1/auth/login (then GET /api/v1/users/me, as the client does)
	TitlePage    float64 // GET  /api/read/anime/{slug} of a catalog title (Config.Slugs)
	EpisodeList  float64 // GET  /api/v1/anime/{slug}/episodes of a catalog title
}

// DefaultRates give, with a save every 5 s (12 a minute), about 18.7
// requests per viewer per minute, under the default per-user limit of 60
// (16.7 without a catalog to read).
var DefaultRates = Rates{LibraryRead: 1, ProgressRead: 2, HistoryRead: 1, LibraryWrite: 0.5, Refresh: 0.2, Login: 0.02,
	TitlePage: 1, EpisodeList: 1}

var rateNames = []string{"library", "progress", "history", "library-put", "refresh", "login", "title", "episodes"}

func (r *Rates) field(name string) *float64 {
	switch name {
	case "library":
		return &r.LibraryRead
	case "progress":
		return &r.ProgressRead
	case "history":
		return &r.HistoryRead
	case "library-put":
		return &r.LibraryWrite
	case "refresh":
		return &r.Refresh
	case "login":
		return &r.Login
	case "title":
		return &r.TitlePage
	case "episodes":
		return &r.EpisodeList
	}
	return nil
}

// ParseRates reads "library=1,progress=2,..." over base: the names are
// library, progress, history, library-put, refresh, login, title and episodes.
func ParseRates(s string, base Rates) (Rates, error) {
	r := base
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		p := r.field(strings.TrimSpace(k))
		if !ok || p == nil {
			return r, fmt.Errorf("rate %q: want NAME=PER_MINUTE with NAME one of %s", kv, strings.Join(rateNames, ", "))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 {
			return r, fmt.Errorf("rate %q: not a non-negative number", kv)
		}
		*p = f
	}
	return r, nil
}

// String renders the rates in ParseRates' form.
func (r Rates) String() string {
	var b []string
	for _, n := range rateNames {
		b = append(b, n+"="+strconv.FormatFloat(*r.field(n), 'g', -1, 64))
	}
	return strings.Join(b, ",")
}

// PerMinute is the requests a viewer makes per minute at these rates with
// a save every saveEvery (a login counts two: login and users/me).
func (r Rates) PerMinute(saveEvery time.Duration) float64 {
	return time.Minute.Seconds()/saveEvery.Seconds() + r.LibraryRead + r.ProgressRead + r.HistoryRead +
		r.LibraryWrite + r.Refresh + 2*r.Login + r.TitlePage + r.EpisodeList
}

// ProcWatch names a local process whose CPU time is measured over the
// measured window (Linux /proc). Tree adds its children (the postmaster
// and its backends).
type ProcWatch struct {
	Label string
	PID   int
	Tree  bool
}

// Config is one load run.
type Config struct {
	BaseURL  string        // e.g. http://127.0.0.1:8000
	Viewers  int           // concurrent viewers; Accounts must hold at least this many
	Ramp     time.Duration // viewers start spread evenly over this; not measured
	Duration time.Duration // the measured window, after the ramp

	SaveEvery        time.Duration // progress save period (the player's 5 s)
	SaveStep         float64       // seconds the position advances per save (5)
	EpisodeSeconds   float64       // duration_seconds sent; at the end the viewer goes to the next episode (1440)
	Rates            Rates         // occasional events per viewer per minute
	RateScale        float64       // multiplies every Rates entry (1)
	RefetchAfterSave float64       // probability a save is followed by GET progress (TanStack invalidation; 0)
	Provider         string        // ?provider= (rpc)
	Slugs            []string      // catalog titles the title pages and episode lists pick from (none: no catalog reads)

	Accounts []*Account

	Timeout       time.Duration // per request (10 s); a timeout is an error
	ForwardedFor  bool          // send X-Forwarded-For: a distinct 10.x.y.z per viewer (the server must trust 127.0.0.1)
	Origin        string        // Origin header, as a cross-origin browser sends it ("" = none)
	LateThreshold time.Duration // a send this far behind its intended time counts as late (10 ms)
	VerifyWrites  bool          // read every viewer's progress back at the end

	Progress      io.Writer     // a progress line every ProgressEvery (nil = none)
	ProgressEvery time.Duration // 10 s

	Watch      []ProcWatch   // processes whose CPU is measured over the window
	IdleSample time.Duration // with Watch: measure their idle CPU this long before the run (0 = not)
	Memory     *MemoryConfig // sample a server's memory during the run (soak)

	Client       *http.Client // nil: one made for the run (tuned Transport)
	Seed         int64        // random seed (0: time based)
	ErrorSamples int          // keep this many error samples (20)
}

func (c *Config) defaults() {
	if c.SaveEvery <= 0 {
		c.SaveEvery = 5 * time.Second
	}
	if c.SaveStep <= 0 {
		c.SaveStep = 5
	}
	if c.EpisodeSeconds <= 0 {
		c.EpisodeSeconds = 1440
	}
	if c.RateScale <= 0 {
		c.RateScale = 1
	}
	if c.Provider == "" {
		c.Provider = "rpc"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.LateThreshold <= 0 {
		c.LateThreshold = 10 * time.Millisecond
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 10 * time.Second
	}
	if c.ErrorSamples == 0 {
		c.ErrorSamples = 20
	}
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

func (c *Config) validate() error {
	switch {
	case c.BaseURL == "":
		return fmt.Errorf("no base URL")
	case c.Viewers <= 0:
		return fmt.Errorf("viewers must be positive")
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive")
	case len(c.Accounts) < c.Viewers:
		return fmt.Errorf("%d viewers need as many accounts, have %d (bench/prep -accounts N)", c.Viewers, len(c.Accounts))
	}
	return nil
}

// NewClient is the HTTP client a run uses by default: one Transport for all
// viewers with an idle connection kept per viewer (a browser tab keeps its
// connection alive), no HTTP/2, the request timeout as the client timeout.
func NewClient(viewers int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = viewers + 16
	t.MaxIdleConnsPerHost = viewers + 16
	t.MaxConnsPerHost = 0
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = false
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
