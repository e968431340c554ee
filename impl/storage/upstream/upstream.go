// Package upstream is a storage.Backend in front of another S3 store (Ceph's
// radosgw 16.2 first): many stateless gateways share one store, and what a
// request on another gateway needs lives in that store, never in a gateway.
// docs/adr-002-upstream-backend.md is the design; this is its first phase.
//
// What phase 1 does and does not do:
//
//   - A read is one GET, whose answer's headers are judged here by
//     storage.SelectSection (conditions, range, part number, exactly as
//     every backend decides them); a read by part number, or an answer
//     that is not the section decided, takes a HEAD and a GET pinned to
//     the ETag the HEAD saw (If-Match). Object GETs over plain HTTP skip
//     the SDK (rawget.go): they are signed and sent on connections the
//     gateway keeps, and their bodies spliced to the client's socket.
//   - Conditional deletes and a copy's destination conditions are a HEAD and
//     a compare, and the write then carries If-Match / If-None-Match, which
//     a store that honours them makes atomic; one that ignores them (radosgw
//     16.2 on deletes and copies) leaves the window between the HEAD and
//     the write.
//   - Checksums known before a body (sent as headers) travel with its
//     PUT. Checksums known only at its end travel with it for bodies up to
//     8 MiB (buffered); a larger body streams, and its late
//     checksums go to a record bound to the ETag just after the PUT (a
//     read in between sees none).
//   - A listing that asks for checksums (ListObjectVersions), which
//     ListObjectsV2 does not return, HEADs each listed object (a few at a
//     time); ListObjects v1 and v2 do not show them and cost one request.
//   - Multipart uploads are the store's own, under the store's upload id
//     (not sealed yet: records named by bucket, key and id bind it). Part
//     checksums, the upload's settings and the completed object's manifest
//     (part sizes, checksums) are records in the metadata bucket (see
//     records.go). Completion checks If-None-Match / If-Match by a HEAD
//     just before (a window where the store ignores them). Records of
//     finished uploads are not collected yet.
package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3gw/gateway/impl/storage"
)

// Options configure a Store. Every setting is explicit: nothing is read from
// the environment or the AWS shared configuration files, so a gateway's
// upstream is exactly what its own configuration names.
type Options struct {
	// Endpoint is the store's base URL (http or https).
	Endpoint string
	// Region is the region requests are signed for; empty is us-east-1.
	Region string
	// AccessKey and SecretKey are the store's static credentials.
	AccessKey, SecretKey string
	// CAFile, when set, is a PEM bundle of the roots the store's
	// certificate is checked against (instead of the system's).
	CAFile string
	// MetaBucket is the bucket of the gateway's own records; empty is
	// DefaultMetaBucket. Clients must never reach it.
	MetaBucket string
	// HTTPClient, when set, carries the requests (CAFile is then ignored).
	HTTPClient *http.Client
	// OpenTimeout bounds the start-up check of the metadata bucket; zero
	// is 10 seconds.
	OpenTimeout time.Duration
}

// DefaultMetaBucket is the metadata bucket's name when Options leave it out.
const DefaultMetaBucket = "s3gw-meta"

// Store is a storage.Backend over an upstream S3 store.
type Store struct {
	s3   *s3.Client
	meta string
	// region is where buckets are created (no LocationConstraint for
	// us-east-1, as S3 requires).
	region string
	// raw sends object GETs without the SDK (rawget.go); nil when the
	// store is reached over TLS or through a caller's HTTP client.
	raw *rawGetter
}

var _ storage.Backend = (*Store)(nil)

// Open configures a client for the store and checks, within a deadline,
// that the metadata bucket exists, creating it when it does not: an
// unreachable or refusing store is an error at start-up, not a hang at the
// first request.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("upstream: no endpoint")
	}
	if opts.AccessKey == "" || opts.SecretKey == "" {
		return nil, errors.New("upstream: no credentials")
	}
	region := opts.Region
	if region == "" {
		region = "us-east-1"
	}
	hc := opts.HTTPClient
	if hc == nil {
		var err error
		if hc, err = httpClient(opts.CAFile); err != nil {
			return nil, err
		}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc = &http.Client{Transport: largeWrites{base}, Timeout: hc.Timeout, Jar: hc.Jar, CheckRedirect: hc.CheckRedirect}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, ""),
		HTTPClient:  hc,
		// The store refuses aws-chunked trailers and ignores checksum
		// headers: the gateway keeps checksums itself.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           3,
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(opts.Endpoint)
		o.UsePathStyle = true
		// No Expect: 100-continue on large bodies: the store takes what
		// the gateway has already authorized, and the wait for its
		// interim answer is a round trip added to every large PUT.
		o.ContinueHeaderThresholdBytes = -1
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(streamFailureIsFinal, middleware.After)
		})
	})
	s := &Store{s3: client, meta: opts.MetaBucket, region: region}
	if opts.HTTPClient == nil {
		s.raw = newRawGetter(opts.Endpoint, region, cfg.Credentials)
	}
	if s.meta == "" {
		s.meta = DefaultMetaBucket
	}
	timeout := opts.OpenTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.ensureMetaBucket(cctx); err != nil {
		return nil, fmt.Errorf("upstream %s: metadata bucket %q: %w", opts.Endpoint, s.meta, err)
	}
	return s, nil
}

// streamFailureIsFinal runs inside each attempt (after the retry
// middleware) and makes the failure of a request whose body cannot be
// rewound (a streamed PUT or part) final. The SDK would otherwise wait out
// a backoff, fail to rewind the body and report that, hiding the store's
// failure (connection dropped, 503) behind an error mapErr cannot place:
// a 500 to the client where the store's outage is a retryable 503.
var streamFailureIsFinal = middleware.FinalizeMiddlewareFunc("S3GWStreamFailureIsFinal",
	func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleFinalize(ctx, in)
		if req, ok := in.Request.(*smithyhttp.Request); ok && err != nil && req.GetStream() != nil && !req.IsStreamSeekable() {
			err = &finalError{err}
		}
		return out, md, err
	})

// finalError is an attempt's failure the SDK must not retry.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// RetryableError tells the SDK's retryer not to retry.
func (e *finalError) RetryableError() bool { return false }

// responseTimeout bounds the wait for the store's answer once a request
// has been sent: a store that accepts and never answers is unavailable
// (503 SlowDown to the client), not a hang. Bodies are not bounded by it.
const responseTimeout = 30 * time.Second

// idleConns is how many idle connections to the store a gateway keeps.
const idleConns = 256

// httpClient returns a client trusting the roots in caFile, or the
// system's when it is empty.
func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = responseTimeout
	// Every request goes to the one store: keep a connection for each
	// request in flight. net/http's default keeps two idle per host, so
	// under load most requests paid a new TCP connection (and radosgw an
	// accept), which cost the gateway a third of its small-object reads.
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = idleConns, idleConns
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("upstream: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream: CA file %s: no certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

func (s *Store) ensureMetaBucket(ctx context.Context) error {
	_, err := s.HeadBucket(ctx, s.meta)
	if errors.Is(err, storage.ErrNoSuchBucket) {
		err = s.CreateBucket(ctx, s.meta)
		if errors.Is(err, storage.ErrBucketExists) {
			err = nil // another gateway created it first
		}
	}
	return err
}

// MetaBucket returns the name of the bucket of the gateway's own records,
// which the API layer must keep clients away from.
func (s *Store) MetaBucket() string { return s.meta }

// Check reports whether the store answers (for readiness).
func (s *Store) Check(ctx context.Context) error {
	_, err := s.HeadBucket(ctx, s.meta)
	return err
}

// CreateBucket creates the bucket upstream under the same name, once
// (buckets.go).
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	if name != s.meta {
		if err := s.reserveName(ctx, name); err != nil {
			return err
		}
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if s.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(s.region)}
	}
	if _, err := s.s3.CreateBucket(ctx, in); err != nil {
		if name != s.meta {
			s.releaseName(ctx, name)
		}
		return mapErr(ctx, err, "create bucket %q", name)
	}
	return nil
}

// HeadBucket reports whether the bucket exists. The creation time is left
// out: HeadBucket does not answer it, and the API layer uses the claim's.
func (s *Store) HeadBucket(ctx context.Context, name string) (storage.Bucket, error) {
	if _, err := s.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		if status(err) == http.StatusNotFound {
			return storage.Bucket{}, fmt.Errorf("bucket %q: %w", name, storage.ErrNoSuchBucket)
		}
		return storage.Bucket{}, mapErr(ctx, err, "head bucket %q", name)
	}
	return storage.Bucket{Name: name}, nil
}

// DeleteBucket refuses a bucket holding objects, aborts its uploads in
// progress (which the contract drops with the bucket) and deletes it.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	out, err := s.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name), MaxKeys: aws.Int32(1)})
	if err != nil {
		return mapErr(ctx, err, "delete bucket %q", name)
	}
	if len(out.Contents) > 0 {
		return fmt.Errorf("delete bucket %q: %w", name, storage.ErrBucketNotEmpty)
	}
	if err := s.abortAll(ctx, name); err != nil {
		return err
	}
	if _, err := s.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		return mapErr(ctx, err, "delete bucket %q", name)
	}
	s.releaseName(ctx, name)
	return nil
}

// abortAll aborts every upload in progress in the bucket.
func (s *Store) abortAll(ctx context.Context, bucket string) error {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)}
	for {
		out, err := s.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			return mapErr(ctx, err, "list uploads of %q", bucket)
		}
		for _, u := range out.Uploads {
			_, err := s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
			if err != nil && status(err) != http.StatusNotFound {
				return mapErr(ctx, err, "abort upload of %q", aws.ToString(u.Key))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
