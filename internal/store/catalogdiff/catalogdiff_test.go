package catalogdiff_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

func TestFreeSlug(t *testing.T) {
	for _, c := range []struct {
		taken     int // base, base-1, … base-(taken-1) are in use
		want      string
		wantCalls int
	}{
		{0, "x", 1}, {1, "x-1", 1}, {3, "x-3", 1}, {16, "x-16", 2}, {40, "x-40", 3},
	} {
		var used []string
		for i := range c.taken {
			used = append(used, map[bool]string{true: "x", false: fmt.Sprintf("x-%d", i)}[i == 0])
		}
		calls := 0
		got, err := catalogdiff.FreeSlug("x", 0, func(cands []string) ([]string, error) {
			calls++
			var out []string
			for _, s := range cands {
				if slices.Contains(used, s) {
					out = append(out, s)
				}
			}
			return out, nil
		})
		if err != nil || got != c.want || calls != c.wantCalls {
			t.Errorf("FreeSlug(x, %d taken) = %q, %v in %d calls; want %q in %d", c.taken, got, err, calls, c.want, c.wantCalls)
		}
	}
}
