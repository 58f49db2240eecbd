package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Batched spends a shared bucket in batches: for a limit whose batch k =
// Burst/20 is at least 2, a request spends from a grant this process holds
// for its key, and only an empty grant asks the shared bucket, for between
// n and max(n, k) requests in one call. Other limits and looks (n = 0) go
// straight to the shared bucket, exact.
//
// The bound: a grant is refilled only when it cannot pay for the request
// at hand, so after any request it holds at most k−1 tokens that the
// shared bucket counts as spent and no request has used. With R replicas a
// client is therefore admitted, in any window, at most R·(k−1) requests
// more than the shared bucket alone would allow (what the grants held when
// the window began), and refused early by at most R·(k−1) (what the
// replicas it no longer reaches hold). For 60 a minute, k = 3: at most 2
// per replica. A grant is forgotten a Period after its reservation, when
// the shared bucket has refilled what it lent, unless the client kept
// spending elsewhere: then those tokens stay spent until its budget is full
// again.
//
// The Result of a request spent from a grant is approximate: the shared
// bucket's Remaining when the grant was reserved plus the grant's tokens
// left (other replicas' spending since is not seen), and its ResetAfter
// counted down since. A refusal is the shared bucket's, with its exact
// RetryAfter; until that time passes this process repeats it without
// asking again (no request can refill the bucket sooner).
type Batched struct {
	shared  Reserver
	now     func() time.Time
	maxKeys int

	mu     sync.Mutex
	grants map[string]*grant
	scanAt time.Time // no walk for forgotten grants before this
	asked  time.Time // when a batched limit's request last went to the shared bucket
}

// heartbeat is the longest Batched answers requests without asking the
// shared bucket: after it, a request answered from its grant also looks at
// its shared bucket (n = 0, nothing spent). A Fallback beneath thus hears
// from this process at least once a second while there is traffic, and
// notices an outage, or its end, as it would without batching. It costs at
// most one call a second.
const heartbeat = time.Second

// NewBatched returns a limiter spending shared in batches, holding grants
// for at most maxKeys keys (more keys go straight to shared); now is the
// clock (time.Now when nil).
func NewBatched(shared Reserver, maxKeys int, now func() time.Time) *Batched {
	if now == nil {
		now = time.Now
	}
	return &Batched{shared: shared, now: now, maxKeys: maxKeys, grants: map[string]*grant{}, asked: now()}
}

// batchSize is how many requests a reservation of l takes: 5% of its
// burst. Below 2 batching saves nothing, and l is not batched.
func batchSize(l Limit) int { return l.Burst / 20 }

// Allow implements Limiter.
func (b *Batched) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	if n == 0 || batchSize(l) < 2 {
		return b.shared.Allow(ctx, key, l, n)
	}
	for {
		now := b.now()
		b.mu.Lock()
		g := b.grantLocked(key, l, now)
		if g == nil { // no room for another grant: exact, unbatched
			b.asked = now
			b.mu.Unlock()
			return b.shared.Allow(ctx, key, l, n)
		}
		if res, ok := g.answer(now, n); ok {
			beat := b.beatLocked(now)
			b.mu.Unlock()
			if beat {
				b.shared.Allow(ctx, key, l, 0) // only to be heard: see heartbeat
			}
			return res, nil
		}
		wait := g.pending
		if wait == nil {
			g.pending = make(chan struct{})
			b.asked = now
			b.mu.Unlock()
			return b.reserve(ctx, key, g, l, n, now)
		}
		b.mu.Unlock()
		select { // another request is refilling the grant: use its answer
		case <-wait:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
}

// beatLocked reports whether a heartbeat is due, and counts it as sent.
func (b *Batched) beatLocked(now time.Time) bool {
	if now.Sub(b.asked) < heartbeat {
		return false
	}
	b.asked = now
	return true
}

// reserve refills g from the shared bucket and spends n of it. g.pending
// is set: no other request of the key reserves meanwhile, so g's tokens
// only fall, and stay below k after the n are spent.
func (b *Batched) reserve(ctx context.Context, key string, g *grant, l Limit, n int, now time.Time) (Result, error) {
	took, res, err := b.shared.Reserve(ctx, key, l, n, max(n, batchSize(l)))
	b.mu.Lock()
	defer b.mu.Unlock()
	close(g.pending)
	g.pending = nil
	if err != nil {
		return Result{}, err
	}
	g.last, g.at, g.refused = res, now, 0
	if res.Allowed {
		g.tokens += took - n
	} else {
		g.refused = n
	}
	res.Remaining += g.tokens
	return res, nil
}

// grantLocked returns key's grant for l, emptied if its reservation is
// older than l.Period, or nil when the table is full of live grants.
func (b *Batched) grantLocked(key string, l Limit, now time.Time) *grant {
	g := b.grants[key]
	if g == nil {
		if len(b.grants) >= b.maxKeys && !makeRoom(b.grants, b.maxKeys, now, &b.scanAt, (*grant).expiry) {
			return nil
		}
		g = &grant{}
		b.grants[key] = g
	}
	if g.limit != l || !now.Before(g.expiry()) {
		g.limit, g.tokens, g.refused, g.last, g.at = l, 0, 0, Result{}, now
	}
	return g
}

// grant is what this process holds of one key's shared bucket.
type grant struct {
	limit   Limit
	tokens  int           // reserved from the shared bucket, not yet spent
	last    Result        // the shared bucket's answer to the last reservation
	at      time.Time     // when that reservation was asked for
	refused int           // the n it refused, or 0
	pending chan struct{} // closed when the reservation in flight ends
}

// expiry is when g is forgotten: a Period after its reservation, when the
// shared bucket would be full again had the client spent nothing since.
func (g *grant) expiry() time.Time { return g.at.Add(g.limit.Period) }

// answer spends n of g's tokens, or repeats the shared bucket's refusal of
// n while it stands. It reports false when g can do neither.
func (g *grant) answer(now time.Time, n int) (Result, bool) {
	elapsed := now.Sub(g.at)
	res := g.last
	res.ResetAfter = max(0, res.ResetAfter-elapsed)
	switch {
	case g.tokens >= n:
		g.tokens -= n
		res.Allowed, res.RetryAfter = true, 0
	case g.refused == n && elapsed < res.RetryAfter:
		res.RetryAfter -= elapsed
	default:
		return Result{}, false
	}
	res.Remaining += g.tokens
	return res, true
}
