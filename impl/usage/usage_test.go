package usage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type sink struct {
	mu      sync.Mutex
	batches [][]Event
	fail    atomic.Int64 // fail this many calls
	block   chan struct{}
}

func (s *sink) send(ctx context.Context, events []Event) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.fail.Add(-1) >= 0 {
		return errors.New("down")
	}
	s.mu.Lock()
	s.batches = append(s.batches, append([]Event(nil), events...))
	s.mu.Unlock()
	return nil
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.batches {
		n += len(b)
	}
	return n
}

func TestBatchesBySizeAndTime(t *testing.T) {
	s := &sink{}
	r := New(s.send, Options{BatchSize: 10, FlushEvery: 50 * time.Millisecond})
	for i := 0; i < 25; i++ {
		r.Record(Event{Op: "GetObject"})
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.count() < 25 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.count() != 25 || len(s.batches) < 3 || r.Sent.Load() != 25 || r.Lost() != 0 {
		t.Fatalf("sent %d in %d batches, lost %d", s.count(), len(s.batches), r.Lost())
	}
}

func TestRetriesThenDelivers(t *testing.T) {
	s := &sink{}
	s.fail.Store(2)
	r := New(s.send, Options{BatchSize: 1, RetryBackoff: time.Millisecond})
	r.Record(Event{Op: "PutObject"})
	deadline := time.Now().Add(2 * time.Second)
	for s.count() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	r.Close(context.Background())
	if s.count() != 1 || r.Failed.Load() != 0 {
		t.Fatalf("delivered %d, failed %d", s.count(), r.Failed.Load())
	}
}

// A dead control plane never blocks Record: the queue fills and drops.
func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	s := &sink{block: make(chan struct{})}
	r := New(s.send, Options{QueueSize: 5, BatchSize: 1})
	start := time.Now()
	for i := 0; i < 1000; i++ {
		r.Record(Event{})
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("recording 1000 events took %v", d)
	}
	if r.Dropped.Load() < 990 {
		t.Fatalf("dropped %d, want most of 1000", r.Dropped.Load())
	}
	close(s.block)
	r.Close(context.Background())
}

func TestCloseFlushes(t *testing.T) {
	s := &sink{}
	r := New(s.send, Options{BatchSize: 1000, FlushEvery: time.Hour})
	for i := 0; i < 7; i++ {
		r.Record(Event{})
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.count() != 7 {
		t.Fatalf("flushed %d of 7 on close", s.count())
	}
}
