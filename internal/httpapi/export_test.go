package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

// seedHeavy gives the user n library items, n progress rows and n history
// entries, straight through the store (one transaction).
func seedHeavy(t testing.TB, s domain.Store, userID int64, n int) {
	t.Helper()
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	items := make([]domain.LegacyItem, 0, 2*n)
	for i := range n {
		title := fmt.Sprintf("a-rather-long-anime-title-%05d", i)
		items = append(items, domain.LegacyItem{TitleID: title, At: at.Add(time.Duration(i) * time.Second)},
			domain.LegacyItem{TitleID: title, EpisodeID: title + "-episode-01", Position: 600.5, Duration: 1440, At: at.Add(time.Duration(i) * time.Second)})
	}
	if _, err := s.ImportLegacy(t.Context(), userID, "rpc", items); err != nil {
		t.Fatal(err)
	}
}

// heapSampler is a ResponseWriter that keeps no body: it hashes and counts
// what is written, and at each write measures the live heap (after a
// collection), keeping the highest.
type heapSampler struct {
	header http.Header
	status int
	sum    hash.Hash
	bytes  int
	writes int
	peak   uint64
}

func newHeapSampler() *heapSampler {
	return &heapSampler{header: http.Header{}, sum: sha256.New()}
}

func (h *heapSampler) Header() http.Header { return h.header }
func (h *heapSampler) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heapSampler) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.sum.Write(b)
	h.bytes += len(b)
	h.writes++
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapAlloc)
	return len(b), nil
}

// The export of a heavy account is complete and valid, and serving it
// keeps memory flat: the live heap at any write grows by far less than
// the document. On both engines.
func TestExportOfAHeavyAccountKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 15,000 rows")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			api := newTestAPI(t)
			if engine == "postgres" {
				api = newTestAPIOn(t, pgtest.Open(t))
			}
			testHeavyExport(t, api)
		})
	}
}

func testHeavyExport(t *testing.T, api *testAPI) {
	const n = 5000
	s := api.register("heavy@example.com", pw)
	seedHeavy(t, api.store, api.userID("heavy@example.com"), n)

	r := api.do(req{path: "/api/v1/me/export", token: s.access}).wantStatus(t, http.StatusOK)
	var ex exportResponse
	r.json(t, &ex)
	if len(ex.Library) != n || len(ex.Progress) != n || len(ex.History) != n || len(ex.Sessions) != 1 {
		t.Fatalf("export has %d library, %d progress, %d history, %d sessions; want %d, %d, %d, 1",
			len(ex.Library), len(ex.Progress), len(ex.History), len(ex.Sessions), n, n, n)
	}
	if got, want := r.Header().Get("Content-Disposition"), `attachment; filename="anirohi-export.json"`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	whole := sha256.Sum256(r.Body.Bytes())
	size := r.Body.Len()
	ex, r = exportResponse{}, response{}

	w := newHeapSampler()
	rq := httptest.NewRequest("GET", "/api/v1/me/export", nil)
	rq.Header.Set("Authorization", "Bearer "+s.access)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	api.srv.ServeHTTP(w, rq)
	runtime.ReadMemStats(&after)
	if w.status != http.StatusOK || w.bytes != size || [sha256.Size]byte(w.sum.Sum(nil)) != whole {
		t.Fatalf("second export: status %d, %d bytes, want the same %d-byte document", w.status, w.bytes, size)
	}
	growth := int64(w.peak) - int64(before.HeapAlloc)
	t.Logf("document %d bytes in %d writes; peak live heap growth %d bytes; allocated %d bytes",
		size, w.writes, growth, after.TotalAlloc-before.TotalAlloc)
	if growth > int64(size)/10 {
		t.Errorf("peak live heap grew by %d bytes while serving a %d-byte export, want under a tenth of it", growth, size)
	}
}

// wholeExport is the document as the handler wrote it before it streamed:
// every row gathered, converted, and encoded at once.
func wholeExport(t *testing.T, api *testAPI, userID, currentSession int64) []byte {
	t.Helper()
	ex, err := storetest.ExportAll(t.Context(), api.store, userID, api.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(exportResponse{User: toMe(ex.User, ex.Access),
		Library: convert(ex.Library, toLibraryItem), Progress: convert(ex.Progress, toProgress),
		History: convert(ex.History, toHistory), Sessions: convert(ex.Sessions, sessionOf(currentSession))})
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// currentSession is the id of the session a token belongs to.
func currentSession(t *testing.T, api *testAPI, access string) int64 {
	t.Helper()
	var list []sessionResponse
	api.do(req{path: "/api/v1/auth/sessions", token: access}).wantStatus(t, 200).json(t, &list)
	for _, s := range list {
		if s.Current {
			return s.ID
		}
	}
	t.Fatal("no current session")
	return 0
}

// The streamed export is byte for byte the document encoding/json made of
// the whole export: for an empty account, a small one with awkward
// values, and one of many chunks.
func TestExportIsTheWholeDocumentByteForByte(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 891234000, time.UTC)
	tests := []struct {
		name  string
		fill  func(t *testing.T, s domain.Store, userID int64)
		chunk bool // longer than one chunk: sent without Content-Length
	}{
		{"nothing but a session", func(*testing.T, domain.Store, int64) {}, false},
		{"awkward values", func(t *testing.T, s domain.Store, userID int64) {
			notes := "<b>\"quoted\" & \\ \u2028 line\nbreak \xff ünï</b>"
			for _, provider := range []string{"rpc", "aniliberty"} {
				if _, err := s.PutLibraryItem(t.Context(), userID, provider, "t<&>", domain.LibraryPatch{Notes: &notes, SetNotes: true, Score: ptrTo(10), SetScore: true}, at); err != nil {
					t.Fatal(err)
				}
				for i, pos := range []float64{0, 1e-7, 0.1 + 0.2, 604800} {
					p := domain.Progress{UserID: userID, Provider: provider, TitleID: "t", EpisodeID: fmt.Sprint("e", i), Position: pos, Duration: pos / 3, ClientUpdatedAt: int64(i) * 1700000000000}
					if _, _, err := s.SaveProgress(t.Context(), p, at.Add(time.Duration(i)*time.Microsecond)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := s.PutLibraryItem(t.Context(), userID, "rpc", "plain", domain.LibraryPatch{}, at); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"many chunks", func(t *testing.T, s domain.Store, userID int64) { seedHeavy(t, s, userID, 300) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newTestAPI(t)
			old := api.register("old@example.com", pw)
			api.do(req{method: "POST", path: "/api/v1/auth/logout-all", token: old.access}).wantStatus(t, 200) // a revoked session
			s := api.sessionFrom(api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"old@example.com", pw},
				header: map[string]string{"User-Agent": `Mozilla/5.0 "quoted" <agent>`}}).wantStatus(t, 200))
			id := api.userID("old@example.com")
			tt.fill(t, api.store, id)

			r := api.do(req{path: "/api/v1/me/export", token: s.access}).wantStatus(t, http.StatusOK)
			want := wholeExport(t, api, id, currentSession(t, api, s.access))
			if got := r.Body.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("export differs from the whole document:\n got %.600s\nwant %.600s", got, want)
			}
			if got, want := r.Header().Get("Content-Length") == "", tt.chunk; got != want {
				t.Errorf("no Content-Length = %v, want %v (%d bytes)", got, want, r.Body.Len())
			}
			if got := r.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// failingExport is a store whose Export fails after handing over a given
// number of rows (0: before the user).
type failingExport struct {
	domain.Store
	after int
}

var errExportBroke = errors.New("the disk is on fire")

func (s failingExport) Export(ctx context.Context, userID int64, w domain.ExportWriter) error {
	return s.Store.Export(ctx, userID, &failingWriter{ExportWriter: w, left: s.after})
}

type failingWriter struct {
	domain.ExportWriter
	left int
}

func (w *failingWriter) row() error {
	if w.left == 0 {
		return errExportBroke
	}
	w.left--
	return nil
}

func (w *failingWriter) User(u domain.User, a domain.Access) error {
	if err := w.row(); err != nil {
		return err
	}
	return w.ExportWriter.User(u, a)
}

func (w *failingWriter) LibraryItem(it domain.LibraryItem) error {
	if err := w.row(); err != nil {
		return err
	}
	return w.ExportWriter.LibraryItem(it)
}

// An export that fails before its first chunk went out is an ordinary
// error answer; one that fails later cuts the connection, so the client
// gets a broken transfer, not a complete-looking 200.
func TestExportFailure(t *testing.T) {
	base := newTestAPI(t)
	id := func(api *testAPI) int64 { return api.userID("fail@example.com") }
	s := base.register("fail@example.com", pw)
	seedHeavy(t, base.store, id(base), 1000) // about 200 KB of library rows

	for _, after := range []int{0, 1, 50} { // 50 rows is less than a chunk
		t.Run(fmt.Sprintf("before the first chunk, after %d rows", after), func(t *testing.T) {
			api := newAPI(t, failingExport{base.store, after}, base.clock)
			r := api.do(req{path: "/api/v1/me/export", token: s.access})
			r.wantError(t, http.StatusInternalServerError, "INTERNAL_ERROR", "An unexpected error occurred")
			if r.Header().Get("Content-Disposition") != "" {
				t.Error("an error answer is offered as the export download")
			}
			if !strings.Contains(api.logs.String(), errExportBroke.Error()) {
				t.Errorf("the cause is not logged:\n%s", api.logs.String())
			}
		})
	}

	t.Run("after the first chunk", func(t *testing.T) {
		api := newAPI(t, failingExport{base.store, 800}, base.clock)
		srv := httptest.NewServer(api.srv)
		defer srv.Close()
		rq, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v1/me/export", nil)
		rq.Header.Set("Authorization", "Bearer "+s.access)
		resp, err := srv.Client().Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) || len(body) < exportChunk {
			t.Errorf("status %d, read error %v after %d bytes; want 200, then the transfer cut after a chunk", resp.StatusCode, err, len(body))
		}
		if json.Valid(body) {
			t.Error("the cut-short body is a valid document")
		}
		srv.Close() // waits for the handler, and its logging, to end
		logs := api.logs.String()
		if !strings.Contains(logs, `"message":"export cut short"`) || !strings.Contains(logs, errExportBroke.Error()) || !strings.Contains(logs, `"aborted":true`) {
			t.Errorf("the cut is not logged with its cause and an aborted access line:\n%s", logs)
		}
	})
}

// smallBuffers makes every accepted connection's send buffer small, so a
// client that stops reading blocks the server's writes at once.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// A client that stops reading holds the export, and with it the store's
// snapshot and its connection, only until the request timeout, not for as
// long as it likes.
func TestExportToAStalledClientEndsAtTheRequestTimeout(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			store := newTestAPI(t).store
			if engine == "postgres" {
				store = pgtest.Open(t)
			}
			testStalledExport(t, store)
		})
	}
}

func testStalledExport(t *testing.T, store domain.Store) {
	const timeout = 300 * time.Millisecond
	m := &inFlight{}
	api := newAPIWith(t, store, &testClock{now: time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)}, []func(*Deps){func(d *Deps) { d.Metrics = m }},
		withConfig(func(c *Config) { c.RequestTimeout = timeout }))
	s := api.register("stall@example.com", pw)
	seedHeavy(t, api.store, api.userID("stall@example.com"), 300) // about 200 KB
	srv := httptest.NewUnstartedServer(api.srv)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	start := time.Now()
	fmt.Fprintf(conn, "GET /api/v1/me/export HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n\r\n", s.access)
	head := make([]byte, 64)
	if _, err := io.ReadFull(conn, head); err != nil || !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) {
		t.Fatalf("response starts %q (%v), want a 200", head, err)
	}
	// Read no more: the server's writes block, and the handler must end anyway.
	for m.n.Load() > 0 && time.Since(start) < 20*timeout {
		time.Sleep(10 * time.Millisecond)
	}
	if n, held := m.n.Load(), time.Since(start); n > 0 || held > 10*timeout {
		t.Errorf("a stalled client kept %d exports going for %v, want none after the %v request timeout", n, held, timeout)
	}
	conn.Close()
	srv.Close()
	if logs := api.logs.String(); !strings.Contains(logs, `"message":"export cut short"`) {
		t.Errorf("the cut is not logged:\n%s", logs)
	}
}
