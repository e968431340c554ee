// Package accesslog gives every request an id and writes one log line for it
// when it ends: who, what, outcome, bytes and time. Handlers fill in what only
// they know (the S3 operation, the principal's project) through the Entry in
// the request's context. Nothing secret (signatures, tokens, query strings)
// is ever logged.
package accesslog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Entry is what is known about a request; handlers fill in Op, Project,
// Bucket and, when they refuse it, Code.
type Entry struct {
	RequestID string
	Method    string
	Op        string
	Project   string
	Bucket    string
	Status    int
	// Code is the S3 error code of a refused request (every 4xx and 5xx
	// the gateway decides), empty for a success.
	Code string
	// Reason, when set, says why a request was refused where the client
	// is told less (a scope denial is S3's bare AccessDenied). Never a
	// secret.
	Reason   string
	BytesIn  int64
	BytesOut int64
	Start    time.Time
	Duration time.Duration
}

type ctxKey struct{}

// FromContext returns the request's entry. Outside the middleware it returns
// a throwaway entry so callers need not check.
func FromContext(ctx context.Context) *Entry {
	if e, ok := ctx.Value(ctxKey{}).(*Entry); ok {
		return e
	}
	return &Entry{}
}

// NewRequestID returns an id in the style of S3's x-amz-request-id.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// Middleware wraps next: it assigns the request id (sent back as
// x-amz-request-id), counts bytes both ways, and when the request ends calls
// each sink and logs the entry at info level.
func Middleware(log *slog.Logger, next http.Handler, sinks ...func(*Entry)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &Entry{RequestID: NewRequestID(), Method: r.Method, Start: time.Now()}
		w.Header().Set("x-amz-request-id", e.RequestID)
		rw := &responseWriter{ResponseWriter: w, entry: e}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &countingBody{ReadCloser: r.Body, n: &e.BytesIn}
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, e))
		defer func() {
			// A handler aborts a response it cannot complete by panicking
			// with http.ErrAbortHandler; the request still gets its line.
			if v := recover(); v != nil {
				if e.Status == 0 {
					e.Status = http.StatusInternalServerError
				}
				e.Op += " (aborted)"
				finish(log, r, e, sinks)
				panic(v)
			}
		}()
		next.ServeHTTP(rw, r)
		finish(log, r, e, sinks)
	})
}

func finish(log *slog.Logger, r *http.Request, e *Entry, sinks []func(*Entry)) {
	if e.Status == 0 {
		e.Status = http.StatusOK
	}
	e.Duration = time.Since(e.Start)
	for _, sink := range sinks {
		sink(e)
	}
	attrs := []slog.Attr{
		slog.String("request_id", e.RequestID),
		slog.String("method", e.Method),
		slog.String("op", e.Op),
		slog.String("project", e.Project),
		slog.String("bucket", e.Bucket),
		slog.Int("status", e.Status),
		slog.String("code", e.Code),
		slog.Int64("bytes_in", e.BytesIn),
		slog.Int64("bytes_out", e.BytesOut),
		slog.Float64("duration_ms", float64(e.Duration.Microseconds())/1000),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// responseWriter records the status and bytes written. It passes ReadFrom
// through so that a file body still reaches the socket by sendfile(2).
type responseWriter struct {
	http.ResponseWriter
	entry *Entry
}

func (w *responseWriter) WriteHeader(code int) {
	if w.entry.Status == 0 {
		w.entry.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.entry.Status == 0 {
		w.entry.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.entry.BytesOut += int64(n)
	return n, err
}

func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.entry.Status == 0 {
		w.entry.Status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, src)
	w.entry.BytesOut += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type countingBody struct {
	io.ReadCloser
	n *int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	*b.n += int64(n)
	return n, err
}
