package domain

import "slices"

// Permission codes seeded by the first migration (the original service's set).
const (
	PermLibraryRead   = "library:read"
	PermLibraryWrite  = "library:write"
	PermLibraryDelete = "library:delete"
	PermUserRead      = "user:read"
	PermUserWrite     = "user:write"
	PermAdminAccess   = "admin:access"
)

// Role codes seeded by the first migration.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Role is a named set of permissions.
type Role struct {
	ID          int64
	Code        string
	Name        string
	Description string
	Permissions []string
}

// Access is what a user may do: its active roles and their permissions.
type Access struct {
	Roles       []string
	Permissions []string
}

// Can reports whether perm is among the permissions.
func (a Access) Can(perm string) bool { return slices.Contains(a.Permissions, perm) }
