package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// roundTrips counts the statements and batches sent to the server.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// An import costs the same few round trips however many episodes and
// sources it has, reading episodes is one query, and a list counts its
// matches once per catalog change.
func TestCatalogRoundTrips(t *testing.T) {
	counter := &roundTrips{}
	s := pgtest.OpenTraced(t, counter)
	now := time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)
	a := domain.AnimeImport{SourceName: "s", SourceID: "1", Title: "Long", NewID: domain.NewUUID(), SlugBase: "long",
		Names: domain.Names{TitleKey: "long", Search: "\nlong\n"}}
	for i := range 40 {
		e := domain.EpisodeImport{SourceEpisodeID: fmt.Sprint(i), Number: i, Available: true}
		for _, p := range []string{"a", "b"} {
			e.Players = append(e.Players, domain.VideoImport{Type: domain.VideoMP4, URL: fmt.Sprintf("https://%s.example/%d", p, i), SourceName: p})
		}
		a.Episodes = append(a.Episodes, e)
	}
	other := domain.AnimeImport{SourceName: "s", SourceID: "2", Title: "Short", NewID: domain.NewUUID(), SlugBase: "short",
		Names: domain.Names{TitleKey: "short", Search: "\nshort\n"}}
	for _, step := range []struct {
		name string
		want int64 // batches (the first with BEGIN), queries, COMMIT
		call func() error
	}{
		{"first import", 3, func() error { _, err := s.ImportAnime(t.Context(), a, now); return err }}, // and the write
		{"unchanged import", 2, func() error { _, err := s.ImportAnime(t.Context(), a, now); return err }},
		{"episodes", 1, func() error {
			eps, err := s.Episodes(t.Context(), a.NewID)
			if err == nil && (len(eps) != 40 || len(eps[39].Sources) != 2) {
				err = fmt.Errorf("got %d episodes, want 40 with 2 sources each", len(eps))
			}
			return err
		}},
		// the generation, the count and the page; then the count is remembered until the next change
		{"a list", 3, list(t, s, 1)},
		{"the list again", 2, list(t, s, 1)},
		{"another anime", 3, func() error { _, err := s.ImportAnime(t.Context(), other, now); return err }},
		{"the list after it", 3, list(t, s, 2)},
	} {
		counter.n.Store(0)
		if err := step.call(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := counter.n.Load(); got != step.want {
			t.Errorf("%s: %d round trips, want %d", step.name, got, step.want)
		}
	}
}

// list lists the active anime and checks the total.
func list(t *testing.T, s domain.Store, want int) func() error {
	return func() error {
		_, total, err := s.AnimeList(t.Context(), domain.AnimeQuery{ActiveOnly: true, Limit: 10})
		if err == nil && total != want {
			err = fmt.Errorf("total %d, want %d", total, want)
		}
		return err
	}
}
