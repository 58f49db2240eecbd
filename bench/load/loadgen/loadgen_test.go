package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is just enough of the Anirohi API for the viewer loop: tokens
// are "access-N" / "refresh-N-G", progress rows live in memory, and saves
// of users in lose are acknowledged but not kept.
type fakeAPI struct {
	mu       sync.Mutex
	progress map[string]map[string]storedProgress // user → episode → row
	refresh  map[string]string                    // live refresh token → user
	lose     map[string]bool
	calls    map[string]int
	badCT    int
	gen      int
}

func newFake() *fakeAPI {
	return &fakeAPI{progress: map[string]map[string]storedProgress{}, refresh: map[string]string{},
		lose: map[string]bool{}, calls: map[string]int{}}
}

func (f *fakeAPI) user(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer access-")
}

func (f *fakeAPI) tokens(w http.ResponseWriter, user string) {
	f.gen++
	rt := fmt.Sprintf("refresh-%s-%d", user, f.gen)
	f.refresh[rt] = user
	http.SetCookie(w, &http.Cookie{Name: "refresh_token", Value: rt, Path: "/api/v1/auth"})
	json.NewEncoder(w).Encode(map[string]any{"access_token": "access-" + user, "token_type": "bearer", "expires_in": 900})
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/json" {
		f.badCT++
	}
	path := r.URL.Path
	key := r.Method + " " + path
	if strings.HasPrefix(path, "/api/v1/me/progress/") {
		key = r.Method + " /api/v1/me/progress/{episode_id}"
	}
	if strings.HasPrefix(path, "/api/v1/me/library/") {
		key = r.Method + " /api/v1/me/library/{title_id}"
	}
	if slug, ok := strings.CutPrefix(path, "/api/read/anime/"); ok {
		key = r.Method + " /api/read/anime/{slug}"
		f.calls["title "+slug]++
	}
	if slug, ok := strings.CutSuffix(strings.TrimPrefix(path, "/api/v1/anime/"), "/episodes"); ok && path != slug {
		key = r.Method + " /api/v1/anime/{slug}/episodes"
		f.calls["episodes "+slug]++
	}
	f.calls[key]++
	switch {
	case key == "POST /api/v1/auth/login":
		var in struct{ Email, Password string }
		json.NewDecoder(r.Body).Decode(&in)
		if in.Password != "pw" {
			w.WriteHeader(401)
			return
		}
		f.tokens(w, strings.TrimSuffix(in.Email, "@example.com"))
	case key == "POST /api/v1/auth/refresh":
		c, err := r.Cookie("refresh_token")
		if err != nil || f.refresh[c.Value] == "" {
			w.WriteHeader(401)
			return
		}
		u := f.refresh[c.Value]
		delete(f.refresh, c.Value)
		f.tokens(w, u)
	case key == "PUT /api/v1/me/progress/{episode_id}":
		var in struct {
			TitleID  string  `json:"title_id"`
			Position float64 `json:"position_seconds"`
			Duration float64 `json:"duration_seconds"`
			CUA      int64   `json:"client_updated_at"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.TitleID == "" || in.Duration != 1440 {
			w.WriteHeader(400)
			return
		}
		u, ep := f.user(r), strings.TrimPrefix(path, "/api/v1/me/progress/")
		if !f.lose[u] {
			if f.progress[u] == nil {
				f.progress[u] = map[string]storedProgress{}
			}
			cua := in.CUA
			f.progress[u][ep] = storedProgress{EpisodeID: ep, PositionSeconds: in.Position, ClientUpdatedAt: &cua}
		}
		w.Write([]byte(`{}`))
	case key == "GET /api/v1/me/progress":
		// page by 2 so that the verification follows X-Next-Cursor
		var rows []storedProgress
		for _, p := range f.progress[f.user(r)] {
			rows = append(rows, p)
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].EpisodeID < rows[j].EpisodeID })
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		to := min(from+2, len(rows))
		if to < len(rows) {
			w.Header().Set("X-Next-Cursor", strconv.Itoa(to))
		}
		json.NewEncoder(w).Encode(rows[from:to])
	case key == "GET /api/v1/anime": // a catalog of fakeTitles titles
		q := r.URL.Query()
		skip, _ := strconv.Atoi(q.Get("skip"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		items := []map[string]string{}
		for i := skip; i < min(skip+limit, fakeTitles); i++ {
			items = append(items, map[string]string{"slug": "anime-" + strconv.Itoa(i), "title": "Anime"})
		}
		json.NewEncoder(w).Encode(items)
	default:
		w.Write([]byte(`[]`))
	}
}

const fakeTitles = 250

func TestFetchSlugs(t *testing.T) {
	srv := httptest.NewServer(newFake())
	defer srv.Close()
	for _, max := range []int{250, 1000, 120} {
		slugs, err := FetchSlugs(context.Background(), srv.Client(), srv.URL, max)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(max, fakeTitles); len(slugs) != want || slugs[0] != "anime-0" || slugs[want-1] != "anime-"+strconv.Itoa(want-1) {
			t.Errorf("max %d: %d slugs, want %d in catalog order: %v…", max, len(slugs), want, slugs[:min(3, len(slugs))])
		}
	}
}

func TestViewersReadTheCatalog(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig(srv.URL, 3)
	cfg.Rates = Rates{TitlePage: 1200, EpisodeList: 1200}
	cfg.VerifyWrites = false
	s, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["GET /api/read/anime/{slug}"]+f.calls["GET /api/v1/anime/{slug}/episodes"] != 0 {
		t.Fatalf("catalog reads without a catalog: %v", f.calls)
	}
	cfg.Slugs = []string{"a", "b"}
	if s, err = Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"title a", "title b", "episodes a", "episodes b"} {
		if f.calls[k] == 0 {
			t.Errorf("no %s in %v", k, f.calls)
		}
	}
	got := map[string]uint64{}
	for _, e := range s.Endpoints {
		got[e.Endpoint] = e.Count
	}
	if got[epTitlePage] == 0 || got[epEpisodeList] == 0 || s.Errors() != 0 {
		t.Errorf("endpoints %v, errors %d", got, s.Errors())
	}
}

func accounts(n int) []*Account {
	var out []*Account
	for i := range n {
		u := "u" + strconv.Itoa(i)
		out = append(out, NewAccount(u+"@example.com", "pw", "access-"+u, "refresh-"+u+"-0"))
	}
	return out
}

func testConfig(url string, n int) Config {
	return Config{BaseURL: url, Viewers: n, Ramp: 50 * time.Millisecond, Duration: 600 * time.Millisecond,
		SaveEvery: 20 * time.Millisecond, Rates: Rates{LibraryRead: 60, ProgressRead: 60, HistoryRead: 60, LibraryWrite: 60, Refresh: 120, Login: 30},
		RateScale: 1, Accounts: accounts(n), VerifyWrites: true, Seed: 1}
}

func TestRunRecordsAndVerifies(t *testing.T) {
	f := newFake()
	for i := range 4 {
		rt := fmt.Sprintf("refresh-u%d-0", i)
		f.refresh[rt] = "u" + strconv.Itoa(i)
	}
	f.lose["u2"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()

	s, err := Run(context.Background(), testConfig(srv.URL, 4))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	s.Markdown(&sb)
	t.Log("\n" + sb.String())
	if s.Errors() != 0 {
		t.Errorf("errors: %d %v", s.Errors(), s.ErrorSamples)
	}
	got := map[string]uint64{}
	for _, e := range s.Endpoints {
		got[e.Endpoint] = e.Count
	}
	for _, ep := range []string{epSave, epProgress, epLibrary, epLibraryPut, epHistory, epRefresh} {
		if got[ep] == 0 {
			t.Errorf("no %s in %v", ep, got)
		}
	}
	if s.Overall.Count == 0 || s.Overall.P95Ms <= 0 {
		t.Errorf("overall = %+v", s.Overall)
	}
	if f.badCT != 0 {
		t.Errorf("%d requests without Content-Type: application/json", f.badCT)
	}
	v := s.Verify
	if v == nil || v.Unreadable != 0 {
		t.Fatalf("verify = %+v", v)
	}
	if v.Missing == 0 || v.OK() {
		t.Errorf("the lost saves of u2 were not reported: %+v", v)
	}
	for _, l := range v.Lost {
		if l.Email != "u2@example.com" {
			t.Errorf("lost write reported for %s", l.Email)
		}
	}
}

func TestVerifyCatchesRewind(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig(srv.URL, 2)
	cfg.Rates = Rates{}
	s, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Verify.OK() {
		t.Fatalf("verify = %+v", s.Verify)
	}
	// rewind one stored row: the same check now fails
	r := &runner{cfg: cfg, client: http.DefaultClient}
	r.cfg.defaults()
	f.mu.Lock()
	for ep, p := range f.progress["u1"] {
		old := *p.ClientUpdatedAt - 1
		f.progress["u1"][ep] = storedProgress{EpisodeID: ep, PositionSeconds: p.PositionSeconds - 5, ClientUpdatedAt: &old}
	}
	f.mu.Unlock()
	v := newViewer(r, 1)
	v.acks = map[string]ack{}
	for ep, p := range f.progress["u1"] {
		v.acks[ep] = ack{pos: p.PositionSeconds + 5, cua: *p.ClientUpdatedAt + 1}
	}
	res := r.verify(context.Background(), []*viewer{v})
	if res.Missing != len(v.acks) || res.Lost[0].Reason != "older than acknowledged" {
		t.Errorf("rewind not caught: %+v", res)
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 10000; i++ {
		h.record(time.Duration(i) * time.Microsecond * 10) // 10 µs .. 100 ms
	}
	for q, want := range map[float64]float64{0.5: 50, 0.95: 95, 0.99: 99} {
		got := h.quantile(q)
		if got < want*0.98 || got > want*1.02 {
			t.Errorf("q%.2f = %.3f ms, want ≈ %.0f", q, got, want)
		}
	}
	if h.quantile(1) != 100 {
		t.Errorf("max = %v", h.quantile(1))
	}
	for us := int64(0); us < 1<<30; us = us*3/2 + 1 {
		if i := bucketOf(us); upperOf(i) < us || (i > 0 && upperOf(i-1) >= us) {
			t.Fatalf("bucket %d of %d: upper %d, previous upper %d", i, us, upperOf(i), upperOf(i-1))
		}
	}
}

func TestParseAccountsAndRates(t *testing.T) {
	in := "# comment\nbench-1@example.com:pa:ss\tACC\tREF\n\nbench-2@example.com:pw\nTOKEN\n"
	a, err := ParseAccounts(strings.NewReader(in))
	if err != nil || len(a) != 3 {
		t.Fatal(a, err)
	}
	acc, ref := a[0].Tokens()
	if a[0].Email != "bench-1@example.com" || a[0].Password != "pa:ss" || acc != "ACC" || ref != "REF" {
		t.Errorf("line 1 = %+v", a[0])
	}
	if acc, _ := a[1].Tokens(); a[1].Email != "bench-2@example.com" || acc != "" {
		t.Errorf("line 2 = %+v", a[1])
	}
	if acc, _ := a[2].Tokens(); a[2].Email != "" || acc != "TOKEN" {
		t.Errorf("line 3 = %+v", a[2])
	}
	r, err := ParseRates("login=0.5, refresh=0", DefaultRates)
	if err != nil || r.Login != 0.5 || r.Refresh != 0 || r.LibraryRead != DefaultRates.LibraryRead {
		t.Errorf("rates = %+v %v", r, err)
	}
	if _, err := ParseRates("bogus=1", DefaultRates); err == nil {
		t.Error("bogus rate accepted")
	}
	if back, _ := ParseRates(DefaultRates.String(), Rates{}); back != DefaultRates {
		t.Errorf("round trip = %+v", back)
	}
	if pm := DefaultRates.PerMinute(5 * time.Second); pm < 15 || pm > 20 {
		t.Errorf("default viewer makes %.1f requests a minute", pm)
	}
}
