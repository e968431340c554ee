package upstream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/storage/upstream"
	"github.com/s3gw/gateway/impl/tenancy"
	"github.com/s3gw/gateway/impl/tenancy/tenancytest"
)

// clock is a settable clock for the caches under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// claimReads is one gateway's transport to the store: it counts the reads
// of claims by name and can fail them, hold one, or run a hook during each.
type claimReads struct {
	base http.RoundTripper

	mu    sync.Mutex
	reads map[string]int
	fail  bool
	// hold, when set, keeps the next claim read, once the store has
	// answered it, until hold is closed; held is closed when it waits.
	hold, held chan struct{}
	// during, when set, runs during each claim read.
	during func()
}

const claimsPath = "/" + upstream.DefaultMetaBucket + "/claims/"

func (c *claimReads) RoundTrip(req *http.Request) (*http.Response, error) {
	name, ok := strings.CutPrefix(req.URL.Path, claimsPath)
	if !ok || req.Method != http.MethodGet {
		return c.base.RoundTrip(req)
	}
	c.mu.Lock()
	c.reads[name]++
	fail, during := c.fail, c.during
	hold, held := c.hold, c.held
	c.hold, c.held = nil, nil
	c.mu.Unlock()
	if fail {
		const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>refused by the test</Message></Error>`
		return &http.Response{
			StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/xml"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
	if during != nil {
		during()
	}
	resp, err := c.base.RoundTrip(req)
	if hold != nil {
		close(held)
		<-hold
	}
	return resp, err
}

// count returns the reads of a name's claim so far.
func (c *claimReads) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[name]
}

func (c *claimReads) setFail(fail bool) {
	c.mu.Lock()
	c.fail = fail
	c.mu.Unlock()
}

// holdNext arms the hold of the next claim read and returns the channel
// closed when that read waits, and the function that lets it go on.
func (c *claimReads) holdNext() (held <-chan struct{}, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hold := make(chan struct{})
	c.hold, c.held = hold, make(chan struct{})
	return c.held, sync.OnceFunc(func() { close(hold) })
}

// gw is one gateway's view of a shared store: its own client,
// transport, clock and cached registry.
type gw struct {
	reg   *upstream.Registry
	reads *claimReads
	clock *clock
}

// gateways opens n gateways over one fresh upstream, each with its own
// cache of the given TTL and size.
func gateways(t *testing.T, n int, ttl time.Duration, size int) []gw {
	t.Helper()
	endpoint := newUpstream(t).URL
	out := make([]gw, n)
	for i := range out {
		tr := &claimReads{base: http.DefaultTransport, reads: map[string]int{}}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		s, err := upstream.Open(ctx, upstream.Options{Endpoint: endpoint, AccessKey: accessKey, SecretKey: secretKey, HTTPClient: &http.Client{Transport: tr}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		clk := newClock()
		out[i] = gw{reg: s.Registry().WithCache(upstream.OwnerCache{TTL: ttl, Size: size, Now: clk.Now}), reads: tr, clock: clk}
	}
	return out
}

// ownedBy checks that r answers bucket's owner as want ("-": unclaimed)
// and that answering it took reads reads of the store.
func ownedBy(t *testing.T, g gw, bucket, want string, reads int) {
	t.Helper()
	before := g.reads.count(bucket)
	c, err := g.reg.Owner(t.Context(), bucket)
	got := c.Owner
	if errors.Is(err, tenancy.ErrUnclaimed) {
		got = "-"
	} else if err != nil {
		t.Fatalf("Owner(%q): %v", bucket, err)
	}
	if got != want {
		t.Errorf("Owner(%q) = %q, want %q", bucket, got, want)
	}
	if n := g.reads.count(bucket) - before; n != reads {
		t.Errorf("Owner(%q) read the store %d times, want %d", bucket, n, reads)
	}
}

func claim(t *testing.T, r tenancy.Registry, bucket, project string) {
	t.Helper()
	if _, err := r.Claim(t.Context(), bucket, project); err != nil {
		t.Fatalf("Claim(%q, %q): %v", bucket, project, err)
	}
}

func release(t *testing.T, r tenancy.Registry, bucket, project string) {
	t.Helper()
	if err := r.Release(t.Context(), bucket, project); err != nil {
		t.Fatalf("Release(%q, %q): %v", bucket, project, err)
	}
}

// TestRegistryCached runs the ownership battery against a registry with
// its cache on (one gateway: its own changes show at once).
func TestRegistryCached(t *testing.T) {
	tenancytest.TestRegistry(t, func(t *testing.T) tenancy.Registry {
		return open(t).Registry().WithCache(upstream.OwnerCache{TTL: time.Hour})
	})
}

// TestOwnerCacheAcrossGateways: what one gateway changes shows on another
// within the TTL and not before, except a new claim on a name the other
// last saw unclaimed, which shows at once ("no owner" is not kept).
func TestOwnerCacheAcrossGateways(t *testing.T) {
	const ttl = 5 * time.Second
	gs := gateways(t, 2, ttl, 0)
	a, b := gs[0], gs[1]

	claim(t, a.reg, "x", "p1")
	ownedBy(t, b, "x", "p1", 1)
	ownedBy(t, b, "x", "p1", 0)

	// A release on a: a sees it at once, b when its claim expires.
	release(t, a.reg, "x", "p1")
	ownedBy(t, a, "x", "-", 1)
	b.clock.Add(ttl - time.Nanosecond)
	ownedBy(t, b, "x", "p1", 0)
	b.clock.Add(time.Nanosecond)
	ownedBy(t, b, "x", "-", 1)
	ownedBy(t, b, "x", "-", 1) // not kept

	// A claim on a of a name b saw unclaimed: at once.
	claim(t, a.reg, "x", "p2")
	ownedBy(t, b, "x", "p2", 1)

	// Release and a new owner on a, while b keeps p2: within the TTL b
	// still answers p2 (the window ADR 002 documents), then p3.
	release(t, a.reg, "x", "p2")
	claim(t, a.reg, "x", "p3")
	ownedBy(t, a, "x", "p3", 1)
	b.clock.Add(ttl - time.Nanosecond)
	ownedBy(t, b, "x", "p2", 0)
	b.clock.Add(time.Nanosecond)
	ownedBy(t, b, "x", "p3", 1)
	ownedBy(t, b, "x", "p3", 0)
}

// TestOwnerCacheFromSend: a claim's TTL counts from when its read was
// sent, not from when the answer arrived.
func TestOwnerCacheFromSend(t *testing.T) {
	const ttl = 4 * time.Second
	gs := gateways(t, 1, ttl, 0)
	g := gs[0]
	claim(t, g.reg, "x", "p1")
	g.reads.mu.Lock()
	g.reads.during = func() { g.clock.Add(ttl / 2) } // a slow read
	g.reads.mu.Unlock()
	ownedBy(t, g, "x", "p1", 1)
	g.reads.mu.Lock()
	g.reads.during = nil
	g.reads.mu.Unlock()
	g.clock.Add(ttl/2 - time.Nanosecond)
	ownedBy(t, g, "x", "p1", 0)
	g.clock.Add(time.Nanosecond)
	ownedBy(t, g, "x", "p1", 1)
}

// TestOwnerCacheOwnChanges: a gateway's own claims and releases show on it
// at once, whatever it held, and the claims it answers come from the store.
func TestOwnerCacheOwnChanges(t *testing.T) {
	const ttl = time.Hour
	gs := gateways(t, 2, ttl, 0)
	a, b := gs[0], gs[1]
	ctx := t.Context()

	claim(t, a.reg, "x", "p1")
	ownedBy(t, b, "x", "p1", 1)
	release(t, b.reg, "x", "p1")
	ownedBy(t, b, "x", "-", 1)
	claim(t, b.reg, "x", "p2")
	ownedBy(t, b, "x", "p2", 1)
	ownedBy(t, b, "x", "p2", 0)

	// b holds p2; on a, p2 releases and p3 claims. A claim on b is
	// refused naming p3, read from the store, and b answers p3 at once.
	release(t, a.reg, "x", "p2")
	claim(t, a.reg, "x", "p3")
	ownedBy(t, b, "x", "p2", 0) // stale until the TTL, or until b changes x
	if c, err := b.reg.Claim(ctx, "x", "p4"); !errors.Is(err, tenancy.ErrTaken) || c.Owner != "p3" {
		t.Fatalf("Claim on b = %+v, %v; want ErrTaken naming p3", c, err)
	}
	ownedBy(t, b, "x", "p3", 1)

	// A release on b by p3, whom b still holds as the owner, is refused
	// (p5 owns x now), and b forgets the name.
	release(t, a.reg, "x", "p3")
	claim(t, a.reg, "x", "p5")
	if err := b.reg.Release(ctx, "x", "p3"); !errors.Is(err, tenancy.ErrNotOwner) {
		t.Fatalf("Release by p3 on b: %v, want ErrNotOwner", err)
	}
	ownedBy(t, b, "x", "p5", 1)
}

// TestOwnerCacheReadDuringRelease: a read in flight when the gateway
// releases the name answers its caller what it saw but is not kept.
func TestOwnerCacheReadDuringRelease(t *testing.T) {
	gs := gateways(t, 1, time.Hour, 0)
	g := gs[0]
	claim(t, g.reg, "x", "p1")
	held, let := g.reads.holdNext()
	defer let()
	type answer struct {
		c   tenancy.Claim
		err error
	}
	done := make(chan answer, 1)
	go func() {
		c, err := g.reg.Owner(t.Context(), "x")
		done <- answer{c, err}
	}()
	<-held // the store has answered p1; the answer waits
	release(t, g.reg, "x", "p1")
	let()
	if got := <-done; got.err != nil || got.c.Owner != "p1" {
		t.Errorf("the read in flight answered %+v, %v; want p1", got.c, got.err)
	}
	ownedBy(t, g, "x", "-", 1)
}

// TestOwnerCacheErrors: a failed read is the caller's error, a check then
// fails closed, nothing is kept, and a kept claim past its TTL is not
// served because the store cannot be read.
func TestOwnerCacheErrors(t *testing.T) {
	const ttl = 5 * time.Second
	gs := gateways(t, 1, ttl, 0)
	g := gs[0]
	ctx := t.Context()
	claim(t, g.reg, "x", "p1")
	buckets := &tenancy.Buckets{Registry: g.reg}

	g.reads.setFail(true)
	if _, err := g.reg.Owner(ctx, "x"); err == nil || errors.Is(err, tenancy.ErrUnclaimed) {
		t.Fatalf("Owner with the store refusing: %v, want an error", err)
	}
	if _, err := buckets.Check(ctx, "p1", "x"); !errors.Is(err, tenancy.ErrUnknownOwner) {
		t.Fatalf("Check with the store refusing: %v, want ErrUnknownOwner", err)
	}
	g.reads.setFail(false)
	ownedBy(t, g, "x", "p1", 1) // the errors were not kept

	// A kept claim serves within its TTL with the store refusing, and
	// fails closed after.
	g.reads.setFail(true)
	if _, err := buckets.Check(ctx, "p1", "x"); err != nil {
		t.Fatalf("Check within the TTL: %v", err)
	}
	g.clock.Add(ttl)
	if _, err := buckets.Check(ctx, "p1", "x"); !errors.Is(err, tenancy.ErrUnknownOwner) {
		t.Fatalf("Check past the TTL with the store refusing: %v, want ErrUnknownOwner", err)
	}
	g.reads.setFail(false)
	ownedBy(t, g, "x", "p1", 1)

	// "No owner" is not kept.
	ownedBy(t, g, "none", "-", 1)
	ownedBy(t, g, "none", "-", 1)

	// A caller giving up while it waits gets its context's error.
	claim(t, g.reg, "y", "p1")
	held, let := g.reads.holdNext()
	defer let()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := g.reg.Owner(cctx, "y"); done <- err }()
	<-held
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Owner of a caller that gave up: %v, want context.Canceled", err)
	}
	let()
}

// TestOwnerCacheSharedRead: concurrent lookups of one name share one read,
// and the caller that started it giving up does not fail the others.
func TestOwnerCacheSharedRead(t *testing.T) {
	gs := gateways(t, 1, time.Hour, 0)
	g := gs[0]
	claim(t, g.reg, "x", "p1")
	held, let := g.reads.holdNext()
	defer let()
	first, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() { _, err := g.reg.Owner(first, "x"); firstErr <- err }()
	<-held
	const n = 8
	_, misses0 := g.reg.CacheStats()
	var wg sync.WaitGroup
	errs := make([]error, n)
	owners := make([]string, n)
	for i := range n {
		wg.Go(func() {
			c, err := g.reg.Owner(t.Context(), "x")
			owners[i], errs[i] = c.Owner, err
		})
	}
	// Every lookup has joined the read once it has counted its miss.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, misses := g.reg.CacheStats(); misses-misses0 == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lookups did not all reach the cache")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the first caller: %v, want context.Canceled", err)
	}
	let()
	wg.Wait()
	for i := range n {
		if errs[i] != nil || owners[i] != "p1" {
			t.Errorf("lookup %d: %q, %v; want p1", i, owners[i], errs[i])
		}
	}
	if got := g.reads.count("x"); got != 1 {
		t.Errorf("%d reads of the claim, want 1", got)
	}
	ownedBy(t, g, "x", "p1", 0)
}

// TestOwnerCacheBounded: the cache keeps at most Size claims, the least
// recently used leaving first.
func TestOwnerCacheBounded(t *testing.T) {
	gs := gateways(t, 1, time.Hour, 2)
	g := gs[0]
	for _, name := range []string{"n1", "n2", "n3"} {
		claim(t, g.reg, name, "p")
		ownedBy(t, g, name, "p", 1)
	}
	ownedBy(t, g, "n3", "p", 0)
	ownedBy(t, g, "n2", "p", 0)
	ownedBy(t, g, "n1", "p", 1) // evicted by n3; evicts n3
	ownedBy(t, g, "n2", "p", 0)
	ownedBy(t, g, "n3", "p", 1)
}

// TestOwnerCacheOff: a TTL of zero is no cache: every lookup reads.
func TestOwnerCacheOff(t *testing.T) {
	gs := gateways(t, 1, 0, 0)
	g := gs[0]
	claim(t, g.reg, "x", "p1")
	ownedBy(t, g, "x", "p1", 1)
	ownedBy(t, g, "x", "p1", 1)
	if hits, misses := g.reg.CacheStats(); hits != 0 || misses != 0 {
		t.Errorf("CacheStats without a cache = %d, %d", hits, misses)
	}
}
