package s3api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/s3gw/gateway/impl/cors"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
	"github.com/s3gw/gateway/impl/storage"
)

// corsDoc is the name of a bucket's CORS configuration among its
// configuration documents.
const corsDoc = "cors"

func (h *Handler) putBucketCors(rq *request) error {
	body, err := readDigestedBody(rq)
	if err != nil {
		return err
	}
	cfg, err := cors.Parse(body)
	if err != nil {
		return err
	}
	doc, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := h.opts.Backend.PutBucketConfig(rq.r.Context(), rq.bucket, corsDoc, doc); err != nil {
		return err
	}
	h.cors.forget(rq.bucket)
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketCors(rq *request) error {
	doc, err := h.opts.Backend.BucketConfig(rq.r.Context(), rq.bucket, corsDoc)
	if errors.Is(err, storage.ErrNoSuchConfig) {
		return cors.ErrNoSuchConfiguration.ForBucket(rq.bucket)
	}
	if err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", "application/xml")
	rq.w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(doc)
	return nil
}

func (h *Handler) deleteBucketCors(rq *request) error {
	// S3 answers 204 whether or not there was a configuration.
	if err := h.opts.Backend.DeleteBucketConfig(rq.r.Context(), rq.bucket, corsDoc); err != nil {
		return err
	}
	h.cors.forget(rq.bucket)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// preflight answers a CORS preflight (OPTIONS), which carries no
// credentials: it is decided by the bucket's configuration alone, and a
// missing bucket, one without a configuration and one whose rules do not
// match get the same refusal.
func (h *Handler) preflight(rq *request) {
	req, ok := cors.FromHTTP(rq.r)
	if !ok {
		h.writeError(rq, cors.ErrNoOrigin)
		return
	}
	cfg, err := h.corsConfig(rq.r.Context(), rq.bucket)
	if err != nil {
		h.writeError(rq, err)
		return
	}
	rule := cfg.Match(req)
	if rule == nil || req.Method == "" {
		h.writeError(rq, cors.Refused(req, rq.key != ""))
		return
	}
	rule.SetHeaders(rq.w.Header(), req, true)
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
}

// setCORSHeaders adds the Access-Control-* answer to a cross-origin
// request whose bucket has a rule for it, before the request is served,
// so that its errors carry them too (a page can then read them). A
// configuration that cannot be read adds nothing.
func (h *Handler) setCORSHeaders(rq *request) {
	req, ok := cors.FromHTTP(rq.r)
	if !ok || rq.bucket == "" {
		return
	}
	cfg, err := h.corsConfig(rq.r.Context(), rq.bucket)
	if err != nil {
		return
	}
	if rule := cfg.Match(req); rule != nil {
		rule.SetHeaders(rq.w.Header(), req, false)
	}
}

// corsConfig is the configuration that decides cross-origin requests to
// bucket: its own, else the gateway-wide one, else none (a zero Config
// matches nothing). A missing or reserved bucket has none of its own.
func (h *Handler) corsConfig(ctx context.Context, bucket string) (cors.Config, error) {
	cfg, err := h.bucketCORS(ctx, bucket)
	if err == nil && len(cfg.Rules) == 0 && h.opts.CORSDefault != nil {
		return *h.opts.CORSDefault, nil
	}
	return cfg, err
}

// bucketCORS is the bucket's own configuration, cached.
func (h *Handler) bucketCORS(ctx context.Context, bucket string) (cors.Config, error) {
	if !s3path.ValidBucketName(bucket) || slices.Contains(h.opts.ReservedBuckets, bucket) {
		return cors.Config{}, nil
	}
	cfg, ok, gen := h.cors.get(bucket)
	if ok {
		return cfg, nil
	}
	doc, err := h.opts.Backend.BucketConfig(ctx, bucket, corsDoc)
	switch {
	case errors.Is(err, storage.ErrNoSuchConfig), errors.Is(err, storage.ErrNoSuchBucket):
	case err != nil:
		return cors.Config{}, err
	default:
		if cfg, err = cors.Parse(doc); err != nil {
			return cors.Config{}, s3err.InternalError
		}
	}
	h.cors.put(bucket, cfg, gen)
	return cfg, nil
}

// corsCache keeps buckets' parsed configurations (none included) for a
// short while: every cross-origin request needs one. This gateway's own
// changes replace its entry at once; another gateway's show within the
// TTL, as S3's own configuration changes take a moment to apply.
type corsCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]corsEntry
	// gen counts this gateway's changes: a read that began before one
	// does not store what it read.
	gen uint64
}

type corsEntry struct {
	cfg     cors.Config
	expires time.Time
}

// corsCacheMax bounds the entries (preflights may name any bucket): the
// cache starts over when full.
const corsCacheMax = 10000

// get returns the cached configuration, if fresh, and the generation a
// read from the store must be put back with.
func (c *corsCache) get(bucket string) (cors.Config, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ttl <= 0 {
		return cors.Config{}, false, c.gen
	}
	e, ok := c.m[bucket]
	if !ok || time.Now().After(e.expires) {
		return cors.Config{}, false, c.gen
	}
	return e.cfg, true, c.gen
}

func (c *corsCache) put(bucket string, cfg cors.Config, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // changed here since the read began
	}
	if c.m == nil || len(c.m) >= corsCacheMax {
		c.m = make(map[string]corsEntry)
	}
	c.m[bucket] = corsEntry{cfg: cfg, expires: time.Now().Add(c.ttl)}
}

func (c *corsCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, bucket)
}
