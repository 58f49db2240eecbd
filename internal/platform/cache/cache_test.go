package cache

import (
	"context"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/platform/redistest"
)

func TestGetSetInvalidate(t *testing.T) {
	c := NewRedis(redistest.Client(t), "test:"+time.Now().Format("150405.000000")+":", time.Minute)
	ctx := context.Background()
	g := Group("library", 7)
	if _, _, ok, err := c.Get(ctx, g, "q"); ok || err != nil {
		t.Fatalf("Get on an empty cache = ok %v, %v", ok, err)
	}
	_, v, _, _ := c.Get(ctx, g, "q")
	if err := c.Set(ctx, g, "q", v, []byte("body-1")); err != nil {
		t.Fatal(err)
	}
	got, _, ok, err := c.Get(ctx, g, "q")
	if err != nil || !ok || string(got) != "body-1" {
		t.Fatalf("Get after Set = %q, %v, %v", got, ok, err)
	}
	if _, _, ok, _ := c.Get(ctx, Group("library", 8), "q"); ok {
		t.Error("another user's group sees the value")
	}
	if err := c.Invalidate(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := c.Get(ctx, g, "q"); ok {
		t.Error("value survived Invalidate")
	}
}

// A reader that read the database before a write and stores after the
// write's invalidation must not hide the write.
func TestLateStoreCannotHideAWrite(t *testing.T) {
	c := NewRedis(redistest.Client(t), "test:"+time.Now().Format("150405.000000")+":", time.Minute)
	ctx := context.Background()
	g := Group("progress", 1)
	_, before, _, _ := c.Get(ctx, g, "q") // the reader starts
	c.Invalidate(ctx, g)                  // a write lands
	c.Set(ctx, g, "q", before, []byte("stale"))
	if got, _, ok, _ := c.Get(ctx, g, "q"); ok {
		t.Errorf("Get after a late store = %q, want a miss", got)
	}
}
