package domain

import (
	"context"
	"time"
)

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
	// SetPasswordHash replaces the user's hash; KindNotFound for an unknown id.
	SetPasswordHash(ctx context.Context, userID int64, hash string, now time.Time) error
	// SetUserActive enables or disables a user; disabling also revokes all
	// its sessions. It reports whether the flag changed; KindNotFound for an
	// unknown id. With a non-nil audit entry it writes exactly one audit row
	// in the same transaction, with Changes filled in: empty when the flag
	// already had that value.
	SetUserActive(ctx context.Context, userID int64, active bool, now time.Time, audit *AuditEntry) (bool, error)
	// ChangePassword replaces the user's hash and revokes its sessions except
	// keepSessionID, in one transaction; KindNotFound for an unknown id.
	ChangePassword(ctx context.Context, userID int64, hash string, keepSessionID int64, now time.Time) error
	// DeleteUser deletes the user and, through the foreign keys, every row
	// that belongs to it; KindNotFound for an unknown id.
	DeleteUser(ctx context.Context, userID int64) error
	// Users lists users with their roles, newest first, and counts all
	// that match.
	Users(ctx context.Context, q UserQuery) ([]UserSummary, int, error)
	// Export hands every row of the user to w, as ExportWriter orders them,
	// from one consistent snapshot: the user (without its hash) and its
	// access; its library, progress and history, each by provider, then
	// newest first (UpdatedAt, WatchedAt for history; then ID); and all its
	// sessions, revoked ones too, newest first. It calls w while it reads,
	// keeping no rows, so the caller should not linger in w: the snapshot
	// holds a connection until the last row. KindNotFound for an unknown
	// id, before w is called; an error from w ends the export and is
	// returned, wrapped.
	Export(ctx context.Context, userID int64, w ExportWriter) error
	// AuthState loads the user (without its hash), its access and its live
	// sessions at now; KindNotFound for an unknown id.
	AuthState(ctx context.Context, userID int64, now time.Time) (AuthState, error)
	// AuthChanges returns the users whose auth state changed at or after
	// since, by the database's clock, and that clock's time now. Every
	// store method that changes an active flag, a role or a session's
	// revocation records such a change in its own transaction.
	AuthChanges(ctx context.Context, since time.Time) (userIDs []int64, dbNow time.Time, err error)
}

// SessionStore keeps sessions and their refresh tokens.
type SessionStore interface {
	// CreateSession stores s with its first refresh token (whose SessionID
	// is filled in) and returns s with its id. Beyond MaxSessionsPerUser
	// live sessions, the user's oldest are revoked in the same transaction.
	// KindNotFound when the user does not exist.
	CreateSession(ctx context.Context, s Session, first RefreshToken) (Session, error)
	// RotateRefreshToken atomically exchanges the token whose digest is
	// oldHash for next: it succeeds only if that token is its session's
	// current one, unexpired at now, the session is live and the user
	// active. It then marks the old token rotated at now, stores next in the
	// same session, extends the session to next.ExpiresAt, records now as
	// its last use with ip and userAgent, and returns the session. Of
	// concurrent calls with one token at most one succeeds; the others, and
	// every refused call, get KindUnauthenticated.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time, ip, userAgent string) (Session, error)
	// RefreshToken returns the token with that digest and its session;
	// KindNotFound when none.
	RefreshToken(ctx context.Context, hash []byte) (RefreshToken, Session, error)
	// Sessions lists the user's sessions that are live at now, newest first.
	Sessions(ctx context.Context, userID int64, now time.Time) ([]Session, error)
	// RevokeSession revokes one live session of the user at now;
	// KindNotFound when the user has no such live session.
	RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) error
	// RevokeSessions revokes every live session of the user except
	// keepSessionID (0 keeps none) and returns how many it revoked;
	// KindNotFound for an unknown user. With a non-nil audit entry it writes
	// exactly one audit row in the same transaction, with the count in
	// Changes ("sessions_revoked"), zero included.
	RevokeSessions(ctx context.Context, userID, keepSessionID int64, now time.Time, audit *AuditEntry) (int, error)
	// PurgeExpired deletes expired tokens, expired sessions, and sessions
	// revoked and auth changes recorded before before; it returns how many
	// rows went.
	PurgeExpired(ctx context.Context, now, before time.Time) (int64, error)
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

// LibraryStore keeps users' libraries. Lists are ordered by UpdatedAt, then
// ID, newest first; they return at most Page.Limit rows after Page.After and
// whether more follow.
type LibraryStore interface {
	Library(ctx context.Context, userID int64, q LibraryQuery) ([]LibraryItem, bool, error)
	// PutLibraryItem creates or updates the item in one atomic statement
	// (concurrent first writes make one row) and sets UpdatedAt to now.
	PutLibraryItem(ctx context.Context, userID int64, provider, titleID string, p LibraryPatch, now time.Time) (LibraryItem, error)
	// DeleteLibraryItem returns KindNotFound when the user has no such item.
	DeleteLibraryItem(ctx context.Context, userID int64, provider, titleID string) error
}

// WatchStore keeps watch progress and history. Progress lists are ordered
// by UpdatedAt, history by WatchedAt, then ID, newest first, paged as in
// LibraryStore.
type WatchStore interface {
	// SaveProgress upserts the progress row of (UserID, Provider, EpisodeID)
	// and that episode's history entry (watched at now) in one transaction.
	// A save whose ClientUpdatedAt is older than the stored one changes
	// nothing; it returns the stored row with applied false.
	SaveProgress(ctx context.Context, p Progress, now time.Time) (saved Progress, applied bool, err error)
	ProgressList(ctx context.Context, userID int64, q ProgressQuery) ([]Progress, bool, error)
	History(ctx context.Context, userID int64, q HistoryQuery) ([]HistoryEntry, bool, error)
	// DeleteHistoryEntry returns KindNotFound unless the entry is the user's.
	DeleteHistoryEntry(ctx context.Context, userID, id int64) error
	// ClearHistory deletes the user's history of one provider, returning how
	// many entries went.
	ClearHistory(ctx context.Context, userID int64, provider string) (int64, error)
	// ImportLegacy applies the items in order in one transaction: a progress
	// item is written (with its history entry) only if its At is newer than
	// the stored row's UpdatedAt, a saved series becomes or marks a favourite
	// only if its At is newer. It reports which items were applied.
	ImportLegacy(ctx context.Context, userID int64, provider string, items []LegacyItem) ([]bool, error)
}

// AdminStore changes roles and reads the audit log. A role change that
// changes something records an auth change. With a non-nil audit entry,
// every call that succeeds writes exactly one audit row in the same
// transaction, its Changes the roles before and after, or empty when the
// call changed nothing; a failed call writes none.
type AdminStore interface {
	// GrantRole reports whether the user did not have the role yet;
	// KindNotFound for an unknown user or role.
	GrantRole(ctx context.Context, userID int64, code string, now time.Time, audit *AuditEntry) (bool, error)
	// RevokeRole reports whether the user had the role; KindNotFound for
	// an unknown user or role.
	RevokeRole(ctx context.Context, userID int64, code string, now time.Time, audit *AuditEntry) (bool, error)
	// AuditLog lists entries newest first and counts all that match.
	AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, int, error)
}

// Store is everything the service keeps, on one engine.
type Store interface {
	UserStore
	RoleStore
	SessionStore
	LibraryStore
	WatchStore
	AdminStore
	CatalogStore
	CatalogExporter
	CatalogAdminStore
	// InstallationID returns the id made with the schema: 32 lower-case hex
	// digits, the same on every call and every replica, different for
	// every database created (a copy of a database keeps its original's).
	InstallationID(ctx context.Context) (string, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close()
}
