// Package server is the gateway's HTTP front: it routes between the S3 API
// and the gateway's own endpoints, bounds how long a slow client can hold a
// connection, and shuts down gracefully.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
)

// Timeouts that keep a slow or stalled client from holding a connection.
const (
	readHeaderTimeout = 15 * time.Second
	idleTimeout       = 120 * time.Second
	// bodyIdleTimeout ends a request whose body stops arriving. It is
	// renewed by every read, so a large upload at any steady rate is fine.
	bodyIdleTimeout = 60 * time.Second
)

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
}

// Server is the gateway's HTTP server.
type Server struct {
	opts    Options
	handler http.Handler
}

// New returns a Server.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Warnings == nil {
		opts.Warnings = func() []string { return nil }
	}
	s := &Server{opts: opts}
	s.handler = accesslog.Middleware(opts.Logger, http.HandlerFunc(s.route), opts.AccessSinks...)
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
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
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w)}
		}
		s.opts.S3.ServeHTTP(w, r)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found", "path": path})
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

// idleBody renews the connection's read deadline before every read of a
// request body, so a client that stops sending is cut off after
// bodyIdleTimeout while a slow but steady one is not.
type idleBody struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(bodyIdleTimeout))
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("request body stalled for %v: %w", bodyIdleTimeout, err)
	}
	return n, err
}

// Serve serves on ln until ctx is done, then stops accepting connections
// and waits up to the shutdown timeout for in-flight requests; connections
// still busy after that are closed. It returns nil after a clean drain.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
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
