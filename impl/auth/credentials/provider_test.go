package credentials

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// upstream is a scriptable control plane: it knows the keys that start
// with "known", until revoked.
type upstream struct {
	calls   atomic.Int64
	down    atomic.Bool
	revoked atomic.Bool

	mu   sync.Mutex
	gate chan struct{} // when set, calls wait on it
}

var errDown = errors.New("connection refused")

func (u *upstream) lookup(ctx context.Context, ak string) (*Record, error) {
	u.calls.Add(1)
	u.mu.Lock()
	gate := u.gate
	u.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u.down.Load() {
		return nil, errDown
	}
	if strings.HasPrefix(ak, "known") && !u.revoked.Load() {
		return &Record{AccessKey: ak, SecretKey: "s", ProjectID: "p"}, nil
	}
	return nil, ErrUnknownKey
}

// hold makes the calls from now on wait until the returned gate is closed.
func (u *upstream) hold() chan struct{} {
	g := make(chan struct{})
	u.mu.Lock()
	u.gate = g
	u.mu.Unlock()
	return g
}

// settle waits until the upstream call in flight for ak, if any, is done
// and its answer cached.
func settle(c *Cache, ak string) {
	c.mu.Lock()
	f := c.inflight[ak]
	c.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// promptly runs a lookup that must not wait for the upstream.
func promptly(t *testing.T, c *Cache, ak string) (*Record, error) {
	t.Helper()
	type result struct {
		rec *Record
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := c.Lookup(context.Background(), ak)
		ch <- result{r, err}
	}()
	select {
	case res := <-ch:
		return res.rec, res.err
	case <-time.After(10 * time.Second):
		t.Fatalf("lookup of %s waited for the upstream", ak)
		return nil, nil
	}
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
	// (At 56s the hit also starts a refresh, which fails.)
	up.down.Store(true)
	clk.add(50 * time.Second)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatalf("cached key failed while upstream is down: %v", err)
	}
	settle(c, "known")
	clk.add(11 * time.Second)
	if _, err := c.Lookup(ctx, "known"); !errors.Is(err, errDown) {
		t.Fatalf("expired key while upstream is down: %v, want the upstream error", err)
	}
	// Failures are not cached: once it is back, the key works again.
	up.down.Store(false)
	if _, err := c.Lookup(ctx, "known"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if c.Hits.Load() == 0 || c.Misses.Load() == 0 || c.Errors.Load() != 2 {
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

// TestCacheLRU: the cache holds at most Size known keys and NegativeSize
// unknown ones, and evicts the least recently used; an evicted key is asked
// for again; a flood of unknown keys never evicts a known one.
func TestCacheLRU(t *testing.T) {
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Minute, Size: 3, NegativeSize: 2}
	ctx := context.Background()
	for _, ak := range []string{"known-1", "known-2", "known-3", "known-1", "known-4", "nope-5"} {
		if _, err := c.Lookup(ctx, ak); err != nil && !errors.Is(err, ErrUnknownKey) {
			t.Fatal(err)
		}
	}
	if n := up.calls.Load(); n != 5 {
		t.Fatalf("%d upstream calls for 5 keys, want 5", n)
	}
	if n := c.entries.Len(); n != 3 {
		t.Fatalf("%d known entries, want 3", n)
	}
	// known-1 was used after known-2, which went first.
	for ak, want := range map[string]bool{"known-1": true, "known-2": false, "known-3": true, "known-4": true} {
		if got := c.entries.Contains(ak); got != want {
			t.Errorf("%s cached: %v, want %v", ak, got, want)
		}
	}
	if !c.unknown.Contains("nope-5") {
		t.Errorf("unknown key not cached")
	}
	if _, err := c.Lookup(ctx, "known-2"); err != nil {
		t.Fatal(err)
	}
	if n := up.calls.Load(); n != 6 {
		t.Fatalf("evicted key: %d upstream calls, want 6", n)
	}
	for i := 0; i < 50; i++ {
		c.Lookup(ctx, "nope-flood-"+strconv.Itoa(i))
	}
	before := up.calls.Load()
	for _, ak := range []string{"known-1", "known-2", "known-4"} {
		if _, err := c.Lookup(ctx, ak); err != nil {
			t.Fatal(err)
		}
	}
	if n := up.calls.Load() - before; n != 0 {
		t.Fatalf("after a flood of unknown keys, %d known keys were asked for again", n)
	}
	if n := c.unknown.Len(); n != 2 {
		t.Fatalf("%d unknown entries, want NegativeSize 2", n)
	}
}

// TestCacheRefreshAhead: past 80% of its TTL a cached key is answered at
// once while one background refresh, whatever the number of hits, renews it.
func TestCacheRefreshAhead(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Second, Now: clk.now}
	if _, err := c.Lookup(context.Background(), "known"); err != nil {
		t.Fatal(err)
	}
	clk.add(47 * time.Second)
	promptly(t, c, "known")
	if n := c.Refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes before 80%% of the TTL", n)
	}

	gate := up.hold()
	clk.add(2 * time.Second) // 49s: due
	for range 10 {
		if r, err := promptly(t, c, "known"); err != nil || r.ProjectID != "p" {
			t.Fatalf("hit during refresh: %v %v", r, err)
		}
	}
	// Past the retry spacing, the refresh still in flight is not doubled.
	clk.add(7 * time.Second)
	promptly(t, c, "known")
	close(gate)
	settle(c, "known")
	if n, calls := c.Refreshes.Load(), up.calls.Load(); n != 1 || calls != 2 {
		t.Fatalf("%d refreshes, %d upstream calls; want 1 and 2", n, calls)
	}

	// Renewed (at 56s, when the call returned): the entry now outlives its
	// first expiry (60s).
	clk.add(30 * time.Second) // 86s
	promptly(t, c, "known")
	if n := up.calls.Load(); n != 2 || c.Misses.Load() != 1 {
		t.Fatalf("renewed key: %d upstream calls, %d misses", n, c.Misses.Load())
	}
}

// TestCacheRefreshFailure: a refresh the upstream fails keeps the entry
// until its expiry and no longer; one that finds the key unknown replaces
// it at once.
func TestCacheRefreshFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func(*upstream)
		after error // the answer right after the refresh
		calls int64 // upstream calls by then
	}{
		{"upstream down", func(u *upstream) { u.down.Store(true) }, nil, 2},
		{"key revoked", func(u *upstream) { u.revoked.Store(true) }, ErrUnknownKey, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1000, 0)}
			up := &upstream{}
			c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Minute, Now: clk.now}
			if _, err := c.Lookup(context.Background(), "known"); err != nil {
				t.Fatal(err)
			}
			tc.fail(up)
			clk.add(50 * time.Second)
			if _, err := promptly(t, c, "known"); err != nil {
				t.Fatalf("hit that starts the refresh: %v", err)
			}
			settle(c, "known")
			if _, err := promptly(t, c, "known"); !errors.Is(err, tc.after) {
				t.Fatalf("after the refresh: %v, want %v", err, tc.after)
			}
			settle(c, "known") // a second refresh, wrongly started, would count
			if n := up.calls.Load(); n != tc.calls {
				t.Fatalf("%d upstream calls, want %d", n, tc.calls)
			}
			if tc.after != nil {
				return
			}
			// Retried no sooner than a tenth of the TTL later, still
			// keeping the entry.
			clk.add(7 * time.Second) // 57s
			if _, err := promptly(t, c, "known"); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			settle(c, "known")
			if n := up.calls.Load(); n != 3 {
				t.Fatalf("%d upstream calls after a retry, want 3", n)
			}
			clk.add(3 * time.Second) // 60s: expired
			if _, err := c.Lookup(context.Background(), "known"); !errors.Is(err, errDown) {
				t.Fatalf("after expiry: %v, want the upstream error", err)
			}
		})
	}
}

// TestCacheLimiter: misses that find no call in flight take a token from the
// shared limiter or fail at once; hits, and misses waiting for a call in
// flight, never do.
func TestCacheLimiter(t *testing.T) {
	ctx := context.Background()
	t.Run("distinct unknown keys", func(t *testing.T) {
		up := &upstream{}
		c := &Cache{Source: up.lookup, TTL: time.Minute, NegativeTTL: time.Minute, Limiter: rate.NewLimiter(0, 2)}
		var throttled int
		for i := range 5 {
			_, err := c.Lookup(ctx, "nope-"+strconv.Itoa(i))
			switch {
			case errors.Is(err, ErrThrottled):
				throttled++
			case !errors.Is(err, ErrUnknownKey):
				t.Fatalf("key %d: %v", i, err)
			}
		}
		if n := up.calls.Load(); n != 2 || throttled != 3 || c.Throttled.Load() != 3 {
			t.Fatalf("%d upstream calls, %d throttled (counter %d); want 2 and 3", n, throttled, c.Throttled.Load())
		}
		// The keys looked up are cached as unknown: not throttled.
		for i := range 2 {
			if _, err := c.Lookup(ctx, "nope-"+strconv.Itoa(i)); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("cached unknown key %d: %v", i, err)
			}
		}
		if c.NegativeHits.Load() != 2 || up.calls.Load() != 2 {
			t.Fatalf("negative hits %d, calls %d", c.NegativeHits.Load(), up.calls.Load())
		}
	})
	t.Run("cached key", func(t *testing.T) {
		clk := &clock{t: time.Unix(1000, 0)}
		up := &upstream{}
		c := &Cache{Source: up.lookup, TTL: time.Minute, Now: clk.now, Limiter: rate.NewLimiter(0, 1)}
		if _, err := c.Lookup(ctx, "known"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lookup(ctx, "known-other"); !errors.Is(err, ErrThrottled) {
			t.Fatalf("second key: %v, want ErrThrottled", err)
		}
		clk.add(50 * time.Second) // refresh due, but refused: skipped
		for range 3 {
			if _, err := c.Lookup(ctx, "known"); err != nil {
				t.Fatalf("cached key throttled: %v", err)
			}
		}
		if up.calls.Load() != 1 || c.Refreshes.Load() != 0 {
			t.Fatalf("%d calls, %d refreshes; want 1 and 0", up.calls.Load(), c.Refreshes.Load())
		}
	})
	t.Run("coalesced misses", func(t *testing.T) {
		up := &upstream{gate: make(chan struct{})}
		c := &Cache{Source: up.lookup, TTL: time.Minute, Limiter: rate.NewLimiter(0, 1)}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				_, err := c.Lookup(ctx, "known")
				errs <- err
			})
		}
		for c.Misses.Load() < 20 {
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
		if up.calls.Load() != 1 {
			t.Fatalf("%d upstream calls", up.calls.Load())
		}
	})
}

// BenchmarkCacheHit is the cost of a key lookup answered from the cache.
func BenchmarkCacheHit(b *testing.B) {
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Hour, NegativeTTL: time.Second}
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "known"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Lookup(ctx, "known"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHitParallel is BenchmarkCacheHit from every core at once.
func BenchmarkCacheHitParallel(b *testing.B) {
	up := &upstream{}
	c := &Cache{Source: up.lookup, TTL: time.Hour, NegativeTTL: time.Second}
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "known"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Lookup(ctx, "known"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
