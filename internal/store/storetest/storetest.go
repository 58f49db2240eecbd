// Package storetest is the contract every domain.Store must meet. Each
// engine's tests call Run; the behaviour lives here once.
package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Opener returns an empty, migrated store owned by t.
type Opener func(t *testing.T) domain.Store

// Run runs the whole contract.
func Run(t *testing.T, open Opener) {
	t.Run("users", func(t *testing.T) { testUsers(t, open) })
	t.Run("roles", func(t *testing.T) { testRoles(t, open) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("auth changes", func(t *testing.T) { testAuthChanges(t, open) })
	t.Run("library", func(t *testing.T) { testLibrary(t, open) })
	t.Run("watch", func(t *testing.T) { testWatch(t, open) })
	t.Run("admin", func(t *testing.T) { testAdmin(t, open) })
	t.Run("export", func(t *testing.T) { testExport(t, open) })
	t.Run("installation", func(t *testing.T) { testInstallationID(t, open) })
	t.Run("catalog", func(t *testing.T) { testCatalog(t, open) })
	t.Run("catalog admin", func(t *testing.T) { testCatalogAdmin(t, open) })
}

// now is a fixed instant with microseconds, the precision both engines keep.
var now = time.Date(2026, 1, 8, 7, 1, 41, 124925000, time.UTC)

var emailSeq atomic.Int64

func newUser(email string) domain.User {
	return domain.User{Email: email, PasswordHash: "$argon2id$test", Active: true, CreatedAt: now, UpdatedAt: now}
}

func mustCreateUser(t *testing.T, s domain.Store, roles ...string) domain.User {
	t.Helper()
	email := fmt.Sprintf("user%d@example.com", emailSeq.Add(1))
	u, err := s.CreateUser(t.Context(), newUser(email), roles...)
	if err != nil {
		t.Fatalf("CreateUser(%q) error = %v", email, err)
	}
	return u
}

func wantKind(t *testing.T, call string, err error, want domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); got != want || err == nil {
		t.Fatalf("%s kind = %v (err %v), want %v", call, got, err, want)
	}
}
