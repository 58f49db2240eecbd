// Package openapitest holds HTTP exchanges of the test suites to the
// OpenAPI document (api/openapi.yaml): every request a test sends and every
// response it gets is validated, so that a field added in code but not in
// the document fails the tests. Only tests import it.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/anirohi/anirohi-api/api"
)

var (
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
)

// Document loads and checks the document once per test binary.
func Document(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	once.Do(func() {
		for _, ct := range []string{"text/html", "text/css", "text/javascript"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
		loader := openapi3.NewLoader()
		if doc, err = loader.LoadFromData(api.OpenAPI); err != nil {
			return
		}
		if err = doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
			return
		}
		// The router matches paths alone: the document's server is
		// relative ("/"), which kin-openapi matches only against a
		// relative URL, not a client's http://127.0.0.1:port/...
		paths := *doc
		paths.Servers = nil
		router, err = legacy.NewRouter(&paths)
	})
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return doc, router
}

var options = &openapi3filter.Options{
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true,
	MultiError:            true,
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
}

// Check validates one exchange. The response is always checked: its
// status, headers and body must be documented. The request is checked when
// the server accepted it (status below 400): tests send invalid requests on
// purpose. Paths the document does not know must have been answered 404 or
// 405, or 429 once their address spent its global limit (or be a test's own
// route under /test/).
func Check(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	t.Helper()
	_, router := Document(t)
	if strings.HasPrefix(req.URL.Path, "/test/") {
		return
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, ferr := router.FindRoute(r)
	if ferr != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed && status != http.StatusTemporaryRedirect &&
			status != http.StatusTooManyRequests && !(req.Method == http.MethodOptions || req.Method == http.MethodHead) {
			t.Errorf("openapi: %s %s answered %d but is not in the document: %v", req.Method, req.URL.Path, status, ferr)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options}
	if status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("openapi: request %s %s does not match the document: %v", req.Method, req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: options}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("openapi: response %d to %s %s does not match the document: %v\nbody: %.300s", status, req.Method, req.URL, err, respBody)
	}
}

// Transport is an http.RoundTripper that checks every exchange through it.
type Transport struct {
	T    testing.TB
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	Check(tr.T, req, reqBody, resp.StatusCode, resp.Header, respBody)
	return resp, nil
}
