package upstream

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// Registry is a tenancy.Registry in the store's metadata bucket, shared by
// every gateway in front of the store (ADR 002, "Ownership"):
//
//	claims/<bucket>                   the claim (JSON: owner, created), authoritative
//	projects/p<hex(owner)>/<bucket>   an index for listing a project's claims
//
// A claim is written with If-None-Match: *, which the store honours on PUT,
// so of two gateways claiming one name exactly one wins. The index is
// written after the claim and checked against the claims when listed:
// an entry whose claim is gone or another's is dropped, and an owner who
// claims a name again rewrites its entry.
//
// Without a cache (Store.Registry) every Owner reads the store. WithCache
// keeps the claims Owner read for a bounded time: see OwnerCache. Claim,
// Release and List always read the store.
type Registry struct {
	s     *Store
	cache *ownerCache // nil: every Owner reads the store
}

var _ tenancy.Registry = (*Registry)(nil)

// Registry returns the ownership registry kept in the store's metadata
// bucket, without a cache.
func (s *Store) Registry() *Registry { return &Registry{s: s} }

type claimRecord struct {
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

func claimKey(bucket string) string { return "claims/" + bucket }

func indexPrefix(owner string) string { return "projects/p" + hex.EncodeToString([]byte(owner)) + "/" }

// Owner returns the claim on a name: from the cache when the registry has
// one and holds the claim, else read from the store.
func (r *Registry) Owner(ctx context.Context, bucket string) (tenancy.Claim, error) {
	if r.cache == nil {
		return r.read(ctx, bucket)
	}
	return r.cache.owner(ctx, bucket, r.read)
}

// read reads the claim on a name from the store.
func (r *Registry) read(ctx context.Context, bucket string) (tenancy.Claim, error) {
	var rec claimRecord
	found, err := r.s.getRecord(ctx, claimKey(bucket), &rec)
	if err != nil {
		return tenancy.Claim{}, fmt.Errorf("owner of %q: %w", bucket, err)
	}
	if !found {
		return tenancy.Claim{}, tenancy.ErrUnclaimed
	}
	return tenancy.Claim{Bucket: bucket, Owner: rec.Owner, Created: rec.Created}, nil
}

// Claim writes the claim unless one exists, then the index entry. It
// answers from the store, never the cache, and the cache forgets the name.
func (r *Registry) Claim(ctx context.Context, bucket, project string) (tenancy.Claim, error) {
	defer r.forget(bucket)
	c := tenancy.Claim{Bucket: bucket, Owner: project, Created: nowUTC().Truncate(time.Second)}
	data, err := json.Marshal(claimRecord{Owner: project, Created: c.Created})
	if err != nil {
		return tenancy.Claim{}, err
	}
	_, err = r.s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(r.s.meta),
		Key:           aws.String(claimKey(bucket)),
		Body:          strings.NewReader(string(data)),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/json"),
		IfNoneMatch:   aws.String("*"),
	})
	if st := status(err); st == http.StatusPreconditionFailed || st == http.StatusConflict {
		held, oerr := r.read(ctx, bucket)
		switch {
		case errors.Is(oerr, tenancy.ErrUnclaimed):
			return tenancy.Claim{}, fmt.Errorf("claim %q: released meanwhile, retry: %w", bucket, errUnavailableClaim)
		case oerr != nil:
			return tenancy.Claim{}, oerr
		case held.Owner == project:
			// Repair the index, in case a crash came between the claim
			// and its entry.
			if err := r.s.putRecord(ctx, indexPrefix(project)+bucket, struct{}{}); err != nil {
				return held, err
			}
			return held, tenancy.ErrOwnedByYou
		}
		return held, tenancy.ErrTaken
	}
	if err != nil {
		return tenancy.Claim{}, mapErr(ctx, err, "claim %q", bucket)
	}
	if err := r.s.putRecord(ctx, indexPrefix(project)+bucket, struct{}{}); err != nil {
		return c, err
	}
	return c, nil
}

// errUnavailableClaim is a claim lost to a concurrent release: the caller
// may retry.
var errUnavailableClaim = fmt.Errorf("upstream: claim changed during the request: %w", storage.ErrUnavailable)

// Release deletes project's claim and its index entry. The claim is
// deleted bound to the ETag read (If-Match), so that a claim made again
// meanwhile by another project survives where the store honours it. The
// cache forgets the name.
func (r *Registry) Release(ctx context.Context, bucket, project string) error {
	defer r.forget(bucket)
	out, err := r.s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.s.meta), Key: aws.String(claimKey(bucket))})
	if status(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return mapErr(ctx, err, "release %q", bucket)
	}
	var rec claimRecord
	err = json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(&rec)
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("upstream: release %q: claim: %w", bucket, err)
	}
	if rec.Owner != project {
		return tenancy.ErrNotOwner
	}
	// The index entry goes first: an entry without a claim is dropped
	// when listed, a claim without its entry would be missing from them.
	r.s.deleteRecords(ctx, indexPrefix(project)+bucket)
	_, err = r.s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.s.meta), Key: aws.String(claimKey(bucket)), IfMatch: out.ETag})
	if err != nil && status(err) != http.StatusNotFound {
		return mapErr(ctx, err, "release %q", bucket)
	}
	return nil
}

// List pages through the project's index (or, for "", every claim),
// keeping only names whose claim is the project's.
func (r *Registry) List(ctx context.Context, project string, opts tenancy.ListOptions) ([]tenancy.Claim, bool, error) {
	base := "claims/"
	if project != "" {
		base = indexPrefix(project)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.s.meta), Prefix: aws.String(base + opts.Prefix)}
	if opts.After != "" {
		in.StartAfter = aws.String(base + opts.After)
	}
	var out []tenancy.Claim
	for {
		page, err := r.s.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, mapErr(ctx, err, "list claims")
		}
		var names []string
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), base))
		}
		claims, err := r.claims(ctx, project, names)
		if err != nil {
			return nil, false, err
		}
		out = append(out, claims...)
		if opts.Limit > 0 && len(out) > opts.Limit {
			return out[:opts.Limit], true, nil
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, false, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// claims reads the claims on names from the store, in order, keeping those
// of project (any, for "") and dropping the index entries they contradict.
// Never from the cache: a stale claim would drop a valid entry.
func (r *Registry) claims(ctx context.Context, project string, names []string) ([]tenancy.Claim, error) {
	got := make([]tenancy.Claim, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, headConcurrency)
	for i, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = r.read(ctx, name)
		})
	}
	wg.Wait()
	var out []tenancy.Claim
	for i, c := range got {
		switch {
		case errors.Is(errs[i], tenancy.ErrUnclaimed) || (errs[i] == nil && project != "" && c.Owner != project):
			if project != "" {
				r.s.deleteRecords(ctx, indexPrefix(project)+names[i])
			}
		case errs[i] != nil:
			return nil, errs[i]
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// OwnerCache configures a Registry's cache of the claims Owner reads, which
// spares every request's ownership check a read of the store (ADR 002,
// "Ownership records"). What it answers is bounded in staleness and fails
// closed:
//
//   - A claim read from the store is trusted for TTL, counted from when the
//     read was sent, then read again: a claim another gateway makes or
//     releases shows here within TTL. A kept claim is never served past
//     TTL, not even when the store cannot be read.
//   - Claim and Release through this registry make it forget the name
//     before they return, so the gateway sees its own changes at once; a
//     read of the name in flight meanwhile still answers its callers but is
//     not kept.
//   - "No owner" is never kept: on an unclaimed name a request goes on to
//     the store, so a stale "no owner" would open another project's new
//     bucket to everyone. An unclaimed name costs a read every time.
//   - A failed read is never kept: it is the callers' error (their check
//     fails closed), and the next lookup reads again.
//   - Concurrent lookups of one name share one read, detached from the
//     caller that started it, so that caller giving up fails no other.
//   - At most Size claims are kept, the least recently used leaving first.
type OwnerCache struct {
	// TTL is the staleness bound; zero or less turns the cache off.
	TTL time.Duration
	// Size bounds the claims kept (0: DefaultOwnerCacheSize).
	Size int
	// Now is the clock (nil: time.Now), for tests.
	Now func() time.Time
}

// DefaultOwnerCacheSize is the number of claims a cache keeps when its
// OwnerCache leaves Size out: a few megabytes at most.
const DefaultOwnerCacheSize = 10000

// ownerReadTimeout bounds a shared read of a claim, which runs detached
// from the requests waiting for it.
const ownerReadTimeout = 10 * time.Second

// WithCache returns a registry over the same store whose Owner answers
// from a cache configured by o (see OwnerCache); a TTL of zero or less
// returns one without a cache. Each call makes a separate cache: a gateway
// makes one registry and keeps it.
func (r *Registry) WithCache(o OwnerCache) *Registry {
	if o.TTL <= 0 {
		return &Registry{s: r.s}
	}
	size := o.Size
	if size <= 0 {
		size = DefaultOwnerCacheSize
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	entries, _ := lru.New[string, ownerEntry](size) // fails only for a size <= 0
	return &Registry{s: r.s, cache: &ownerCache{ttl: o.TTL, now: now, entries: entries, inflight: map[string]*ownerRead{}}}
}

// CacheStats returns how many Owner lookups the cache answered (hits) and
// how many needed the store (misses: those that started a read and those
// that joined one). Both are zero without a cache.
func (r *Registry) CacheStats() (hits, misses int64) {
	if r.cache == nil {
		return 0, 0
	}
	return r.cache.hits.Load(), r.cache.misses.Load()
}

type ownerCache struct {
	ttl     time.Duration
	now     func() time.Time
	entries *lru.Cache[string, ownerEntry] // safe for concurrent use

	// mu guards inflight and the stale marks; it is never held during a
	// read of the store, and hits do not take it.
	mu       sync.Mutex
	inflight map[string]*ownerRead

	hits, misses atomic.Int64
}

type ownerEntry struct {
	claim   tenancy.Claim
	expires time.Time
}

// ownerRead is one read of a claim from the store, shared by the lookups
// of its name that arrive while it runs.
type ownerRead struct {
	done  chan struct{}
	claim tenancy.Claim
	err   error
	// stale (under mu): the name was claimed or released here during the
	// read, which may have seen the store before; its answer is not kept.
	stale bool
}

// owner answers a lookup from the cache, or from a read of the store,
// joining the one in flight for the name if any.
func (c *ownerCache) owner(ctx context.Context, bucket string, read func(context.Context, string) (tenancy.Claim, error)) (tenancy.Claim, error) {
	if e, ok := c.entries.Get(bucket); ok && c.now().Before(e.expires) {
		c.hits.Add(1)
		return e.claim, nil
	}
	c.mu.Lock()
	c.misses.Add(1) // under mu: a miss counted has started or joined a read
	f, ok := c.inflight[bucket]
	if !ok {
		f = &ownerRead{done: make(chan struct{})}
		c.inflight[bucket] = f
		go c.fetch(context.WithoutCancel(ctx), bucket, f, read)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.claim, f.err
	case <-ctx.Done():
		return tenancy.Claim{}, fmt.Errorf("owner of %q: %w", bucket, context.Cause(ctx))
	}
}

// fetch reads the claim for f's waiters and keeps it, unless the read
// failed, found no claim, or went stale.
func (c *ownerCache) fetch(ctx context.Context, bucket string, f *ownerRead, read func(context.Context, string) (tenancy.Claim, error)) {
	ctx, cancel := context.WithTimeout(ctx, ownerReadTimeout)
	defer cancel()
	sent := c.now()
	claim, err := read(ctx, bucket)
	c.mu.Lock()
	if !f.stale {
		switch {
		case err == nil:
			c.entries.Add(bucket, ownerEntry{claim: claim, expires: sent.Add(c.ttl)})
		case errors.Is(err, tenancy.ErrUnclaimed):
			c.entries.Remove(bucket) // an expired claim, released since
		}
		delete(c.inflight, bucket) // still f: only forget replaces a read in flight
	}
	c.mu.Unlock()
	f.claim, f.err = claim, err
	close(f.done)
}

// forget drops what the cache holds of a name this registry just claimed
// or released, and marks a read of it in flight stale, so that later
// lookups read the store afresh.
func (r *Registry) forget(bucket string) {
	c := r.cache
	if c == nil {
		return
	}
	c.mu.Lock()
	if f, ok := c.inflight[bucket]; ok {
		f.stale = true
		delete(c.inflight, bucket)
	}
	c.entries.Remove(bucket)
	c.mu.Unlock()
}
