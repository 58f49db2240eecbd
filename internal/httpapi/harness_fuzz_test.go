package httpapi

// The harness shared by the HTTP fuzz targets (*_fuzz_test.go): one real
// server per target (built outside f.Fuzz and reused by every input), a
// request path that lets through only what net/http itself would hand to
// the handler, and the invariants every response must hold.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/anirohi/anirohi-api/internal/openapitest"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// fuzzAPI is a test API shared by every input of one fuzz target. Inputs
// run one after another in a worker process, so the state they leave
// behind (rows, sessions) is what the next input meets; targets keep it
// bounded (fixed ids, restoring what an input changed).
type fuzzAPI struct {
	api  *testAPI
	logs *fuzzLog
}

// fuzzLog keeps the server log of the current input only, to show it when
// the input fails (a 500's panic and stack are logged, not sent).
type fuzzLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *fuzzLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 1<<20 {
		l.buf.Reset()
	}
	return l.buf.Write(p)
}

func (l *fuzzLog) reset() {
	l.mu.Lock()
	l.buf.Reset()
	l.mu.Unlock()
}

func (l *fuzzLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newFuzzAPI builds the API on SQLite, or on PostgreSQL when
// FUZZ_POSTGRES=1 (with TEST_POSTGRES_URL, see pgtest).
func newFuzzAPI(f *testing.F, opts ...apiOption) *fuzzAPI {
	f.Helper()
	var api *testAPI
	if onPostgres {
		api = newTestAPIOn(f, pgtest.Open(f), opts...)
	} else {
		api = newTestAPI(f, opts...)
	}
	logs := &fuzzLog{}
	api.srv.log = logging.New(logs, slog.LevelInfo, nil)
	return &fuzzAPI{api: api, logs: logs}
}

// fuzzReq is one request as it would arrive on the wire.
type fuzzReq struct {
	method string
	target string      // request-target: path and query, as on the request line
	header [][2]string // extra header lines, in order
	token  string      // bearer token, "" for none
	json   bool        // send body with Content-Type: application/json (an empty body too)
	body   []byte
}

func (rq fuzzReq) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rq.method, rq.target)
	for _, h := range rq.header {
		fmt.Fprintf(&b, "\n%s: %q", h[0], h[1])
	}
	if rq.json {
		fmt.Fprintf(&b, "\nbody %s", clipQ(rq.body, 600))
	}
	return b.String()
}

// fuzzResp is the server's answer.
type fuzzResp struct {
	code   int
	header http.Header
	body   []byte
}

func clipQ(b []byte, n int) string {
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + fmt.Sprintf("... (%d bytes)", len(b))
	}
	return strconv.Quote(string(b))
}

// validHeaderValue is net/http's server rule for a field value: no control
// characters but horizontal tab (httpguts.ValidHeaderFieldValue).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// send parses the request with net/http's own reader and serves it. ok is
// false, and nothing was served, when net/http would have refused the
// request before any handler (bad request line, target or header value):
// fuzzed bytes a real client cannot deliver are skipped, not reported.
func (fa *fuzzAPI) send(t *testing.T, rq fuzzReq) (fuzzResp, bool) {
	t.Helper()
	var raw bytes.Buffer
	raw.WriteString(rq.method + " " + rq.target + " HTTP/1.1\r\nHost: example.com\r\n")
	if rq.token != "" {
		rq.header = append(rq.header, [2]string{"Authorization", "Bearer " + rq.token})
	}
	for _, h := range rq.header {
		if !validHeaderValue(h[1]) {
			return fuzzResp{}, false
		}
		raw.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	if rq.json {
		raw.WriteString("Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(rq.body)) + "\r\n")
	}
	raw.WriteString("\r\n")
	raw.Write(rq.body)
	r, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil {
		return fuzzResp{}, false
	}
	for _, vs := range r.Header {
		for _, v := range vs {
			if !validHeaderValue(v) {
				return fuzzResp{}, false
			}
		}
	}
	r.RemoteAddr = "192.0.2.1:1234"
	fa.logs.reset()
	w := httptest.NewRecorder()
	fa.api.srv.ServeHTTP(w, r)
	res := fuzzResp{code: w.Code, header: w.Header(), body: w.Body.Bytes()}

	// The exchange must match api/openapi.yaml (requests are checked when
	// the server accepted them).
	col := &collectTB{TB: t}
	var body []byte
	if rq.json {
		body = rq.body
	}
	openapitest.Check(col, r, body, res.code, res.header, res.body)
	for _, e := range col.errs {
		t.Errorf("%s\n\nrequest:\n%s\nresponse %d: %s", e, rq, res.code, clipQ(res.body, 600))
	}
	return res, true
}

// collectTB gathers the errors openapitest reports, so that they are shown
// with the request that caused them.
type collectTB struct {
	testing.TB
	errs []string
}

func (c *collectTB) Helper() {}
func (c *collectTB) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// errorCodes is the error code each status must carry.
var errorCodes = map[int]string{
	400: "VALIDATION_ERROR", 401: "AUTHENTICATION_ERROR", 403: "AUTHORIZATION_ERROR", 404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
	429: "RATE_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE",
}

// check holds the invariants of every response: a status of the allowed
// ones (never a 500), the trace id, any error in the D2 envelope with the
// code of its status (400s listing their fields), any success valid JSON.
// It returns false when the response broke one (the input already failed).
func (fa *fuzzAPI) check(t *testing.T, rq fuzzReq, res fuzzResp, allowed ...int) bool {
	t.Helper()
	fail := func(format string, args ...any) bool {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		extra := ""
		if res.code >= 500 {
			extra = "\nserver log:\n" + fa.logs.String()
		}
		t.Errorf("%s\n\nrequest:\n%s\nresponse %d: %s%s", msg, rq, res.code, clipQ(res.body, 600), extra)
		return false
	}
	if res.code >= 500 {
		return fail("server error")
	}
	if !slices.Contains(allowed, res.code) {
		return fail("status %d, want one of %v", res.code, allowed)
	}
	traceID := res.header.Get("X-Trace-ID")
	if traceID == "" {
		return fail("no X-Trace-ID")
	}
	if res.code >= 400 {
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			return fail("error Content-Type %q", ct)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(res.body, &env); err != nil {
			return fail("error body is not a JSON object: %v", err)
		}
		var e struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
			TraceID *string `json:"trace_id"`
			Details []struct {
				Field   *string `json:"field"`
				Message *string `json:"message"`
			} `json:"details"`
		}
		var detail *string
		if len(env) != 2 || env["error"] == nil || env["detail"] == nil {
			return fail("error body keys are not exactly error and detail")
		}
		if err := json.Unmarshal(env["error"], &e); err != nil || json.Unmarshal(env["detail"], &detail) != nil {
			return fail("error envelope has wrong types: %v", err)
		}
		switch {
		case e.Code == nil || e.Message == nil || e.TraceID == nil || detail == nil:
			return fail("error envelope misses code, message, trace_id or detail")
		case *e.Code != errorCodes[res.code]:
			return fail("error code %q for status %d, want %q", *e.Code, res.code, errorCodes[res.code])
		case *e.Message == "" || *detail != *e.Message:
			return fail("detail %q is not error.message %q", *detail, *e.Message)
		case *e.TraceID != traceID:
			return fail("trace_id %q is not X-Trace-ID %q", *e.TraceID, traceID)
		case res.code == 400 && len(e.Details) == 0:
			return fail("a 400 without details")
		}
		for _, d := range e.Details {
			if d.Field == nil || d.Message == nil || *d.Field == "" || *d.Message == "" {
				return fail("a detail without field or message")
			}
		}
		return true
	}
	if res.code == http.StatusNotModified {
		if len(res.body) != 0 {
			return fail("304 with a body")
		}
		return true
	}
	if !json.Valid(res.body) {
		return fail("success body is not JSON")
	}
	return true
}

// expect fails the input with the exchange shown.
func expect(t *testing.T, ok bool, rq fuzzReq, res fuzzResp, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf("%s\n\nrequest:\n%s\nresponse %d: %s", fmt.Sprintf(format, args...), rq, res.code, clipQ(res.body, 600))
	}
	return ok
}

// decodeAs runs the handlers' decoder on body, as a handler would.
func decodeAs[T any](body []byte) (T, error) {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return decode[T](r)
}

// unmarshalOK decodes a success body, failing the input when it does not
// have the expected shape.
func unmarshalOK(t *testing.T, rq fuzzReq, res fuzzResp, v any) bool {
	t.Helper()
	return expect(t, json.Unmarshal(res.body, v) == nil, rq, res, "success body does not decode into %T", v)
}

// addBytes adds seeds given as strings to a target of one []byte.
func addBytes(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// nastyJSON are bodies the body targets are seeded with: not objects,
// broken syntax, deep nesting, huge numbers, wrong types, odd bytes (all of
// them for FuzzDecodeBody, nastyFew for the HTTP targets).
var nastyJSON = []string{
	``, ` `, `null`, `[]`, `"{}"`, `{`, `}`, `{}`, `{}{}`, `{} x`, `{"a":1,}`, `{'a':1}`,
	"\ufeff{}", "\x00{}", "{}\x00", "\t\r\n {} \n",
	`{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`,
	strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100),
	`{"x":1e999}`, `{"x":-0}`, `{"x":NaN}`, `{"x":"NaN"}`, `{"x":Infinity}`, `{"x":0x10}`,
	`{"x":"\ud800"}`, "{\"x\":\"\xff\xfe\"}", `{"x":"\u0000"}`, "{\"x\":\"a\x01b\"}",
}

// onPostgres is set when the targets run on PostgreSQL.
var onPostgres = os.Getenv("FUZZ_POSTGRES") == "1"

// foldedKey finds a key of the object body that is not one of fields but
// equal to one under Unicode case folding (as encoding/json matches).
func foldedKey(body []byte, fields []string) (string, bool) {
	var v map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &v) != nil {
		return "", false
	}
	for k := range v {
		if !slices.Contains(fields, k) && slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, k) }) {
			return k, true
		}
	}
	return "", false
}

var nastyFew = []string{
	``, `null`, `[]`, `{`, `{}{}`, "\x00{}", `{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`,
	`{"x":1e999}`, `{"x":"\ud800"}`, "{\"x\":\"\xff\xfe\"}",
}
