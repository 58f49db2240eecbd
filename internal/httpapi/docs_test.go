package httpapi

import (
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
	api := newTestAPI(t, withDocs())
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
