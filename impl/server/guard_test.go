package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
)

// Raw-socket tests of what one client can hold: every case speaks HTTP/1.1
// by hand to a real server on loopback, because the faults are in what a
// well-behaved client library would never send.

// testServer serves h below /s3 with short limits and returns its address.
func testServer(t *testing.T, h http.Handler, lim Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{S3: h, Prefix: "/s3", Limits: lim, ShutdownTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

var short = Limits{ReadHeaderTimeout: time.Second, BodyIdleTimeout: time.Second, WriteIdleTimeout: time.Second, KeepAliveTimeout: 5 * time.Second}

// refuser answers 403 without reading the body, as authentication does.
var refuser = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, "refused")
})

// reader reads the whole body and answers 200, or 400 with the read error.
var reader = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, err.Error())
		return
	}
	io.WriteString(w, "ok")
})

type rawConn struct {
	t *testing.T
	net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, Conn: c, br: bufio.NewReader(c)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// response reads one response, failing unless it arrives within d.
func (c *rawConn) response(d time.Duration) *http.Response {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("no response within %v: %v", d, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp
}

// closedWithin fails unless the server closes the connection within d.
func (c *rawConn) closedWithin(d time.Duration) {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("the server kept the connection open for over %v", d)
	}
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A response decided before the body is read goes out at once, says
// Connection: close, and the connection is closed: the client is neither
// made to send its body nor left waiting.
func TestEarlyAnswerClosesConnection(t *testing.T) {
	addr := testServer(t, refuser, short)
	for _, tc := range []struct{ name, head string }{
		{"declared body never sent", "PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n"},
		{"expect 100-continue", "PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n"},
		{"small body never sent", "PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"},
		{"chunked body never sent", "PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			start := time.Now()
			c.send(tc.head)
			resp := c.response(500 * time.Millisecond)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want the handler's 403 (a 100 Continue must not be sent for a refused body)", resp.StatusCode)
			}
			if !resp.Close {
				t.Fatalf("response lacks Connection: close: %v", resp.Header)
			}
			c.closedWithin(2 * time.Second)
			t.Logf("answered and closed in %v", time.Since(start))
		})
	}
}

// A body read to its end keeps the connection for the next request.
func TestConsumedBodyKeepsConnection(t *testing.T) {
	addr := testServer(t, reader, short)
	c := dial(t, addr)
	for i := 0; i < 3; i++ {
		c.send("PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
		resp := c.response(time.Second)
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("request %d: status %d close=%v", i, resp.StatusCode, resp.Close)
		}
	}
}

// A stalled upload is cut after BodyIdleTimeout: the handler's read fails
// with a deadline error (s3api answers 400 RequestTimeout), and the
// connection is closed. A slow but steady upload is not cut.
func TestStalledBodyTimesOut(t *testing.T) {
	var readErr atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			readErr.Store(err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	})
	addr := testServer(t, h, short)

	c := dial(t, addr)
	start := time.Now()
	c.send("PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf")
	resp := c.response(3 * time.Second)
	if resp.StatusCode != http.StatusBadRequest || !resp.Close {
		t.Fatalf("status %d close=%v, want 400 and Connection: close", resp.StatusCode, resp.Close)
	}
	err, _ := readErr.Load().(error)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("handler's read error %v does not wrap os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("cut after %v, before the idle timeout", d)
	}
	c.closedWithin(2 * time.Second)

	// 3 s of body at one byte every 400 ms: never idle for a whole second.
	c = dial(t, addr)
	c.send("PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n")
	for i := 0; i < 8; i++ {
		time.Sleep(400 * time.Millisecond)
		c.send("x")
	}
	if resp := c.response(2 * time.Second); resp.StatusCode != 200 {
		t.Fatalf("steady upload: status %d: %s", resp.StatusCode, body(resp))
	}
}

// After the body is read, the handler may work longer than BodyIdleTimeout:
// the body deadline must not cancel the request (net/http's background read
// would otherwise time out and cancel the context).
func TestBodyDeadlineEndsWithTheBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(1500 * time.Millisecond)
		if err := r.Context().Err(); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, err.Error())
			return
		}
		io.WriteString(w, "ok")
	})
	c := dial(t, testServer(t, h, short))
	c.send("PUT /s3/x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok")
	if resp := c.response(3 * time.Second); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body(resp))
	}
}

// A client that sends its headers a byte at a time is cut after
// ReadHeaderTimeout, however steadily it dribbles.
func TestHeaderDribblerIsCut(t *testing.T) {
	c := dial(t, testServer(t, reader, short))
	start := time.Now()
	go func() {
		for _, b := range []byte("GET /s3/x/y HTTP/1.1\r\nHost: h\r\nX-Slow: " + strings.Repeat("a", 100)) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	c.closedWithin(3 * time.Second)
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("closed after %v, before the header timeout", d)
	}
}

// Headers over MaxHeaderBytes get S3's 400 RequestHeaderSectionTooLarge (up
// to twice the limit) or net/http's 431 beyond, and the connection closes.
func TestHeaderSectionLimit(t *testing.T) {
	lim := short
	lim.MaxHeaderBytes = 8 << 10
	addr := testServer(t, reader, lim)
	for _, tc := range []struct {
		pad    int
		status int
		code   string
	}{
		{6 << 10, 200, ""},
		{12 << 10, 400, "<Code>RequestHeaderSectionTooLarge</Code><Message>Your request header section exceeds the maximum allowed size.</Message><MaxSizeAllowed>8192</MaxSizeAllowed>"},
		{64 << 10, 431, ""},
	} {
		c := dial(t, addr)
		c.send("GET /s3/x/y HTTP/1.1\r\nHost: h\r\nX-Pad: " + strings.Repeat("p", tc.pad) + "\r\n\r\n")
		resp := c.response(2 * time.Second)
		if resp.StatusCode != tc.status {
			t.Fatalf("%d bytes of header: status %d, want %d", tc.pad, resp.StatusCode, tc.status)
		}
		if b := body(resp); !strings.Contains(b, tc.code) {
			t.Fatalf("%d bytes of header: body %q lacks %q", tc.pad, b, tc.code)
		}
		if tc.status != 200 {
			c.closedWithin(2 * time.Second)
		}
	}
}

// A client that stops reading a large response is cut after
// WriteIdleTimeout, on both the sendfile path and plain writes, and the
// handler gets its write error (so it releases the file it was sending).
func TestStalledReaderIsCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, make([]byte, 64<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		var err error
		if r.URL.Query().Has("file") {
			f, _ := os.Open(path)
			defer f.Close()
			_, err = io.CopyN(w, f, 64<<20)
		} else {
			buf := make([]byte, 32<<10)
			for i := 0; i < 2048 && err == nil; i++ {
				_, err = w.Write(buf)
			}
		}
		done <- err
	})
	addr := testServer(t, accesslog.Middleware(nil, h), short)
	for _, q := range []string{"?file", ""} {
		c := dial(t, addr)
		c.send("GET /s3/x/y" + q + " HTTP/1.1\r\nHost: h\r\n\r\n")
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("%q: 64 MiB written to a client that reads nothing", q)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: the handler is still writing to a client that stopped reading", q)
		}
	}
}

// At MaxConnections, a further connection is answered 503 SlowDown at once
// and closed; when a slot frees, connections are served again.
func TestConnectionCap(t *testing.T) {
	lim := short
	lim.MaxConnections = 3
	addr := testServer(t, reader, lim)
	var held []*rawConn
	for i := 0; i < 3; i++ {
		c := dial(t, addr)
		c.send("GET /s3/x/y HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp := c.response(time.Second); resp.StatusCode != 200 {
			t.Fatalf("connection %d: status %d", i, resp.StatusCode)
		}
		held = append(held, c)
	}
	c := dial(t, addr)
	c.send("GET /s3/x/y HTTP/1.1\r\nHost: h\r\n\r\n")
	resp := c.response(2 * time.Second)
	if b := body(resp); resp.StatusCode != 503 || !strings.Contains(b, "<Code>SlowDown</Code>") || !strings.Contains(b, "<Resource>/s3/x/y</Resource>") || !resp.Close {
		t.Fatalf("over the cap: status %d close=%v body %q, want 503 SlowDown and Connection: close", resp.StatusCode, resp.Close, b)
	}
	c.closedWithin(2 * time.Second)
	held[0].Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c := dial(t, addr)
		c.send("GET /s3/x/y HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp := c.response(time.Second); resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a freed slot was never reused")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
