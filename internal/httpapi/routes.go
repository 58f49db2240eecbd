package httpapi

// routes lists the whole API surface in one place.
func (s *Server) routes() {
	s.mux.Handle("GET /{$}", handleRoot(s.cfg.AppName))
	s.mux.Handle("GET /health", handleHealth(s.cfg.Version))
	s.mux.Handle("GET /ready", handleReady(s.deps.Ready))
}
