package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// CORS settings of the original service, with the headers this service adds (X-Trace-ID, RateLimit-*).
var (
	corsMethods       = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	corsAllowHeaders  = []string{"Accept", "Accept-Language", "Authorization", "Content-Language", "Content-Type", "If-None-Match", "X-Trace-ID"}
	corsExposeHeaders = "Content-Type, X-Trace-ID, X-Next-Cursor, ETag, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
	corsMethodList    = strings.Join(corsMethods, ", ")
	corsHeaderList    = strings.Join(corsAllowHeaders, ", ")
)

// cors answers preflights and adds the CORS headers for allowed origins.
// Credentials are allowed, so an allowed origin is always echoed, never "*".
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := s.originAllowed(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			s.preflight(w, r, allowed)
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) preflight(w http.ResponseWriter, r *http.Request, originOK bool) {
	var failed []string
	if !originOK {
		failed = append(failed, "origin")
	}
	if !slices.Contains(corsMethods, r.Header.Get("Access-Control-Request-Method")) {
		failed = append(failed, "method")
	}
	for _, name := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		name = strings.TrimSpace(name)
		if name != "" && !slices.ContainsFunc(corsAllowHeaders, func(h string) bool { return strings.EqualFold(h, name) }) {
			failed = append(failed, "headers")
			break
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if len(failed) > 0 {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("Disallowed CORS " + strings.Join(failed, ", ")))
		return
	}
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", corsMethodList)
	h.Set("Access-Control-Allow-Headers", corsHeaderList)
	h.Set("Access-Control-Max-Age", "600")
	w.Write([]byte("OK"))
}

// originAllowed reports whether origin is in ALLOWED_ORIGINS, where "*"
// (refused in production) allows any.
func (s *Server) originAllowed(origin string) bool {
	return slices.Contains(s.cfg.AllowedOrigins, origin) || slices.Contains(s.cfg.AllowedOrigins, "*")
}
