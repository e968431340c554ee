package upstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	authcreds "github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/storage"
)

// scripted is a store on a raw TCP listener that checks each request's
// signature and answers as its test says, so that what net/http's server
// would smooth over (an answer on a connection then closed without
// notice, a stall mid-body) can be staged.
type scripted struct {
	t        *testing.T
	ln       net.Listener
	accepted atomic.Int32
	verifier *sigv4.Verifier
	// answer writes the answer to the i-th request (from 0) on a
	// connection; false closes the connection after it.
	answer func(i int, r *http.Request, w *bufio.Writer) bool

	mu    sync.Mutex
	paths []string
}

func newScripted(t *testing.T, answer func(i int, r *http.Request, w *bufio.Writer) bool) (*scripted, *rawGetter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{t: t, ln: ln, answer: answer, verifier: &sigv4.Verifier{
		Lookup:  authcreds.Static([]authcreds.Record{{AccessKey: "raw-ak", SecretKey: "raw-sk", ProjectID: "p"}}),
		Region:  "us-east-1",
		MaxSkew: time.Minute,
	}}
	t.Cleanup(func() { ln.Close() })
	go s.serve()
	g := newRawGetter("http://"+ln.Addr().String(), "us-east-1", credentials.NewStaticCredentialsProvider("raw-ak", "raw-sk", ""))
	if g == nil {
		t.Fatal("no raw getter for a plain-HTTP endpoint")
	}
	return s, g
}

func (s *scripted) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		go func() {
			defer c.Close()
			br, bw := bufio.NewReader(c), bufio.NewWriter(c)
			for i := 0; ; i++ {
				r, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				s.mu.Lock()
				s.paths = append(s.paths, r.URL.Path)
				s.mu.Unlock()
				if _, err := s.verifier.Verify(r); err != nil {
					s.t.Errorf("request %s: signature refused: %v", r.URL, err)
					fmt.Fprintf(bw, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
					bw.Flush()
					return
				}
				keep := s.answer(i, r, bw)
				if bw.Flush() != nil || !keep {
					return
				}
			}
		}()
	}
}

func ok200(body string) func(int, *http.Request, *bufio.Writer) bool {
	return func(_ int, _ *http.Request, w *bufio.Writer) bool {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nLast-Modified: Mon, 02 Nov 2026 10:00:00 GMT\r\n"+
			"X-Amz-Meta-Color: blue \r\nx-amz-meta-Mixed-Case: v\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		return true
	}
}

func getIn(key string) *s3.GetObjectInput {
	return &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)}
}

func readAll(t *testing.T, out *s3.GetObjectOutput) string {
	t.Helper()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	return string(b)
}

// TestRawGetAnswer: a signed GET (the store verifies it) whose key is
// escaped as the SDK escapes it, answered with the fields OpenObject reads
// as the SDK would fill them, on one connection for successive GETs.
func TestRawGetAnswer(t *testing.T) {
	s, g := newScripted(t, ok200("hello"))
	keys := []string{"plain", "a b/c%+é?#&=", "dir//x/../y", "~tilde"}
	for _, key := range keys {
		out, err := g.get(t.Context(), getIn(key))
		if err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		if got := readAll(t, out); got != "hello" {
			t.Errorf("%q: body %q", key, got)
		}
		if aws.ToString(out.ETag) != `"abc"` || aws.ToInt64(out.ContentLength) != 5 || out.ContentRange != nil {
			t.Errorf("%q: ETag %v, length %v, range %v", key, aws.ToString(out.ETag), aws.ToInt64(out.ContentLength), out.ContentRange)
		}
		if want := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC); !aws.ToTime(out.LastModified).Equal(want) {
			t.Errorf("%q: Last-Modified %v", key, out.LastModified)
		}
		if out.Metadata["color"] != "blue" || out.Metadata["mixed-case"] != "v" || len(out.Metadata) != 2 {
			t.Errorf("%q: metadata %v", key, out.Metadata)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections for %d GETs read to their end, want 1", n, len(keys))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, key := range keys {
		if want := "/bkt/" + key; s.paths[i] != want {
			t.Errorf("store saw path %q, want %q", s.paths[i], want)
		}
	}
}

// TestRawGetStaleConnection: an idle connection the store closed without
// saying so costs one more attempt on a new connection, not an error.
func TestRawGetStaleConnection(t *testing.T) {
	s, g := newScripted(t, func(i int, r *http.Request, w *bufio.Writer) bool {
		ok200("x")(i, r, w)
		return false // close silently after every answer
	})
	for range 3 {
		out, err := g.get(t.Context(), getIn("k"))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, out); got != "x" {
			t.Fatalf("body %q", got)
		}
		time.Sleep(10 * time.Millisecond) // let the close arrive
	}
	if n := s.accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

// TestRawGetErrors: a 4xx becomes the error the SDK would return (status
// and code where mapErr finds them) and keeps the connection; what the
// SDK must handle (a 5xx it retries, a chunked answer) is left to it.
func TestRawGetErrors(t *testing.T) {
	answers := map[string]string{
		"missing": "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s",
		"changed": "HTTP/1.1 412 Precondition Failed\r\nContent-Length: %d\r\n\r\n%s",
		"busy":    "HTTP/1.1 503 Slow Down\r\nContent-Length: %d\r\n\r\n%s",
	}
	bodies := map[string]string{
		"missing": "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>",
		"changed": "",
		"busy":    "<Error><Code>SlowDown</Code></Error>",
	}
	s, g := newScripted(t, func(_ int, r *http.Request, w *bufio.Writer) bool {
		key := r.URL.Path[len("/bkt/"):]
		if key == "chunked" {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
			return true
		}
		fmt.Fprintf(w, answers[key], len(bodies[key]), bodies[key])
		return true
	})
	ctx := t.Context()
	_, err := g.get(ctx, getIn("missing"))
	if status(err) != http.StatusNotFound || !errors.Is(mapErr(ctx, err, "get"), storage.ErrNoSuchKey) {
		t.Errorf("404: status %d, mapped %v", status(err), mapErr(ctx, err, "get"))
	}
	_, err = g.get(ctx, getIn("changed"))
	if status(err) != http.StatusPreconditionFailed || !errors.Is(mapErr(ctx, err, "get"), storage.ErrPreconditionFailed) {
		t.Errorf("412: status %d, mapped %v", status(err), mapErr(ctx, err, "get"))
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections after two 4xx answers, want 1", n)
	}
	for _, key := range []string{"busy", "chunked"} {
		if _, err := g.get(ctx, getIn(key)); !errors.Is(err, errNotRaw) {
			t.Errorf("%s: %v, want errNotRaw", key, err)
		}
	}
}

// TestRawGetUnfinishedBody: a body closed before its end closes its
// connection (the rest is not waited for), and a connection is never
// reused with bytes of another answer in it.
func TestRawGetUnfinishedBody(t *testing.T) {
	body := string(bytes.Repeat([]byte("z"), 1<<20))
	s, g := newScripted(t, ok200(body))
	out, err := g.get(t.Context(), getIn("k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(out.Body, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	out, err = g.get(t.Context(), getIn("k"))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, out); got != body {
		t.Fatalf("second body: %d bytes", len(got))
	}
	if n := s.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestRawGetCancel: the caller's context ending (the client gone) ends a
// body that the store has stalled, promptly.
func TestRawGetCancel(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	_, g := newScripted(t, func(_ int, _ *http.Request, w *bufio.Writer) bool {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part")
		w.Flush()
		<-release
		return false
	})
	ctx, cancel := context.WithCancel(t.Context())
	out, err := g.get(ctx, getIn("k"))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	began := time.Now()
	n, err := io.Copy(io.Discard, out.Body)
	if err == nil || n != int64(len("only-part")) {
		t.Errorf("read %d bytes, err %v: want the part sent and an error", n, err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("the read ended %v after the cancel", d)
	}
	out.Body.Close()
}

// TestRawGetNoAnswer: a store that takes the request and never answers
// is unavailable after the head timeout, without a second wait.
func TestRawGetNoAnswer(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s, g := newScripted(t, func(int, *http.Request, *bufio.Writer) bool { <-release; return false })
	g.headerTimeout = 200 * time.Millisecond
	began := time.Now()
	_, err := g.get(t.Context(), getIn("k"))
	if !errors.Is(mapErr(t.Context(), err, "get"), storage.ErrUnavailable) {
		t.Errorf("no answer: %v, want ErrUnavailable", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry)", n)
	}
}

// TestRawGetWriteTo: the body sent to a socket (through ReadFrom, as the
// gateway's response writer does) arrives whole, beyond what was
// buffered with the head; a body cut short is an error.
func TestRawGetWriteTo(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 300<<10) // 4.8 MiB
	var cut atomic.Bool
	_, g := newScripted(t, func(_ int, _ *http.Request, w *bufio.Writer) bool {
		if cut.Load() {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body)+10)
		} else {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body))
		}
		w.Write(body)
		return !cut.Load()
	})
	for _, short := range []bool{false, true} {
		cut.Store(short)
		a, b := tcpPair(t)
		got := make(chan []byte)
		go func() { data, _ := io.ReadAll(b); got <- data }()
		out, err := g.get(t.Context(), getIn("k"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := out.Body.(io.WriterTo).WriteTo(a)
		out.Body.Close()
		a.Close()
		data := <-got
		if short {
			if err == nil {
				t.Errorf("short body: no error after %d bytes", n)
			}
			continue
		}
		if err != nil || n != int64(len(body)) || !bytes.Equal(data, body) {
			t.Errorf("WriteTo: %d bytes, err %v; received %d bytes, equal %v", n, err, len(data), bytes.Equal(data, body))
		}
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); accepted <- c }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// TestRawGetterEndpoints: only plain HTTP is read raw.
func TestRawGetterEndpoints(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	for endpoint, want := range map[string]bool{
		"http://127.0.0.1:7480": true, "http://store.internal": true, "http://h:1/prefix/": true,
		"https://store.internal": false, "ftp://x": false, "not a url": false,
	} {
		if got := newRawGetter(endpoint, "us-east-1", creds) != nil; got != want {
			t.Errorf("%s: raw %v, want %v", endpoint, got, want)
		}
	}
	g := newRawGetter("http://h/prefix/", "r", creds)
	if g.host != "h:80" || g.prefix != "/prefix" {
		t.Errorf("host %q prefix %q", g.host, g.prefix)
	}
	// The SDK's transport follows HTTP_PROXY; so does the choice.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:3128")
	t.Setenv("NO_PROXY", "direct.internal")
	if newRawGetter("http://store.internal:7480", "r", creds) != nil {
		t.Errorf("an endpoint behind HTTP_PROXY is read raw")
	}
	if newRawGetter("http://direct.internal:7480", "r", creds) == nil {
		t.Errorf("an endpoint NO_PROXY exempts is not read raw")
	}
}

// TestRawGetOnlyWhatItSends: a GET asking for anything the getter does not
// send (a version, response overrides, SSE-C) is left to the SDK.
func TestRawGetOnlyWhatItSends(t *testing.T) {
	s, g := newScripted(t, ok200("x"))
	for _, in := range []*s3.GetObjectInput{
		{Bucket: aws.String("bkt"), Key: aws.String("k"), VersionId: aws.String("v1")},
		{Bucket: aws.String("bkt"), Key: aws.String("k"), ResponseContentType: aws.String("text/plain")},
		{Bucket: aws.String("bkt"), Key: aws.String("k"), SSECustomerKey: aws.String("key")},
		{Bucket: aws.String("bkt"), Key: aws.String("k"), PartNumber: aws.Int32(1)},
		{Bucket: aws.String("bkt"), Key: aws.String("")},
	} {
		if _, err := g.get(t.Context(), in); !errors.Is(err, errNotRaw) {
			t.Errorf("%+v: %v, want errNotRaw", in, err)
		}
	}
	if n := s.accepted.Load(); n != 0 {
		t.Errorf("%d connections for GETs left to the SDK", n)
	}
}
