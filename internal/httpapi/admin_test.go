package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// Every route, as anonymous, as a plain user, as an editor and as an admin:
// public routes answer everyone, user routes need a token, catalog routes
// the editor (or admin) role, user admin routes the admin role.
func TestEveryRouteEnforcesItsPermission(t *testing.T) {
	api := newTestAPI(t)
	api.registerAdmin("boss@example.com")
	n := 0
	for _, rt := range api.srv.routeTable() {
		if rt.perm == "" {
			continue // public routes answer by their own rules
		}
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		// Fresh callers and a fresh target for every route: some routes end
		// sessions or remove roles.
		n++
		user := api.register(fmt.Sprintf("plain%d@example.com", n), pw)
		editor := api.registerWithRole(fmt.Sprintf("editor%d@example.com", n), domain.RoleEditor)
		admin := api.login("boss@example.com", pw)
		target := api.userID(api.registerEmail(fmt.Sprintf("target%d@example.com", n)))
		path := strings.NewReplacer("{id}", fmt.Sprint(target), "{title_id}", "t", "{episode_id}", "e",
			"{history_id}", "1", "{code}", "user").Replace(pattern)
		for _, who := range []struct {
			name, token string
			want        int // 0: let through (neither 401 nor 403)
		}{
			{"anonymous", "", 401},
			{"user", user.access, map[bool]int{true: 403}[rt.perm == domain.PermAdminAccess || strings.HasPrefix(rt.perm, "catalog:")]},
			{"editor", editor.access, map[bool]int{true: 403}[rt.perm == domain.PermAdminAccess]},
			{"admin", admin.access, 0},
		} {
			r := api.do(req{method: method, path: path, token: who.token, body: "{}"})
			switch {
			case who.want != 0 && r.Code != who.want:
				t.Errorf("%s as %s = %d, want %d", rt.pattern, who.name, r.Code, who.want)
			case who.want == 403 && !strings.Contains(r.Body.String(), "Permission required: "+rt.perm):
				t.Errorf("%s as %s: body %s does not name %s", rt.pattern, who.name, r.Body.String(), rt.perm)
			case who.want == 0 && (r.Code == 401 || r.Code == 403):
				t.Errorf("%s as %s = %d (%s), want it let through", rt.pattern, who.name, r.Code, r.Body.String())
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d protected routes checked", n)
	}
}

// A user without any role (as the original service created them) is
// authenticated but may do nothing.
func TestUserWithoutRolesIsForbidden(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("norole@example.com", pw)
	id := api.userID("norole@example.com")
	if _, err := api.store.RevokeRole(t.Context(), id, domain.RoleUser, api.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	api.access.Invalidate(id)
	api.do(req{path: "/api/v1/me/library", token: s.access}).wantError(t, 403, "AUTHORIZATION_ERROR", "Permission required: library:read")
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantError(t, 403, "AUTHORIZATION_ERROR", "Permission required: user:read")
}

func TestRoleChangesReachEveryReplicaWithinFiveSeconds(t *testing.T) {
	a := newTestAPI(t)
	b := newReplica(t, a)
	admin := a.registerAdmin("admin@example.com")
	user := a.register("viewer@example.com", pw)
	id := a.userID("viewer@example.com")
	b.do(req{path: "/api/v1/me/library", token: user.access}).wantStatus(t, 200) // cached on b
	b.access.Poll(t.Context())
	a.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/admin/users/%d/roles/user", id), token: admin.access}).wantStatus(t, 200)
	a.do(req{path: "/api/v1/me/library", token: user.access}).wantStatus(t, 403) // at once where it changed
	b.do(req{path: "/api/v1/me/library", token: user.access}).wantStatus(t, 200) // b has not polled yet
	b.clock.Advance(app.PollEvery)
	b.access.Poll(t.Context())
	b.do(req{path: "/api/v1/me/library", token: user.access}).wantStatus(t, 403)

	// Without a live change feed, the cached state still expires within 5 s.
	a.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/admin/users/%d/roles/user", id), token: admin.access}).wantStatus(t, 200)
	b.clock.Advance(app.ShortTTL)
	if app.ShortTTL > 5*time.Second {
		t.Fatalf("ShortTTL = %v exceeds the five-second bound", app.ShortTTL)
	}
	b.do(req{path: "/api/v1/me/library", token: user.access}).wantStatus(t, 200)
}

func TestAdminDisableAndEnable(t *testing.T) {
	api := newTestAPI(t)
	admin := api.registerAdmin("admin@example.com")
	user := api.register("victim@example.com", pw)
	id := api.userID("victim@example.com")
	var got adminUserResponse
	api.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", id), token: admin.access, body: `{"is_active": false}`}).wantStatus(t, 200).json(t, &got)
	if got.IsActive || got.Email != "victim@example.com" || !cmp.Equal(got.Roles, []string{"user"}) {
		t.Errorf("disabled user = %+v", got)
	}
	api.do(req{path: "/api/v1/users/me", token: user.access}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: user.refresh}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"victim@example.com", pw}}).wantStatus(t, 403)
	api.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", id), token: admin.access, body: `{"is_active": true}`}).wantStatus(t, 200)
	api.login("victim@example.com", pw)
	api.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", id), token: admin.access, body: `{"is_active": true}`}).wantStatus(t, 200)
	api.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", id), token: admin.access, body: `{}`}).wantStatus(t, 400)
	api.do(req{method: "PATCH", path: "/api/v1/admin/users/999", token: admin.access, body: `{"is_active": false}`}).wantError(t, 404, "NOT_FOUND", "User not found")

	var log pageResponse[auditResponse]
	api.do(req{path: "/api/v1/admin/audit-log", token: admin.access}).wantStatus(t, 200).json(t, &log)
	if log.Total != 3 || log.Items[0].Action != "user.enable" || log.Items[1].Action != "user.enable" || log.Items[2].Action != "user.disable" ||
		*log.Items[2].ActorID != api.userID("admin@example.com") {
		t.Fatalf("audit log = %+v", log)
	}
	if log.Items[2].TraceID == "" || log.Items[2].Changes["sessions_revoked"] != 1.0 {
		t.Errorf("disable audit row = %+v, want a trace id and one revoked session", log.Items[2])
	}
	if !cmp.Equal(log.Items[0].Changes, map[string]any{}) {
		t.Errorf("repeated enable audit row = %+v, want empty changes", log.Items[0])
	}
}

func TestAdminCannotLockItselfOut(t *testing.T) {
	api := newTestAPI(t)
	admin := api.registerAdmin("admin@example.com")
	id := api.userID("admin@example.com")
	api.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", id), token: admin.access, body: `{"is_active": false}`}).
		wantError(t, 409, "CONFLICT", "You cannot disable your own account")
	api.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/admin/users/%d/roles/admin", id), token: admin.access}).
		wantError(t, 409, "CONFLICT", "You cannot remove your own admin role")
	api.do(req{path: "/api/v1/admin/roles", token: admin.access}).wantStatus(t, 200)
	var log pageResponse[auditResponse]
	api.do(req{path: "/api/v1/admin/audit-log", token: admin.access}).wantStatus(t, 200).json(t, &log)
	if log.Total != 0 {
		t.Errorf("refused changes were audited: %+v", log.Items)
	}
}

func TestAdminRolesAndUsers(t *testing.T) {
	api := newTestAPI(t)
	admin := api.registerAdmin("admin@example.com")
	for i := range 25 {
		api.clock.Advance(time.Second)
		api.register(fmt.Sprintf("viewer%02d@example.com", i), pw)
	}
	var page pageResponse[userSummaryResponse]
	api.do(req{path: "/api/v1/admin/users?per_page=10&page=2", token: admin.access}).wantStatus(t, 200).json(t, &page)
	if page.Total != 26 || page.TotalPages != 3 || page.Page != 2 || page.PerPage != 10 || len(page.Items) != 10 || page.Items[0].Email != "viewer14@example.com" {
		t.Errorf("page 2 = total %d pages %d, first %q", page.Total, page.TotalPages, page.Items[0].Email)
	}
	api.do(req{path: "/api/v1/admin/users?email=VIEWER0", token: admin.access}).wantStatus(t, 200).json(t, &page)
	if page.Total != 10 {
		t.Errorf("search = %d users, want 10", page.Total)
	}
	for _, q := range []string{"page=0", "per_page=101", "per_page=x"} {
		api.do(req{path: "/api/v1/admin/users?" + q, token: admin.access}).wantStatus(t, 400)
	}
	id := api.userID("viewer03@example.com")
	var u adminUserResponse
	for range 2 { // granting twice is harmless
		api.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/admin/users/%d/roles/admin", id), token: admin.access}).wantStatus(t, 200).json(t, &u)
	}
	if !cmp.Equal(u.Roles, []string{"admin", "user"}) || !slices.Contains(u.Permissions, "admin:access") {
		t.Errorf("after grant = %+v", u)
	}
	api.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/admin/users/%d/roles/superuser", id), token: admin.access}).wantError(t, 404, "NOT_FOUND", "Role not found")
	var roles []struct {
		Code        string   `json:"code"`
		Permissions []string `json:"permissions"`
	}
	api.do(req{path: "/api/v1/admin/roles", token: admin.access}).wantStatus(t, 200).json(t, &roles)
	if len(roles) != 3 || roles[0].Code != "admin" || len(roles[0].Permissions) != 8 ||
		roles[1].Code != "editor" || len(roles[1].Permissions) != 7 || len(roles[2].Permissions) != 5 {
		t.Errorf("roles = %+v", roles)
	}
	var log pageResponse[auditResponse]
	api.do(req{path: "/api/v1/admin/audit-log?action=user.role.grant", token: admin.access}).wantStatus(t, 200).json(t, &log)
	if log.Total != 2 || !cmp.Equal(log.Items[0].Changes, map[string]any{}) { // the second grant changed nothing
		t.Errorf("grant audit rows = %+v, want 2, the newest with empty changes", log.Items)
	}
}

func TestAdminRevokeSessions(t *testing.T) {
	api := newTestAPI(t)
	admin := api.registerAdmin("admin@example.com")
	s1 := api.register("many@example.com", pw)
	s2 := api.login("many@example.com", pw)
	id := api.userID("many@example.com")
	var out struct {
		Message string `json:"message"`
		Revoked int    `json:"revoked"`
	}
	api.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/revoke-sessions", id), token: admin.access}).wantStatus(t, 200).json(t, &out)
	if out.Message != "Sessions revoked" || out.Revoked != 2 {
		t.Errorf("revoke-sessions = %+v", out)
	}
	for _, s := range []session{s1, s2} {
		api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 401)
	}
	api.do(req{method: "POST", path: "/api/v1/admin/users/999/revoke-sessions", token: admin.access}).wantError(t, 404, "NOT_FOUND", "User not found")
}

// Revoking the sessions of a user who has none left still succeeds and
// adds one audit row, with a count of zero.
func TestAdminRevokeNoSessionsIsAudited(t *testing.T) {
	api := newTestAPI(t)
	admin := api.registerAdmin("admin@example.com")
	id := api.userID(api.registerEmail("idle@example.com"))
	path := fmt.Sprintf("/api/v1/admin/users/%d/revoke-sessions", id)
	auditLog := func() pageResponse[auditResponse] {
		t.Helper()
		var log pageResponse[auditResponse]
		api.do(req{path: "/api/v1/admin/audit-log", token: admin.access}).wantStatus(t, 200).json(t, &log)
		return log
	}
	api.do(req{method: "POST", path: path, token: admin.access}).wantStatus(t, 200) // the registration's session
	before := auditLog().Total
	r := api.do(req{method: "POST", path: path, token: admin.access}).wantStatus(t, 200)
	if got, want := strings.TrimSpace(r.Body.String()), `{"message":"Sessions revoked","revoked":0}`; got != want {
		t.Errorf("revoke-sessions body = %s, want %s", got, want)
	}
	log := auditLog()
	if log.Total != before+1 {
		t.Fatalf("audit rows = %d after %d, want one more", log.Total, before)
	}
	e := log.Items[0]
	if e.Action != "user.sessions.revoke" || e.TargetID != fmt.Sprint(id) || *e.ActorID != api.userID("admin@example.com") ||
		e.TraceID == "" || !cmp.Equal(e.Changes, map[string]any{"sessions_revoked": 0.0}) {
		t.Errorf("audit row = %+v, want the admin revoking 0 sessions of %d", e, id)
	}
}

func TestChangePassword(t *testing.T) {
	api := newTestAPI(t)
	a := api.register("pw@example.com", pw)
	b := api.login("pw@example.com", pw)
	r := api.do(req{method: "PATCH", path: "/api/v1/users/me", token: a.access, body: `{"current_password":"wrong-password","new_password":"brand-new-pw"}`})
	r.wantStatus(t, 400)
	api.do(req{method: "PATCH", path: "/api/v1/users/me", token: a.access, body: `{"current_password":"` + pw + `","new_password":"short"}`}).wantStatus(t, 400)
	var m message
	api.do(req{method: "PATCH", path: "/api/v1/users/me", token: a.access, body: `{"current_password":"` + pw + `","new_password":"brand-new-pw"}`}).wantStatus(t, 200).json(t, &m)
	if m.Message != "Password changed" {
		t.Errorf("message = %q", m.Message)
	}
	api.do(req{path: "/api/v1/users/me", token: a.access}).wantStatus(t, 200) // this session stays
	api.do(req{path: "/api/v1/users/me", token: b.access}).wantStatus(t, 401) // the other one ends
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"pw@example.com", pw}}).wantStatus(t, 401)
	api.login("pw@example.com", "brand-new-pw")
}

func TestDeleteAccount(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("bye@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
	api.do(req{method: "DELETE", path: "/api/v1/users/me", token: s.access, body: `{"password":"nope-nope"}`}).wantStatus(t, 400)
	r := api.do(req{method: "DELETE", path: "/api/v1/users/me", token: s.access, body: `{"password":"` + pw + `"}`}).wantStatus(t, 200)
	var m message
	r.json(t, &m)
	if m.Message != "Account deleted" || r.cookie(refreshCookie) == nil {
		t.Errorf("delete = %q, cookie cleared: %v", m.Message, r.cookie(refreshCookie) != nil)
	}
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"bye@example.com", pw}}).wantStatus(t, 401)
	api.register("bye@example.com", pw) // the email is free again
}

func TestExportRoundTrip(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("export@example.com", pw)
	api.do(req{method: "PUT", path: "/api/v1/me/library/one?provider=rpc", token: s.access, body: `{"status":"planned","score":7,"notes":"n"}`}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/library/two?provider=aniliberty", token: s.access, body: `{}`}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/one-ep-1", token: s.access, body: progressBody("one", 10, 20)}).wantStatus(t, 200)
	var lib []libraryItemResponse
	api.do(req{path: "/api/v1/me/library", token: s.access}).json(t, &lib)
	var prog []progressResponse
	api.do(req{path: "/api/v1/me/progress", token: s.access}).json(t, &prog)
	var hist []historyResponse
	api.do(req{path: "/api/v1/me/history", token: s.access}).json(t, &hist)
	var me meResponse
	api.do(req{path: "/api/v1/users/me", token: s.access}).json(t, &me)

	r := api.do(req{path: "/api/v1/me/export", token: s.access}).wantStatus(t, http.StatusOK)
	var ex exportResponse
	r.json(t, &ex)
	if diff := cmp.Diff(me, ex.User); diff != "" {
		t.Errorf("export user (-me +export):\n%s", diff)
	}
	if len(ex.Library) != 2 || !cmp.Equal(ex.Library[1], lib[0]) {
		t.Errorf("export library = %+v, want both providers with %+v", ex.Library, lib[0])
	}
	if diff := cmp.Diff(prog, ex.Progress); diff != "" {
		t.Errorf("export progress (-list +export):\n%s", diff)
	}
	if diff := cmp.Diff(hist, ex.History); diff != "" {
		t.Errorf("export history (-list +export):\n%s", diff)
	}
	if len(ex.Sessions) != 1 || !ex.Sessions[0].Current {
		t.Errorf("export sessions = %+v", ex.Sessions)
	}
	if strings.Contains(r.Body.String(), "argon2") || strings.Contains(r.Body.String(), "hashed_password") {
		t.Error("export leaks the password hash")
	}
}
