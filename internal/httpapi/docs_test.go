package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/api"
	"github.com/anirohi/anirohi-api/internal/openapitest"
)

func withDocs() apiOption { return withConfig(func(c *Config) { c.Docs = api.OpenAPI }) }

// Every route of routes.go is in the document, and every operation of the
// document is routed.
func TestDocumentCoversEveryRoute(t *testing.T) {
	doc, _ := openapitest.Document(t)
	api := newTestAPI(t, withDocs(), withParser()) // the internal routes exist with a token
	routed := map[string]bool{}
	table := append(api.srv.routeTable(), route{pattern: "GET /metrics"}) // routed when metrics are on
	docs, _ := docsRoutes(api.srv.cfg.Docs)
	for _, rt := range append(table, docs...) {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.TrimSuffix(path, "{$}")
		routed[method+" "+path] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s %s is not in api/openapi.yaml", method, path)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routed[method+" "+path] {
				t.Errorf("api/openapi.yaml documents %s %s, which is not routed", method, path)
			}
		}
	}
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

func TestDocsPages(t *testing.T) {
	api := newTestAPI(t, withDocs())
	for _, page := range []string{"/docs", "/redoc"} {
		r := api.do(req{path: page}).wantStatus(t, 200)
		body := r.Body.String()
		if !strings.Contains(r.Header().Get("Content-Type"), "text/html") || !strings.Contains(r.Header().Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: content type %q, CSP %q", page, r.Header().Get("Content-Type"), r.Header().Get("Content-Security-Policy"))
		}
		if inlineScript.MatchString(body) || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("%s has an inline script or loads from another host:\n%s", page, body)
		}
		for _, src := range regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			if a := api.do(req{path: src[1]}); a.Code != 200 || a.Body.Len() < 200 {
				t.Errorf("%s references %s, answered %d with %d bytes", page, src[1], a.Code, a.Body.Len())
			}
		}
	}
	spec := api.do(req{path: "/openapi.json"}).wantStatus(t, 200)
	if !strings.Contains(spec.Body.String(), `"openapi":"3.0.3"`) {
		t.Errorf("/openapi.json = %.200s", spec.Body.String())
	}
	api.do(req{path: "/docs/assets/nope.js"}).wantError(t, 404, "NOT_FOUND", "Not Found")
}

// The large assets are embedded gzipped: sent as they are to a client that
// accepts gzip, decompressed to one that does not, the same bytes either way.
func TestDocsAssetsGzipped(t *testing.T) {
	api := newTestAPI(t, withDocs())
	for _, name := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"} {
		path := "/docs/assets/" + name
		plain := api.do(req{path: path}).wantStatus(t, 200)
		zipped := api.do(req{path: path, header: map[string]string{"Accept-Encoding": "br, gzip;q=0.8"}}).wantStatus(t, 200)
		if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: Content-Encoding %q without gzip, %q (Vary %q) with it; want none, then gzip with Vary",
				name, plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"), zipped.Header().Get("Vary"))
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) || len(unzipped) < 100_000 {
			t.Errorf("%s: gzipped body decompresses to %d bytes (%v), the plain one has %d", name, len(unzipped), err, plain.Body.Len())
		}
		if ct := zipped.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/") {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		api.do(req{path: path + ".gz"}).wantStatus(t, 404)
	}
	if r := api.do(req{path: "/docs/assets/swagger-init.js", header: map[string]string{"Accept-Encoding": "gzip"}}).wantStatus(t, 200); r.Header().Get("Content-Encoding") != "" {
		t.Error("swagger-init.js, stored plain, was sent with a Content-Encoding")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "gzip, deflate, br": true, "br;q=1.0, gzip;q=0.5": true,
		"gzip;q=0": false, "gzip; q=0.0": false, "identity": false, "*": true, "*;q=0": false, "gzip;q=0, *": false, "br, *;q=0.1": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestDocsOffWithoutDebug(t *testing.T) {
	api := newTestAPI(t)
	for _, path := range []string{"/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"} {
		api.do(req{path: path}).wantStatus(t, 404)
	}
}

// documentOperations counts the operations of the document.
func documentOperations(t *testing.T) (int, error) {
	doc, _ := openapitest.Document(t)
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	return n, nil
}
