package credentials

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
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

// Cache wraps a remote lookup (the control plane). A resolved key is kept
// for TTL and an unknown one for NegativeTTL; concurrent misses for one key
// make a single upstream call; failures of the upstream are not cached, so a
// key cached before the upstream went down keeps working until its TTL ends
// and no longer.
type Cache struct {
	Source      Lookup
	TTL         time.Duration
	NegativeTTL time.Duration
	// Timeout bounds one upstream call.
	Timeout time.Duration
	Now     func() time.Time

	mu       sync.Mutex
	entries  map[string]cacheEntry
	inflight map[string]*flight

	Hits, Misses, Errors atomic.Int64
}

type cacheEntry struct {
	rec     *Record
	expires time.Time
}

type flight struct {
	done chan struct{}
	rec  *Record
	err  error
}

// maxCacheEntries bounds the cache; expired entries go first.
const maxCacheEntries = 100000

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Lookup returns the cached record, or asks the source.
func (c *Cache) Lookup(ctx context.Context, ak string) (*Record, error) {
	now := c.now()
	c.mu.Lock()
	if e, ok := c.entries[ak]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		c.Hits.Add(1)
		if e.rec == nil {
			return nil, ErrUnknownKey
		}
		return e.rec, nil
	}
	c.Misses.Add(1)
	f, ok := c.inflight[ak]
	if !ok {
		f = &flight{done: make(chan struct{})}
		if c.inflight == nil {
			c.inflight = make(map[string]*flight)
		}
		c.inflight[ak] = f
		go c.fetch(ctx, ak, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.rec, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch makes the one upstream call for a key. It runs detached from the
// caller that started it, so that caller giving up does not fail the others.
func (c *Cache) fetch(ctx context.Context, ak string, f *flight) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	rec, err := c.Source(ctx, ak)
	var e *cacheEntry
	switch {
	case err == nil:
		e = &cacheEntry{rec: rec, expires: c.now().Add(c.TTL)}
	case errors.Is(err, ErrUnknownKey):
		e = &cacheEntry{expires: c.now().Add(c.NegativeTTL)}
	default:
		c.Errors.Add(1)
	}
	c.mu.Lock()
	if e != nil {
		if c.entries == nil || len(c.entries) >= maxCacheEntries {
			c.prune()
		}
		c.entries[ak] = *e
	}
	delete(c.inflight, ak)
	c.mu.Unlock()
	f.rec, f.err = rec, err
	close(f.done)
}

// prune drops expired entries, and everything if that is not enough.
func (c *Cache) prune() {
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry)
		return
	}
	now := c.now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCacheEntries {
		c.entries = make(map[string]cacheEntry)
	}
}
