package app

import (
	"context"
	"strconv"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// AdminStore is what Admin needs from storage.
type AdminStore interface {
	domain.UserStore
	domain.RoleStore
	domain.SessionStore
	domain.AdminStore
}

// Admin manages users and roles. Every mutation that succeeds writes one
// audit row in the same transaction, even when it changes nothing, and
// invalidates the user's cached auth state before it returns; a refused one
// writes none.
type Admin struct {
	store  AdminStore
	access *Access
	clock  Clock
}

// NewAdmin returns the admin use cases.
func NewAdmin(store AdminStore, access *Access, clock Clock) *Admin {
	return &Admin{store: store, access: access, clock: clock}
}

// Errors an admin can run into.
var (
	ErrSelfDisable = domain.E(domain.KindConflict, "You cannot disable your own account")
	ErrSelfDemote  = domain.E(domain.KindConflict, "You cannot remove your own admin role")
	ErrNoSuchUser  = domain.E(domain.KindNotFound, "User not found")
)

// Users pages through the users whose email contains a substring.
func (a *Admin) Users(ctx context.Context, q domain.UserQuery) ([]domain.UserSummary, int, error) {
	return a.store.Users(ctx, q)
}

// User returns one user with its roles and permissions, read fresh.
func (a *Admin) User(ctx context.Context, id int64) (domain.AuthState, error) {
	st, err := a.store.AuthState(ctx, id, a.clock.Now())
	if domain.KindOf(err) == domain.KindNotFound {
		return domain.AuthState{}, ErrNoSuchUser
	}
	return st, err
}

func audit(actor domain.Principal, action string, target int64, traceID string) *domain.AuditEntry {
	return &domain.AuditEntry{ActorID: actor.UserID, Action: action, TargetType: domain.AuditTargetUser,
		TargetID: strconv.FormatInt(target, 10), TraceID: traceID}
}

// SetActive enables or disables a user; disabling ends all its sessions.
// An admin cannot disable itself.
func (a *Admin) SetActive(ctx context.Context, actor domain.Principal, id int64, active bool, traceID string) (domain.AuthState, error) {
	if id == actor.UserID && !active {
		return domain.AuthState{}, ErrSelfDisable
	}
	action := domain.ActionUserEnable
	if !active {
		action = domain.ActionUserDisable
	}
	if _, err := a.store.SetUserActive(ctx, id, active, a.clock.Now(), audit(actor, action, id, traceID)); err != nil {
		return domain.AuthState{}, err
	}
	a.access.Invalidate(id)
	return a.User(ctx, id)
}

// GrantRole gives a user a role; granting a held role changes nothing but
// is audited all the same.
func (a *Admin) GrantRole(ctx context.Context, actor domain.Principal, id int64, code, traceID string) (domain.AuthState, error) {
	if _, err := a.store.GrantRole(ctx, id, code, a.clock.Now(), audit(actor, domain.ActionRoleGrant, id, traceID)); err != nil {
		return domain.AuthState{}, err
	}
	a.access.Invalidate(id)
	return a.User(ctx, id)
}

// RevokeRole takes a role away; an admin cannot take its own admin role.
func (a *Admin) RevokeRole(ctx context.Context, actor domain.Principal, id int64, code, traceID string) (domain.AuthState, error) {
	if id == actor.UserID && code == domain.RoleAdmin {
		return domain.AuthState{}, ErrSelfDemote
	}
	if _, err := a.store.RevokeRole(ctx, id, code, a.clock.Now(), audit(actor, domain.ActionRoleRevoke, id, traceID)); err != nil {
		return domain.AuthState{}, err
	}
	a.access.Invalidate(id)
	return a.User(ctx, id)
}

// RevokeSessions ends every session of a user and says how many.
func (a *Admin) RevokeSessions(ctx context.Context, actor domain.Principal, id int64, traceID string) (int, error) {
	n, err := a.store.RevokeSessions(ctx, id, 0, a.clock.Now(), audit(actor, domain.ActionSessionsRevoke, id, traceID))
	if err != nil {
		return 0, err
	}
	a.access.Invalidate(id)
	return n, nil
}

// Roles lists the roles with their permissions.
func (a *Admin) Roles(ctx context.Context) ([]domain.Role, error) { return a.store.Roles(ctx) }

// AuditLog pages through the audit log.
func (a *Admin) AuditLog(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, int, error) {
	return a.store.AuditLog(ctx, q)
}
