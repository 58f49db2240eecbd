package storetest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("created user reads back by id and by email in any case", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, err := s.CreateUser(t.Context(), newUser("Bob.Smith@Example.com"), domain.RoleUser)
		if err != nil {
			t.Fatalf("CreateUser() error = %v", err)
		}
		want := newUser("Bob.Smith@Example.com")
		want.ID = u.ID
		if diff := cmp.Diff(want, u); diff != "" {
			t.Errorf("CreateUser() mismatch (-want +got):\n%s", diff)
		}
		byID, err := s.UserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("UserByID() error = %v", err)
		}
		if diff := cmp.Diff(want, byID); diff != "" {
			t.Errorf("UserByID() mismatch (-want +got):\n%s", diff)
		}
		byEmail, err := s.UserByEmail(t.Context(), "bob.smith@example.COM")
		if err != nil {
			t.Fatalf("UserByEmail() error = %v", err)
		}
		if diff := cmp.Diff(want, byEmail); diff != "" {
			t.Errorf("UserByEmail() mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("duplicate email in another case is a conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, err := s.CreateUser(t.Context(), newUser("bob@example.com")); err != nil {
			t.Fatalf("CreateUser() error = %v", err)
		}
		_, err := s.CreateUser(t.Context(), newUser("BOB@example.com"))
		wantKind(t, "CreateUser(duplicate)", err, domain.KindConflict)
	})

	t.Run("unknown user is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.UserByID(t.Context(), 424242)
		wantKind(t, "UserByID(unknown)", err, domain.KindNotFound)
		_, err = s.UserByEmail(t.Context(), "nobody@example.com")
		wantKind(t, "UserByEmail(unknown)", err, domain.KindNotFound)
	})

	t.Run("unknown role rolls the whole creation back", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.CreateUser(t.Context(), newUser("carol@example.com"), domain.RoleUser, "no-such-role")
		wantKind(t, "CreateUser(unknown role)", err, domain.KindNotFound)
		_, err = s.UserByEmail(t.Context(), "carol@example.com")
		wantKind(t, "UserByEmail(after failed create)", err, domain.KindNotFound)
	})

	t.Run("concurrent registrations of one email: one succeeds, the rest conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.CreateUser(t.Context(), newUser("race@example.com"), domain.RoleUser)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case domain.KindOf(err) != domain.KindConflict:
				t.Errorf("CreateUser() error = %v, want a conflict", err)
			}
		}
		if ok != 1 {
			t.Errorf("successful creations = %d, want 1", ok)
		}
	})
}
