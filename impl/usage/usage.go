// Package usage meters requests for the control plane without ever making a
// request wait: each finished request becomes an event in a bounded queue;
// a single sender ships events in batches (by size and by time) with retries
// and backoff. When the queue is full, or a batch fails every retry, events
// are dropped and counted: metering is best effort, serving is not.
package usage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3gw/gateway/impl/controlplane/wire"
)

// Event is one request's usage, as the control plane takes it.
type Event = wire.UsageEvent

// SendFunc delivers a batch.
type SendFunc func(ctx context.Context, events []Event) error

// Options tunes a Recorder; zero values take the defaults.
type Options struct {
	QueueSize    int           // default 10000 events
	BatchSize    int           // default 500 events
	FlushEvery   time.Duration // default 1s
	Retries      int           // attempts per batch, default 5
	RetryBackoff time.Duration // first backoff, doubled each retry (capped at 5s); default 200ms
	Logger       *slog.Logger
}

// Recorder queues and ships events. Recording is an append under a mutex:
// the sender wakes once per batch or per tick, never per event.
type Recorder struct {
	send SendFunc
	opts Options
	kick chan struct{} // a full batch is waiting
	done chan struct{}
	stop chan struct{}
	once sync.Once

	mu      sync.Mutex
	pending []Event
	closed  bool

	Sent, Dropped, Failed atomic.Int64
}

// New starts a recorder that delivers with send.
func New(send SendFunc, opts Options) *Recorder {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Second
	}
	if opts.Retries <= 0 {
		opts.Retries = 5
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{send: send, opts: opts, kick: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	go r.run()
	return r
}

// Record queues an event; it never blocks. A full queue, or a recorder
// already closed, drops the event (and counts it).
func (r *Recorder) Record(e Event) {
	r.mu.Lock()
	if len(r.pending) >= r.opts.QueueSize || r.closed {
		r.mu.Unlock()
		r.Dropped.Add(1)
		return
	}
	r.pending = append(r.pending, e)
	full := len(r.pending) == r.opts.BatchSize
	r.mu.Unlock()
	if full {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// Depth is the number of events waiting.
func (r *Recorder) Depth() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Lost is how many events never reached the control plane: dropped on a
// full queue or after every retry failed.
func (r *Recorder) Lost() int64 { return r.Dropped.Load() + r.Failed.Load() }

// take removes up to one batch of pending events.
func (r *Recorder) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := min(len(r.pending), r.opts.BatchSize)
	if n == 0 {
		return nil
	}
	batch := make([]Event, n)
	copy(batch, r.pending)
	r.pending = append(r.pending[:0], r.pending[n:]...)
	return batch
}

func (r *Recorder) run() {
	defer close(r.done)
	ticker := time.NewTicker(r.opts.FlushEvery)
	defer ticker.Stop()
	for {
		stopping := false
		select {
		case <-ticker.C:
		case <-r.kick:
		case <-r.stop:
			stopping = true
		}
		for batch := r.take(); batch != nil; batch = r.take() {
			r.deliver(batch, !stopping)
		}
		if stopping {
			return
		}
	}
}

// deliver sends a batch, retrying with backoff unless stopping.
func (r *Recorder) deliver(batch []Event, retry bool) {
	backoff := r.opts.RetryBackoff
	attempts := r.opts.Retries
	if !retry {
		attempts = 1
	}
	var err error
	for i := 0; i < attempts; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = r.send(ctx, batch)
		cancel()
		if err == nil {
			r.Sent.Add(int64(len(batch)))
			return
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-time.After(backoff):
		case <-r.stop:
			attempts = i + 2 // one last try, now
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	r.Failed.Add(int64(len(batch)))
	r.opts.Logger.Warn("usage: batch dropped after retries", "events", len(batch), "err", err)
}

// Close stops accepting work, flushes what is queued (one attempt) and
// waits for the sender, at most until ctx ends.
func (r *Recorder) Close(ctx context.Context) error {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
