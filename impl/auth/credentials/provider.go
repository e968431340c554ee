package credentials

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Lookup resolves an access key to its record, or ErrUnknownKey.
type Lookup func(ctx context.Context, accessKey string) (*Record, error)

// Static serves a fixed set of records (SIGV4_CREDENTIALS_JSON / _FILE).
func Static(recs []Record) Lookup {
	m := make(map[string]*Record, len(recs))
	for i := range recs {
		m[recs[i].AccessKey] = &recs[i]
	}
	return func(_ context.Context, ak string) (*Record, error) {
		if r, ok := m[ak]; ok {
			return r, nil
		}
		return nil, ErrUnknownKey
	}
}

// First asks each lookup in turn until one knows the key: the hybrid
// provider is First(Static(local), cache.Lookup).
func First(lookups ...Lookup) Lookup {
	return func(ctx context.Context, ak string) (*Record, error) {
		for _, l := range lookups {
			r, err := l(ctx, ak)
			if !errors.Is(err, ErrUnknownKey) {
				return r, err
			}
		}
		return nil, ErrUnknownKey
	}
}

// ErrThrottled is returned by Cache.Lookup for a miss that the upstream rate
// limit refused: the key was not looked up, and the client should slow down.
var ErrThrottled = errors.New("credentials: too many control-plane lookups")

// Cache wraps a remote lookup (the control plane). A resolved key is kept
// for TTL and an unknown one for NegativeTTL, in an LRU of Size entries;
// concurrent misses for one key make a single upstream call; failures of the
// upstream are not cached, so a key cached before the upstream went down
// keeps working until its TTL ends and no longer.
//
// A resolved key is refreshed ahead of its expiry: a hit past 80% of its TTL
// is answered from the cache at once and starts one background lookup, so a
// slow upstream never delays a cached key. A refresh that fails leaves the
// entry as it was; one that finds the key unknown replaces it.
type Cache struct {
	Source      Lookup
	TTL         time.Duration
	NegativeTTL time.Duration
	// Timeout bounds one upstream call (0: 5s).
	Timeout time.Duration
	Now     func() time.Time
	// Size bounds the number of known keys cached (0: 100000),
	// NegativeSize that of unknown ones (0: 10000), each least recently used
	// first. Apart, a flood of unknown keys cannot push out the keys in use.
	Size, NegativeSize int
	// Limiter, when set, meters the upstream calls of misses and refreshes,
	// and may be shared with other caches. A miss it refuses fails at once
	// with ErrThrottled; a refresh it refuses is skipped. Misses that wait
	// for a call already in flight take nothing from it.
	Limiter *rate.Limiter

	initOnce sync.Once
	entries  *lru.Cache[string, *cacheEntry]
	unknown  *lru.Cache[string, *cacheEntry]

	// mu guards inflight only; it is never held during an upstream call,
	// and hits do not take it.
	mu       sync.Mutex
	inflight map[string]*flight

	// Hits counts lookups answered from the cache, NegativeHits those of
	// them answered ErrUnknownKey. Misses counts the others, Throttled the
	// misses the limiter refused, Errors the failed upstream calls and
	// Refreshes the refreshes started ahead of expiry.
	Hits, Misses, Errors               atomic.Int64
	NegativeHits, Throttled, Refreshes atomic.Int64
}

type cacheEntry struct {
	rec     *Record // nil: the key is unknown
	expires time.Time
	// refresh is when (Unix ns) a hit should next start a refresh; the hit
	// that starts one moves it on, so that concurrent hits do not.
	refresh atomic.Int64
}

type flight struct {
	done chan struct{}
	rec  *Record
	err  error
}

// Default bounds of the caches of known and of unknown keys.
const (
	defaultSize         = 100000
	defaultNegativeSize = 10000
)

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) init() {
	c.initOnce.Do(func() {
		size, neg := c.Size, c.NegativeSize
		if size <= 0 {
			size = defaultSize
		}
		if neg <= 0 {
			neg = defaultNegativeSize
		}
		// New fails only for a size <= 0.
		c.entries, _ = lru.New[string, *cacheEntry](size)
		c.unknown, _ = lru.New[string, *cacheEntry](neg)
	})
}

// cached returns the live entry of a key, known or unknown.
func (c *Cache) cached(ak string, now time.Time) (*cacheEntry, bool) {
	c.init()
	if e, ok := c.entries.Get(ak); ok && now.Before(e.expires) {
		return e, true
	}
	if e, ok := c.unknown.Get(ak); ok && now.Before(e.expires) {
		return e, true
	}
	return nil, false
}

// store caches a known or an unknown key, replacing the other.
func (c *Cache) store(ak string, e *cacheEntry) {
	c.init()
	if e.rec != nil {
		c.entries.Add(ak, e)
		c.unknown.Remove(ak)
		return
	}
	c.unknown.Add(ak, e)
	c.entries.Remove(ak)
}

// Lookup returns the cached record, or asks the source.
func (c *Cache) Lookup(ctx context.Context, ak string) (*Record, error) {
	now := c.now()
	if e, ok := c.cached(ak, now); ok {
		c.Hits.Add(1)
		if e.rec == nil {
			c.NegativeHits.Add(1)
			return nil, ErrUnknownKey
		}
		if claimRefresh(&e.refresh, now, c.TTL) {
			c.refreshAhead(ctx, ak)
		}
		return e.rec, nil
	}
	c.mu.Lock()
	c.Misses.Add(1) // under mu: a miss counted has joined or started a call
	f, ok := c.inflight[ak]
	if !ok {
		if c.Limiter != nil && !c.Limiter.Allow() {
			c.mu.Unlock()
			c.Throttled.Add(1)
			return nil, ErrThrottled
		}
		f = c.start(ctx, ak)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.rec, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// claimRefresh reports whether a hit at now on an entry whose next refresh
// is at *at should start one. The caller that claims it moves *at a tenth of
// ttl on, which also spaces out retries when refreshes fail.
func claimRefresh(at *atomic.Int64, now time.Time, ttl time.Duration) bool {
	next := at.Load()
	return now.UnixNano() >= next && at.CompareAndSwap(next, now.Add(ttl/10).UnixNano())
}

// refreshAt is when an entry fetched at now and trusted for ttl should be
// refreshed: at 80% of its lifetime.
func refreshAt(now time.Time, ttl time.Duration) int64 {
	return now.Add(ttl - ttl/5).UnixNano()
}

// refreshAhead starts a background lookup of a cached key, unless one is in
// flight already or the limiter refuses it.
func (c *Cache) refreshAhead(ctx context.Context, ak string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, busy := c.inflight[ak]; busy {
		return
	}
	if c.Limiter != nil && !c.Limiter.Allow() {
		return
	}
	c.Refreshes.Add(1)
	c.start(ctx, ak)
}

// start registers and launches the one upstream call for a key. c.mu is held.
func (c *Cache) start(ctx context.Context, ak string) *flight {
	f := &flight{done: make(chan struct{})}
	if c.inflight == nil {
		c.inflight = make(map[string]*flight)
	}
	c.inflight[ak] = f
	go c.fetch(ctx, ak, f)
	return f
}

// fetch makes the one upstream call for a key. It runs detached from the
// caller that started it, so that caller giving up does not fail the others.
// An upstream failure leaves the cache as it was: nothing for a miss, the
// entry being refreshed for a refresh.
func (c *Cache) fetch(ctx context.Context, ak string, f *flight) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	rec, err := c.Source(ctx, ak)
	now := c.now()
	switch {
	case err == nil:
		e := &cacheEntry{rec: rec, expires: now.Add(c.TTL)}
		e.refresh.Store(refreshAt(now, c.TTL))
		c.store(ak, e)
	case errors.Is(err, ErrUnknownKey):
		c.store(ak, &cacheEntry{expires: now.Add(c.NegativeTTL)})
	default:
		c.Errors.Add(1)
	}
	c.mu.Lock()
	delete(c.inflight, ak)
	c.mu.Unlock()
	f.rec, f.err = rec, err
	close(f.done)
}
