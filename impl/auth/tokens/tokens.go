// Package tokens authenticates bearer tokens (macaroons) by asking the
// control plane, which alone holds the root key, and caches its answers.
//
// The control plane answers for one request (an operation, a bucket, a key)
// and describes the token's whole grant: its project, bucket, prefix,
// operations and expiry. The grant is cached briefly, never past the token's
// expiry, and later requests with the token are checked against it locally,
// so a hot token costs one control-plane call per TTL. A refused token is
// cached too, for NegativeTTL, so repeating it costs nothing upstream.
package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/controlplane/wire"
	"github.com/s3gw/gateway/impl/s3err"
)

// VerifyFunc asks the control plane about a token.
type VerifyFunc func(ctx context.Context, token, op, bucket, key string) (*wire.Grant, error)

// Verifier implements auth.TokenVerifier.
//
// Concurrent checks of one uncached token make a single control-plane call.
// A grant is refreshed ahead of its expiry: a hit past 80% of TTL is answered
// from the cache at once and starts one background call, so a slow control
// plane never delays a cached token. A refresh that fails, or that the
// control plane refuses for its request only (403), leaves the grant as it
// was; one that refuses the token (401) replaces it with the refusal.
type Verifier struct {
	Verify VerifyFunc
	// TTL bounds how long a grant is trusted without asking again.
	TTL time.Duration
	// NegativeTTL is how long a refused token (invalid or expired) is
	// answered from the cache (0: the lesser of TTL and 5s).
	NegativeTTL time.Duration
	// Timeout bounds one control-plane call (0: 5s).
	Timeout time.Duration
	Now     func() time.Time
	// Size bounds the number of grants cached (0: 100000), NegativeSize
	// that of refusals (0: 10000), each least recently used first. Apart,
	// a flood of refused tokens cannot push out the grants in use.
	Size, NegativeSize int
	// Limiter, when set, meters the control-plane calls of misses and
	// refreshes, and may be shared with other caches. A miss it refuses
	// fails at once with SlowDown; a refresh it refuses is skipped. Checks
	// that wait for a call in flight take nothing from it.
	Limiter *rate.Limiter

	initOnce sync.Once
	entries  *lru.Cache[[sha256.Size]byte, *entry]
	refusals *lru.Cache[[sha256.Size]byte, *entry]

	// mu guards inflight only; it is never held during a control-plane
	// call, and hits do not take it.
	mu       sync.Mutex
	inflight map[[sha256.Size]byte]*flight

	// Hits counts checks answered from the cache, NegativeHits those of
	// them answered with a refusal. Misses counts the others, Throttled the
	// misses the limiter refused and Refreshes the refreshes started ahead
	// of expiry.
	Hits, Misses                       atomic.Int64
	NegativeHits, Throttled, Refreshes atomic.Int64
}

type entry struct {
	p     *auth.Principal // nil: the token was refused with err
	err   *s3err.Error
	until time.Time
	// refresh is when (Unix ns) a hit should next start a refresh; the hit
	// that starts one moves it on, so that concurrent hits do not.
	refresh atomic.Int64
}

// flight is one control-plane call and its answer, shared by the checks of
// the token that wait for it.
type flight struct {
	done   chan struct{}
	target auth.Target
	p      *auth.Principal
	err    error
	// forbidden marks a refusal of target only (403), which checks of
	// other targets must not take for theirs.
	forbidden bool
}

// Default bounds of the caches of grants and of refusals.
const (
	defaultSize         = 100000
	defaultNegativeSize = 10000
)

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) init() {
	v.initOnce.Do(func() {
		size, neg := v.Size, v.NegativeSize
		if size <= 0 {
			size = defaultSize
		}
		if neg <= 0 {
			neg = defaultNegativeSize
		}
		// New fails only for a size <= 0.
		v.entries, _ = lru.New[[sha256.Size]byte, *entry](size)
		v.refusals, _ = lru.New[[sha256.Size]byte, *entry](neg)
	})
}

// cached returns the live grant or refusal of a token.
func (v *Verifier) cached(id [sha256.Size]byte, now time.Time) (*entry, bool) {
	v.init()
	if e, ok := v.entries.Get(id); ok && now.Before(e.until) {
		return e, true
	}
	if e, ok := v.refusals.Get(id); ok && now.Before(e.until) {
		return e, true
	}
	return nil, false
}

// store caches a grant or a refusal, replacing the other.
func (v *Verifier) store(id [sha256.Size]byte, e *entry) {
	v.init()
	if e.p != nil {
		v.entries.Add(id, e)
		v.refusals.Remove(id)
		return
	}
	v.refusals.Add(id, e)
	v.entries.Remove(id)
}

func (v *Verifier) negativeTTL() time.Duration {
	if v.NegativeTTL != 0 {
		return v.NegativeTTL
	}
	return min(v.TTL, 5*time.Second)
}

var (
	errExpired     = &s3err.Error{Code: "ExpiredToken", Status: http.StatusBadRequest, Message: "The provided token has expired."}
	errInvalid     = &s3err.Error{Code: "InvalidToken", Status: http.StatusBadRequest, Message: "The provided token is malformed or otherwise invalid."}
	errUnavailable = s3err.ServiceUnavailable.With("The token could not be verified: the control plane that verifies tokens did not answer; retry shortly.")
	errThrottled   = &s3err.Error{Code: "SlowDown", Status: http.StatusServiceUnavailable, Message: "Please reduce your request rate."}
)

// Principal returns the principal a token grants, checked for target.
// Tokens are cached by their hash, so the cache never compares secrets.
func (v *Verifier) Principal(r *http.Request, token string, target auth.Target) (*auth.Principal, error) {
	if token == "" {
		return nil, errInvalid
	}
	id := hash(token)
	ctx := r.Context()
	// A check loops only to ask again after a refusal of another target;
	// missed keeps it from being counted twice.
	for missed := false; ; missed = true {
		now := v.now()
		if e, ok := v.cached(id, now); ok {
			if !missed {
				v.Hits.Add(1)
			}
			if e.p == nil {
				if !missed {
					v.NegativeHits.Add(1)
				}
				return nil, e.err
			}
			if claimRefresh(&e.refresh, now, v.TTL) {
				v.refreshAhead(ctx, id, token, target)
			}
			return e.p, nil
		}
		v.mu.Lock()
		if !missed {
			v.Misses.Add(1) // under mu: a miss counted has joined or started a call
		}
		f, ok := v.inflight[id]
		if !ok {
			if v.Limiter != nil && !v.Limiter.Allow() {
				v.mu.Unlock()
				v.Throttled.Add(1)
				return nil, errThrottled
			}
			f = v.start(ctx, id, token, target)
		}
		v.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, errUnavailable
		}
		// A refusal of another request says nothing about this one: ask
		// again (the grant may have been cached meanwhile).
		if f.forbidden && f.target != target {
			continue
		}
		return f.p, f.err
	}
}

// hash is the token's cache key. Tokens of usual length are copied to the
// stack rather than converted, which would allocate on every check.
func hash(token string) [sha256.Size]byte {
	var buf [512]byte
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// claimRefresh reports whether a hit at now on an entry whose next refresh
// is at *at should start one. The caller that claims it moves *at a tenth of
// ttl on, which also spaces out retries when refreshes fail.
func claimRefresh(at *atomic.Int64, now time.Time, ttl time.Duration) bool {
	next := at.Load()
	return now.UnixNano() >= next && at.CompareAndSwap(next, now.Add(ttl/10).UnixNano())
}

// refreshAhead starts a background call for a cached token, unless one is
// in flight already or the limiter refuses it.
func (v *Verifier) refreshAhead(ctx context.Context, id [sha256.Size]byte, token string, target auth.Target) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, busy := v.inflight[id]; busy {
		return
	}
	if v.Limiter != nil && !v.Limiter.Allow() {
		return
	}
	v.Refreshes.Add(1)
	v.start(ctx, id, token, target)
}

// start registers and launches the one control-plane call for a token,
// about target. v.mu is held.
func (v *Verifier) start(ctx context.Context, id [sha256.Size]byte, token string, target auth.Target) *flight {
	f := &flight{done: make(chan struct{}), target: target}
	if v.inflight == nil {
		v.inflight = make(map[[sha256.Size]byte]*flight)
	}
	v.inflight[id] = f
	go v.fetch(ctx, id, token, f)
	return f
}

// fetch makes the one control-plane call for a token. It runs detached from
// the check that started it, so that check giving up does not fail the
// others. A grant or a refusal of the token is cached; a refusal of the
// request only, or a failure, leaves the cache as it was.
func (v *Verifier) fetch(ctx context.Context, id [sha256.Size]byte, token string, f *flight) {
	timeout := v.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	g, err := v.Verify(ctx, token, string(f.target.Action), f.target.Bucket, f.target.Key)
	now := v.now()
	var te *controlplane.TokenError
	switch {
	case err == nil:
		f.p = principal(g, id)
		v.store(id, v.grantEntry(f.p, now))
	case errors.As(err, &te) && te.Status == http.StatusForbidden:
		f.err = s3err.AccessDenied.With("The token does not allow this request: " + te.Reason)
		f.forbidden = true
	case errors.As(err, &te):
		e := errInvalid
		if strings.Contains(te.Reason, "expired") {
			e = errExpired
		}
		f.err = e
		v.store(id, &entry{err: e, until: now.Add(v.negativeTTL())})
	default:
		f.err = fmt.Errorf("%w (%w)", errUnavailable, err)
	}
	v.mu.Lock()
	delete(v.inflight, id)
	v.mu.Unlock()
	close(f.done)
}

// principal is the principal a grant describes.
func principal(g *wire.Grant, id [sha256.Size]byte) *auth.Principal {
	p := &auth.Principal{Project: g.ProjectID, Bucket: g.Bucket, Prefix: g.Prefix, Method: "token",
		TokenID: hex.EncodeToString(id[:16]), Expires: g.ExpiresAt}
	p.Actions = make([]auth.Action, len(g.Ops))
	for i, op := range g.Ops {
		p.Actions[i] = auth.Action(op)
	}
	return p
}

// grantEntry caches p for TTL but never past the token's expiry. A grant
// cut short by the token's expiry is not refreshed: asking again cannot
// extend it.
func (v *Verifier) grantEntry(p *auth.Principal, now time.Time) *entry {
	e := &entry{p: p, until: now.Add(v.TTL)}
	if p.Expires.Before(e.until) {
		e.until = p.Expires
		e.refresh.Store(math.MaxInt64)
	} else {
		e.refresh.Store(now.Add(v.TTL - v.TTL/5).UnixNano())
	}
	return e
}
