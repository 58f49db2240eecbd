package tracing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// httpClient is an otlptrace.Client that POSTs OTLP/HTTP protobuf
// (ExportTraceServiceRequest) to a collector's /v1/traces.
//
// It stands in for otlptracehttp, whose configuration package and the
// generated collector package both import gRPC: linking gRPC brings
// golang.org/x/net/trace, whose html/template makes the linker keep every
// exported method of every type, about 13 MB of the binary.
type httpClient struct {
	url    string
	header http.Header
	client *http.Client
}

// Retries of a refused export (429, 502, 503, 504 or a transport error),
// as the OTLP specification recommends, within the export's deadline.
const (
	exportTimeout  = 10 * time.Second // of one attempt (OTLP's default)
	firstRetry     = 500 * time.Millisecond
	maxRetryWait   = 5 * time.Second
	maxExportTries = 5
)

func newHTTPExporter(ctx context.Context, url string, header http.Header) (*otlptrace.Exporter, error) {
	c := &httpClient{url: url, header: header, client: &http.Client{Timeout: exportTimeout}}
	return otlptrace.New(ctx, c)
}

func (c *httpClient) Start(context.Context) error { return nil }

func (c *httpClient) Stop(context.Context) error {
	c.client.CloseIdleConnections()
	return nil
}

// UploadTraces sends one batch, retrying while the collector is briefly
// unavailable and ctx allows.
func (c *httpClient) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	body, err := marshalExport(spans)
	if err != nil {
		return err
	}
	wait := firstRetry
	for try := 1; ; try++ {
		retryAfter, err := c.post(ctx, body)
		if err == nil || retryAfter < 0 || try == maxExportTries {
			return err
		}
		if retryAfter > 0 {
			wait = min(retryAfter, maxRetryWait)
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// post sends body once. A failure worth retrying comes with retryAfter ≥ 0
// (the collector's Retry-After, or 0); any other failure with -1.
func (c *httpClient) post(ctx context.Context, body []byte) (retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return -1, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, err
		}
		return 0, fmt.Errorf("OTLP export: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10)) // a partial-success body is ignored
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		s, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return time.Duration(max(s, 0)) * time.Second, fmt.Errorf("OTLP export: collector answered %s", resp.Status)
	}
	return -1, fmt.Errorf("OTLP export: collector answered %s: %s", resp.Status, bytes.TrimSpace(msg))
}

// marshalExport encodes an ExportTraceServiceRequest, whose only field is
// `repeated ResourceSpans resource_spans = 1`.
func marshalExport(spans []*tracepb.ResourceSpans) ([]byte, error) {
	var b []byte
	for _, rs := range spans {
		m, err := proto.Marshal(rs)
		if err != nil {
			return nil, fmt.Errorf("OTLP export: %w", err)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}
