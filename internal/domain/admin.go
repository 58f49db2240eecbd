package domain

import "time"

// AuditEntry records one administrative change. Changes maps a field to
// {"old": …, "new": …} (or to a count); the store fills it with what it
// actually changed, which may be nothing (an empty map).
type AuditEntry struct {
	ID         int64
	ActorID    int64 // 0 once the actor's account is deleted
	Action     string
	TargetType string
	TargetID   string
	Changes    map[string]any
	TraceID    string
	CreatedAt  time.Time
}

// Audit actions.
const (
	ActionUserDisable    = "user.disable"
	ActionUserEnable     = "user.enable"
	ActionRoleGrant      = "user.role.grant"
	ActionRoleRevoke     = "user.role.revoke"
	ActionSessionsRevoke = "user.sessions.revoke"
	AuditTargetUser      = "user"
)

// UserSummary is a user with its role codes, as admin lists show it.
type UserSummary struct {
	User  User
	Roles []string
}

// UserQuery pages through users, newest first.
type UserQuery struct {
	EmailContains string // case-insensitive substring, "" for all
	Offset, Limit int
}

// AuditQuery pages through the audit log, newest first.
type AuditQuery struct {
	ActorID       int64  // 0 for all
	Action        string // "" for all
	TargetType    string // "" for all
	TargetID      string // "" for all
	Offset, Limit int
}

// ExportWriter receives one user's export row by row, as the store reads
// it, in this order: User once, then every LibraryItem, every Progress,
// every History entry and every Session. An error from any method stops
// the export, and Export returns it.
type ExportWriter interface {
	User(User, Access) error
	LibraryItem(LibraryItem) error
	Progress(Progress) error
	History(HistoryEntry) error
	Session(Session) error
}
