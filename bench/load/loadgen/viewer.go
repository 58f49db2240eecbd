package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

type event int

const (
	evSave event = iota
	evLibraryRead
	evProgressRead
	evHistoryRead
	evLibraryWrite
	evRefresh
	evLogin
	evTitlePage
	evEpisodeList
	numEvents
)

// ack is the newest acknowledged save of one episode.
type ack struct {
	pos float64
	cua int64 // client_updated_at, epoch ms
}

// viewer is one browser tab of the real client on the watch page.
type viewer struct {
	r    *runner
	idx  int
	acct *Account
	ip   string
	rng  *rand.Rand

	title   string
	ep      int
	pos     float64
	lastCua int64

	acks      map[string]ack // episode id → newest acknowledged save (VerifyWrites)
	saved     uint64         // acknowledged saves
	reauthing bool
}

var statuses = []string{"watching", "planned", "completed", "dropped"}

func newViewer(r *runner, idx int) *viewer {
	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(idx)+1))
	v := &viewer{r: r, idx: idx, acct: r.cfg.Accounts[idx], rng: rng,
		ip:    fmt.Sprintf("10.%d.%d.%d", ((idx+1)>>16)&255, ((idx+1)>>8)&255, (idx+1)&255),
		title: "title-" + strconv.Itoa(1+rng.IntN(50)), ep: 1 + rng.IntN(24)}
	// join the episode somewhere in its first 90%, on the 5 s grid
	steps := int(r.cfg.EpisodeSeconds*0.9/r.cfg.SaveStep) + 1
	v.pos = float64(rng.IntN(steps)) * r.cfg.SaveStep
	if r.cfg.VerifyWrites {
		v.acks = map[string]ack{}
	}
	return v
}

func (v *viewer) rate(e event) float64 {
	rt, s := v.r.cfg.Rates, v.r.cfg.RateScale
	switch e {
	case evLibraryRead:
		return rt.LibraryRead * s
	case evProgressRead:
		return rt.ProgressRead * s
	case evHistoryRead:
		return rt.HistoryRead * s
	case evLibraryWrite:
		return rt.LibraryWrite * s
	case evRefresh:
		return rt.Refresh * s
	case evLogin:
		return rt.Login * s
	}
	if len(v.r.cfg.Slugs) == 0 {
		return 0 // no catalog to read
	}
	switch e {
	case evTitlePage:
		return rt.TitlePage * s
	case evEpisodeList:
		return rt.EpisodeList * s
	}
	return 0
}

// gap draws the time to the next event of a Poisson process of rate per minute.
func (v *viewer) gap(perMinute float64) time.Duration {
	return time.Duration(v.rng.ExpFloat64() / perMinute * float64(time.Minute))
}

var never = time.Unix(1<<40, 0)

// run plays the tab: open the watch page, then follow the schedule until
// the end of the run. Every send has an intended time; one that cannot
// leave on time leaves at once and is timed from its intended time.
func (v *viewer) run(ctx context.Context) {
	r := v.r
	start := r.start
	if r.cfg.Viewers > 1 {
		start = start.Add(time.Duration(int64(r.cfg.Ramp) * int64(v.idx) / int64(r.cfg.Viewers)))
	}
	if !sleepUntil(ctx, start) {
		return
	}
	r.active.Add(1)
	defer r.active.Add(-1)
	// App load: the stored token is checked with /users/me (no token: log
	// in), then the watch page's episode list reads the progress.
	if access, _ := v.acct.Tokens(); access == "" {
		v.login(ctx, start)
	} else {
		v.call(ctx, epMe, "GET", "/api/v1/users/me", nil, start)
	}
	// A request sent because an answer came (this one, a re-read after a
	// save, /users/me after a login) is intended when that answer came.
	v.call(ctx, epProgress, "GET", "/api/v1/me/progress", nil, time.Now())

	var next [numEvents]time.Time
	next[evSave] = start.Add(r.cfg.SaveEvery)
	for e := evLibraryRead; e < numEvents; e++ {
		next[e] = never
		if p := v.rate(e); p > 0 {
			next[e] = start.Add(v.gap(p))
		}
	}
	for {
		e := evSave
		for k := evSave + 1; k < numEvents; k++ {
			if next[k].Before(next[e]) {
				e = k
			}
		}
		at := next[e]
		if !at.Before(r.end) || !sleepUntil(ctx, at) {
			return
		}
		v.do(ctx, e, at)
		if e == evSave {
			next[e] = at.Add(r.cfg.SaveEvery)
		} else {
			next[e] = at.Add(v.gap(v.rate(e)))
		}
	}
}

func (v *viewer) do(ctx context.Context, e event, at time.Time) {
	p := "?provider=" + v.r.cfg.Provider
	switch e {
	case evSave:
		v.save(ctx, at)
		if f := v.r.cfg.RefetchAfterSave; f > 0 && v.rng.Float64() < f {
			v.call(ctx, epProgress, "GET", "/api/v1/me/progress", nil, time.Now())
		}
	case evLibraryRead:
		path := "/api/v1/me/library"
		switch x := v.rng.IntN(10); {
		case x < 2: // a status tab of the library page
			path += "?status=" + statuses[v.rng.IntN(len(statuses))]
		case x < 3: // quick actions: favourites of the provider
			path += "?favorites=true&provider=" + v.r.cfg.Provider
		}
		v.call(ctx, epLibrary, "GET", path, nil, at)
	case evProgressRead:
		v.call(ctx, epProgress, "GET", "/api/v1/me/progress", nil, at)
	case evHistoryRead:
		limit := "50" // the continue-watching block
		if v.rng.IntN(5) == 0 {
			limit = "100" // the history page
		}
		v.call(ctx, epHistory, "GET", "/api/v1/me/history?limit="+limit, nil, at)
	case evLibraryWrite:
		title := "title-" + strconv.Itoa(1+v.rng.IntN(60))
		body := map[string]any{"status": statuses[v.rng.IntN(len(statuses))]}
		if v.rng.IntN(4) == 0 { // the favourite button
			body["is_favorite"] = v.rng.IntN(2) == 0
		}
		b, _ := json.Marshal(body)
		v.call(ctx, epLibraryPut, "PUT", "/api/v1/me/library/"+title+p, b, at)
	case evRefresh:
		v.refresh(ctx, at)
	case evLogin:
		v.login(ctx, at)
	case evTitlePage:
		v.call(ctx, epTitlePage, "GET", "/api/read/anime/"+v.slug(), nil, at)
	case evEpisodeList:
		v.call(ctx, epEpisodeList, "GET", "/api/v1/anime/"+v.slug()+"/episodes", nil, at)
	}
}

// slug picks a catalog title, every one as likely (the harshest case for
// the read-model cache: no title is popular).
func (v *viewer) slug() string { return v.r.cfg.Slugs[v.rng.IntN(len(v.r.cfg.Slugs))] }

// save sends the player's position, 5 s further than the last one; past
// the end of the episode the viewer moves on to the next one.
func (v *viewer) save(ctx context.Context, at time.Time) {
	cfg := v.r.cfg
	v.pos += cfg.SaveStep
	if v.pos > cfg.EpisodeSeconds {
		v.ep++
		v.pos = cfg.SaveStep
	}
	cua := max(time.Now().UnixMilli(), v.lastCua+1)
	v.lastCua = cua
	episode := v.title + "-ep-" + strconv.Itoa(v.ep)
	body := fmt.Appendf(nil, `{"title_id":%q,"position_seconds":%s,"duration_seconds":%s,"client_updated_at":%d}`,
		v.title, strconv.FormatFloat(v.pos, 'f', -1, 64), strconv.FormatFloat(cfg.EpisodeSeconds, 'f', -1, 64), cua)
	resp, _, ok := v.call(ctx, epSave, "PUT", "/api/v1/me/progress/"+episode+"?provider="+cfg.Provider, body, at)
	if ok && resp != nil {
		v.saved++
		if v.acks != nil {
			v.acks[episode] = ack{pos: v.pos, cua: cua}
		}
	}
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// login starts a new session with the account's password, then reads
// /users/me as the client does after a login.
func (v *viewer) login(ctx context.Context, at time.Time) bool {
	if v.acct.Email == "" {
		return false
	}
	b, _ := json.Marshal(map[string]string{"email": v.acct.Email, "password": v.acct.Password})
	resp, body, ok := v.call(ctx, epLogin, "POST", "/api/v1/auth/login", b, at)
	if !ok || !v.takeTokens(resp, body) {
		return false
	}
	v.call(ctx, epMe, "GET", "/api/v1/users/me", nil, time.Now())
	return true
}

// refresh rotates the session's refresh token; the answer's cookie
// replaces the old one. Without a refresh token it logs in instead.
func (v *viewer) refresh(ctx context.Context, at time.Time) bool {
	if _, rt := v.acct.Tokens(); rt == "" {
		return v.login(ctx, at)
	}
	resp, body, ok := v.call(ctx, epRefresh, "POST", "/api/v1/auth/refresh", nil, at)
	return ok && v.takeTokens(resp, body)
}

func (v *viewer) takeTokens(resp *http.Response, body []byte) bool {
	var t tokenAnswer
	if json.Unmarshal(body, &t) != nil || t.AccessToken == "" {
		return false
	}
	rt := ""
	for _, c := range resp.Cookies() {
		if c.Name == "refresh_token" {
			rt = c.Value
		}
	}
	v.acct.setTokens(t.AccessToken, rt, time.Duration(t.ExpiresIn)*time.Second)
	return true
}

// call sends one request as the client does and records it. A 401 on a
// bearer route makes the tab refresh its session (then log in) so that it
// carries on, as a user reloading the page would.
func (v *viewer) call(ctx context.Context, endpoint, method, path string, body []byte, intended time.Time) (*http.Response, []byte, bool) {
	if endpoint != epLogin && endpoint != epRefresh && !v.reauthing && v.acct.expiresWithin(time.Minute) {
		// A sane client refreshes before its access token runs out (the
		// real one never does and fails with 401 after 15 minutes).
		v.reauthing = true
		if !v.refresh(ctx, time.Now()) {
			v.login(ctx, time.Now())
		}
		v.reauthing = false
	}
	resp, rb, err := v.r.send(ctx, v, endpoint, method, path, body, intended)
	if err != nil || ctx.Err() != nil {
		return nil, nil, false
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if resp.StatusCode == http.StatusUnauthorized && endpoint != epLogin && endpoint != epRefresh && !v.reauthing {
		v.reauthing = true
		now := time.Now()
		if !v.refresh(ctx, now) {
			v.login(ctx, now)
		}
		v.reauthing = false
	}
	return resp, rb, ok
}

// send does the HTTP exchange and records its outcome.
func (r *runner) send(ctx context.Context, v *viewer, endpoint, method, path string, body []byte, intended time.Time) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.BaseURL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json") // the client sends it on every request, GET included
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "Mozilla/5.0 (anirohi-bench viewer)")
	if r.cfg.Origin != "" {
		h.Set("Origin", r.cfg.Origin)
	}
	if r.cfg.ForwardedFor {
		h.Set("X-Forwarded-For", v.ip)
	}
	access, refresh := v.acct.Tokens()
	switch endpoint {
	case epRefresh:
		req.AddCookie(&http.Cookie{Name: "refresh_token", Value: refresh})
	case epLogin:
	default:
		if access != "" {
			h.Set("Authorization", "Bearer "+access)
		}
	}
	r.rec.sent(intended, time.Now())
	resp, err := r.client.Do(req)
	var rb []byte
	if err == nil {
		rb, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
	}
	end := time.Now()
	if ctx.Err() != nil {
		return nil, nil, ctx.Err() // the run was cancelled: not the server's fault
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var errBody []byte
	if err == nil && (status < 200 || status > 299) {
		errBody = rb
	}
	r.rec.done(endpoint, method+" "+path, intended, end, status, err, errBody)
	return resp, rb, err
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
