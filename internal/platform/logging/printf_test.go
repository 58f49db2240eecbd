package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestPrintfWritesEachFormatOncePerOutage(t *testing.T) {
	var buf bytes.Buffer
	p := NewPrintf(Named(New(&buf, slog.LevelInfo, nil), "anirohi.redis"), slog.LevelWarn)
	ctx := context.Background()
	for i := range 50 {
		p.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", i, "connection refused")
	}
	p.Printf(ctx, "redis: other %s", "thing")
	p.Resume()
	p.Resume() // nothing held: no line
	p.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 1, "connection refused")

	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		got = append(got, rec)
	}
	want := []string{
		"redis: connection pool: failed to dial after 0 attempts: connection refused",
		"redis: other thing",
		"repeated messages were not logged",
		"redis: connection pool: failed to dial after 1 attempts: connection refused",
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, rec := range got {
		if rec["message"] != want[i] || rec["level"] != "WARNING" || rec["logger"] != "anirohi.redis" {
			t.Errorf("line %d = %v, want %q at WARNING from anirohi.redis", i, rec, want[i])
		}
	}
	if got[2]["count"] != float64(49) {
		t.Errorf("held back count = %v, want 49", got[2]["count"])
	}
}
