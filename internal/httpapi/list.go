package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// params collects the problems of one request's path and query values, so
// that all of them are reported together.
type params struct {
	r    *http.Request
	errs []domain.FieldError
}

func (p *params) check(errs []domain.FieldError) { p.errs = append(p.errs, errs...) }

func (p *params) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return domain.Invalid(p.errs...)
}

// provider reads ?provider=, "rpc" when absent.
func (p *params) provider() string {
	v, ok := p.r.URL.Query()["provider"]
	if !ok {
		return domain.DefaultProvider
	}
	p.check(domain.CheckProvider("provider", v[0]))
	return v[0]
}

// id reads a path id (title or episode).
func (p *params) id(name string) string {
	v := p.r.PathValue(name)
	p.check(domain.CheckID(name, v))
	return v
}

// page reads ?limit= (1..max, def when absent) and ?cursor=.
func (p *params) page(def, max int) domain.Page {
	q := p.r.URL.Query()
	pg := domain.Page{Limit: def}
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			p.check([]domain.FieldError{{Field: "limit", Message: "must be an integer from 1 to " + strconv.Itoa(max)}})
		}
		pg.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
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
	switch strings.ToLower(p.r.URL.Query().Get(name)) {
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
	return domain.Cursor{At: time.UnixMicro(micros).UTC(), ID: n}, true
}

// writeList answers a list: the JSON array, X-Next-Cursor when more rows
// follow, and an ETag; a matching If-None-Match gets 304 without a body.
func writeList[T jsonItem](w http.ResponseWriter, r *http.Request, items []T, next *domain.Cursor) error {
	body := appendArray(make([]byte, 0, 64+256*len(items)), items)
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	if next != nil {
		h.Set("X-Next-Cursor", encodeCursor(*next))
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body = append(body, '\n')
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
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
