package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/s3err"
)

// After an answer to a request whose body was not read, what is left of the
// body may keep arriving for drainLinger, each read waiting drainIdle at
// most, up to drainMax bytes; then the connection closes. A client still
// sending then reads its answer instead of a connection reset; one that
// sends nothing is cut after drainIdle.
const (
	drainLinger = time.Second
	drainIdle   = 250 * time.Millisecond
	drainMax    = 256 << 10
)

var drainBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// writeSegment is how much of a file body is handed to the kernel under one
// write deadline: a client must take at least this much per
// WriteIdleTimeout (1 MiB a minute by default) or be cut.
const writeSegment = 1 << 20

// guard is the outermost handler. It keeps every read and write of a
// request under a deadline, and keeps net/http able to tell whether the
// request body was consumed:
//
//   - the handlers below get a shallow copy of the request, so whatever they
//     do to its Body (count it, verify it, decode it), net/http still holds
//     its own body and knows, after the handler, whether bytes remain;
//   - a response sent before the body was read to its end (an error decided
//     from the headers, a stalled or refused upload) says Connection: close,
//     so the answer goes out at once; the connection closes once the rest of
//     the body stops arriving (within drainLinger), and no 100 Continue
//     invites a body nobody wants;
//   - each body read renews a read deadline of BodyIdleTimeout, and each
//     response write a write deadline of WriteIdleTimeout.
func (s *Server) guard(next http.Handler) http.Handler {
	lim := s.opts.Limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		gw := &guardedWriter{ResponseWriter: w, rc: rc, idle: lim.WriteIdleTimeout}
		gw.renew(true) // covers a 100 Continue sent when the body is first read
		inner := r.WithContext(r.Context())
		if r.Body != nil && r.Body != http.NoBody {
			b := &guardedBody{src: r.Body, rc: rc, idle: lim.BodyIdleTimeout}
			gw.body = b
			inner.Body = b
		}
		next.ServeHTTP(gw, inner)
		if !gw.consumed() {
			// The answer says Connection: close: send it now, take what
			// is left of the body for a moment, then let net/http close
			// without waiting on the client.
			_ = rc.Flush()
			gw.body.drain(r.Header.Get("Expect") != "")
			if !gw.consumed() {
				_ = rc.SetReadDeadline(time.Now())
			}
		}
		gw.renew(true) // the final flush happens after we return
	})
}

// headerSize is the size of the request line and headers as sent, near
// enough: what S3's limit on the "request header section" counts.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	n += len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// refuse answers a request the gateway will not serve at all, in the
// S3 API's XML under its prefix and in the gateway's JSON elsewhere.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *s3err.Error) {
	entry := accesslog.FromContext(r.Context())
	entry.Code = e.Code
	id := entry.RequestID
	w.Header().Set("Connection", "close")
	p := s.opts.Prefix
	if p == "" || r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
		body := e.Document(r.URL.Path, id).Marshal()
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("x-amz-request-id", id)
		w.WriteHeader(e.Status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "message": e.Message})
}

// guardedBody is the request body the handlers read.
type guardedBody struct {
	src     io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	eof     atomic.Bool
	started bool // the handler read from it (and so had a 100 Continue sent)
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.eof.Load() {
		return 0, io.EOF
	}
	b.started = true
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.src.Read(p)
	switch {
	case err == io.EOF:
		b.eof.Store(true)
		// No deadline for net/http's own background read, which watches
		// for the client going away while the handler still works.
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil && isTimeout(err):
		err = fmt.Errorf("request body idle for %v: %w", b.idle, err)
	}
	return n, err
}

func (b *guardedBody) Close() error { return b.src.Close() }

// drain reads and drops the rest of a body after its answer was sent, within
// drainLinger, drainIdle and drainMax. A client that asked to be invited
// (Expect: 100-continue) and was not is sending nothing: reading would only
// invite it.
func (b *guardedBody) drain(expectContinue bool) {
	if b.eof.Load() || expectContinue && !b.started {
		return
	}
	bp := drainBufs.Get().(*[]byte)
	defer drainBufs.Put(bp)
	end := time.Now().Add(drainLinger)
	for total := 0; total <= drainMax; {
		next := time.Now().Add(drainIdle)
		if next.After(end) {
			next = end
		}
		_ = b.rc.SetReadDeadline(next)
		n, err := b.src.Read(*bp)
		total += n
		if err == io.EOF {
			b.eof.Store(true)
			_ = b.rc.SetReadDeadline(time.Time{})
			return
		}
		if err != nil {
			return
		}
	}
}

func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

// guardedWriter renews the write deadline as the response goes out and
// closes the connection after a response to a request whose body was not
// read to its end.
type guardedWriter struct {
	http.ResponseWriter
	rc          *http.ResponseController
	body        *guardedBody // nil when the request had none
	idle        time.Duration
	lastRenew   time.Time
	wroteHeader bool
}

func (w *guardedWriter) consumed() bool { return w.body == nil || w.body.eof.Load() }

// renew moves the write deadline to WriteIdleTimeout from now; unforced, at
// most every sixteenth of that, which keeps small writes cheap.
func (w *guardedWriter) renew(force bool) {
	now := time.Now()
	if !force && now.Sub(w.lastRenew) < w.idle/16 {
		return
	}
	w.lastRenew = now
	_ = w.rc.SetWriteDeadline(now.Add(w.idle))
}

func (w *guardedWriter) beforeHeader() {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if !w.consumed() {
		w.Header().Set("Connection", "close")
	}
}

func (w *guardedWriter) WriteHeader(code int) {
	if code >= 200 {
		w.beforeHeader()
	}
	w.renew(false)
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	w.beforeHeader()
	w.renew(false)
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile(2) for file bodies while renewing the deadline
// every writeSegment bytes: the kernel sends a file in one call otherwise,
// and a deadline set once would bound the whole transfer, not its pauses.
func (w *guardedWriter) ReadFrom(src io.Reader) (int64, error) {
	w.beforeHeader()
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		w.renew(true)
		return io.Copy(writerOnly{w}, src)
	}
	// One level of LimitedReader around the file is what lets net use
	// sendfile; nest none.
	remaining := int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		src, remaining = lr.R, lr.N
		defer func() { lr.N = remaining }()
	}
	var total int64
	for remaining != 0 {
		w.renew(true)
		want := int64(writeSegment)
		if remaining > 0 {
			want = min(want, remaining)
		}
		n, err := rf.ReadFrom(&io.LimitedReader{R: src, N: want})
		total += n
		if remaining > 0 {
			remaining -= n
		}
		if err != nil || n < want {
			return total, err
		}
	}
	return total, nil
}

// writerOnly hides ReadFrom, so io.Copy does not recurse into it.
type writerOnly struct{ io.Writer }

func (w *guardedWriter) Flush() {
	w.beforeHeader()
	w.renew(false)
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach net/http's writer.
func (w *guardedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
