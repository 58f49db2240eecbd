package logging

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Printf adapts a library's printf-style logger (go-redis has one) to a
// JSON logger: each message is one line at a fixed level. A message whose
// format was already written is held back until Resume, which the caller
// invokes when the dependency answers again, so an outage writes one line
// per kind of failure instead of one per failed dial.
type Printf struct {
	log   *slog.Logger
	level slog.Level

	mu   sync.Mutex
	held map[string]int // format → repeats held back since it was written
}

// NewPrintf returns a Printf writing to log at level.
func NewPrintf(log *slog.Logger, level slog.Level) *Printf {
	return &Printf{log: log, level: level, held: map[string]int{}}
}

// Printf writes the message unless one of the same format was written
// since the last Resume.
func (p *Printf) Printf(ctx context.Context, format string, v ...any) {
	p.mu.Lock()
	n, seen := p.held[format]
	if seen {
		p.held[format] = n + 1
	} else {
		p.held[format] = 0
	}
	p.mu.Unlock()
	if !seen {
		p.log.Log(ctx, p.level, fmt.Sprintf(format, v...))
	}
}

// Resume lets every format be written again, saying how many repeats were
// held back.
func (p *Printf) Resume() {
	p.mu.Lock()
	if len(p.held) == 0 {
		p.mu.Unlock()
		return
	}
	total := 0
	for _, n := range p.held {
		total += n
	}
	clear(p.held)
	p.mu.Unlock()
	if total > 0 {
		p.log.Log(context.Background(), p.level, "repeated messages were not logged", slog.Int("count", total))
	}
}
