package httpapi

import (
	"net/http"
	"strings"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// route is one entry of the API surface. A route with a permission needs a
// bearer token whose user holds it (D5).
type route struct {
	pattern string // "METHOD /path"
	perm    string // "" for public routes
	handler http.Handler
}

// probes are the routes that health checks and scrapers call every few
// seconds: they skip the global rate limit, and their access lines are
// written at DEBUG so that they do not flood the log.
var probes = map[string]bool{"/health": true, "/ready": true, "/metrics": true}

// routeTable lists the whole API surface in one place.
func (s *Server) routeTable() []route {
	auth, lib, watch, admin := s.deps.Auth, s.deps.Library, s.deps.Watch, s.deps.Admin
	cookies := cookieJar{secure: s.cfg.CookieSecure, sameSite: s.cfg.CookieSameSite, maxAge: s.cfg.RefreshTTL}
	lim, lc, m := s.cfg.Limits, lists{s.deps.Cache, s.deps.Metrics}, s.deps.Metrics
	guard := passwordGuard{s: s, devices: s.deps.Devices, cookies: cookies}
	cat := catalogAnswers{lists: lc, catalog: s.deps.Catalog}
	const (
		read, write, del = domain.PermLibraryRead, domain.PermLibraryWrite, domain.PermLibraryDelete
		userRead         = domain.PermUserRead
		userWrite        = domain.PermUserWrite
		adminAccess      = domain.PermAdminAccess
		catRead          = domain.PermCatalogRead
		catWrite         = domain.PermCatalogWrite
	)
	table := []route{
		{"GET /{$}", "", handleRoot(s.cfg.AppName)},
		{"GET /health", "", handleHealth(s.cfg.Version)},
		{"GET /ready", "", handleReady(s.deps.Ready)},

		{"POST /api/v1/auth/register", "", s.sameOrigin(s.limitIP("register", lim.Register, handleRegister(auth, cookies, guard)))},
		{"POST /api/v1/auth/login", "", s.sameOrigin(s.limitIP("login", lim.Login, handleLogin(auth.Login, cookies, guard)))},
		{"POST /api/v1/auth/refresh", "", s.sameOrigin(s.limitIP("refresh", lim.Refresh, handleRefresh(auth, cookies)))},
		{"POST /api/v1/auth/logout", "", s.sameOrigin(handleLogout(auth, cookies))},
		{"POST /api/v1/auth/logout-all", userWrite, handleLogoutAll(auth, cookies)},
		{"GET /api/v1/auth/sessions", userRead, handleSessions(auth)},
		{"DELETE /api/v1/auth/sessions/{id}", userWrite, handleRevokeSession(auth)},

		{"GET /api/v1/users/me", userRead, handleMe(auth)},
		{"PATCH /api/v1/users/me", userWrite, handleChangePassword(auth, guard)},
		{"DELETE /api/v1/users/me", userWrite, handleDeleteAccount(auth, cookies, guard)},
		{"GET /api/v1/me/export", userRead, handleExport(auth)},

		{"GET /api/v1/me/library", read, counted(m, "list", handleListLibrary(lib, lc))},
		{"PUT /api/v1/me/library/{title_id}", write, counted(m, "put", handlePutLibraryItem(lib, lc))},
		{"DELETE /api/v1/me/library/{title_id}", del, counted(m, "delete", handleDeleteLibraryItem(lib, lc))},
		{"GET /api/v1/me/progress", read, handleListProgress(watch, lc)},
		{"PUT /api/v1/me/progress/{episode_id}", write, handleSaveProgress(watch, lc, m)},
		{"GET /api/v1/me/history", read, handleListHistory(watch, lc)},
		{"DELETE /api/v1/me/history/{history_id}", del, handleDeleteHistoryEntry(watch, lc)},
		{"DELETE /api/v1/me/history", del, handleClearHistory(watch, lc)},
		{"POST /api/v1/me/import-legacy", write, counted(m, "import", handleImportLegacy(watch, lc))},

		{"GET /api/v1/admin/users", adminAccess, handleAdminUsers(admin)},
		{"GET /api/v1/admin/users/{id}", adminAccess, handleAdminUser(admin)},
		{"PATCH /api/v1/admin/users/{id}", adminAccess, handleAdminSetActive(admin)},
		{"PUT /api/v1/admin/users/{id}/roles/{code}", adminAccess, handleAdminRole(admin, true)},
		{"DELETE /api/v1/admin/users/{id}/roles/{code}", adminAccess, handleAdminRole(admin, false)},
		{"POST /api/v1/admin/users/{id}/revoke-sessions", adminAccess, handleAdminRevokeSessions(admin)},
		{"GET /api/v1/admin/roles", adminAccess, handleAdminRoles(admin)},
		{"GET /api/v1/admin/audit-log", adminAccess, handleAdminAuditLog(admin)},

		{"GET /api/v1/anime", "", handleAnimeList(cat)},
		{"GET /api/v1/anime/{slug}", "", handleAnime(cat)},
		{"GET /api/v1/anime/{slug}/episodes", "", handleAnimeEpisodes(cat)},
		{"GET /api/read/anime", "", handleReadAnimeList(cat)},
		{"GET /api/read/anime/{slug}", "", handleReadAnime(cat)},
		{"GET /api/read/me/library", read, handleReadLibrary(lib, lc)},
		{"GET /api/read/me/progress", read, handleReadProgress(watch, lc)},
		{"GET /api/read/me/history/last", read, handleReadLastWatched(watch, lc)},
	}
	if ca := s.deps.CatalogAdmin; ca != nil {
		table = append(table,
			route{"POST /api/v1/admin/login", "", s.sameOrigin(s.limitIP("login", lim.Login, handleLogin(auth.StaffLogin, cookies, guard)))},
			route{"GET /api/v1/admin/me", catRead, handleMe(auth)},
			route{"GET /api/v1/admin/dashboard", catRead, handleAdminDashboard(ca)},
			route{"GET /api/v1/admin/anime", catRead, handleAdminAnimeList(ca)},
			route{"POST /api/v1/admin/anime", catWrite, handleAdminCreateAnime(ca)},
			route{"GET /api/v1/admin/anime/{id}", catRead, handleAdminAnime(ca)},
			route{"PATCH /api/v1/admin/anime/{id}", catWrite, handleAdminUpdateAnime(ca)},
			route{"GET /api/v1/admin/anime/{id}/episodes", catRead, handleAdminEpisodes(ca)},
			route{"POST /api/v1/admin/episodes", catWrite, handleAdminCreateEpisode(ca)},
			route{"PATCH /api/v1/admin/episodes/{id}", catWrite, handleAdminUpdateEpisode(ca)},
			route{"POST /api/v1/admin/episodes/{id}/attach", catWrite, handleAdminAttachEpisode(ca)},
			route{"POST /api/v1/admin/episodes/{id}/detach", catWrite, handleAdminDetachEpisode(ca)},
			route{"GET /api/v1/admin/episodes/{id}/video", catRead, handleAdminVideos(ca)},
			route{"POST /api/v1/admin/video", catWrite, handleAdminCreateVideo(ca)},
			route{"PATCH /api/v1/admin/video/{id}", catWrite, handleAdminUpdateVideo(ca, false)},
			route{"POST /api/v1/admin/video/{id}/state", catWrite, handleAdminUpdateVideo(ca, true)},
			route{"DELETE /api/v1/admin/video/{id}", catWrite, handleAdminDeleteVideo(ca)},
		)
	}
	if len(s.internal) > 0 { // the parser's API exists only with a token
		catalog := s.deps.Catalog
		table = append(table,
			route{"POST /api/v1/internal/import/anime", "", s.internalOnly(handleImportAnime(catalog))},
			route{"POST /api/v1/internal/import/episodes", "", s.internalOnly(handleImportEpisodes(catalog))},
			route{"POST /api/v1/internal/import/video", "", s.internalOnly(handleImportVideo(catalog))},
			route{"POST /api/v1/internal/import/catalog", "", s.internalOnly(handleImportCatalog(catalog))},
		)
	}
	if s.deps.MetricsHandler != nil {
		table = append(table, route{"GET /metrics", "", s.deps.MetricsHandler})
	}
	return table
}

// counted counts a library operation when its handler succeeds.
func counted(m Metrics, op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status < 400 {
			m.LibraryOperation(op)
		}
	})
}

// routes registers the table: permission routes behind authentication
// (which applies the global limit) and their permission check, the other
// routes behind the global limit per IP unless exempt.
func (s *Server) routes() error {
	table := s.routeTable()
	if s.cfg.Docs != nil {
		docs, err := docsRoutes(s.cfg.Docs)
		if err != nil {
			return err
		}
		table = append(table, docs...)
	}
	for _, rt := range table {
		h := rt.handler
		switch {
		case rt.perm != "":
			h = s.authenticated(requirePermission(rt.perm, h))
		case strings.HasPrefix(rt.pattern, "POST /api/v1/internal/"):
			// The parser's: its token check limits failures; accepted calls
			// are not limited.
		case !probes[routeName(rt.pattern)]:
			h = s.limitIP("global", s.cfg.Limits.Global, h)
		}
		s.mux.Handle(rt.pattern, h)
	}
	return nil
}
