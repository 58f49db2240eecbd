package ratelimit

import "time"

// rescanEvery spaces the walks of a table that stays nearly full, so that
// a flood cannot make every request walk all of it.
const rescanEvery = time.Second

// makeRoom drops the entries of table whose time (until) has passed, which
// changes nothing, and reports whether there is room for one more of
// maxKeys. *scanAt is when the next walk may be: a table left more than
// three quarters full is walked again after rescanEvery at the soonest, or
// once its soonest entry passes.
func makeRoom[V any](table map[string]V, maxKeys int, now time.Time, scanAt *time.Time, until func(V) time.Time) bool {
	if now.Before(*scanAt) {
		return false
	}
	var soonest time.Time
	for k, v := range table {
		switch at := until(v); {
		case !at.After(now):
			delete(table, k)
		case soonest.IsZero() || at.Before(soonest):
			soonest = at
		}
	}
	*scanAt = time.Time{}
	if len(table) > maxKeys*3/4 { // little freed: wait before the next walk
		*scanAt = now.Add(rescanEvery)
		if soonest.After(*scanAt) {
			*scanAt = soonest
		}
	}
	return len(table) < maxKeys
}
