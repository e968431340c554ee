package credentials

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// upstream is a scriptable control plane.
type upstream struct {
	calls atomic.Int64
	down  atomic.Bool
	gate  chan struct{} // when set, calls wait on it
}

var errDown = errors.New("connection refused")

func (u *upstream) lookup(ctx context.Context, ak string) (*Record, error) {
	u.calls.Add(1)
	if u.gate != nil {
		<-u.gate
	}
	if u.down.Load() {
		return nil, errDown
	}
	if ak == "known" {
		return &Record{AccessKey: ak, SecretKey: "s", ProjectID: "p"}, nil
	}
	return nil, ErrUnknownKey
}

func TestCacheTTLs(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: 5 * time.Second, Now: clk.now}
	ctx := context.Background()

	for i := 0; i < 3; i++ {
		if r, err := c.Lookup(ctx, "known"); err != nil || r.ProjectID != "p" {
			t.Fatalf("lookup: %v %v", r, err)
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for a cached key, want 1", n)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Lookup(ctx, "nope"); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if n := up.calls.Load(); n != 2 {
		t.Fatalf("%d upstream calls, want 2 (unknown keys are cached too)", n)
	}
	clk.add(6 * time.Second)
	c.Lookup(ctx, "nope")
	if n := up.calls.Load(); n != 3 {
		t.Fatalf("negative entry outlived NegativeTTL: %d calls", n)
	}

	// The control plane goes down: the cached key keeps working until
	// its TTL ends, and no longer.
	up.down.Store(true)
	clk.add(50 * time.Second)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatalf("cached key failed while upstream is down: %v", err)
	}
	clk.add(11 * time.Second)
	if _, err := c.Lookup(ctx, "known"); !errors.Is(err, errDown) {
		t.Fatalf("expired key while upstream is down: %v, want the upstream error", err)
	}
	// Failures are not cached: once it is back, the key works again.
	up.down.Store(false)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if c.Hits.Load() == 0 || c.Misses.Load() == 0 || c.Errors.Load() != 1 {
		t.Fatalf("counters hits=%d misses=%d errors=%d", c.Hits.Load(), c.Misses.Load(), c.Errors.Load())
	}
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	up := &upstream{gate: make(chan struct{})}
	c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Lookup(context.Background(), "known")
			errs <- err
		}()
	}
	// Let every caller reach the cache before the one call returns.
	for c.Misses.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	close(up.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for 50 concurrent misses, want 1", n)
	}
}

// A caller that gives up does not fail the others waiting on the same call.
func TestCacheCallerCancellation(t *testing.T) {
	up := &upstream{gate: make(chan struct{})}
	c := &Cache{Source: up.lookup, TTL: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.Lookup(ctx, "known"); first <- err }()
	for c.Misses.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { _, err := c.Lookup(context.Background(), "known"); second <- err }()
	for c.Misses.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(up.gate)
	if err := <-second; err != nil {
		t.Fatalf("other caller: %v", err)
	}
}

func TestFirstAndStatic(t *testing.T) {
	local := Static([]Record{{AccessKey: "a", SecretKey: "s", ProjectID: "local"}})
	remote := func(_ context.Context, ak string) (*Record, error) {
		if ak == "b" || ak == "a" {
			return &Record{AccessKey: ak, SecretKey: "s", ProjectID: "remote"}, nil
		}
		return nil, ErrUnknownKey
	}
	l := First(local, remote)
	ctx := context.Background()
	if r, _ := l(ctx, "a"); r.ProjectID != "local" {
		t.Fatalf("a from %s, want local first", r.ProjectID)
	}
	if r, _ := l(ctx, "b"); r.ProjectID != "remote" {
		t.Fatalf("b from %s", r.ProjectID)
	}
	if _, err := l(ctx, "c"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("c: %v", err)
	}
}

// TestCacheBounded fills the cache to its bound: expired entries are dropped
// first, and if every entry is live the cache starts over, so memory stays
// bounded whatever keys clients present. The new entry is kept either way.
func TestCacheBounded(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Second, Now: clk.now}
	ctx := context.Background()
	fill := func(expired int) {
		c.entries = make(map[string]cacheEntry, maxCacheEntries)
		for i := range maxCacheEntries {
			exp := clk.now().Add(time.Minute)
			if i < expired {
				exp = clk.now().Add(-time.Second)
			}
			c.entries[strconv.Itoa(i)] = cacheEntry{expires: exp}
		}
	}

	fill(10)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatal(err)
	}
	if n := len(c.entries); n != maxCacheEntries-10+1 {
		t.Fatalf("%d entries after pruning 10 expired of a full cache, want %d", n, maxCacheEntries-9)
	}

	fill(0)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.entries["known"]; !ok || len(c.entries) != 1 {
		t.Fatalf("full live cache: %d entries after a new key, want just the new one", len(c.entries))
	}
}
