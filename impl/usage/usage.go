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

	"github.com/s3gw/gateway/impl/controlplane"
)

// Event is one request's usage.
type Event = controlplane.UsageEvent

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

// Recorder queues and ships events.
type Recorder struct {
	send  SendFunc
	opts  Options
	queue chan Event
	done  chan struct{}
	stop  chan struct{}
	once  sync.Once

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
	r := &Recorder{send: send, opts: opts, queue: make(chan Event, opts.QueueSize), done: make(chan struct{}), stop: make(chan struct{})}
	go r.run()
	return r
}

// Record queues an event; it never blocks. A full queue drops the event.
func (r *Recorder) Record(e Event) {
	select {
	case r.queue <- e:
	default:
		r.Dropped.Add(1)
	}
}

// Depth is the number of events waiting.
func (r *Recorder) Depth() int { return len(r.queue) }

// Lost is how many events never reached the control plane: dropped on a
// full queue or after every retry failed.
func (r *Recorder) Lost() int64 { return r.Dropped.Load() + r.Failed.Load() }

func (r *Recorder) run() {
	defer close(r.done)
	ticker := time.NewTicker(r.opts.FlushEvery)
	defer ticker.Stop()
	batch := make([]Event, 0, r.opts.BatchSize)
	for {
		select {
		case e := <-r.queue:
			batch = append(batch, e)
			if len(batch) == r.opts.BatchSize {
				r.deliver(batch, true)
				batch = batch[:0]
			}
		case <-ticker.C:
			if len(batch) > 0 {
				r.deliver(batch, true)
				batch = batch[:0]
			}
		case <-r.stop:
			// Drain what is queued and send it once, without backoff.
			for {
				select {
				case e := <-r.queue:
					batch = append(batch, e)
					if len(batch) == r.opts.BatchSize {
						r.deliver(batch, false)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				r.deliver(batch, false)
			}
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
	r.once.Do(func() { close(r.stop) })
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
