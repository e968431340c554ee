package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// Env is what a case works with: the target, an SDK client, raw signed
// requests, and buckets that are removed when the case ends.
type Env struct {
	T      T
	Target *Target
	// SDK is an AWS SDK for Go v2 client with the full credentials,
	// path-style, pointed at the target's S3 root.
	SDK *s3.Client
}

// HTTPClient returns the target's HTTP client, shared by every case: one
// connection pool per target. It trusts the target's CA when it has one and
// ignores the environment's proxy settings.
func (t *Target) HTTPClient() *http.Client {
	t.clientOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		tr.DisableCompression = true // a gzip layer would hide what the server sent
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
		tr.Proxy = nil
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if len(t.CAPEM) > 0 {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(t.CAPEM)
			tr.TLSClientConfig.RootCAs = pool
		}
		t.client = &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	})
	return t.client
}

// NewEnv returns an Env for one case.
func NewEnv(t T, target *Target) *Env {
	return &Env{T: t, Target: target, SDK: NewSDKClient(target, target.Full)}
}

// NewSDKClient builds an SDK client from explicit settings only: nothing is
// read from the environment or ~/.aws, so ambient AWS_* variables cannot
// change what the suite does. The checksum settings are the SDK's defaults
// under config.LoadDefaultConfig, what users run: a CRC32 on every upload
// (a trailer of an aws-chunked body over HTTPS) and response validation.
func NewSDKClient(target *Target, creds Credentials, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:                     target.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(creds.AccessKey, creds.SecretKey, ""),
		HTTPClient:                 wholeAnswerClient{target.HTTPClient()},
		Retryer:                    func() aws.Retryer { return aws.NopRetryer{} },
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(target.S3URL())
		o.UsePathStyle = true
	}}, optFns...)...)
}

// wholeAnswerClient is the HTTP client under the suite's SDK clients: for
// a request with a body, it reads the whole answer before the SDK sees it.
//
// A server may answer before it has read all of a request body (radosgw
// does, issue 13). net/http then hands over the answer's head while it is
// still writing the body, and smithy-go closes the request body as soon as
// Do returns; its wrapper's Read then reports io.EOF, the transport fails
// the write with a body shorter than its Content-Length and, on that write
// error, closes the connection the answer's body is still arriving on: the
// SDK reports "use of closed network connection" for an answer that was
// fine (aws/aws-sdk-go-v2#2737). The SDK's default retryer retries that
// error (aws/aws-sdk-go-v2#2949), but the suite's clients must not retry: a
// case asserts on a server's first answer, and housekeeping retried alone
// would still leave the cases' own uploads exposed. Read to its end first,
// the answer is the one the server sent, whatever then happens to the
// connection. Answers to requests with a body are small XML documents, so
// holding one in memory costs nothing; past maxWholeAnswer it streams on.
type wholeAnswerClient struct{ next *http.Client }

// maxWholeAnswer bounds what wholeAnswerClient holds in memory.
const maxWholeAnswer = 8 << 20

func (c wholeAnswerClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err != nil || req.Body == nil || req.Body == http.NoBody {
		return resp, err
	}
	body := resp.Body
	buf, err := io.ReadAll(io.LimitReader(body, maxWholeAnswer))
	switch {
	case err != nil:
		// The SDK meets the error where it would have: after the bytes
		// that came.
		body.Close()
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(buf), failedReader{err}))
	case len(buf) == maxWholeAnswer:
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), body), body}
	default:
		body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(buf))
	}
	return resp, nil
}

// failedReader fails every read with err.
type failedReader struct{ err error }

func (r failedReader) Read([]byte) (int, error) { return 0, r.err }

var bucketSeq atomic.Int64

// runID makes bucket names unique across concurrent runs on one target.
var runID = func() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// BucketName returns a fresh, valid, unused bucket name.
func (e *Env) BucketName() string {
	return fmt.Sprintf("cf-%s-%d", runID, bucketSeq.Add(1))
}

// CreateBucketInput is a CreateBucket of name as a client of the target's
// region sends it. Every S3 endpoint but us-east-1's refuses a CreateBucket
// that does not name its region as LocationConstraint (400
// IllegalLocationConstraintException "The unspecified location constraint
// is incompatible for the region specific endpoint this request was sent
// to.", aws/aws-cli#2603), and us-east-1 refuses its own name there.
func (e *Env) CreateBucketInput(name string) *s3.CreateBucketInput {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if e.Target.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(e.Target.Region),
		}
	}
	return in
}

// CreateBucketBody is the body of a raw CreateBucket as CreateBucketInput
// makes it: none in us-east-1, else a CreateBucketConfiguration naming the
// target's region.
func (e *Env) CreateBucketBody() []byte {
	if e.Target.Region == "us-east-1" {
		return nil
	}
	return []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
		e.Target.Region + `</LocationConstraint></CreateBucketConfiguration>`)
}

// CreateBucketRequest starts a raw CreateBucket of name with the body of
// CreateBucketBody.
func (e *Env) CreateBucketRequest(name string) *httpexpect.Request {
	r := e.Request(http.MethodPut, name, "")
	if body := e.CreateBucketBody(); body != nil {
		r = r.WithHeader("Content-Type", "application/xml").WithBytes(body)
	}
	return r
}

// NewBucket creates a bucket for this case; it and everything in it are
// deleted when the case ends.
func (e *Env) NewBucket() string {
	e.T.Helper()
	name := e.BucketName()
	_, err := e.SDK.CreateBucket(e.ctx(), e.CreateBucketInput(name))
	mustf(e.T, err, "CreateBucket %s", name)
	e.CleanupBucket(name)
	return name
}

// CleanupBucket removes the bucket and its objects when the case ends.
func (e *Env) CleanupBucket(name string) {
	e.T.Cleanup(func() {
		if err := EmptyBucket(context.Background(), e.SDK, name); err != nil {
			var nsb *types.NoSuchBucket
			if errors.As(err, &nsb) {
				return
			}
			e.T.Errorf("cleanup: emptying bucket %s: %v", name, err)
			return
		}
		_, err := e.SDK.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(name)})
		var nsb *types.NoSuchBucket
		if err != nil && !errors.As(err, &nsb) {
			e.T.Errorf("cleanup: deleting bucket %s: %v", name, err)
		}
	})
}

// EmptyBucket deletes every object in a bucket.
func EmptyBucket(ctx context.Context, c *s3.Client, bucket string) error {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) ctx() context.Context { return e.T.Context() }

// Put stores body at bucket/key through the SDK and returns the ETag.
func (e *Env) Put(bucket, key string, body []byte) string {
	e.T.Helper()
	out, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	mustf(e.T, err, "PutObject %s/%s", bucket, key)
	return aws.ToString(out.ETag)
}

// PutString is Put for text.
func (e *Env) PutString(bucket, key, body string) string {
	e.T.Helper()
	return e.Put(bucket, key, []byte(body))
}

// Get reads bucket/key through the SDK.
func (e *Env) Get(bucket, key string) []byte {
	e.T.Helper()
	out, err := e.SDK.GetObject(e.ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	mustf(e.T, err, "GetObject %s/%s", bucket, key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	mustf(e.T, err, "read GetObject body %s/%s", bucket, key)
	return b
}

// PutMany stores n objects named by name(i) with content body(i), with
// bounded concurrency.
func (e *Env) PutMany(bucket string, n int, name func(i int) string, body func(i int) []byte) {
	e.T.Helper()
	mustf(e.T, PutObjects(e.ctx(), e.SDK, bucket, n, name, body), "PutMany")
}

// PutObjects stores n objects through c, 16 at a time, and returns the first
// error.
func PutObjects(ctx context.Context, c *s3.Client, bucket string, n int, name func(i int) string, body func(i int) []byte) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(name(i)), Body: bytes.NewReader(body(i)),
			})
			if err != nil {
				errs <- fmt.Errorf("PutObject %q: %w", name(i), err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// ErrorCode returns the S3 error code of an SDK error, or "" for none.
func ErrorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// HTTPStatus returns the HTTP status of an SDK error, or 0.
func HTTPStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantCode fails the case unless err is an S3 error with the given code
// (and HTTP status, when status is non-zero).
func wantCode(t T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("request succeeded, want error %s", code)
	}
	if got := ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
	if status != 0 {
		if got := HTTPStatus(err); got != status {
			t.Fatalf("HTTP status = %d, want %d (error: %v)", got, status, err)
		}
	}
}

// escapeKey escapes a key for a request path the way the AWS SDKs do:
// every byte but unreserved characters and "/" is percent-encoded.
func escapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// URL returns the escaped URL of a bucket (key "") or object.
func (e *Env) URL(bucket, key string) string {
	u := e.Target.S3URL() + "/"
	if bucket != "" {
		u += escapeKey(bucket)
		if key != "" {
			u += "/" + escapeKey(key)
		}
	}
	return u
}

// Request starts a raw request to a bucket (key "") or object, signed with
// the full credentials when sent. Use httpexpect's builders to add query
// parameters, headers and a body, then Expect().
func (e *Env) Request(method, bucket, key string) *httpexpect.Request {
	return e.expect(e.Target.Full).Request(method, "").WithURL(e.URL(bucket, key))
}

// RequestAs is Request signed with other credentials.
func (e *Env) RequestAs(creds Credentials, method, bucket, key string) *httpexpect.Request {
	return e.expect(creds).Request(method, "").WithURL(e.URL(bucket, key))
}

// Unsigned starts a raw request that carries no credentials at all.
func (e *Env) Unsigned(method, bucket, key string) *httpexpect.Request {
	return httpexpect.WithConfig(httpexpect.Config{
		Client:   e.Target.HTTPClient(),
		Reporter: fatalReporter{e.T},
		Context:  e.ctx(),
	}).Request(method, "").WithURL(e.URL(bucket, key))
}

// SDKAs returns an SDK client with other credentials.
func (e *Env) SDKAs(creds Credentials, optFns ...func(*s3.Options)) *s3.Client {
	return NewSDKClient(e.Target, creds, optFns...)
}

// Gateway returns an httpexpect for the endpoint's own (non-S3) paths,
// unsigned.
func (e *Env) Gateway() *httpexpect.Expect {
	return httpexpect.WithConfig(httpexpect.Config{
		BaseURL:  strings.TrimRight(e.Target.Endpoint, "/"),
		Client:   e.Target.HTTPClient(),
		Reporter: fatalReporter{e.T},
	})
}

func (e *Env) expect(creds Credentials) *httpexpect.Expect {
	return httpexpect.WithConfig(httpexpect.Config{
		Client:   &http.Client{Transport: &signer{creds: creds, region: e.Target.Region, next: e.Target.HTTPClient().Transport}},
		Reporter: fatalReporter{e.T},
		Context:  e.ctx(),
	})
}

// fatalReporter stops the case at the first failed expectation, so later
// steps never run on a state the case did not expect.
type fatalReporter struct{ t T }

func (r fatalReporter) Errorf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf(format, args...)
}

// signer signs each request with SigV4 as the AWS SDKs do, hashing the
// (small) body into x-amz-content-sha256.
type signer struct {
	creds  Credentials
	region string
	next   http.RoundTripper
}

func (s *signer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, fmt.Errorf("read body to sign: %w", err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: s.creds.AccessKey, SecretAccessKey: s.creds.SecretKey}
	// A signer of its own: the SDK's signer caches derived keys by access
	// key alone, so a shared one would sign a wrong secret correctly.
	sv4 := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := sv4.SignHTTP(req.Context(), creds, req, hash, "s3", s.region, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	return s.next.RoundTrip(req)
}
