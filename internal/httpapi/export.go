package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// exportResponse is the export document. handleExport writes its JSON
// piece by piece (exportStream); this type names its shape for the tests.
type exportResponse struct {
	User     meResponse            `json:"user"`
	Library  []libraryItemResponse `json:"library"`
	Progress []progressResponse    `json:"progress"`
	History  []historyResponse     `json:"history"`
	Sessions []sessionResponse     `json:"sessions"`
}

// handleExport streams the document as the store reads the rows, so its
// memory stays flat whatever the account holds. Until the first chunk is
// sent an error is an ordinary error answer; after it the status is out,
// so the handler cuts the connection (http.ErrAbortHandler) and the
// client sees a broken transfer, never a complete-looking document. The
// whole transfer fits in the request timeout: the store's snapshot lasts
// until the last row is handed over, and a client that stops reading is
// cut when the timeout ends rather than holding the snapshot longer.
func handleExport(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx, p := r.Context(), principal(r)
		rc := http.NewResponseController(w)
		if deadline, ok := ctx.Deadline(); ok {
			rc.SetWriteDeadline(deadline) // ErrNotSupported off a real connection: nothing to bound
		}
		e := &exportStream{w: w, rc: rc, session: sessionOf(p.SessionID), buf: make([]byte, 0, exportChunk+4<<10)}
		err := auth.Export(ctx, p, e)
		if err == nil {
			err = e.end()
		}
		if err != nil && e.started {
			log, level := requestLogger(ctx), slog.LevelError
			if e.writeFailed {
				level = slog.LevelInfo // the client went away: not our failure
			}
			log.Log(ctx, level, "export cut short", slog.String("error", err.Error()), slog.Int64("sent_bytes", e.sent))
			panic(http.ErrAbortHandler)
		}
		return err
	})
}

// exportChunk is how many bytes of the export gather before they go out.
const exportChunk = 32 << 10

// exportSections are exportResponse's arrays, in its order.
var exportSections = [...]string{"library", "progress", "history", "sessions"}

// exportStream is a domain.ExportWriter that writes exportResponse's JSON
// (what encode would write for it, byte for byte) as the rows come, with
// the rows' own appenders. It holds at most about exportChunk bytes; the
// status and headers go out with the first chunk.
type exportStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	session func(domain.Session) sessionResponse
	buf     []byte
	section int  // index in exportSections of the open array
	empty   bool // the open array has no element yet
	started bool // the status is sent
	sent    int64
	// writeFailed: the connection refused a chunk (the client went away).
	writeFailed bool
}

func (e *exportStream) User(u domain.User, a domain.Access) error {
	me, err := json.Marshal(toMe(u, a))
	if err != nil {
		return err
	}
	e.buf = append(append(append(e.buf, `{"user":`...), me...), `,"`+exportSections[0]+`":[`...)
	e.empty = true
	return nil
}

func (e *exportStream) LibraryItem(it domain.LibraryItem) error {
	e.element(0)
	e.buf = toLibraryItem(it).appendJSON(e.buf)
	return e.send(false)
}

func (e *exportStream) Progress(p domain.Progress) error {
	e.element(1)
	e.buf = toProgress(p).appendJSON(e.buf)
	return e.send(false)
}

func (e *exportStream) History(h domain.HistoryEntry) error {
	e.element(2)
	e.buf = toHistory(h).appendJSON(e.buf)
	return e.send(false)
}

func (e *exportStream) Session(s domain.Session) error {
	data, err := json.Marshal(e.session(s))
	if err != nil {
		return err
	}
	e.element(3)
	e.buf = append(e.buf, data...)
	return e.send(false)
}

// element starts the next element of section's array, opening it first
// if need be.
func (e *exportStream) element(section int) {
	e.open(section)
	if !e.empty {
		e.buf = append(e.buf, ',')
	}
	e.empty = false
}

// open closes the open array and opens the following ones up to section's.
func (e *exportStream) open(section int) {
	for e.section < section {
		e.section++
		e.buf = append(append(append(e.buf, `],"`...), exportSections[e.section]...), `":[`...)
		e.empty = true
	}
}

// end closes the document and sends what is left.
func (e *exportStream) end() error {
	e.open(len(exportSections) - 1)
	e.buf = append(e.buf, "]}\n"...)
	return e.send(true)
}

// send writes the gathered bytes once there are exportChunk of them, or
// all of them at the end.
func (e *exportStream) send(last bool) error {
	if len(e.buf) < exportChunk && !last {
		return nil
	}
	if !e.started {
		h := e.w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Disposition", `attachment; filename="anirohi-export.json"`)
		if last { // the whole document is in hand
			h.Set("Content-Length", strconv.Itoa(len(e.buf)))
		}
		e.w.WriteHeader(http.StatusOK)
		e.started = true
	}
	n, err := e.w.Write(e.buf)
	e.sent += int64(n)
	if err == nil {
		if err = e.rc.Flush(); errors.Is(err, http.ErrNotSupported) {
			err = nil
		}
	}
	if err != nil {
		e.writeFailed = true
		return err
	}
	e.buf = e.buf[:0]
	return nil
}
