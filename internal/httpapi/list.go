package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/cache"
)

// params collects the problems of one request's path and query values, so
// that all of them are reported together.
type params struct {
	r    *http.Request
	q    url.Values // parsed on first use
	errs []domain.FieldError
}

func (p *params) check(errs []domain.FieldError) { p.errs = append(p.errs, errs...) }

func (p *params) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return domain.Invalid(p.errs...)
}

// get reads a query parameter; ok is false when it is absent. A parameter
// given twice is refused: which one counts would be a guess.
func (p *params) get(name string) (v string, ok bool) {
	if p.q == nil {
		p.q = p.r.URL.Query()
	}
	switch vs := p.q[name]; len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], true
	}
	p.check([]domain.FieldError{{Field: name, Message: "must be given at most once"}})
	return "", false
}

// value reads a query parameter, "" when absent.
func (p *params) value(name string) string {
	v, _ := p.get(name)
	return v
}

// text reads a free-text query filter of at most max characters.
func (p *params) text(name string, max int) string {
	v := p.value(name)
	p.check(domain.CheckText(name, v, max, false))
	return v
}

// provider reads ?provider=, "rpc" when absent.
func (p *params) provider() string {
	v, ok := p.get("provider")
	if !ok {
		return domain.DefaultProvider
	}
	p.check(domain.CheckProvider("provider", v))
	return v
}

// id reads a path id (title or episode).
func (p *params) id(name string) string {
	v := p.r.PathValue(name)
	p.check(domain.CheckID(name, v))
	return v
}

// integer reads an integer parameter from lo to hi, def when absent.
func (p *params) integer(name string, def, lo, hi int) int {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.check([]domain.FieldError{{Field: name, Message: "must be an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}})
		return def
	}
	return n
}

// page reads ?limit= (1..max, def when absent) and ?cursor=.
func (p *params) page(def, max int) domain.Page {
	pg := domain.Page{Limit: p.integer("limit", def, 1, max)}
	if v := p.value("cursor"); v != "" {
		c, ok := decodeCursor(v)
		if !ok {
			p.check([]domain.FieldError{{Field: "cursor", Message: "is not a cursor this API gave out"}})
		}
		pg.After = c
	}
	return pg
}

// boolean reads a flag the way the original did: true/false, 1/0, yes/no, on/off.
func (p *params) boolean(name string) bool {
	switch strings.ToLower(p.value(name)) {
	case "", "false", "0", "no", "off", "f", "n":
		return false
	case "true", "1", "yes", "on", "t", "y":
		return true
	}
	p.check([]domain.FieldError{{Field: name, Message: "must be true or false"}})
	return false
}

// A cursor is opaque to clients: base64url of "<unix microseconds>.<id>".
func encodeCursor(c domain.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

// decodeCursor accepts exactly the cursors encodeCursor gives out.
func decodeCursor(s string) (domain.Cursor, bool) {
	if len(s) > 64 {
		return domain.Cursor{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return domain.Cursor{}, false
	}
	at, id, ok := strings.Cut(string(b), ".")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || micros <= 0 || n <= 0 {
		return domain.Cursor{}, false
	}
	c := domain.Cursor{At: time.UnixMicro(micros).UTC(), ID: n}
	// No row is dated past 9999 (SQLite's time text would not sort), and a
	// cursor spelt another way (line breaks, leading zeros) is not ours.
	if c.At.Year() > 9999 || encodeCursor(c) != s {
		return domain.Cursor{}, false
	}
	return c, true
}

// listResponse is a rendered answer: the JSON (an array for lists), its
// ETag, the next page's cursor ("" on the last page), the total count of a
// catalog list ("" for none), and whether shared caches may keep it (the
// catalog, not a user's data), or where it moved.
type listResponse struct {
	body        []byte // never modified once rendered
	etag, next  string
	total       string
	publicCache bool
	location    string // a 308 to this path (a former slug's answer), no body
}

// convert maps store rows to their response shapes.
func convert[R, T any](rows []R, to func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = to(r)
	}
	return out
}

func renderList[T jsonItem](items []T, next *domain.Cursor) listResponse {
	out := rendered(appendArray(make([]byte, 0, 64+256*len(items)), items))
	if next != nil {
		out.next = encodeCursor(*next)
	}
	return out
}

// renderJSON renders v with encoding/json.
func renderJSON(v any) (listResponse, error) {
	body, err := json.Marshal(v)
	return rendered(body), err
}

// rendered is body with its ETag.
func rendered(body []byte) listResponse {
	sum := sha256.Sum256(body)
	return listResponse{body: append(body, '\n'), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// write answers with the list, X-Next-Cursor when more rows follow, and
// the ETag; a matching If-None-Match gets 304 without a body.
func (l listResponse) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if l.publicCache {
		h.Set("Cache-Control", "public, max-age=60")
	}
	if l.location != "" {
		u := l.location
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		h.Set("Location", u)
		w.WriteHeader(http.StatusPermanentRedirect)
		return
	}
	h.Set("ETag", l.etag)
	if l.next != "" {
		h.Set("X-Next-Cursor", l.next)
	}
	if l.total != "" {
		h.Set("X-Total-Count", l.total)
	}
	if etagMatches(r.Header.Get("If-None-Match"), l.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(l.body)))
	w.WriteHeader(http.StatusOK)
	w.Write(l.body)
}

// lists caches rendered lists per user and kind in Redis (D8). Writes
// invalidate the kinds they change before they answer, so a client reads
// its own writes on any replica. Without Redis nothing is cached: an
// in-process copy could be stale on other replicas.
type lists struct {
	cache   *cache.Redis
	metrics Metrics
}

// serve answers from the cache when it holds the current rendering of the
// list that query (the handler's parsed, validated query) selects;
// otherwise it renders it with load and stores it. The key is the query
// itself, never the raw query string: unknown parameters, defaults spelt
// out and other spellings of a value all read one entry, so junk
// parameters cannot mint keys. (Its JSON is one key per query: the text
// filters are checked to be valid UTF-8.)
func (c lists) serve(w http.ResponseWriter, r *http.Request, kind string, query any, load func() (listResponse, error)) error {
	return c.serveGroup(w, r, kind, cache.Group(kind, principal(r).UserID), query, load)
}

// serveGroup is serve for any group of cached answers; kind names it in
// the hit/miss metric.
func (c lists) serveGroup(w http.ResponseWriter, r *http.Request, kind, group string, query any, load func() (listResponse, error)) error {
	key, kerr := json.Marshal(query)
	if c.cache == nil || kerr != nil {
		l, err := load()
		if err == nil {
			l.write(w, r)
		}
		return err
	}
	ctx := r.Context()
	val, version, ok, err := c.cache.Get(ctx, group, string(key))
	if err == nil && ok {
		if l, ok := decodeListValue(val); ok {
			c.metrics.CacheLookup(kind, true)
			l.write(w, r)
			return nil
		}
	}
	c.metrics.CacheLookup(kind, false)
	l, lerr := load()
	if lerr != nil {
		return lerr
	}
	if err == nil {
		if err := c.cache.Set(ctx, group, string(key), version, encodeListValue(l)); err != nil {
			requestLogger(ctx).WarnContext(ctx, "list cache store failed", slog.String("error", err.Error()))
		}
	}
	l.write(w, r)
	return nil
}

// invalidate drops the caller's cached lists of the kinds a write changed.
func (c lists) invalidate(r *http.Request, kinds ...string) {
	if c.cache == nil {
		return
	}
	groups := make([]string, len(kinds))
	for i, k := range kinds {
		groups[i] = cache.Group(k, principal(r).UserID)
	}
	if err := c.cache.Invalidate(r.Context(), groups...); err != nil {
		requestLogger(r.Context()).WarnContext(r.Context(), "list cache invalidation failed", slog.String("error", err.Error()))
	}
}

// A cached answer is "etag\nnext\ntotal\npublic\nlocation\nbody".
func encodeListValue(l listResponse) []byte {
	public := "0"
	if l.publicCache {
		public = "1"
	}
	return slices.Concat([]byte(l.etag+"\n"+l.next+"\n"+l.total+"\n"+public+"\n"+l.location+"\n"), l.body)
}

func decodeListValue(v []byte) (listResponse, bool) {
	var head [5][]byte
	for i := range head {
		var ok bool
		if head[i], v, ok = bytes.Cut(v, []byte("\n")); !ok {
			return listResponse{}, false
		}
	}
	return listResponse{body: v, etag: string(head[0]), next: string(head[1]), total: string(head[2]),
		publicCache: string(head[3]) == "1", location: string(head[4])}, true
}

// etagMatches implements If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
