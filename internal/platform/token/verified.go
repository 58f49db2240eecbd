package token

import (
	"sync"
	"time"
)

// verifiedLimit bounds the remembered tokens: about 3 MB at full size.
const verifiedLimit = 10000

// verified remembers the access tokens that passed verification, so that a
// client's next requests with the same token skip the JSON decoding and the
// HMAC. The keys never change while the process runs, so a remembered
// token stays valid until its expiry, which is checked on every use.
type verified struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	userID, sessionID   int64
	issuedAt, expiresAt time.Time
}

func (v *verified) get(tok string, now time.Time) (verifiedToken, bool) {
	v.mu.RLock()
	t, ok := v.m[tok]
	v.mu.RUnlock()
	return t, ok && now.Before(t.expiresAt)
}

// put remembers t, evicting an arbitrary entry when full.
func (v *verified) put(tok string, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[string]verifiedToken)
	}
	if len(v.m) >= verifiedLimit {
		for k := range v.m { // map order is random: a random victim
			delete(v.m, k)
			break
		}
	}
	v.m[tok] = t
}
