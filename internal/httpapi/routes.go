package httpapi

// routes lists the whole API surface in one place, each route with the
// middleware it needs.
func (s *Server) routes() {
	auth := s.deps.Auth
	cookies := cookieJar{secure: s.cfg.CookieSecure, sameSite: s.cfg.CookieSameSite, maxAge: s.cfg.RefreshTTL}
	bearer := s.authenticated
	handle := s.mux.Handle

	handle("GET /{$}", handleRoot(s.cfg.AppName))
	handle("GET /health", handleHealth(s.cfg.Version))
	handle("GET /ready", handleReady(s.deps.Ready))
	handle("POST /api/v1/auth/register", handleRegister(auth, cookies))
	handle("POST /api/v1/auth/login", handleLogin(auth, cookies))
	handle("POST /api/v1/auth/refresh", s.sameOrigin(handleRefresh(auth, cookies)))
	handle("POST /api/v1/auth/logout", s.sameOrigin(handleLogout(auth, cookies)))
	handle("POST /api/v1/auth/logout-all", bearer(handleLogoutAll(auth, cookies)))
	handle("GET /api/v1/auth/sessions", bearer(handleSessions(auth)))
	handle("DELETE /api/v1/auth/sessions/{id}", bearer(handleRevokeSession(auth)))
	handle("GET /api/v1/users/me", bearer(handleMe(auth)))

	lib, watch := s.deps.Library, s.deps.Watch
	handle("GET /api/v1/me/library", bearer(handleListLibrary(lib)))
	handle("PUT /api/v1/me/library/{title_id}", bearer(handlePutLibraryItem(lib)))
	handle("DELETE /api/v1/me/library/{title_id}", bearer(handleDeleteLibraryItem(lib)))
	handle("GET /api/v1/me/progress", bearer(handleListProgress(watch)))
	handle("PUT /api/v1/me/progress/{episode_id}", bearer(handleSaveProgress(watch)))
	handle("GET /api/v1/me/history", bearer(handleListHistory(watch)))
	handle("DELETE /api/v1/me/history/{history_id}", bearer(handleDeleteHistoryEntry(watch)))
	handle("DELETE /api/v1/me/history", bearer(handleClearHistory(watch)))
	handle("POST /api/v1/me/import-legacy", bearer(handleImportLegacy(watch)))
}
