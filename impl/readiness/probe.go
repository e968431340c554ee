// Package readiness watches dependencies in the background so that /readyz
// reports their state without calling them per request.
package readiness

import (
	"context"
	"sync"
	"time"
)

// Probe calls Check every Interval and remembers the last outcome.
type Probe struct {
	Check    func(ctx context.Context) error
	Interval time.Duration

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
		p.err, p.seen = err, true
		p.mu.Unlock()
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
