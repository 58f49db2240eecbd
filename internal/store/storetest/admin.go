package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func auditFor(actor int64, action string, target int64) *domain.AuditEntry {
	return &domain.AuditEntry{ActorID: actor, Action: action, TargetType: domain.AuditTargetUser, TargetID: fmt.Sprint(target), TraceID: "trace-1"}
}

func auditLog(t *testing.T, s domain.Store, q domain.AuditQuery) []domain.AuditEntry {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	list, _, err := s.AuditLog(t.Context(), q)
	if err != nil {
		t.Fatalf("AuditLog() error = %v", err)
	}
	return list
}

// wantAuditChanges checks the Changes of every audit row of action, newest
// first.
func wantAuditChanges(t *testing.T, s domain.Store, action string, want []map[string]any) {
	t.Helper()
	got := []map[string]any{}
	for _, e := range auditLog(t, s, domain.AuditQuery{Action: action}) {
		got = append(got, e.Changes)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s audit changes, newest first (-want +got):\n%s", action, diff)
	}
}

func testAdmin(t *testing.T, open Opener) {
	t.Run("role changes are idempotent and each is audited once, a no-op with empty changes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin, u := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s, domain.RoleUser)
		changed, err := s.GrantRole(t.Context(), u.ID, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleGrant, u.ID))
		if err != nil || !changed {
			t.Fatalf("GrantRole() = %v, %v; want a change", changed, err)
		}
		if changed, err := s.GrantRole(t.Context(), u.ID, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleGrant, u.ID)); err != nil || changed {
			t.Errorf("granting a held role = %v, %v; want no change", changed, err)
		}
		wantAuditChanges(t, s, domain.ActionRoleGrant, []map[string]any{
			{},
			{"roles": map[string]any{"old": []any{"user"}, "new": []any{"admin", "user"}}},
		})
		noop := auditLog(t, s, domain.AuditQuery{})[0]
		want := domain.AuditEntry{ID: noop.ID, ActorID: admin.ID, Action: domain.ActionRoleGrant, TargetType: "user",
			TargetID: fmt.Sprint(u.ID), TraceID: "trace-1", CreatedAt: now, Changes: map[string]any{}}
		if diff := cmp.Diff(want, noop); diff != "" {
			t.Errorf("audit row of the repeated grant (-want +got):\n%s", diff)
		}
		if changed, _ := s.RevokeRole(t.Context(), u.ID, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleRevoke, u.ID)); !changed {
			t.Error("revoking a held role reported no change")
		}
		if changed, err := s.RevokeRole(t.Context(), u.ID, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleRevoke, u.ID)); err != nil || changed {
			t.Errorf("revoking a role not held = %v, %v; want no change", changed, err)
		}
		wantAuditChanges(t, s, domain.ActionRoleRevoke, []map[string]any{
			{},
			{"roles": map[string]any{"old": []any{"admin", "user"}, "new": []any{"user"}}},
		})
		a, _ := s.UserAccess(t.Context(), u.ID)
		if !cmp.Equal(a.Roles, []string{"user"}) {
			t.Errorf("roles after grant and revoke = %v", a.Roles)
		}
	})

	t.Run("a failed change writes no audit row", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin := mustCreateUser(t, s, domain.RoleAdmin)
		_, err := s.GrantRole(t.Context(), admin.ID, "no-such-role", now, auditFor(admin.ID, domain.ActionRoleGrant, admin.ID))
		wantKind(t, "GrantRole(unknown role)", err, domain.KindNotFound)
		_, err = s.GrantRole(t.Context(), 4242, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleGrant, 4242))
		wantKind(t, "GrantRole(unknown user)", err, domain.KindNotFound)
		_, err = s.RevokeRole(t.Context(), admin.ID, "no-such-role", now, auditFor(admin.ID, domain.ActionRoleRevoke, admin.ID))
		wantKind(t, "RevokeRole(unknown role)", err, domain.KindNotFound)
		_, err = s.RevokeRole(t.Context(), 4242, domain.RoleAdmin, now, auditFor(admin.ID, domain.ActionRoleRevoke, 4242))
		wantKind(t, "RevokeRole(unknown user)", err, domain.KindNotFound)
		_, err = s.SetUserActive(t.Context(), 4242, false, now, auditFor(admin.ID, domain.ActionUserDisable, 4242))
		wantKind(t, "SetUserActive(unknown user)", err, domain.KindNotFound)
		_, err = s.RevokeSessions(t.Context(), 4242, 0, now, auditFor(admin.ID, domain.ActionSessionsRevoke, 4242))
		wantKind(t, "RevokeSessions(unknown user)", err, domain.KindNotFound)
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 0 {
			t.Errorf("audit rows after failed changes = %+v", log)
		}
	})

	t.Run("disabling revokes every session in the same audited change", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin, u := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s)
		mustCreateSession(t, s, u.ID, now)
		mustCreateSession(t, s, u.ID, now)
		changed, err := s.SetUserActive(t.Context(), u.ID, false, now, auditFor(admin.ID, domain.ActionUserDisable, u.ID))
		if err != nil || !changed {
			t.Fatalf("SetUserActive(false) = %v, %v", changed, err)
		}
		if list, _ := s.Sessions(t.Context(), u.ID, now); len(list) != 0 {
			t.Errorf("live sessions after disabling = %d", len(list))
		}
		wantAuditChanges(t, s, domain.ActionUserDisable, []map[string]any{
			{"is_active": map[string]any{"old": true, "new": false}, "sessions_revoked": float64(2)},
		})
	})

	t.Run("setting the active flag to its value is audited with empty changes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin, u := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s)
		if changed, err := s.SetUserActive(t.Context(), u.ID, true, now, auditFor(admin.ID, domain.ActionUserEnable, u.ID)); err != nil || changed {
			t.Errorf("enabling an active user = %v, %v; want no change", changed, err)
		}
		wantAuditChanges(t, s, domain.ActionUserEnable, []map[string]any{{}})
		if _, err := s.SetUserActive(t.Context(), u.ID, false, now, auditFor(admin.ID, domain.ActionUserDisable, u.ID)); err != nil {
			t.Fatal(err)
		}
		if changed, err := s.SetUserActive(t.Context(), u.ID, false, now, auditFor(admin.ID, domain.ActionUserDisable, u.ID)); err != nil || changed {
			t.Errorf("disabling a disabled user = %v, %v; want no change", changed, err)
		}
		wantAuditChanges(t, s, domain.ActionUserDisable, []map[string]any{
			{},
			{"is_active": map[string]any{"old": true, "new": false}, "sessions_revoked": float64(0)},
		})
	})

	t.Run("revoking sessions is audited once with the count, even when none was live", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		admin, u := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s)
		n, err := s.RevokeSessions(t.Context(), u.ID, 0, now, auditFor(admin.ID, domain.ActionSessionsRevoke, u.ID))
		if err != nil || n != 0 {
			t.Fatalf("RevokeSessions(no sessions) = %d, %v; want 0", n, err)
		}
		wantAuditChanges(t, s, domain.ActionSessionsRevoke, []map[string]any{{"sessions_revoked": float64(0)}})
		mustCreateSession(t, s, u.ID, now)
		if n, err := s.RevokeSessions(t.Context(), u.ID, 0, now, auditFor(admin.ID, domain.ActionSessionsRevoke, u.ID)); err != nil || n != 1 {
			t.Fatalf("RevokeSessions(one session) = %d, %v; want 1", n, err)
		}
		wantAuditChanges(t, s, domain.ActionSessionsRevoke, []map[string]any{{"sessions_revoked": float64(1)}, {"sessions_revoked": float64(0)}})
	})

	t.Run("audit log filters, orders newest first and pages", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, u := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s)
		for i := range 3 {
			at := now.Add(time.Duration(i) * time.Minute)
			s.GrantRole(t.Context(), u.ID, domain.RoleAdmin, at, auditFor(a.ID, domain.ActionRoleGrant, u.ID))
			s.RevokeRole(t.Context(), u.ID, domain.RoleAdmin, at.Add(time.Second), auditFor(b.ID, domain.ActionRoleRevoke, u.ID))
		}
		if got := auditLog(t, s, domain.AuditQuery{ActorID: a.ID}); len(got) != 3 || got[0].CreatedAt.Before(got[1].CreatedAt) {
			t.Errorf("by actor = %d rows (newest first?)", len(got))
		}
		if got := auditLog(t, s, domain.AuditQuery{Action: domain.ActionRoleRevoke}); len(got) != 3 || got[0].ActorID != b.ID {
			t.Errorf("by action = %+v", got)
		}
		page, total, err := s.AuditLog(t.Context(), domain.AuditQuery{Offset: 4, Limit: 4})
		if err != nil || total != 6 || len(page) != 2 || page[1].Action != domain.ActionRoleGrant {
			t.Errorf("page 2 = %d rows of %d (%v)", len(page), total, err)
		}
	})

	t.Run("user search matches a substring of the email, literally", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, e := range []string{"Alice@Example.com", "bob_smith@example.com", "bobXsmith@example.com", "100%@example.org"} {
			u := newUser(e)
			u.CreatedAt = now.Add(time.Duration(i) * time.Second)
			if _, err := s.CreateUser(t.Context(), u, domain.RoleUser); err != nil {
				t.Fatal(err)
			}
		}
		emails := func(q domain.UserQuery) ([]string, int) {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 100
			}
			list, total, err := s.Users(t.Context(), q)
			if err != nil {
				t.Fatalf("Users() error = %v", err)
			}
			out := []string{}
			for _, u := range list {
				if u.User.PasswordHash != "" || !cmp.Equal(u.Roles, []string{"user"}) {
					t.Errorf("summary %+v leaks the hash or lacks roles", u)
				}
				out = append(out, u.User.Email)
			}
			return out, total
		}
		if got, total := emails(domain.UserQuery{}); total != 4 || got[0] != "100%@example.org" {
			t.Errorf("all = %v (%d), want newest first", got, total)
		}
		for q, want := range map[string][]string{
			"ALICE": {"Alice@Example.com"}, "b_s": {"bob_smith@example.com"}, "%": {"100%@example.org"}, "nobody": {},
		} {
			if got, total := emails(domain.UserQuery{EmailContains: q}); !cmp.Equal(got, want) || total != len(want) {
				t.Errorf("search %q = %v (%d), want %v", q, got, total, want)
			}
		}
		if got, total := emails(domain.UserQuery{Offset: 1, Limit: 2}); total != 4 || len(got) != 2 || got[0] != "bobXsmith@example.com" {
			t.Errorf("page = %v of %d", got, total)
		}
	})

	t.Run("password change keeps only the current session", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		keep, _ := mustCreateSession(t, s, u.ID, now)
		mustCreateSession(t, s, u.ID, now)
		must(t, s.ChangePassword(t.Context(), u.ID, "$argon2id$changed", keep.ID, now))
		got, _ := s.UserByID(t.Context(), u.ID)
		list, _ := s.Sessions(t.Context(), u.ID, now)
		if got.PasswordHash != "$argon2id$changed" || len(list) != 1 || list[0].ID != keep.ID {
			t.Errorf("after change: hash %q, sessions %+v", got.PasswordHash, list)
		}
		wantKind(t, "ChangePassword(unknown)", s.ChangePassword(t.Context(), 4242, "x", 0, now), domain.KindNotFound)
	})

	t.Run("deleting a user removes its rows and keeps others'", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s, domain.RoleAdmin), mustCreateUser(t, s)
		FillUser(t, s, u.ID)
		FillUser(t, s, other.ID)
		s.GrantRole(t.Context(), other.ID, domain.RoleAdmin, now, auditFor(u.ID, domain.ActionRoleGrant, other.ID))
		must(t, s.DeleteUser(t.Context(), u.ID))
		wantKind(t, "DeleteUser(again)", s.DeleteUser(t.Context(), u.ID), domain.KindNotFound)
		_, err := ExportAll(t.Context(), s, u.ID, now)
		wantKind(t, "Export(deleted)", err, domain.KindNotFound)
		ex, err := ExportAll(t.Context(), s, other.ID, now)
		if err != nil || len(ex.Library) != 2 || len(ex.Progress) != 2 || len(ex.History) != 2 || len(ex.Sessions) != 2 {
			t.Errorf("the other user's export = %+v, %v", ex, err)
		}
		if log := auditLog(t, s, domain.AuditQuery{}); len(log) != 1 || log[0].ActorID != 0 {
			t.Errorf("audit row of a deleted actor = %+v, want kept with no actor", log)
		}
	})
}

// FillUser gives the user a row of every kind under two providers.
func FillUser(t *testing.T, s domain.Store, userID int64) {
	t.Helper()
	mustCreateSession(t, s, userID, now)
	if _, err := s.RevokeSessions(t.Context(), userID, 0, now, nil); err != nil { // an auth change row too
		t.Fatal(err)
	}
	mustCreateSession(t, s, userID, now)
	for _, provider := range []string{"rpc", "aniliberty"} {
		if _, err := s.PutLibraryItem(t.Context(), userID, provider, "t", domain.LibraryPatch{Notes: ptr("n"), SetNotes: true}, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SaveProgress(t.Context(), domain.Progress{UserID: userID, Provider: provider, TitleID: "t", EpisodeID: "e", Position: 1}, now); err != nil {
			t.Fatal(err)
		}
	}
}
