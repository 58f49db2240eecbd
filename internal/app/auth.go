package app

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// AuthStore is what Auth needs from storage.
type AuthStore interface {
	domain.UserStore
	domain.SessionStore
	GrantRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry) (bool, error)
	RevokeRole(ctx context.Context, userID int64, code string, now time.Time, audit *domain.AuditEntry) (bool, error)
}

// AuthConfig holds the token lifetimes.
type AuthConfig struct {
	RefreshTTL time.Duration
	// ReuseGrace is how long after a rotation the old token may come back
	// (two tabs refreshing at once) without being treated as stolen.
	ReuseGrace time.Duration
}

// Auth registers users, logs them in and out, rotates refresh tokens and
// authenticates access tokens.
type Auth struct {
	store     AuthStore
	access    *Access
	hasher    Hasher
	tokens    TokenIssuer
	clock     Clock
	cfg       AuthConfig
	events    AuthEvents
	dummyHash string // verified for unknown emails, so they cost the same
}

// AuthEvents hears about authentication outcomes (for metrics).
type AuthEvents interface {
	Registered()
	Login(result string)   // "success", "failure", "disabled"
	Refresh(result string) // "success", "failure", "reuse"
}

type noEvents struct{}

func (noEvents) Registered()    {}
func (noEvents) Login(string)   {}
func (noEvents) Refresh(string) {}

// NewAuth returns the auth use cases. The dummy hash that unknown emails
// verify is the hasher's Dummy: computing a real one would cost a hash
// (tens of milliseconds and 19 MiB) at every start.
func NewAuth(store AuthStore, access *Access, hasher Hasher, tokens TokenIssuer, clock Clock, cfg AuthConfig, events AuthEvents) *Auth {
	if events == nil {
		events = noEvents{}
	}
	return &Auth{store: store, access: access, hasher: hasher, tokens: tokens, clock: clock, cfg: cfg, events: events, dummyHash: hasher.Dummy()}
}

// Client describes where a request comes from, recorded on its session.
type Client struct {
	IP        string
	UserAgent string
}

// Tokens is what a successful login, registration or refresh hands out.
type Tokens struct {
	Access    string
	ExpiresIn time.Duration
	Refresh   string
	Session   domain.Session
}

// Errors with the reference's messages.
var (
	ErrEmailTaken         = domain.E(domain.KindConflict, "Email already registered")
	ErrBadCredentials     = domain.E(domain.KindUnauthenticated, "Incorrect email or password")
	ErrAccountDisabled    = domain.E(domain.KindForbidden, "User account is disabled")
	ErrRefreshMissing     = domain.E(domain.KindUnauthenticated, "Refresh token not found")
	ErrRefreshInvalid     = domain.E(domain.KindUnauthenticated, "Invalid or expired refresh token")
	ErrNotAuthenticated   = domain.E(domain.KindUnauthenticated, "Not authenticated")
	ErrInvalidCredentials = domain.E(domain.KindUnauthenticated, "Could not validate credentials")
)

// maxLoginPassword bounds what login will hash; registration allows 128
// characters, but the original service allowed any length.
const maxLoginPassword = 1024

// Register creates an account with the user role and logs it in.
func (a *Auth) Register(ctx context.Context, email, password string, c Client) (Tokens, error) {
	email, err := domain.NormalizeEmail(email)
	var fields []domain.FieldError
	if e := domain.AsError(err); e != nil {
		fields = append(fields, e.Fields...)
	}
	if e := domain.AsError(domain.ValidatePassword("password", password)); e != nil {
		fields = append(fields, e.Fields...)
	}
	if len(fields) > 0 {
		return Tokens{}, domain.Invalid(fields...)
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return Tokens{}, err
	}
	now := a.clock.Now()
	u, err := a.store.CreateUser(ctx, domain.User{Email: email, PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now}, domain.RoleUser)
	if domain.KindOf(err) == domain.KindConflict {
		return Tokens{}, ErrEmailTaken
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("register: %w", err)
	}
	a.events.Registered()
	return a.startSession(ctx, u.ID, c)
}

// Login checks the password and starts a session. An unknown email costs
// the same hashing work as a wrong password; a disabled account is
// reported only after a correct password.
func (a *Auth) Login(ctx context.Context, email, password string, c Client) (Tokens, error) {
	return a.login(ctx, email, password, c, nil)
}

// ErrNotStaff refuses a staff login to an account that holds neither
// catalog:read nor admin:access.
var ErrNotStaff = domain.E(domain.KindForbidden, "Staff access required")

// StaffLogin is Login for editors and admins (D11). Any other account is
// refused with ErrNotStaff whether or not its password was right; a wrong
// one still counts as a failed login (the error wraps ErrBadCredentials).
func (a *Auth) StaffLogin(ctx context.Context, email, password string, c Client) (Tokens, error) {
	return a.login(ctx, email, password, c, a.staffOnly)
}

func (a *Auth) staffOnly(ctx context.Context, userID int64, passwordOK bool) error {
	st, err := a.access.Load(ctx, userID)
	if err != nil {
		return fmt.Errorf("staff login: %w", err)
	}
	switch {
	case st.Access.Can(domain.PermCatalogRead) || st.Access.Can(domain.PermAdminAccess):
		return nil
	case passwordOK:
		return ErrNotStaff
	}
	return domain.Wrap(domain.KindForbidden, ErrNotStaff.Msg, ErrBadCredentials)
}

// login checks the password, then (when allowed is not nil) whether a
// known account may log in here, then starts a session.
func (a *Auth) login(ctx context.Context, email, password string, c Client, allowed func(context.Context, int64, bool) error) (Tokens, error) {
	if utf8.RuneCountInString(password) > maxLoginPassword {
		return Tokens{}, domain.Invalid(domain.FieldError{Field: "password", Message: "must be at most 1024 characters"})
	}
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return Tokens{}, err
	}
	u, err := a.store.UserByEmail(ctx, email)
	hash := u.PasswordHash
	switch {
	case domain.KindOf(err) == domain.KindNotFound:
		hash = a.dummyHash
	case err != nil:
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	ok, rehash, err := a.hasher.Verify(ctx, hash, password)
	if err != nil {
		return Tokens{}, a.hashError(err)
	}
	if allowed != nil && u.ID != 0 {
		if err := allowed(ctx, u.ID, ok); err != nil {
			a.events.Login("failure")
			return Tokens{}, err
		}
	}
	if !ok || u.ID == 0 {
		a.events.Login("failure")
		return Tokens{}, ErrBadCredentials
	}
	if !u.Active {
		a.events.Login("disabled")
		return Tokens{}, ErrAccountDisabled
	}
	if rehash { // best effort: the login succeeds either way and the next one retries
		if h, err := a.hash(ctx, password); err == nil {
			a.store.SetPasswordHash(ctx, u.ID, h, a.clock.Now())
		}
	}
	a.events.Login("success")
	return a.startSession(ctx, u.ID, c)
}

func (a *Auth) startSession(ctx context.Context, userID int64, c Client) (Tokens, error) {
	now := a.clock.Now()
	refresh, digest := a.tokens.NewRefresh()
	sess, err := a.store.CreateSession(ctx,
		domain.Session{UserID: userID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(a.cfg.RefreshTTL), UserAgent: clip(c.UserAgent, 512), IP: c.IP},
		domain.RefreshToken{Hash: digest, CreatedAt: now, ExpiresAt: now.Add(a.cfg.RefreshTTL)})
	if err != nil {
		return Tokens{}, fmt.Errorf("start session: %w", err)
	}
	a.access.Invalidate(userID)
	return a.issue(sess, refresh, now)
}

func (a *Auth) issue(sess domain.Session, refresh string, now time.Time) (Tokens, error) {
	access, err := a.tokens.IssueAccess(sess.UserID, sess.ID, now)
	if err != nil {
		return Tokens{}, fmt.Errorf("issue access token: %w", err)
	}
	return Tokens{Access: access, ExpiresIn: a.tokens.AccessTTL(), Refresh: refresh, Session: sess}, nil
}

// Refresh exchanges a refresh token for a new pair. Presenting a token that
// was rotated away longer than the grace window ago means it was copied:
// its whole session is revoked.
func (a *Auth) Refresh(ctx context.Context, refresh string, c Client) (Tokens, error) {
	if refresh == "" {
		a.events.Refresh("failure")
		return Tokens{}, ErrRefreshMissing
	}
	digest, ok := a.tokens.ParseRefresh(refresh)
	if !ok {
		a.events.Refresh("failure")
		return Tokens{}, ErrRefreshInvalid
	}
	now := a.clock.Now()
	next, nextDigest := a.tokens.NewRefresh()
	sess, err := a.store.RotateRefreshToken(ctx, digest,
		domain.RefreshToken{Hash: nextDigest, CreatedAt: now, ExpiresAt: now.Add(a.cfg.RefreshTTL)}, now, c.IP, clip(c.UserAgent, 512))
	if err == nil {
		a.events.Refresh("success")
		return a.issue(sess, next, now)
	}
	if domain.KindOf(err) != domain.KindUnauthenticated {
		return Tokens{}, err
	}
	return Tokens{}, a.refusedRefresh(ctx, digest, now)
}

// refusedRefresh finds out why a rotation was refused and acts on reuse.
func (a *Auth) refusedRefresh(ctx context.Context, digest []byte, now time.Time) error {
	tok, sess, err := a.store.RefreshToken(ctx, digest)
	switch {
	case domain.KindOf(err) == domain.KindNotFound:
		a.events.Refresh("failure")
		return ErrRefreshInvalid
	case err != nil:
		return err
	case !tok.RotatedAt.IsZero() && now.Sub(tok.RotatedAt) > a.cfg.ReuseGrace && sess.Live(now):
		a.events.Refresh("reuse")
		if err := a.store.RevokeSession(ctx, sess.UserID, sess.ID, now); err != nil && domain.KindOf(err) != domain.KindNotFound {
			return err
		}
		a.access.Invalidate(sess.UserID)
		return ErrRefreshInvalid
	}
	a.events.Refresh("failure")
	return ErrRefreshInvalid
}

// Logout revokes the session of a refresh token, if it is one. It never
// fails for a bad or unknown token: the client is logged out either way.
func (a *Auth) Logout(ctx context.Context, refresh string) error {
	digest, ok := a.tokens.ParseRefresh(refresh)
	if !ok {
		return nil
	}
	_, sess, err := a.store.RefreshToken(ctx, digest)
	if domain.KindOf(err) == domain.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	err = a.store.RevokeSession(ctx, sess.UserID, sess.ID, a.clock.Now())
	if err != nil && domain.KindOf(err) != domain.KindNotFound {
		return err
	}
	a.access.Invalidate(sess.UserID)
	return nil
}

// LogoutAll revokes every session of the caller, the current one included.
func (a *Auth) LogoutAll(ctx context.Context, p domain.Principal) (int, error) {
	n, err := a.store.RevokeSessions(ctx, p.UserID, 0, a.clock.Now(), nil)
	if err != nil {
		return 0, err
	}
	a.access.Invalidate(p.UserID)
	return n, nil
}

// Sessions lists the caller's live sessions.
func (a *Auth) Sessions(ctx context.Context, p domain.Principal) ([]domain.Session, error) {
	return a.store.Sessions(ctx, p.UserID, a.clock.Now())
}

// RevokeSession ends one of the caller's sessions; KindNotFound for any
// other id.
func (a *Auth) RevokeSession(ctx context.Context, p domain.Principal, sessionID int64) error {
	if err := a.store.RevokeSession(ctx, p.UserID, sessionID, a.clock.Now()); err != nil {
		return err
	}
	a.access.Invalidate(p.UserID)
	return nil
}

// Authenticate checks an access token and that its user is active and its
// session live, from the cached auth state.
func (a *Auth) Authenticate(ctx context.Context, accessToken string) (domain.Principal, error) {
	now := a.clock.Now()
	userID, sessionID, issuedAt, err := a.tokens.VerifyAccess(accessToken, now)
	if err != nil {
		return domain.Principal{}, ErrInvalidCredentials
	}
	st, err := a.access.State(ctx, userID)
	// A session newer than the cached state is not in it yet: look again.
	// States loaded well after the token was issued are trusted, so a
	// revoked session's tokens cannot force a query per request.
	if err == nil && !st.HasSession(sessionID) && st.LoadedAt.Before(issuedAt.Add(2*time.Second)) {
		st, err = a.access.Load(ctx, userID)
	}
	switch {
	case domain.KindOf(err) == domain.KindNotFound:
		return domain.Principal{}, ErrInvalidCredentials
	case err != nil:
		return domain.Principal{}, err
	case !st.User.Active || !st.HasSession(sessionID):
		return domain.Principal{}, ErrInvalidCredentials
	}
	return domain.Principal{UserID: userID, SessionID: sessionID, Access: st.Access}, nil
}

// Me returns the caller's account and access.
func (a *Auth) Me(ctx context.Context, p domain.Principal) (domain.AuthState, error) {
	return a.access.State(ctx, p.UserID)
}

func (a *Auth) hash(ctx context.Context, password string) (string, error) {
	h, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return "", a.hashError(err)
	}
	return h, nil
}

// hashError classifies a hasher failure: a cancelled request is
// unavailable; a saturated hasher already says so itself (KindUnavailable).
func (a *Auth) hashError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.Wrap(domain.KindUnavailable, "", err)
	}
	return fmt.Errorf("password hash: %w", err)
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// revokedKeep is how long revoked sessions stay visible before the purge.
const revokedKeep = 24 * time.Hour

// PurgeExpired deletes expired tokens and sessions, and sessions revoked
// and auth changes recorded more than a day ago; it returns how many rows
// went.
func (a *Auth) PurgeExpired(ctx context.Context) (int64, error) {
	now := a.clock.Now()
	return a.store.PurgeExpired(ctx, now, now.Add(-revokedKeep))
}
