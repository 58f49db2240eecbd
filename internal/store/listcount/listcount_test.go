package listcount

import (
	"errors"
	"strconv"
	"testing"
)

// fake is a database: its generation now, and how often it was counted.
type fake struct {
	gen, countedAt int64 // countedAt: the generation the count's snapshot reads
	n, counts      int
}

func (f *fake) total(t *testing.T, m *Memo, key string) int {
	t.Helper()
	n, err := m.Total(key, func() (int64, error) { return f.gen, nil },
		func() (int64, int, error) { f.counts++; return f.countedAt, f.n, nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTotalIsCountedOncePerGeneration(t *testing.T) {
	var m Memo
	db := &fake{gen: 1, countedAt: 1, n: 10}
	if n := db.total(t, &m, "a"); n != 10 || db.counts != 1 {
		t.Fatalf("first total = %d after %d counts, want 10 after 1", n, db.counts)
	}
	db.n = 99 // a change would move the generation; this one did not
	if n := db.total(t, &m, "a"); n != 10 || db.counts != 1 {
		t.Fatalf("same generation: total = %d after %d counts, want the remembered 10 after 1", n, db.counts)
	}
	if db.total(t, &m, "b"); db.counts != 2 {
		t.Fatalf("another filter was not counted (%d counts)", db.counts)
	}
	db.gen, db.countedAt, db.n = 2, 2, 11
	if n := db.total(t, &m, "a"); n != 11 || db.counts != 3 {
		t.Fatalf("new generation: total = %d after %d counts, want 11 after 3", n, db.counts)
	}
}

func TestTotalCountedAtAnOlderGenerationIsNotKept(t *testing.T) {
	var m Memo
	db := &fake{gen: 5, countedAt: 5, n: 1}
	db.total(t, &m, "a")
	// A slow count whose snapshot read generation 4 answers its caller, but
	// neither replaces generation 5's totals nor is served at generation 4.
	db.countedAt, db.n = 4, 7
	if n := db.total(t, &m, "b"); n != 7 {
		t.Fatalf("total = %d, want the count's 7", n)
	}
	db.gen = 4
	if db.total(t, &m, "b"); db.counts != 3 {
		t.Fatalf("a total of an older generation was remembered (%d counts, want 3)", db.counts)
	}
	db.gen, db.n = 5, 1
	if n := db.total(t, &m, "a"); n != 1 || db.counts != 3 {
		t.Fatalf("generation 5's total was lost: %d after %d counts", n, db.counts)
	}
}

func TestTotalKeepsAtMostMaxEntries(t *testing.T) {
	var m Memo
	db := &fake{gen: 1, countedAt: 1}
	for i := range MaxEntries + 10 {
		db.total(t, &m, strconv.Itoa(i))
	}
	if len(m.totals) != MaxEntries {
		t.Fatalf("%d totals kept, want %d", len(m.totals), MaxEntries)
	}
	before := db.counts
	db.total(t, &m, strconv.Itoa(MaxEntries+5))
	db.total(t, &m, "0")
	if db.counts != before+1 {
		t.Fatalf("%d counts for one filter past the bound and one within it, want 1", db.counts-before)
	}
}

func TestTotalErrorsAreNotRemembered(t *testing.T) {
	var m Memo
	boom := errors.New("boom")
	if _, err := m.Total("a", func() (int64, error) { return 0, boom }, nil); !errors.Is(err, boom) {
		t.Fatalf("generation error = %v", err)
	}
	if _, err := m.Total("a", func() (int64, error) { return 1, nil },
		func() (int64, int, error) { return 1, 3, boom }); !errors.Is(err, boom) {
		t.Fatalf("count error = %v", err)
	}
	db := &fake{gen: 1, countedAt: 1, n: 4}
	if n := db.total(t, &m, "a"); n != 4 || db.counts != 1 {
		t.Fatalf("after errors: total = %d after %d counts, want 4 after 1", n, db.counts)
	}
}

func TestKeyTellsFiltersApart(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range []string{
		Key("a = ?", []any{1}), Key("a = ?", []any{"1"}), Key("a = ?", []any{2}),
		Key("a = ? AND b = ?", []any{1, 2}), Key("a = ?", nil), Key("b = ?", []any{1}),
	} {
		if keys[k] {
			t.Fatalf("key %q repeats", k)
		}
		keys[k] = true
	}
}
