package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// status is how one kind of error looks on the wire.
type status struct {
	code    int
	name    string
	message string // default message when the error has none
}

// kindStatus is the one mapping from domain error kinds to HTTP (D2).
var kindStatus = map[domain.Kind]status{
	domain.KindInvalid:         {http.StatusBadRequest, "VALIDATION_ERROR", "Invalid request data"},
	domain.KindUnauthenticated: {http.StatusUnauthorized, "AUTHENTICATION_ERROR", "Authentication failed"},
	domain.KindForbidden:       {http.StatusForbidden, "AUTHORIZATION_ERROR", "Insufficient permissions"},
	domain.KindNotFound:        {http.StatusNotFound, "NOT_FOUND", "Resource not found"},
	domain.KindConflict:        {http.StatusConflict, "CONFLICT", "Resource conflict"},
	domain.KindRateLimited:     {http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded"},
	domain.KindUnavailable:     {http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Service temporarily unavailable"},
	domain.KindInternal:        {http.StatusInternalServerError, "INTERNAL_ERROR", "An unexpected error occurred"},
}

// httpError is a failure of the HTTP exchange itself (no route, wrong
// method, body too large, wrong media type), not of the domain.
type httpError struct {
	status
}

func (e *httpError) Error() string { return e.message }

var (
	errNoRoute      = &httpError{status{http.StatusNotFound, "NOT_FOUND", "Not Found"}}
	errMethod       = &httpError{status{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method Not Allowed"}}
	errBodyTooLarge = &httpError{status{http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Request body too large"}}
	errMediaType    = &httpError{status{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"}}
)

type errorBody struct {
	Error struct {
		Code    string       `json:"code"`
		Message string       `json:"message"`
		TraceID string       `json:"trace_id"`
		Details []fieldError `json:"details,omitempty"`
	} `json:"error"`
	Detail string `json:"detail"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusClientClosed is what the access log and metrics record for a
// request its client abandoned (nginx's 499).
const statusClientClosed = 499

// writeError is the one place where an error becomes a response: it picks
// the status from the error's kind, writes the D2 envelope, and logs what
// the client must not see.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	log := requestLogger(r.Context())
	if errors.Is(r.Context().Err(), context.Canceled) && errors.Is(err, context.Canceled) {
		// The client went away: no one reads the answer, and it is no
		// failure of the service's, so it is not a 503 in logs and metrics.
		w.WriteHeader(statusClientClosed)
		log.DebugContext(r.Context(), "client closed the request")
		return
	}
	switch code := respondError(w, r, err); {
	case code == http.StatusServiceUnavailable:
		log.WarnContext(r.Context(), "dependency unavailable", slog.String("error", err.Error()))
	case code >= 500:
		log.ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()))
	}
}

// respondError writes the envelope for err without logging and returns the
// status it chose.
func respondError(w http.ResponseWriter, r *http.Request, err error) int {
	st, body := describe(err)
	body.Error.TraceID = traceID(r.Context())
	encode(w, st.code, body)
	return st.code
}

func describe(err error) (status, errorBody) {
	var body errorBody
	var he *httpError
	if errors.As(err, &he) {
		body.Error.Code, body.Error.Message = he.name, he.message
		body.Detail = he.message
		return he.status, body
	}
	st := kindStatus[domain.KindOf(err)]
	body.Error.Code, body.Error.Message = st.name, st.message
	if e := domain.AsError(err); e != nil && st.code < 500 {
		if e.Msg != "" {
			body.Error.Message = e.Msg
		}
		for _, f := range e.Fields {
			body.Error.Details = append(body.Error.Details, fieldError(f))
		}
	}
	body.Detail = body.Error.Message
	return st, body
}
