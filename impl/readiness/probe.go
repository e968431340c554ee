// Package readiness watches dependencies in the background so that /readyz
// reports their state without calling them per request.
package readiness

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Probe calls Check every Interval and remembers the last outcome. It logs
// each change between healthy and failing, with the whole error: /readyz
// shows only a summary, which may be public.
type Probe struct {
	Check    func(ctx context.Context) error
	Interval time.Duration
	// Name and Logger, when set, log the changes of state.
	Name   string
	Logger *slog.Logger

	mu   sync.Mutex
	err  error
	seen bool
}

// Run probes until ctx ends.
func (p *Probe) Run(ctx context.Context) {
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.Check(cctx)
		cancel()
		p.mu.Lock()
		was, seen := p.err, p.seen
		p.err, p.seen = err, true
		p.mu.Unlock()
		if p.Logger != nil {
			switch {
			case err != nil && (was == nil || was.Error() != err.Error()):
				p.Logger.Warn(p.Name+" probe failed", "err", err)
			case err == nil && was != nil && seen:
				p.Logger.Info(p.Name + " probe recovered")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.Interval):
		}
	}
}

// Err returns the last probe's error; nil before the first probe ends.
func (p *Probe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
