package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"
)

// LostWrite is an acknowledged progress save the server no longer has.
type LostWrite struct {
	Viewer         int      `json:"viewer"`
	Email          string   `json:"email,omitempty"`
	Episode        string   `json:"episode"`
	AckedPosition  float64  `json:"acked_position"`
	AckedClientMs  int64    `json:"acked_client_updated_at"`
	StoredPosition *float64 `json:"stored_position,omitempty"`
	StoredClientMs *int64   `json:"stored_client_updated_at,omitempty"`
	Reason         string   `json:"reason"`
}

// VerifyResult is the read-back of every viewer's progress after the run.
type VerifyResult struct {
	Viewers     int         `json:"viewers"`
	AckedSaves  uint64      `json:"acked_saves"`
	Episodes    int         `json:"episodes_checked"`
	Missing     int         `json:"missing"`
	Unreadable  int         `json:"viewers_unreadable"`
	ReadErrors  []string    `json:"read_errors,omitempty"`
	Lost        []LostWrite `json:"lost,omitempty"` // the first 100
	DurationSec float64     `json:"duration_s"`
}

// OK says every acknowledged save was found and every viewer was read.
func (v *VerifyResult) OK() bool { return v.Missing == 0 && v.Unreadable == 0 }

type storedProgress struct {
	EpisodeID       string  `json:"episode_id"`
	PositionSeconds float64 `json:"position_seconds"`
	ClientUpdatedAt *int64  `json:"client_updated_at"`
}

// verify reads back each viewer's progress list (paging with
// X-Next-Cursor) and checks, per episode, the newest acknowledged save:
// the stored row must carry that save's client_updated_at (or a newer one)
// and, when it is that save, its position.
func (r *runner) verify(ctx context.Context, viewers []*viewer) *VerifyResult {
	t0 := time.Now()
	res := &VerifyResult{Viewers: len(viewers)}
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, v := range viewers {
		res.AckedSaves += v.saved
		res.Episodes += len(v.acks)
		if len(v.acks) == 0 {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			stored, err := r.readProgress(ctx, v)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Unreadable++
				if len(res.ReadErrors) < 20 {
					res.ReadErrors = append(res.ReadErrors, fmt.Sprintf("viewer %d (%s): %v", v.idx, v.acct.Email, err))
				}
				return
			}
			for ep, a := range v.acks {
				lw := LostWrite{Viewer: v.idx, Email: v.acct.Email, Episode: ep, AckedPosition: a.pos, AckedClientMs: a.cua}
				s, ok := stored[ep]
				switch {
				case !ok:
					lw.Reason = "no row"
				case s.ClientUpdatedAt == nil || *s.ClientUpdatedAt < a.cua:
					lw.Reason = "older than acknowledged"
				case *s.ClientUpdatedAt == a.cua && s.PositionSeconds != a.pos:
					lw.Reason = "position differs"
				default:
					continue
				}
				if ok {
					p, c := s.PositionSeconds, s.ClientUpdatedAt
					lw.StoredPosition, lw.StoredClientMs = &p, c
				}
				res.Missing++
				if len(res.Lost) < 100 {
					res.Lost = append(res.Lost, lw)
				}
			}
		})
	}
	wg.Wait()
	sort.Slice(res.Lost, func(i, j int) bool {
		if res.Lost[i].Viewer != res.Lost[j].Viewer {
			return res.Lost[i].Viewer < res.Lost[j].Viewer
		}
		return res.Lost[i].Episode < res.Lost[j].Episode
	})
	res.DurationSec = round3(time.Since(t0).Seconds())
	return res
}

// readProgress pages through one viewer's progress. A 429 waits for its
// Retry-After, a 401 refreshes the session (then logs in), a transport
// error or 5xx is retried with back-off: the server may just have been
// restarted by a fault-injection test.
func (r *runner) readProgress(ctx context.Context, v *viewer) (map[string]storedProgress, error) {
	out := map[string]storedProgress{}
	cursor := ""
	for page := 0; page < 1000; page++ {
		u := r.cfg.BaseURL + "/api/v1/me/progress?limit=1000&provider=" + url.QueryEscape(r.cfg.Provider)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var items []storedProgress
		var next string
		var lastErr error
		for attempt := 0; ; attempt++ {
			if attempt == 8 {
				return nil, lastErr
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
			req.Header.Set("Content-Type", "application/json")
			if r.cfg.ForwardedFor {
				req.Header.Set("X-Forwarded-For", v.ip)
			}
			access, _ := v.acct.Tokens()
			req.Header.Set("Authorization", "Bearer "+access)
			resp, err := r.client.Do(req)
			if err != nil {
				lastErr = err
				if !sleepUntil(ctx, time.Now().Add(time.Duration(attempt+1)*500*time.Millisecond)) {
					return nil, ctx.Err()
				}
				continue
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case err != nil:
				lastErr = err
			case resp.StatusCode == http.StatusOK:
				if err := json.Unmarshal(body, &items); err != nil {
					return nil, fmt.Errorf("progress list: %w", err)
				}
				next = resp.Header.Get("X-Next-Cursor")
			case resp.StatusCode == http.StatusTooManyRequests:
				lastErr = fmt.Errorf("429")
				wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				if !sleepUntil(ctx, time.Now().Add(time.Duration(max(wait, 1))*time.Second)) {
					return nil, ctx.Err()
				}
				continue
			case resp.StatusCode == http.StatusUnauthorized:
				lastErr = fmt.Errorf("401 %s", body)
				if !v.refresh(ctx, time.Now()) {
					v.login(ctx, time.Now())
				}
				continue
			default:
				lastErr = fmt.Errorf("%s: %.200s", resp.Status, body)
			}
			if resp != nil && resp.StatusCode == http.StatusOK && err == nil {
				break
			}
			if !sleepUntil(ctx, time.Now().Add(time.Duration(attempt+1)*500*time.Millisecond)) {
				return nil, ctx.Err()
			}
		}
		for _, it := range items {
			out[it.EpisodeID] = it
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
	return nil, fmt.Errorf("more than 1000 pages")
}

// Markdown prints the verification.
func (v *VerifyResult) Markdown(w io.Writer) {
	verdict := "OK"
	if !v.OK() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "\nwrite verification %s: %d acknowledged saves over %d episodes of %d viewers; %d missing; %d viewers unreadable (%.1f s)\n",
		verdict, v.AckedSaves, v.Episodes, v.Viewers, v.Missing, v.Unreadable, v.DurationSec)
	for _, e := range v.ReadErrors {
		fmt.Fprintln(w, "- read error:", e)
	}
	for _, l := range v.Lost {
		sp, sc := "-", "-"
		if l.StoredPosition != nil {
			sp = strconv.FormatFloat(*l.StoredPosition, 'f', -1, 64)
		}
		if l.StoredClientMs != nil {
			sc = strconv.FormatInt(*l.StoredClientMs, 10)
		}
		fmt.Fprintf(w, "- lost: viewer %d %s %s acked pos=%g at %d, stored pos=%s at %s (%s)\n",
			l.Viewer, l.Email, l.Episode, l.AckedPosition, l.AckedClientMs, sp, sc, l.Reason)
	}
}
