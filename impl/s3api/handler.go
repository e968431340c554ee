// Package s3api serves the S3 REST API (path style) over a storage.Backend.
//
// It parses requests as sent (the raw path, so an encoded slash in a key stays
// a slash in the key and is never a path separator), authenticates and
// authorises them through package auth, and answers with S3's XML and error
// codes. It never reads a whole object into memory.
package s3api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/cors"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// Options configures a Handler.
type Options struct {
	Backend storage.Backend
	// Owners keeps who owns each bucket; every ownership check and every
	// bucket's creation and removal go through it.
	Owners tenancy.Registry
	Auth   auth.Authenticator
	// Prefix is where the API is mounted ("/s3"); "" mounts it at the root.
	Prefix string
	Region string
	// MaxBodyBytes bounds a single request body.
	MaxBodyBytes int64
	// MaxParts is the highest part number accepted (at most 10000).
	MaxParts int
	// MinPartSize is the least size of every part of a completed upload but
	// the last; zero is S3's 5 MiB. Only tests set it, to exercise a backend
	// in front of this API with small parts.
	MinPartSize int64
	// AutoCreateBuckets makes a first write to a missing bucket create it
	// for the writer's project.
	AutoCreateBuckets bool
	// ReservedBuckets are names no client may create or use: the gateway's
	// own endpoints (when mounted at the root) and the storage's own
	// bucket (the upstream backend's records).
	ReservedBuckets []string
	// TokenKeys authenticate listing continuation tokens: the first signs,
	// all verify.
	TokenKeys [][]byte
	// CORSCacheTTL is how long a bucket's CORS configuration is reused
	// before it is read again (another gateway's change shows within it);
	// zero is 2 s, negative reads it for every cross-origin request.
	CORSCacheTTL time.Duration
	// CORSDefault answers cross-origin requests to buckets without a CORS
	// configuration of their own (nil: they are refused, as S3 does).
	CORSDefault *cors.Config
	// PostPolicy verifies browser uploads' signed policies (nil: POST
	// Object is refused).
	PostPolicy PolicyVerifier
	Logger     *slog.Logger
}

// Handler is the S3 API. Create it with New.
type Handler struct {
	opts    Options
	log     *slog.Logger
	buckets *tenancy.Buckets
	cors    corsCache
}

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.MaxParts <= 0 || opts.MaxParts > 10000 {
		opts.MaxParts = 10000
	}
	if len(opts.TokenKeys) == 0 {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		opts.TokenKeys = [][]byte{k}
	}
	if opts.CORSCacheTTL == 0 {
		opts.CORSCacheTTL = 2 * time.Second
	}
	return &Handler{opts: opts, log: opts.Logger, buckets: &tenancy.Buckets{Registry: opts.Owners, Store: opts.Backend},
		cors: corsCache{ttl: opts.CORSCacheTTL}}
}

// request is one S3 call being served.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	id        string
	bucket    string
	key       string
	query     url.Values
	op        *operation
	principal *auth.Principal
	// claim is the request bucket's owner as the authorisation read it
	// (checked is then set); unclaimed when no project owns the name.
	claim              tenancy.Claim
	checked, unclaimed bool
}

// ServeHTTP serves one S3 request. The caller has routed it here because its
// path lies under the mount prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	entry := accesslog.FromContext(r.Context())
	rq := &request{w: w, r: r, id: entry.RequestID}
	w.Header().Set("x-amz-request-id", rq.id)
	w.Header().Set("x-amz-id-2", rq.id)
	w.Header().Set("Server", "s3-gateway")

	var err error
	rq.bucket, rq.key, err = s3path.Split(r.URL.EscapedPath(), h.opts.Prefix)
	if err != nil {
		h.writeError(rq, err)
		return
	}
	rq.query = r.URL.Query()
	if r.Method == http.MethodOptions {
		entry.Op, entry.Bucket = "Preflight", rq.bucket
		h.preflight(rq)
		return
	}
	h.setCORSHeaders(rq)
	rq.op = route(r.Method, rq.bucket, rq.key, rq.query, r.Header)
	entry.Op, entry.Bucket = rq.op.name, rq.bucket
	if rq.op.fn == nil {
		h.writeError(rq, rq.op.err)
		return
	}
	// A form-authenticated operation (POST Object) reads and verifies its
	// own credentials, from the form, and sets the principal itself.
	if !rq.op.formAuth {
		rq.principal, err = h.opts.Auth.Authenticate(r, h.target(rq))
		if err != nil {
			h.writeError(rq, err)
			return
		}
	}
	if rq.bucket != "" && rq.op != opCreateBucket && slices.Contains(h.opts.ReservedBuckets, rq.bucket) {
		// The storage's own bucket, or an endpoint's name: no client's.
		h.writeError(rq, storage.ErrNoSuchBucket)
		return
	}
	if rq.principal != nil {
		entry.Project = rq.principal.Project
	}
	if !rq.op.selfAuthorizing {
		if err := h.authorize(rq, rq.op.action, rq.bucket, rq.key); err != nil {
			h.writeError(rq, err)
			return
		}
	}
	if rq.op.headers != nil {
		if err := rq.op.headers(r.Header); err != nil {
			h.writeError(rq, err)
			return
		}
	}
	if rq.op.sse {
		w.Header().Set(sseHeader, "AES256")
	}
	if err := rq.op.fn(h, rq); err != nil {
		h.writeError(rq, h.bucketFirst(rq, err))
	}
}

// bucketFirst reports a missing bucket rather than a missing upload, as S3
// does (it resolves the bucket before anything in it). Only the failure
// path pays for the lookup.
func (h *Handler) bucketFirst(rq *request, err error) error {
	if e, _ := toAPIError(err); e.Code != s3err.NoSuchUpload.Code {
		return err
	}
	if _, berr := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket); errors.Is(berr, storage.ErrNoSuchBucket) {
		return berr
	}
	return err
}

// target is what the request asks to do, for token verification: a
// listing's key is its prefix.
func (h *Handler) target(rq *request) auth.Target {
	key := rq.key
	switch rq.op {
	case opListObjectsV2, opListObjects, opListUploads, opListVersions:
		key = rq.query.Get("prefix")
	}
	return auth.Target{Action: rq.op.action, Bucket: rq.bucket, Key: key}
}

// authorize checks the principal's scope and, for an existing bucket, that
// the principal's project owns it.
func (h *Handler) authorize(rq *request, action auth.Action, bucket, key string) error {
	if err := rq.principal.Authorize(action, bucket, key); err != nil {
		return err
	}
	return h.checkOwner(rq, bucket)
}

// checkOwner refuses a principal whose project does not own the bucket. A
// missing bucket passes: the operation itself reports it. It fails closed:
// when the owner cannot be read, nothing is served. What it read of the
// request's own bucket is kept for the operation (auto-creation, owners in
// listings).
func (h *Handler) checkOwner(rq *request, bucket string) error {
	p := rq.principal
	if p.Anonymous || bucket == "" {
		return nil
	}
	c, err := h.buckets.Check(rq.r.Context(), p.Project, bucket)
	if bucket == rq.bucket {
		rq.claim, rq.checked, rq.unclaimed = c, true, errors.Is(err, tenancy.ErrUnclaimed)
	}
	switch {
	case err == nil, errors.Is(err, tenancy.ErrUnclaimed):
		return nil
	case errors.Is(err, tenancy.ErrNotOwner):
		return auth.Deny(fmt.Sprintf("bucket %q belongs to another project than the caller's %q", bucket, p.Project))
	}
	return fmt.Errorf("%w (%w)", errOwnerUnknown, err)
}

var errOwnerUnknown = s3err.ServiceUnavailable.With("The bucket's owner could not be checked right now; retry shortly.")
