package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/controlplane/wire"
	"github.com/s3gw/gateway/impl/s3err"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeCP is a scriptable control plane. Tokens that start with "refused"
// are invalid; the others grant get on bucket b under x/, and requests
// outside it are refused (403).
type fakeCP struct {
	calls atomic.Int64

	mu   sync.Mutex
	err  error     // when set, the answer to every valid token
	exp  time.Time // the tokens' expiry
	gate chan struct{}
	last auth.Target // of the latest call
}

func (f *fakeCP) verify(ctx context.Context, token, op, bucket, key string) (*wire.Grant, error) {
	f.calls.Add(1)
	f.mu.Lock()
	gate := f.gate
	f.last = auth.Target{Action: auth.Action(op), Bucket: bucket, Key: key}
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", controlplane.ErrUnavailable, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(token, "refused"):
		return nil, &controlplane.TokenError{Status: 401, Reason: "invalid token signature"}
	case f.err != nil:
		return nil, f.err
	case bucket != "b" || !strings.HasPrefix(key, "x/"):
		return nil, &controlplane.TokenError{Status: 403, Reason: "outside the token's prefix"}
	}
	return &wire.Grant{ProjectID: "p", Bucket: "b", Prefix: "x/", Ops: []string{"get"}, ExpiresAt: f.exp}, nil
}

func (f *fakeCP) set(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *fakeCP) lastTarget() auth.Target { f.mu.Lock(); defer f.mu.Unlock(); return f.last }

// hold makes the calls from now on wait until the returned gate is closed.
func (f *fakeCP) hold() chan struct{} {
	g := make(chan struct{})
	f.mu.Lock()
	f.gate = g
	f.mu.Unlock()
	return g
}

var (
	inside  = auth.Target{Action: auth.Get, Bucket: "b", Key: "x/k"}
	outside = auth.Target{Action: auth.Get, Bucket: "b", Key: "y/k"}
)

// settle waits until the call in flight for token, if any, is done and its
// answer cached.
func settle(v *Verifier, token string) {
	v.mu.Lock()
	f := v.inflight[sha256.Sum256([]byte(token))]
	v.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// promptly runs a check that must not wait for the control plane.
func promptly(t *testing.T, v *Verifier, token string, target auth.Target) (*auth.Principal, error) {
	t.Helper()
	type result struct {
		p   *auth.Principal
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := v.Principal(httptest.NewRequest("GET", "/", nil), token, target)
		ch <- result{p, err}
	}()
	select {
	case res := <-ch:
		return res.p, res.err
	case <-time.After(10 * time.Second):
		t.Fatalf("check of %s waited for the control plane", token)
		return nil, nil
	}
}

func code(err error) string {
	if e, ok := s3err.As(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestCachingAndErrors(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cp := &fakeCP{exp: clk.now().Add(10 * time.Second)}
	v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: clk.now}
	r := httptest.NewRequest("GET", "/", nil)
	for range 3 {
		p, err := v.Principal(r, "tok", inside)
		if err != nil || p.Project != "p" || p.Prefix != "x/" || p.Actions[0] != auth.Get || p.Method != "token" {
			t.Fatalf("principal %+v, %v", p, err)
		}
		if id := sha256.Sum256([]byte("tok")); p.TokenID != hex.EncodeToString(id[:16]) {
			t.Fatalf("token id %q", p.TokenID)
		}
		if !p.Expires.Equal(clk.now().Add(10 * time.Second)) {
			t.Fatalf("principal expires %v", p.Expires)
		}
	}
	if n := cp.calls.Load(); n != 1 {
		t.Fatalf("%d control-plane calls for a cached token", n)
	}
	// Never trusted past the token's own expiry, however long the TTL, and
	// not refreshed ahead of it: asking again could not extend it.
	clk.add(9 * time.Second)
	v.Principal(r, "tok", inside)
	if n := cp.calls.Load(); n != 1 || v.Refreshes.Load() != 0 {
		t.Fatalf("%d calls, %d refreshes before the token's expiry", n, v.Refreshes.Load())
	}
	clk.add(2 * time.Second)
	v.Principal(r, "tok", inside)
	if n := cp.calls.Load(); n != 2 {
		t.Fatalf("grant outlived the token's expiry")
	}
	if _, err := v.Principal(r, "", inside); err == nil {
		t.Fatal("empty token accepted")
	}
}

// TestRefusals: a refused token (401) is answered from the cache for
// NegativeTTL; a refusal of one request (403) and a failure to get an
// answer are not cached.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		token  string
		err    error // the control plane's answer to a valid token
		target auth.Target
		code   string
		cached bool
	}{
		{"expired", "tok", &controlplane.TokenError{Status: 401, Reason: "token expired"}, inside, "ExpiredToken", true},
		{"invalid", "refused", nil, inside, "InvalidToken", true},
		{"outside its caveats", "tok", nil, outside, "AccessDenied", false},
		{"unavailable", "tok", errors.New("connection refused"), inside, "ServiceUnavailable", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			cp := &fakeCP{exp: clk.now().Add(time.Hour), err: tc.err}
			v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: clk.now}
			r := httptest.NewRequest("GET", "/", nil)
			for i := range 2 {
				if _, err := v.Principal(r, tc.token, tc.target); code(err) != tc.code {
					t.Fatalf("check %d: %v, want %s", i, err, tc.code)
				}
			}
			want := int64(2)
			if tc.cached {
				want = 1
			}
			if n := cp.calls.Load(); n != want {
				t.Fatalf("%d control-plane calls for two checks, want %d", n, want)
			}
			if !tc.cached {
				return
			}
			if v.NegativeHits.Load() != 1 {
				t.Fatalf("%d negative hits", v.NegativeHits.Load())
			}
			// NegativeTTL defaults to the lesser of TTL and 5s.
			clk.add(4 * time.Second)
			v.Principal(r, tc.token, tc.target)
			clk.add(time.Second)
			v.Principal(r, tc.token, tc.target)
			if n := cp.calls.Load(); n != 2 {
				t.Fatalf("%d calls: the refusal should be cached for 5s exactly", n)
			}
		})
	}
}

// TestCoalescing: concurrent checks of one uncached token make one call,
// which a check giving up does not fail for the others.
func TestCoalescing(t *testing.T) {
	cp := &fakeCP{exp: time.Now().Add(time.Hour)}
	gate := cp.hold()
	v := &Verifier{Verify: cp.verify, TTL: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
		_, err := v.Principal(r, "tok", inside)
		first <- err
	}()
	for v.Misses.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 49)
	for range 49 {
		wg.Go(func() {
			_, err := v.Principal(httptest.NewRequest("GET", "/", nil), "tok", inside)
			errs <- err
		})
	}
	for v.Misses.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-first; code(err) != "ServiceUnavailable" {
		t.Fatalf("check that gave up: %v", err)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := cp.calls.Load(); n != 1 {
		t.Fatalf("%d control-plane calls for 50 concurrent misses, want 1", n)
	}
}

// TestForbiddenNotShared: a 403 answers the request it was asked for only.
// A check of the same target waiting on that call shares it; one of another
// target asks for itself.
func TestForbiddenNotShared(t *testing.T) {
	cp := &fakeCP{exp: time.Now().Add(time.Hour)}
	gate := cp.hold()
	v := &Verifier{Verify: cp.verify, TTL: time.Minute}
	check := func(target auth.Target, out chan<- error) {
		_, err := v.Principal(httptest.NewRequest("GET", "/", nil), "tok", target)
		out <- err
	}
	leader, same, other := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go check(outside, leader)
	for v.Misses.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	go check(outside, same)
	go check(inside, other)
	for v.Misses.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	for name, c := range map[string]struct {
		ch   chan error
		code string
	}{"leader": {leader, "AccessDenied"}, "same target": {same, "AccessDenied"}, "other target": {other, ""}} {
		if err := <-c.ch; code(err) != c.code {
			t.Errorf("%s: %v, want %q", name, err, c.code)
		}
	}
	if n := cp.calls.Load(); n != 2 {
		t.Fatalf("%d control-plane calls, want 2", n)
	}
	// The grant the other target got is cached; the 403 was not.
	if _, err := v.Principal(httptest.NewRequest("GET", "/", nil), "tok", outside); err != nil || cp.calls.Load() != 2 {
		t.Fatalf("after the grant: %v, %d calls", err, cp.calls.Load())
	}
}

// TestCacheLRU: the cache holds at most Size grants and NegativeSize
// refusals, and evicts the least recently used; an evicted token is verified
// again; a flood of refused tokens never evicts a grant.
func TestCacheLRU(t *testing.T) {
	cp := &fakeCP{exp: time.Now().Add(time.Hour)}
	v := &Verifier{Verify: cp.verify, TTL: time.Minute, Size: 3, NegativeSize: 2}
	r := httptest.NewRequest("GET", "/", nil)
	for _, tok := range []string{"t1", "t2", "t3", "t1", "t4", "refused5"} {
		v.Principal(r, tok, inside)
	}
	if n := cp.calls.Load(); n != 5 {
		t.Fatalf("%d control-plane calls for 5 tokens, want 5", n)
	}
	if n := v.entries.Len(); n != 3 {
		t.Fatalf("%d grants, want 3", n)
	}
	for tok, want := range map[string]bool{"t1": true, "t2": false, "t3": true, "t4": true} {
		if got := v.entries.Contains(sha256.Sum256([]byte(tok))); got != want {
			t.Errorf("%s cached: %v, want %v", tok, got, want)
		}
	}
	if !v.refusals.Contains(sha256.Sum256([]byte("refused5"))) {
		t.Errorf("refusal not cached")
	}
	if _, err := v.Principal(r, "t2", inside); err != nil {
		t.Fatal(err)
	}
	if n := cp.calls.Load(); n != 6 {
		t.Fatalf("evicted token: %d control-plane calls, want 6", n)
	}
	for i := 0; i < 50; i++ {
		v.Principal(r, "refused-flood-"+strconv.Itoa(i), inside)
	}
	before := cp.calls.Load()
	for _, tok := range []string{"t1", "t2", "t4"} {
		if _, err := v.Principal(r, tok, inside); err != nil {
			t.Fatal(err)
		}
	}
	if n := cp.calls.Load() - before; n != 0 {
		t.Fatalf("after a flood of refused tokens, %d grants were verified again", n)
	}
	if n := v.refusals.Len(); n != 2 {
		t.Fatalf("%d refusals cached, want NegativeSize 2", n)
	}
}

// TestRefreshAhead: past 80% of TTL a cached grant is answered at once while
// one background call, made for the request that found it due, renews it.
func TestRefreshAhead(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cp := &fakeCP{exp: clk.now().Add(time.Hour)}
	v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: clk.now}
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := v.Principal(r, "tok", inside); err != nil {
		t.Fatal(err)
	}
	clk.add(47 * time.Second)
	promptly(t, v, "tok", inside)
	if n := v.Refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes before 80%% of the TTL", n)
	}

	gate := cp.hold()
	clk.add(2 * time.Second) // 49s: due
	due := auth.Target{Action: auth.Get, Bucket: "b", Key: "x/due"}
	for i := range 10 {
		target := inside
		if i == 0 {
			target = due
		}
		if p, err := promptly(t, v, "tok", target); err != nil || p.Project != "p" {
			t.Fatalf("hit during refresh: %v %v", p, err)
		}
	}
	// Past the retry spacing, the refresh still in flight is not doubled.
	clk.add(7 * time.Second)
	promptly(t, v, "tok", inside)
	close(gate)
	settle(v, "tok")
	if n, calls := v.Refreshes.Load(), cp.calls.Load(); n != 1 || calls != 2 {
		t.Fatalf("%d refreshes, %d control-plane calls; want 1 and 2", n, calls)
	}
	if got := cp.lastTarget(); got != due {
		t.Fatalf("refreshed for %+v, want the request that found it due", got)
	}

	// Renewed (at 56s, when the call returned): the grant now outlives its
	// first expiry (60s).
	clk.add(30 * time.Second) // 86s
	promptly(t, v, "tok", inside)
	if n := cp.calls.Load(); n != 2 || v.Misses.Load() != 1 {
		t.Fatalf("renewed grant: %d control-plane calls, %d misses", n, v.Misses.Load())
	}
}

// TestRefreshFailure: a refresh that fails, or that is refused for its
// request only, keeps the grant until its expiry and no longer; one that
// refuses the token replaces the grant with the refusal at once.
func TestRefreshFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error       // the control plane's answers from the refresh on
		target auth.Target // of the request that finds the grant due
		after  string      // the answer right after the refresh
		late   string      // the answer once the grant expired
	}{
		{"unavailable", errors.New("connection refused"), inside, "", "ServiceUnavailable"},
		{"outside its caveats", nil, outside, "", "AccessDenied"},
		{"token revoked", &controlplane.TokenError{Status: 401, Reason: "token revoked"}, inside, "InvalidToken", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			cp := &fakeCP{exp: clk.now().Add(time.Hour)}
			v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: clk.now}
			if _, err := promptly(t, v, "tok", inside); err != nil {
				t.Fatal(err)
			}
			cp.set(tc.err)
			clk.add(50 * time.Second)
			if _, err := promptly(t, v, "tok", tc.target); err != nil {
				t.Fatalf("hit that starts the refresh: %v", err)
			}
			settle(v, "tok")
			if _, err := promptly(t, v, "tok", inside); code(err) != tc.after {
				t.Fatalf("after the refresh: %v, want %q", err, tc.after)
			}
			settle(v, "tok") // a second refresh, wrongly started, would count
			if n := cp.calls.Load(); n != 2 {
				t.Fatalf("%d control-plane calls, want 2", n)
			}
			if tc.after != "" {
				return
			}
			// Retried no sooner than a tenth of the TTL later, still
			// keeping the grant.
			clk.add(7 * time.Second) // 57s
			if _, err := promptly(t, v, "tok", tc.target); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			settle(v, "tok")
			if n := cp.calls.Load(); n != 3 {
				t.Fatalf("%d control-plane calls after a retry, want 3", n)
			}
			clk.add(3 * time.Second) // 60s: expired
			_, err := v.Principal(httptest.NewRequest("GET", "/", nil), "tok", tc.target)
			if code(err) != tc.late {
				t.Fatalf("after expiry: %v, want %s", err, tc.late)
			}
			if n := cp.calls.Load(); n != 4 {
				t.Fatalf("%d control-plane calls after expiry, want 4", n)
			}
		})
	}
}

// TestLimiter: misses that find no call in flight take a token from the
// shared limiter or fail at once with SlowDown; hits never do.
func TestLimiter(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	t.Run("distinct refused tokens", func(t *testing.T) {
		cp := &fakeCP{exp: time.Now().Add(time.Hour)}
		v := &Verifier{Verify: cp.verify, TTL: time.Minute, Limiter: rate.NewLimiter(0, 2)}
		var throttled int
		for i := range 5 {
			_, err := v.Principal(r, "refused-"+strconv.Itoa(i), inside)
			e, _ := s3err.As(err)
			switch {
			case e != nil && e.Code == "SlowDown" && e.Status == http.StatusServiceUnavailable:
				throttled++
			case code(err) != "InvalidToken":
				t.Fatalf("token %d: %v", i, err)
			}
		}
		if n := cp.calls.Load(); n != 2 || throttled != 3 || v.Throttled.Load() != 3 {
			t.Fatalf("%d calls, %d throttled (counter %d); want 2 and 3", n, throttled, v.Throttled.Load())
		}
		for i := range 2 {
			if _, err := v.Principal(r, "refused-"+strconv.Itoa(i), inside); code(err) != "InvalidToken" {
				t.Fatalf("cached refusal %d: %v", i, err)
			}
		}
		if v.NegativeHits.Load() != 2 || cp.calls.Load() != 2 {
			t.Fatalf("negative hits %d, calls %d", v.NegativeHits.Load(), cp.calls.Load())
		}
	})
	t.Run("cached grant", func(t *testing.T) {
		clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		cp := &fakeCP{exp: clk.now().Add(time.Hour)}
		v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: clk.now, Limiter: rate.NewLimiter(0, 1)}
		if _, err := v.Principal(r, "tok", inside); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Principal(r, "tok2", inside); code(err) != "SlowDown" {
			t.Fatalf("second token: %v, want SlowDown", err)
		}
		clk.add(50 * time.Second) // refresh due, but refused: skipped
		for range 3 {
			if _, err := v.Principal(r, "tok", inside); err != nil {
				t.Fatalf("cached grant throttled: %v", err)
			}
		}
		if cp.calls.Load() != 1 || v.Refreshes.Load() != 0 {
			t.Fatalf("%d calls, %d refreshes; want 1 and 0", cp.calls.Load(), v.Refreshes.Load())
		}
	})
}

// BenchmarkCacheHit is the cost of a bearer-token check answered from the
// cache (the control plane is not called).
func BenchmarkCacheHit(b *testing.B) {
	v, r, token := benchVerifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Principal(r, token, inside); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHitParallel is BenchmarkCacheHit from every core at once.
func BenchmarkCacheHitParallel(b *testing.B) {
	v, r, token := benchVerifier(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Principal(r, token, inside); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchVerifier(b *testing.B) (*Verifier, *http.Request, string) {
	cp := &fakeCP{exp: time.Now().Add(time.Hour)}
	v := &Verifier{Verify: cp.verify, TTL: time.Hour}
	r, _ := http.NewRequest("GET", "/", nil)
	token := "AgEYczMtZ2F0ZXdheS1jb250cm9sLXBsYW5lAhD2k8a4iV5v1nN0xJ6lXvTqAAIWcHJvamVjdF9pZCA9IHByal9kZW1vAAIjZXhwaXJlcyA9IDIwMjYtMTEtMjhUMjE6MDA6MDBaAAAGIPQ5"
	if _, err := v.Principal(r, token, inside); err != nil {
		b.Fatal(err)
	}
	return v, r, token
}

func TestHash(t *testing.T) {
	for _, n := range []int{1, 144, 512, 513, 4096} {
		token := strings.Repeat("t", n)
		if hash(token) != sha256.Sum256([]byte(token)) {
			t.Errorf("hash of a %d-byte token is not its SHA-256", n)
		}
	}
}
