package domain

import "context"

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u and grants it the roles with the given codes, in one
	// transaction, and returns the stored user. It returns KindConflict when
	// another user has the same EmailKey, and KindNotFound when a role code
	// does not exist.
	CreateUser(ctx context.Context, u User, roles ...string) (User, error)
	// UserByID returns KindNotFound when no user has that id.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByEmail looks a user up by EmailKey(email); KindNotFound when none.
	UserByEmail(ctx context.Context, email string) (User, error)
}

// RoleStore reads roles and their permissions.
type RoleStore interface {
	// Roles lists every role with its active permission codes, by code.
	Roles(ctx context.Context) ([]Role, error)
	// UserAccess returns the codes of the user's active roles and of their
	// active permissions, each sorted. A user without roles gets empty lists;
	// an unknown user id gets KindNotFound.
	UserAccess(ctx context.Context, userID int64) (Access, error)
}

// Store is everything the service keeps, on one engine.
type Store interface {
	UserStore
	RoleStore
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close()
}
