package httpapi

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

// statementCounter counts the statements sent to PostgreSQL.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Bearer and permission checks cost no database round trip: an
// authenticated library read is exactly its one query, and a progress save
// its one statement.
func TestAuthorizedRequestsCostOneStatement(t *testing.T) {
	counter := &statementCounter{}
	api := newTestAPIOn(t, pgtest.OpenTraced(t, counter))
	api.access.Poll(t.Context()) // the change feed is live, as in the server
	s := api.register("count@example.com", pw)
	api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200) // loads the auth state once
	for _, rq := range []req{
		{path: "/api/v1/me/library", token: s.access},
		{path: "/api/v1/me/library?status=planned&favorites=true", token: s.access},
		{method: "PUT", path: "/api/v1/me/progress/e1", token: s.access, body: progressBody("t", 1, 2)},
		{path: "/api/v1/me/history", token: s.access},
	} {
		before := counter.n.Load()
		api.do(rq).wantStatus(t, 200)
		if got := counter.n.Load() - before; got != 1 {
			t.Errorf("%s %s sent %d statements, want 1", rq.method, rq.path, got)
		}
	}
}
