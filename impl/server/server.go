// Package server is the gateway's HTTP front: it routes between the S3 API
// and the gateway's own endpoints, bounds how long a slow client can hold a
// connection, and shuts down gracefully.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/s3err"
)

// Limits bound what one client can hold: time, header bytes and, together,
// connections. Zero fields take the defaults in the README.
type Limits struct {
	// MaxHeaderBytes bounds the request line and headers together.
	MaxHeaderBytes int
	// MaxConnections caps open client connections; a connection beyond it
	// is answered 503 SlowDown and closed. Zero means no cap.
	MaxConnections int
	// ReadHeaderTimeout bounds the TLS handshake, request line and headers.
	ReadHeaderTimeout time.Duration
	// BodyIdleTimeout bounds each wait for request body bytes; it is renewed
	// by every read, so a steady upload at any rate is fine.
	BodyIdleTimeout time.Duration
	// WriteIdleTimeout bounds each wait for the client to take response
	// bytes (per write, and per writeSegment of a file sent).
	WriteIdleTimeout time.Duration
	// KeepAliveTimeout bounds the wait for the next request.
	KeepAliveTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 16 << 10
	}
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = 15 * time.Second
	}
	if l.BodyIdleTimeout <= 0 {
		l.BodyIdleTimeout = 60 * time.Second
	}
	if l.WriteIdleTimeout <= 0 {
		l.WriteIdleTimeout = 60 * time.Second
	}
	if l.KeepAliveTimeout <= 0 {
		l.KeepAliveTimeout = 120 * time.Second
	}
	return l
}

// OwnEndpoints are the paths the gateway serves itself. When the S3 API is
// mounted at the root, these names cannot be buckets.
var OwnEndpoints = []string{"healthz", "readyz", "metrics", "v1"}

// Checker reports whether a dependency can serve.
type Checker interface {
	Check(ctx context.Context) error
}

// Options configures a Server.
type Options struct {
	// S3 serves the S3 API below Prefix ("" for the root).
	S3     http.Handler
	Prefix string
	// Storage is probed by /readyz.
	Storage Checker
	// Warnings lists the reasons the deployment is not production ready.
	Warnings func() []string
	// Routes are further endpoints of the gateway's own, by exact path.
	Routes          map[string]http.Handler
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// AccessSinks see every finished request (metrics, usage).
	AccessSinks []func(*accesslog.Entry)
	// TLS, when set, makes Serve speak HTTPS.
	TLS *tls.Config
	// Limits bound each client's time and bytes.
	Limits Limits
}

// Server is the gateway's HTTP server.
type Server struct {
	opts    Options
	handler http.Handler
	conns   connStats
}

// New returns a Server.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Warnings == nil {
		opts.Warnings = func() []string { return nil }
	}
	opts.Limits = opts.Limits.withDefaults()
	s := &Server{opts: opts}
	s.handler = s.guard(accesslog.Middleware(opts.Logger, withCode(http.HandlerFunc(s.route)), opts.AccessSinks...))
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if max := s.opts.Limits.MaxHeaderBytes; headerSize(r) > max {
		s.refuse(w, r, s3err.RequestHeaderSectionTooLarge.WithDetails(
			s3err.Detail{Name: "MaxSizeAllowed", Value: strconv.Itoa(max)}))
		return
	}
	path := r.URL.Path
	switch path {
	case "/healthz":
		accesslog.FromContext(r.Context()).Op = "Healthz"
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	case "/readyz":
		accesslog.FromContext(r.Context()).Op = "Readyz"
		s.readyz(w, r)
		return
	}
	if h, ok := s.opts.Routes[path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	p := s.opts.Prefix
	if p == "" || path == p || strings.HasPrefix(path, p+"/") {
		s.opts.S3.ServeHTTP(w, r)
		return
	}
	if looksLikeS3(r) {
		s.wrongEndpoint(w, r)
		return
	}
	accesslog.FromContext(r.Context()).Code = "NotFound"
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found", "path": path})
}

// looksLikeS3 reports whether a request outside the S3 prefix was meant for
// the S3 API: an S3 client pointed at the server's root. The gateway's own
// endpoints (/v1/..., /healthz, /readyz, /metrics) keep their JSON answers.
func looksLikeS3(r *http.Request) bool {
	if own, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); slices.Contains(OwnEndpoints, own) {
		return false
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") ||
		strings.Contains(r.URL.RawQuery, "X-Amz-") {
		return true
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Amz-") {
			return true
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// wrongEndpoint answers an S3 request sent outside the S3 prefix with an S3
// error document saying where the API is, which S3 clients show their user.
func (s *Server) wrongEndpoint(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	e := s3err.NoSuchBucket.With(fmt.Sprintf("This gateway serves the S3 API under %s/: use the endpoint %s://%s%s (path-style).",
		s.opts.Prefix, scheme, r.Host, s.opts.Prefix))
	if bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); bucket != "" {
		e = e.ForBucket(bucket)
	}
	entry := accesslog.FromContext(r.Context())
	entry.Code = e.Code
	entry.Reason = "S3 request outside " + s.opts.Prefix + "/"
	body := e.Document(r.URL.Path, entry.RequestID).Marshal()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// withCode makes sure the access log names an error code for every answer
// of 400 or more: a handler that sent one without setting the entry's Code
// gets the status's name (NotFound, InternalServerError), never a blank.
func withCode(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if e := accesslog.FromContext(r.Context()); e.Status >= 400 && e.Code == "" {
			e.Code = strings.ReplaceAll(http.StatusText(e.Status), " ", "")
			if e.Code == "" {
				e.Code = "HTTP" + strconv.Itoa(e.Status)
			}
		}
	})
}

// readiness is the body of /readyz.
type readiness struct {
	Ready             bool     `json:"ready"`
	ProductionReady   bool     `json:"production_ready"`
	ReadinessWarnings []string `json:"readiness_warnings"`
	StorageError      string   `json:"storage_error,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	res := readiness{Ready: true, ReadinessWarnings: s.opts.Warnings()}
	if res.ReadinessWarnings == nil {
		res.ReadinessWarnings = []string{}
	}
	if s.opts.Storage != nil {
		if err := s.opts.Storage.Check(ctx); err != nil {
			res.Ready = false
			res.StorageError = err.Error()
		}
	}
	res.ProductionReady = res.Ready && len(res.ReadinessWarnings) == 0
	status := http.StatusOK
	if !res.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Serve serves on ln until ctx is done, then stops accepting connections
// and waits up to the shutdown timeout for in-flight requests; connections
// still busy after that are closed. It returns nil after a clean drain.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	lim := s.opts.Limits
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		IdleTimeout:       lim.KeepAliveTimeout,
		// Up to twice the limit reaches the guard, which answers S3's
		// RequestHeaderSectionTooLarge; beyond that net/http's own 431.
		MaxHeaderBytes: 2 * lim.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if lim.MaxConnections > 0 {
		ln = s.limitListener(ln, lim.MaxConnections)
	}
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.opts.Logger.Info("shutting down: draining in-flight requests", "timeout", s.opts.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.opts.Logger.Warn("shutdown timed out: closing remaining connections", "err", err)
		srv.Close()
		return fmt.Errorf("drain: %w", err)
	}
	return nil
}
