package upstream

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/net/http/httpproxy"
)

// rawGetter sends the store's object GETs itself, over connections it
// keeps, instead of through the SDK: a read is the gateway's commonest
// request, and profiles of small reads showed the SDK's per-request
// middleware as the largest part of the gateway's own work. Owning the
// connection also lets a body go from the store's socket to the client's
// by splice(2) (net.TCPConn.ReadFrom), without passing through the
// gateway's memory: the larger part of the cost of large reads was the
// two copies. It speaks plain HTTP only; a store behind TLS is read
// through the SDK.
//
// Only answers it can take whole are its own: a 2xx with a length, or a
// 4xx error, which it turns into the error the SDK would have returned.
// Anything else (a failure to connect or send, a 5xx the SDK would retry,
// a chunked answer) is left to the SDK, which repeats the GET with its
// retries.
type rawGetter struct {
	scheme, host string // of the endpoint
	prefix       string // the endpoint's path, without its trailing slash
	region       string
	creds        aws.CredentialsProvider
	signer       *v4.Signer
	dialer       net.Dialer
	// headerTimeout bounds the wait for an answer's head once the
	// request is sent (responseTimeout, as for the SDK's requests).
	headerTimeout time.Duration

	mu   sync.Mutex
	idle []*rawConn // most recently used last
}

// rawConn is a connection to the store and its read buffer.
type rawConn struct {
	tcp  *net.TCPConn
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time // when it was last put back idle
}

// rawIdleTimeout is how long an idle connection is trusted: shorter than
// the idle timeouts of common stores (radosgw's beast closes after 65 s),
// so that a request seldom meets a connection the store has just closed.
const rawIdleTimeout = 30 * time.Second

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// newRawGetter returns a getter for a plain-HTTP endpoint, or nil for
// one it cannot serve: https, or one the environment sends through a
// proxy (HTTP_PROXY, which the SDK's transport follows).
func newRawGetter(endpoint, region string, creds aws.CredentialsProvider) *rawGetter {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil
	}
	if p, err := httpproxy.FromEnvironment().ProxyFunc()(u); err != nil || p != nil {
		return nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawGetter{
		scheme: u.Scheme, host: host, prefix: strings.TrimSuffix(u.EscapedPath(), "/"),
		region: region, creds: creds,
		signer:        v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		dialer:        net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		headerTimeout: responseTimeout,
	}
}

// errNotRaw says a GET must go through the SDK.
var errNotRaw = errors.New("upstream: not a raw GET")

// get sends in (bucket, key, Range, IfMatch, nothing else) and returns the
// store's answer as the SDK would, or errNotRaw when the SDK must send it.
func (g *rawGetter) get(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	req, err := g.request(ctx, in)
	if err != nil {
		return nil, errNotRaw
	}
	for attempt := 0; attempt < 2; attempt++ {
		c, reused, err := g.conn(ctx)
		if err != nil {
			return nil, errNotRaw
		}
		out, err := g.roundTrip(ctx, c, req)
		if !errors.Is(err, errStale) {
			return out, err
		}
		if !reused {
			break
		}
		// An idle connection the store had closed: once more, on a new one.
	}
	return nil, errNotRaw
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errStale is a request that got no answer at all.
var errStale = errors.New("upstream: connection closed before an answer")

// request builds and signs in's GET.
func (g *rawGetter) request(ctx context.Context, in *s3.GetObjectInput) (*http.Request, error) {
	if in.Bucket == nil || in.Key == nil || *in.Key == "" {
		return nil, errNotRaw
	}
	rest := *in
	rest.Bucket, rest.Key, rest.Range, rest.IfMatch = nil, nil, nil, nil
	if rest != (s3.GetObjectInput{}) {
		return nil, errNotRaw // a field this getter does not send
	}
	bucket, key := *in.Bucket, *in.Key
	u := &url.URL{Scheme: g.scheme, Host: g.host,
		Path:    g.prefix + "/" + bucket + "/" + key,
		RawPath: g.prefix + "/" + httpbinding.EscapePath(bucket, true) + "/" + httpbinding.EscapePath(key, false)}
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: make(http.Header, 6),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", "s3gw")
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if in.Range != nil {
		req.Header.Set("Range", *in.Range)
	}
	if in.IfMatch != nil {
		req.Header.Set("If-Match", *in.IfMatch)
	}
	creds, err := g.creds.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	if err := g.signer.SignHTTP(ctx, creds, req, emptySHA256, "s3", g.region, time.Now()); err != nil {
		return nil, err
	}
	return req, nil
}

// conn takes an idle connection or dials one.
func (g *rawGetter) conn(ctx context.Context) (c *rawConn, reused bool, err error) {
	now := time.Now()
	g.mu.Lock()
	for len(g.idle) > 0 {
		c = g.idle[len(g.idle)-1]
		g.idle = g.idle[:len(g.idle)-1]
		if now.Sub(c.used) < rawIdleTimeout {
			g.mu.Unlock()
			return c, true, nil
		}
		c.tcp.Close()
	}
	g.mu.Unlock()
	nc, err := g.dialer.DialContext(ctx, "tcp", g.host)
	if err != nil {
		return nil, false, err
	}
	tcp, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return nil, false, errNotRaw
	}
	return &rawConn{tcp: tcp, br: bufio.NewReaderSize(tcp, 8<<10), bw: bufio.NewWriterSize(tcp, 4<<10)}, false, nil
}

// release keeps c for the next GET, or closes it.
func (g *rawGetter) release(c *rawConn, reusable bool) {
	if !reusable || c.br.Buffered() > 0 {
		c.tcp.Close()
		return
	}
	c.used = time.Now()
	g.mu.Lock()
	if len(g.idle) < idleConns {
		g.idle = append(g.idle, c)
		c = nil
	}
	g.mu.Unlock()
	if c != nil {
		c.tcp.Close()
	}
}

// roundTrip sends req on c and reads the answer's head.
func (g *rawGetter) roundTrip(ctx context.Context, c *rawConn, req *http.Request) (*s3.GetObjectOutput, error) {
	// The context's end (the client gone) interrupts whatever c is doing;
	// the connection is then not reused.
	stop := context.AfterFunc(ctx, func() { _ = c.tcp.SetDeadline(time.Unix(1, 0)) })
	_ = c.tcp.SetReadDeadline(time.Now().Add(g.headerTimeout))
	fail := func(err error) (*s3.GetObjectOutput, error) {
		stop()
		c.tcp.Close()
		return nil, err
	}
	if err := req.Write(c.bw); err != nil {
		return fail(errStale)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(errStale)
	}
	if _, err := c.br.Peek(1); err != nil {
		switch {
		case ctx.Err() != nil:
			return fail(ctx.Err())
		case isTimeout(err):
			// The store took the request and did not answer: trying
			// again would double the wait. A net.Error, so ErrUnavailable.
			return fail(fmt.Errorf("upstream: GET: no answer in %s: %w", g.headerTimeout, err))
		}
		return fail(errStale)
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return fail(errNotRaw)
	}
	_ = c.tcp.SetReadDeadline(time.Time{})
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && resp.ContentLength >= 0 && len(resp.TransferEncoding) == 0:
		return g.output(resp, &rawBody{g: g, c: c, stop: stop, n: resp.ContentLength, keep: !resp.Close}), nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		err := answerError(resp)
		reusable := !resp.Close && resp.ContentLength >= 0 && resp.ContentLength <= discardLimit
		if reusable {
			_, cerr := io.Copy(io.Discard, resp.Body)
			reusable = cerr == nil
		}
		if !stop() {
			reusable = false
		}
		g.release(c, reusable)
		return nil, err
	}
	return fail(errNotRaw)
}

// output is resp's head as the SDK's GetObject returns it.
func (g *rawGetter) output(resp *http.Response, body *rawBody) *s3.GetObjectOutput {
	h := resp.Header
	out := &s3.GetObjectOutput{Body: body, ContentLength: aws.Int64(resp.ContentLength)}
	if v := h.Get("ETag"); v != "" {
		out.ETag = aws.String(strings.TrimSpace(v))
	}
	if v := h.Get("Content-Range"); v != "" {
		out.ContentRange = aws.String(strings.TrimSpace(v))
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		out.LastModified = aws.Time(t)
	}
	for k, vs := range h {
		if len(k) > len("X-Amz-Meta-") && strings.EqualFold(k[:len("X-Amz-Meta-")], "X-Amz-Meta-") && len(vs) > 0 {
			if out.Metadata == nil {
				out.Metadata = make(map[string]string)
			}
			out.Metadata[strings.ToLower(k[len("X-Amz-Meta-"):])] = strings.TrimSpace(vs[0])
		}
	}
	return out
}

// answerError is a 4xx answer as the SDK reports it: its status where
// status() finds it, its code where mapErr does.
func answerError(resp *http.Response) error {
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if resp.ContentLength != 0 {
		_ = xml.NewDecoder(io.LimitReader(resp.Body, discardLimit)).Decode(&doc)
	}
	var apiErr smithy.APIError = &smithy.GenericAPIError{Code: doc.Code, Message: doc.Message}
	if doc.Code == "" {
		apiErr = &smithy.GenericAPIError{Code: http.StatusText(resp.StatusCode), Message: doc.Message}
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: apiErr},
		RequestID:     resp.Header.Get("X-Amz-Request-Id"),
	}}
}

// rawBody is an answer's body of n bytes on c: the bytes already buffered,
// then the connection itself.
type rawBody struct {
	g    *rawGetter
	c    *rawConn
	stop func() bool
	n    int64 // bytes still to read
	keep bool  // the store keeps the connection open after this answer
	err  error
	done bool
}

func (b *rawBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.n)]
	var n int
	var err error
	if b.c.br.Buffered() > 0 {
		n, err = b.c.br.Read(p)
	} else {
		n, err = b.c.tcp.Read(p)
	}
	b.n -= int64(n)
	if err == io.EOF && b.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// WriteTo sends the body to w, by splice(2) when w (an http.ResponseWriter
// and what wraps it, each passing ReadFrom through) ends at a socket.
func (b *rawBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if k := min(int64(b.c.br.Buffered()), b.n); k > 0 && b.err == nil {
		m, err := io.CopyN(w, b.c.br, k)
		total += m
		b.n -= m
		if err != nil {
			b.err = err
			return total, err
		}
	}
	if b.n == 0 || b.err != nil {
		return total, b.err
	}
	rf, ok := w.(io.ReaderFrom)
	if !ok {
		m, err := copyLarge(w, b)
		return total + m, err
	}
	lr := &io.LimitedReader{R: b.c.tcp, N: b.n}
	m, err := rf.ReadFrom(lr)
	total += m
	b.n = lr.N
	if err == nil && b.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = fmt.Errorf("upstream: body: %w", err)
	}
	return total, err
}

// Close gives the connection back when the body was read to its end, and
// closes it otherwise.
func (b *rawBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	alive := b.stop() // false: the context ended, c's deadline is spent
	b.g.release(b.c, alive && b.keep && b.n == 0 && b.err == nil)
	return nil
}
