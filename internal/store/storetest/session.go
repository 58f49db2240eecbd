package storetest

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

var hashSeq sync.Mutex
var hashN int

// newHash returns a distinct 32-byte digest.
func newHash() []byte {
	hashSeq.Lock()
	defer hashSeq.Unlock()
	hashN++
	d := sha256.Sum256(fmt.Appendf(nil, "token-%d", hashN))
	return d[:]
}

const ttl = 30 * 24 * time.Hour

func mustCreateSession(t *testing.T, s domain.Store, userID int64, at time.Time) (domain.Session, []byte) {
	t.Helper()
	h := newHash()
	sess, err := s.CreateSession(t.Context(),
		domain.Session{UserID: userID, CreatedAt: at, LastUsedAt: at, ExpiresAt: at.Add(ttl), UserAgent: "ua/1", IP: "10.0.0.1"},
		domain.RefreshToken{Hash: h, CreatedAt: at, ExpiresAt: at.Add(ttl)})
	if err != nil {
		t.Fatalf("CreateSession() error = %v", err)
	}
	return sess, h
}

func nextToken(at time.Time) domain.RefreshToken {
	return domain.RefreshToken{Hash: newHash(), CreatedAt: at, ExpiresAt: at.Add(ttl)}
}

func testSessions(t *testing.T, open Opener) {
	t.Run("created session is listed and in the auth state", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s, domain.RoleUser)
		sess, h := mustCreateSession(t, s, u.ID, now)
		want := domain.Session{ID: sess.ID, UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(ttl), UserAgent: "ua/1", IP: "10.0.0.1"}
		if diff := cmp.Diff(want, sess); diff != "" {
			t.Errorf("CreateSession() mismatch (-want +got):\n%s", diff)
		}
		list, err := s.Sessions(t.Context(), u.ID, now)
		if err != nil || len(list) != 1 || list[0] != want {
			t.Errorf("Sessions() = %+v, %v; want [%+v]", list, err, want)
		}
		tok, owner, err := s.RefreshToken(t.Context(), h)
		if err != nil {
			t.Fatalf("RefreshToken() error = %v", err)
		}
		if tok.SessionID != sess.ID || !tok.RotatedAt.IsZero() || owner != want {
			t.Errorf("RefreshToken() = %+v, %+v", tok, owner)
		}
		st, err := s.AuthState(t.Context(), u.ID, now)
		if err != nil {
			t.Fatalf("AuthState() error = %v", err)
		}
		wantState := domain.AuthState{
			User:     domain.User{ID: u.ID, Email: u.Email, Active: true, CreatedAt: now, UpdatedAt: now},
			Access:   domain.Access{Roles: []string{domain.RoleUser}, Permissions: userPerms},
			Sessions: []int64{sess.ID},
			LoadedAt: now,
		}
		if diff := cmp.Diff(wantState, st); diff != "" {
			t.Errorf("AuthState() mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("session of an unknown user is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.CreateSession(t.Context(), domain.Session{UserID: 4242, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(ttl)}, nextToken(now))
		wantKind(t, "CreateSession(unknown user)", err, domain.KindNotFound)
		_, err = s.AuthState(t.Context(), 4242, now)
		wantKind(t, "AuthState(unknown user)", err, domain.KindNotFound)
	})

	t.Run("rotation replaces the current token and extends the session", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		sess, h := mustCreateSession(t, s, u.ID, now)
		later := now.Add(time.Hour)
		next := nextToken(later)
		got, err := s.RotateRefreshToken(t.Context(), h, next, later, "10.0.0.2", "ua/2")
		if err != nil {
			t.Fatalf("RotateRefreshToken() error = %v", err)
		}
		want := domain.Session{ID: sess.ID, UserID: u.ID, CreatedAt: now, LastUsedAt: later, ExpiresAt: later.Add(ttl), UserAgent: "ua/2", IP: "10.0.0.2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RotateRefreshToken() mismatch (-want +got):\n%s", diff)
		}
		old, _, _ := s.RefreshToken(t.Context(), h)
		if !old.RotatedAt.Equal(later) {
			t.Errorf("old token RotatedAt = %v, want %v", old.RotatedAt, later)
		}
		cur, _, _ := s.RefreshToken(t.Context(), next.Hash)
		if cur.SessionID != sess.ID || !cur.RotatedAt.IsZero() {
			t.Errorf("new token = %+v, want current in session %d", cur, sess.ID)
		}
		_, err = s.RotateRefreshToken(t.Context(), h, nextToken(later), later, "", "")
		wantKind(t, "RotateRefreshToken(already rotated)", err, domain.KindUnauthenticated)
	})

	t.Run("rotation is refused for unknown, expired, revoked and disabled", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		_, expired := mustCreateSession(t, s, u.ID, now)
		revoked, revokedHash := mustCreateSession(t, s, u.ID, now)
		if err := s.RevokeSession(t.Context(), u.ID, revoked.ID, now); err != nil {
			t.Fatal(err)
		}
		off := mustCreateUser(t, s)
		_, offHash := mustCreateSession(t, s, off.ID, now)
		if _, err := s.SetUserActive(t.Context(), off.ID, false, now, nil); err != nil {
			t.Fatal(err)
		}
		cases := map[string]struct {
			hash []byte
			at   time.Time
		}{
			"unknown":  {newHash(), now},
			"expired":  {expired, now.Add(ttl)},
			"revoked":  {revokedHash, now},
			"disabled": {offHash, now},
		}
		for name, c := range cases {
			_, err := s.RotateRefreshToken(t.Context(), c.hash, nextToken(c.at), c.at, "", "")
			wantKind(t, "RotateRefreshToken("+name+")", err, domain.KindUnauthenticated)
		}
	})

	t.Run("of concurrent rotations with one token exactly one succeeds", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		_, h := mustCreateSession(t, s, u.ID, now)
		const n = 24
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.RotateRefreshToken(t.Context(), h, nextToken(now), now, "", "")
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case domain.KindOf(err) != domain.KindUnauthenticated:
				t.Errorf("RotateRefreshToken() error = %v, want unauthenticated", err)
			}
		}
		if ok != 1 {
			t.Errorf("successful rotations = %d, want exactly 1", ok)
		}
	})

	t.Run("revocation is scoped to the owner and live sessions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := mustCreateUser(t, s), mustCreateUser(t, s)
		s1, _ := mustCreateSession(t, s, a.ID, now)
		s2, _ := mustCreateSession(t, s, a.ID, now)
		s3, _ := mustCreateSession(t, s, a.ID, now)
		other, _ := mustCreateSession(t, s, b.ID, now)
		wantKind(t, "RevokeSession(other user's)", s.RevokeSession(t.Context(), a.ID, other.ID, now), domain.KindNotFound)
		if err := s.RevokeSession(t.Context(), a.ID, s1.ID, now); err != nil {
			t.Fatalf("RevokeSession() error = %v", err)
		}
		wantKind(t, "RevokeSession(again)", s.RevokeSession(t.Context(), a.ID, s1.ID, now), domain.KindNotFound)
		n, err := s.RevokeSessions(t.Context(), a.ID, s3.ID, now, nil)
		if err != nil || n != 1 {
			t.Errorf("RevokeSessions(keep %d) = %d, %v; want 1 (only %d)", s3.ID, n, err, s2.ID)
		}
		list, _ := s.Sessions(t.Context(), a.ID, now)
		if len(list) != 1 || list[0].ID != s3.ID {
			t.Errorf("live sessions = %+v, want only %d", list, s3.ID)
		}
		st, _ := s.AuthState(t.Context(), a.ID, now)
		if !cmp.Equal(st.Sessions, []int64{s3.ID}) {
			t.Errorf("AuthState sessions = %v, want [%d]", st.Sessions, s3.ID)
		}
		if list, _ := s.Sessions(t.Context(), b.ID, now); len(list) != 1 {
			t.Errorf("other user's sessions = %d, want 1 untouched", len(list))
		}
	})

	t.Run("a user keeps at most MaxSessionsPerUser live sessions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		first, _ := mustCreateSession(t, s, u.ID, now)
		for i := 1; i <= domain.MaxSessionsPerUser; i++ {
			mustCreateSession(t, s, u.ID, now.Add(time.Duration(i)*time.Second))
		}
		list, _ := s.Sessions(t.Context(), u.ID, now.Add(time.Hour))
		if len(list) != domain.MaxSessionsPerUser {
			t.Fatalf("live sessions = %d, want %d", len(list), domain.MaxSessionsPerUser)
		}
		for _, sess := range list {
			if sess.ID == first.ID {
				t.Error("the oldest session survived the limit")
			}
		}
	})

	t.Run("purge removes expired and long-revoked rows", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		_, oldHash := mustCreateSession(t, s, u.ID, now.Add(-ttl-time.Hour))
		revoked, revokedHash := mustCreateSession(t, s, u.ID, now)
		s.RevokeSession(t.Context(), u.ID, revoked.ID, now)
		_, liveHash := mustCreateSession(t, s, u.ID, now)
		n, err := s.PurgeExpired(t.Context(), now.Add(time.Minute), now.Add(time.Second))
		if err != nil || n < 2 {
			t.Errorf("PurgeExpired() = %d, %v; want at least the two sessions", n, err)
		}
		for name, h := range map[string][]byte{"expired": oldHash, "revoked": revokedHash} {
			_, _, err := s.RefreshToken(t.Context(), h)
			wantKind(t, "RefreshToken("+name+" after purge)", err, domain.KindNotFound)
		}
		if _, _, err := s.RefreshToken(t.Context(), liveHash); err != nil {
			t.Errorf("live token purged: %v", err)
		}
	})

	t.Run("password hash and active flag change", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		later := now.Add(time.Minute)
		if err := s.SetPasswordHash(t.Context(), u.ID, "$argon2id$new", later); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetUserActive(t.Context(), u.ID, false, later, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := s.UserByID(t.Context(), u.ID)
		if got.PasswordHash != "$argon2id$new" || got.Active || !got.UpdatedAt.Equal(later) {
			t.Errorf("user = %+v, want the new hash, inactive, updated at %v", got, later)
		}
		wantKind(t, "SetPasswordHash(unknown)", s.SetPasswordHash(t.Context(), 4242, "x", later), domain.KindNotFound)
		_, err := s.SetUserActive(t.Context(), 4242, true, later, nil)
		wantKind(t, "SetUserActive(unknown)", err, domain.KindNotFound)
	})
}

func testAuthChanges(t *testing.T, open Opener) {
	t.Run("auth changes are recorded by the writes that change auth state", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		changed := func(since time.Time) ([]int64, time.Time) {
			t.Helper()
			ids, dbNow, err := s.AuthChanges(t.Context(), since)
			if err != nil {
				t.Fatalf("AuthChanges() error = %v", err)
			}
			slices.Sort(ids)
			return ids, dbNow
		}
		ids, start := changed(time.Time{})
		if len(ids) != 0 || start.IsZero() {
			t.Fatalf("AuthChanges() on a new store = %v at %v, want none and the database time", ids, start)
		}
		a, b, c, d := mustCreateUser(t, s), mustCreateUser(t, s), mustCreateUser(t, s), mustCreateUser(t, s)
		sa, _ := mustCreateSession(t, s, a.ID, now)
		mustCreateSession(t, s, b.ID, now)
		mustCreateSession(t, s, d.ID, now) // creating a session is no change
		if ids, _ := changed(start); len(ids) != 0 {
			t.Fatalf("changes after creating users and sessions = %v, want none", ids)
		}
		must(t, s.RevokeSession(t.Context(), a.ID, sa.ID, now))
		if _, err := s.RevokeSessions(t.Context(), b.ID, 0, now, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetUserActive(t.Context(), c.ID, false, now, nil); err != nil {
			t.Fatal(err)
		}
		s.RevokeSessions(t.Context(), c.ID, 0, now, nil) // c has none now: no change
		ids, mid := changed(start)
		if want := []int64{a.ID, b.ID, c.ID}; !slices.Equal(ids, want) {
			t.Errorf("changed users = %v, want %v", ids, want)
		}
		if !mid.After(start) {
			t.Errorf("database time did not advance: %v then %v", start, mid)
		}
		if ids, _ := changed(mid.Add(time.Second)); len(ids) != 0 {
			t.Errorf("changes after a later instant = %v, want none", ids)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
