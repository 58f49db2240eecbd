package httpapi

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

func handleRoot(appName string) http.Handler {
	body := message{Message: "Welcome to " + appName}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, body)
	})
}

// handleHealth is liveness: it touches no dependency.
func handleHealth(version string) http.Handler {
	body := map[string]string{"status": "healthy", "version": version}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, body)
	})
}

// handleReady runs every check at once, each bounded in time. A failing
// check makes the answer 503 "unavailable", unless the instance serves
// without it: then it is 200 "degraded".
func handleReady(checks []Check) http.Handler {
	type response struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		states := make([]string, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			if c.Run == nil {
				states[i] = "disabled"
				continue
			}
			wg.Go(func() {
				states[i] = "ok"
				if err := c.Run(ctx); err != nil {
					states[i] = "error"
					if c.Degrades {
						states[i] = "degraded"
					}
					requestLogger(ctx).WarnContext(ctx, "readiness check failed", "check", c.Name, "error", err.Error())
				}
			})
		}
		wg.Wait()
		res := response{Status: "ready", Checks: make(map[string]string, len(checks))}
		for i, c := range checks {
			res.Checks[c.Name] = states[i]
		}
		code := http.StatusOK
		if slices.Contains(states, "degraded") {
			res.Status = "degraded"
		}
		if slices.Contains(states, "error") {
			res.Status, code = "unavailable", http.StatusServiceUnavailable
		}
		return encode(w, code, res)
	})
}
