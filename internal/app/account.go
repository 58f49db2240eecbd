package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// ErrWrongPassword is the cause of the 400 a wrong current password gets,
// for callers that count failures (errors.Is).
var ErrWrongPassword = errors.New("wrong password")

func wrongPassword(field string) error {
	e := domain.Invalid(domain.FieldError{Field: field, Message: "is incorrect"})
	e.Err = ErrWrongPassword
	return e
}

// checkPassword verifies the caller's password (maxLoginPassword bounds the
// hashing work).
func (a *Auth) checkPassword(ctx context.Context, userID int64, field, password string) error {
	if len(password) > 4*maxLoginPassword {
		return wrongPassword(field)
	}
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	ok, _, err := a.hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil {
		return a.hashError(err)
	}
	if !ok {
		return wrongPassword(field)
	}
	return nil
}

// ChangePassword replaces the caller's password after checking the current
// one; every other session of the caller ends.
func (a *Auth) ChangePassword(ctx context.Context, p domain.Principal, current, next string) error {
	if err := domain.ValidatePassword("new_password", next); err != nil {
		return err
	}
	if err := a.checkPassword(ctx, p.UserID, "current_password", current); err != nil {
		return err
	}
	hash, err := a.hash(ctx, next)
	if err != nil {
		return err
	}
	if err := a.store.ChangePassword(ctx, p.UserID, hash, p.SessionID, a.clock.Now()); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	a.access.Invalidate(p.UserID)
	return nil
}

// DeleteAccount deletes the caller and everything it owns after checking
// its password; its tokens die with it.
func (a *Auth) DeleteAccount(ctx context.Context, p domain.Principal, password string) error {
	if err := a.checkPassword(ctx, p.UserID, "password", password); err != nil {
		return err
	}
	if err := a.store.DeleteUser(ctx, p.UserID); err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	a.access.Invalidate(p.UserID)
	return nil
}

// Export hands every row the caller owns to w, as the store reads them.
func (a *Auth) Export(ctx context.Context, p domain.Principal, w domain.ExportWriter) error {
	return a.store.Export(ctx, p.UserID, w)
}

// EnsureAdmin makes email an administrator: it creates the account with
// the user and admin roles when there is none (password checked and
// hashed), or grants admin to the existing one (its password untouched).
// It reports what it did; running it again changes nothing but adds an
// audit row for the (empty) grant.
func (a *Auth) EnsureAdmin(ctx context.Context, email, password string) (created, granted bool, err error) {
	email, err = domain.NormalizeEmail(email)
	if err != nil {
		return false, false, err
	}
	u, err := a.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		entry := &domain.AuditEntry{Action: domain.ActionRoleGrant, TargetType: domain.AuditTargetUser,
			TargetID: fmt.Sprint(u.ID), TraceID: "cli"}
		granted, err = a.store.GrantRole(ctx, u.ID, domain.RoleAdmin, a.clock.Now(), entry)
		a.access.Invalidate(u.ID)
		return false, granted, err
	case domain.KindOf(err) != domain.KindNotFound:
		return false, false, err
	}
	if err := domain.ValidatePassword("password", password); err != nil {
		return false, false, err
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return false, false, err
	}
	now := a.clock.Now()
	_, err = a.store.CreateUser(ctx, domain.User{Email: email, PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now},
		domain.RoleUser, domain.RoleAdmin)
	return err == nil, err == nil, err
}

// ChangeRoleByEmail grants (grant true) or revokes a role of the account
// of email, for the command line (audited with trace id "cli", no actor).
// It reports whether anything changed.
func (a *Auth) ChangeRoleByEmail(ctx context.Context, email, role string, grant bool) (bool, error) {
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return false, err
	}
	u, err := a.store.UserByEmail(ctx, email)
	if domain.KindOf(err) == domain.KindNotFound {
		return false, domain.E(domain.KindNotFound, "no account has that email")
	}
	if err != nil {
		return false, err
	}
	action, change := domain.ActionRoleRevoke, a.store.RevokeRole
	if grant {
		action, change = domain.ActionRoleGrant, a.store.GrantRole
	}
	entry := &domain.AuditEntry{Action: action, TargetType: domain.AuditTargetUser, TargetID: fmt.Sprint(u.ID), TraceID: "cli"}
	changed, err := change(ctx, u.ID, role, a.clock.Now(), entry)
	a.access.Invalidate(u.ID)
	return changed, err
}
