package tracing

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestTracesURL(t *testing.T) {
	tests := []struct{ endpoint, want string }{
		{"http://collector:4318", "http://collector:4318/v1/traces"},
		{"http://collector:4318/", "http://collector:4318/v1/traces"},
		{"https://otlp.example/tenant-1", "https://otlp.example/tenant-1/v1/traces"},
		{"http://127.0.0.1:4318/v1/traces", "http://127.0.0.1:4318/v1/traces"},
	}
	for _, tt := range tests {
		if got, err := TracesURL(tt.endpoint); got != tt.want || err != nil {
			t.Errorf("TracesURL(%q) = %q, %v; want %q", tt.endpoint, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "collector:4318", "grpc://collector:4317", "http://"} {
		if got, err := TracesURL(bad); err == nil {
			t.Errorf("TracesURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders(" api-key = abc%3D%3D , X-Tenant=anirohi,,")
	if err != nil || h.Get("Api-Key") != "abc==" || h.Get("X-Tenant") != "anirohi" || len(h) != 2 {
		t.Errorf("ParseHeaders() = %v, %v; want api-key abc== and x-tenant anirohi", h, err)
	}
	if h, err := ParseHeaders(""); err != nil || len(h) != 0 {
		t.Errorf("ParseHeaders(\"\") = %v, %v; want none", h, err)
	}
	for _, bad := range []string{"n0value", "=s3cr3t", "a b=c", "k=%zz", "k=a%0D%0AInjected: 1"} {
		if _, err := ParseHeaders(bad); err == nil {
			t.Errorf("ParseHeaders(%q) accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("ParseHeaders(%q) error %q repeats the value", bad, err)
		}
	}
}

// TestSetupExportsOverHTTP runs the real exporter against an OTLP/HTTP
// collector stand-in and decodes what it receives.
func TestSetupExportsOverHTTP(t *testing.T) {
	got := make(chan *coltrace.ExportTraceServiceRequest, 1)
	var calls atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 { // a collector restarting: the export is retried
			w.Header().Set("Retry-After", "0")
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Api-Key") != "k1" {
			t.Errorf("export without the configured header: %v", r.Header)
		}
		if r.Method != "POST" || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("collector got %s %s (%s), want POST /v1/traces as protobuf", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.NotFound(w, r)
			return
		}
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("export body is not an ExportTraceServiceRequest: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		select {
		case got <- &req:
		default:
		}
	}))
	defer collector.Close()

	tr, err := Setup(t.Context(), Config{Enabled: true, ServiceName: "anirohi-test", ServiceVersion: "1.2.3", Endpoint: collector.URL, Headers: http.Header{"Api-Key": {"k1"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Provider.Tracer("test").Start(t.Context(), "GET /health")
	span.End()
	if err := tr.Shutdown(t.Context()); err != nil { // flushes the batch
		t.Fatalf("Shutdown() = %v", err)
	}
	var req *coltrace.ExportTraceServiceRequest
	select {
	case req = <-got:
	default:
		t.Fatal("the collector received no export")
	}
	var names []string
	service := ""
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.Resource.Attributes {
			if a.Key == "service.name" {
				service = a.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
			}
		}
	}
	if calls.Load() != 2 {
		t.Errorf("collector saw %d exports, want 2 (one refused with 503, one retried)", calls.Load())
	}
	if service != "anirohi-test" || len(names) != 1 || names[0] != "GET /health" {
		t.Errorf("exported service %q, spans %q; want anirohi-test with one GET /health", service, names)
	}
}
