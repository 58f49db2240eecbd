// Package listcount remembers the totals of catalog lists (X-Total-Count)
// while the catalog does not change. Each engine keeps a generation number
// that every change a total can see (an anime added or removed, its
// activity, year, status, source or search text, its genres) moves in the
// changing transaction. A total counted in the snapshot that read generation g holds
// wherever the generation still reads g, so a remembered total is never
// stale, on any replica: a list costs its page query and a one-row read
// instead of a count of every match.
package listcount

import (
	"fmt"
	"sync"
)

// MaxEntries bounds the totals kept for one generation (each is a few
// dozen bytes); the filters past it are counted every time.
const MaxEntries = 4096

// Memo holds the totals of one generation. The zero value is ready.
type Memo struct {
	mu     sync.Mutex
	gen    int64
	totals map[string]int
}

// Key names a filter by its SQL condition and parameters.
func Key(cond string, args []any) string {
	return fmt.Sprintf("%s\x00%#v", cond, args)
}

// Total returns the total of the filter key: remembered if it was counted at
// the generation that gen reads now, otherwise from count, which reports the
// generation its own snapshot read beside the total.
func (m *Memo) Total(key string, gen func() (int64, error), count func() (int64, int, error)) (int, error) {
	g, err := gen()
	if err != nil {
		return 0, err
	}
	if n, ok := m.get(g, key); ok {
		return n, nil
	}
	g, n, err := count()
	if err != nil {
		return 0, err
	}
	m.put(g, key, n)
	return n, nil
}

func (m *Memo) get(gen int64, key string) (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen {
		return 0, false
	}
	n, ok := m.totals[key]
	return n, ok
}

// put keeps a total of generation gen; an older one than those kept is
// dropped, a newer one replaces them all.
func (m *Memo) put(gen int64, key string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case gen < m.gen:
		return
	case gen > m.gen || m.totals == nil:
		m.gen, m.totals = gen, map[string]int{}
	}
	if len(m.totals) < MaxEntries {
		m.totals[key] = n
	}
}
