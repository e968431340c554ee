// Package gateway assembles the gateway from its parts: storage, key
// providers and authentication, the S3 API, presigned URLs, usage metering,
// metrics and readiness. cmd/gateway only loads the configuration, listens
// and hands over; tests build the same gateway in-process.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"github.com/s3gw/gateway/impl/cors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/auth/tokens"
	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/metrics"
	"github.com/s3gw/gateway/impl/presign"
	"github.com/s3gw/gateway/impl/readiness"
	"github.com/s3gw/gateway/impl/redact"
	"github.com/s3gw/gateway/impl/s3api"
	"github.com/s3gw/gateway/impl/secrets"
	"github.com/s3gw/gateway/impl/server"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/fs"
	"github.com/s3gw/gateway/impl/storage/upstream"
	"github.com/s3gw/gateway/impl/tenancy"
	"github.com/s3gw/gateway/impl/usage"
)

// Storage is what a gateway serves from: the backend that keeps buckets and
// objects, the registry of who owns them, and the lifecycle the gateway
// drives. The embedded store is both backend and registry; another backend
// brings its own, and nothing above this seam changes.
type Storage struct {
	Backend storage.Backend
	Owners  tenancy.Registry
	// Check reports whether the storage can serve (for /readyz); nil is
	// always ready.
	Check func(context.Context) error
	// Close releases the storage when the gateway closes; nil does nothing.
	Close func() error
	// Metrics, when set, registers the storage's own metrics.
	Metrics func(*metrics.Metrics)
	// Reserved are bucket names clients may not use (the storage's own).
	Reserved []string
}

// Gateway is an assembled gateway, ready to serve.
type Gateway struct {
	cfg      *config.Config
	log      *slog.Logger
	storage  Storage
	server   *server.Server
	recorder *usage.Recorder
	probe    *readiness.Probe
}

// New assembles a gateway for cfg over the embedded store, logging to log
// (nil discards). Its errors name the setting at fault.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var st Storage
	var err error
	switch cfg.StorageBackend {
	case "s3":
		st, err = OpenUpstream(cfg)
	default:
		st, err = OpenFS(cfg, log)
	}
	if err != nil {
		return nil, err
	}
	g, err := NewWithStorage(cfg, log, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return g, nil
}

// OpenFS opens the embedded store cfg describes, with the readiness checks
// of its directories' free space.
func OpenFS(cfg *config.Config, log *slog.Logger) (Storage, error) {
	store, err := fs.Open(fs.Options{
		DataDir:        cfg.DataDir,
		MultipartDir:   cfg.MultipartDir,
		MetaFile:       cfg.MetaFile,
		Fsync:          cfg.Fsync,
		UploadMaxAge:   cfg.MultipartMaxAge,
		InlineMaxBytes: cfg.InlineMaxBytes,
		Logger:         log,
	})
	if err != nil {
		return Storage{}, &config.Error{Var: "S3_META_FILE", Value: cfg.MetaFile, Reason: err.Error()}
	}
	disk := &readiness.DiskSpace{Min: cfg.MinFreeBytes, MinVar: "S3_MIN_FREE_BYTES", Dirs: []readiness.Dir{
		{Var: "S3_DATA_DIR", Path: cfg.DataDir},
		{Var: "S3_MULTIPART_DIR", Path: cfg.MultipartDir},
		{Var: "S3_META_FILE", Path: filepath.Dir(cfg.MetaFile)},
	}}
	return Storage{
		Backend: store,
		Owners:  store,
		Check:   readiness.All{store, disk}.Check,
		Close:   store.Close,
		Metrics: func(m *metrics.Metrics) {
			m.CounterFunc("index_commits_total", "Group commits of the metadata index.", func() float64 { return float64(store.Commits()) })
		},
	}, nil
}

// OpenUpstream connects to the S3 service cfg's UPSTREAM_ settings name
// (STORAGE_BACKEND=s3), checking its metadata bucket within a deadline: an
// unreachable or refusing service stops start-up naming the setting.
func OpenUpstream(cfg *config.Config) (Storage, error) {
	u := cfg.Upstream
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	store, err := upstream.Open(ctx, upstream.Options{
		Endpoint: u.Endpoint, Region: u.Region, AccessKey: u.AccessKey, SecretKey: u.SecretKey,
		CAFile: u.CAFile, MetaBucket: u.MetaBucket,
	})
	if err != nil {
		return Storage{}, &config.Error{Var: "UPSTREAM_ENDPOINT", Value: redact.URL(u.Endpoint), Reason: err.Error()}
	}
	owners := store.Registry().WithCache(upstream.OwnerCache{TTL: u.OwnerCacheTTL})
	return Storage{Backend: store, Owners: owners, Check: store.Check, Reserved: []string{u.MetaBucket}}, nil
}

// NewWithStorage assembles a gateway for cfg over st; the storage settings
// of cfg are not used. Closing the gateway closes st.
func NewWithStorage(cfg *config.Config, log *slog.Logger, st Storage) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tlsConfig, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: log, storage: st}

	m := metrics.New()
	cp := controlplane.New(cfg.ControlPlaneURL, cfg.InternalAPIToken)
	cp.Observe = m.ObserveControlPlane
	if st.Metrics != nil {
		st.Metrics(m)
	}
	g.probe = &readiness.Probe{Check: cp.Ping, Interval: 10 * time.Second, Name: "control plane", Logger: log}

	// One budget of control-plane calls for credentials nobody has shown
	// before, shared by keys and tokens: strangers cannot turn requests
	// into control-plane load beyond it.
	limiter := rate.NewLimiter(rate.Limit(cfg.LookupRate), cfg.LookupRate)
	keys := keyLookup(cfg, cp, m, limiter)
	tokenVerifier := &tokens.Verifier{Verify: cp.VerifyToken, TTL: cfg.TokenCacheTTL, Limiter: limiter}
	m.CounterFunc("token_cache_hits_total", "Bearer-token checks answered from the cache.", func() float64 { return float64(tokenVerifier.Hits.Load()) })
	m.CounterFunc("token_cache_refusals_total", "Bearer-token checks answered from the cache with a refusal.", func() float64 { return float64(tokenVerifier.NegativeHits.Load()) })
	m.CounterFunc("token_cache_misses_total", "Bearer-token checks that asked the control plane.", func() float64 { return float64(tokenVerifier.Misses.Load()) })
	m.CounterFunc("token_cache_throttled_total", "Bearer-token checks refused SlowDown by CONTROL_PLANE_LOOKUP_RATE.", func() float64 { return float64(tokenVerifier.Throttled.Load()) })
	signer := &presign.Signer{Secrets: cfg.PresignSecrets, Prefix: cfg.PathPrefix, Keys: keys}
	authn := &auth.Chain{
		SigV4:         &sigv4.Verifier{Lookup: keys, Region: cfg.Region, MaxSkew: cfg.SigV4MaxSkew},
		Tokens:        tokenVerifier,
		Presigned:     signer,
		PresignedPost: signer,
		RequireAuth:   cfg.RequireAuth,
	}

	sinks := []func(*accesslog.Entry){m.Observe}
	if cfg.UsageReporting {
		rec := usage.New(cp.SendUsage, usage.Options{Logger: log})
		g.recorder = rec
		sinks = append(sinks, usageSink(rec))
		m.GaugeFunc("usage_queue_depth", "Usage events waiting to be sent.", func() float64 { return float64(rec.Depth()) })
		m.CounterFunc("usage_events_sent_total", "Usage events delivered to the control plane.", func() float64 { return float64(rec.Sent.Load()) })
		m.CounterFunc("usage_events_dropped_total", "Usage events lost: queue full or every retry failed.", func() float64 { return float64(rec.Lost()) })
	}

	reserved := st.Reserved
	if cfg.PathPrefix == "" {
		reserved = append(reserved[:len(reserved):len(reserved)], server.OwnEndpoints...)
	}
	// Listing tokens are keyed from the presign secrets, so that every
	// instance sharing them accepts the others' tokens and rotation works
	// the same way.
	api := s3api.New(s3api.Options{
		Backend:           st.Backend,
		Owners:            st.Owners,
		Auth:              authn,
		Prefix:            cfg.PathPrefix,
		Region:            cfg.Region,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		MaxParts:          cfg.MaxMultipartParts,
		AutoCreateBuckets: cfg.AutoCreateBuckets,
		ReservedBuckets:   reserved,
		TokenKeys:         secrets.DeriveAll(cfg.PresignSecrets, secrets.ListToken),
		CORSDefault:       cfg.CORSDefault(),
		PostPolicy:        authn,
		Logger:            log,
	})
	presignHandler := &presign.Handler{
		Auth: authn, Signer: signer, Prefix: cfg.PathPrefix, BaseURL: cfg.PublicBaseURL, Logger: log,
		Owners: st.Owners,
	}
	g.server = server.New(server.Options{
		TLS:     tlsConfig,
		S3:      api,
		Prefix:  cfg.PathPrefix,
		Storage: readiness.Func(st.Check),
		Routes: map[string]http.Handler{
			"/v1/presign": cors.Handler(cfg.CORSDefault(), presignHandler),
			"/metrics":    m.Handler(cfg.MetricsToken),
		},
		Warnings:        g.warnings,
		AccessSinks:     sinks,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          log,
		Limits: server.Limits{
			MaxHeaderBytes:    cfg.MaxHeaderBytes,
			MaxConnections:    cfg.MaxConnections,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			BodyIdleTimeout:   cfg.BodyIdleTimeout,
			WriteIdleTimeout:  cfg.WriteIdleTimeout,
			KeepAliveTimeout:  cfg.KeepAliveTimeout,
		},
	})
	m.GaugeFunc("connections_open", "Client connections open now (counted when MAX_CONNECTIONS applies).", func() float64 { return float64(g.server.OpenConnections()) })
	m.CounterFunc("connections_refused_total", "Connections answered 503 SlowDown at the MAX_CONNECTIONS cap.", func() float64 { return float64(g.server.RefusedConnections()) })
	return g, nil
}

// warnings lists what makes the running gateway unfit for production.
func (g *Gateway) warnings() []string {
	w := g.cfg.Warnings()
	if err := g.probe.Err(); err != nil {
		w = append(w, "the control plane is unhealthy: "+describe(err)+" (the gateway log has the details)")
	}
	if g.recorder != nil {
		if n := g.recorder.Lost(); n > 0 {
			w = append(w, strconv.FormatInt(n, 10)+" usage events were dropped")
		}
	}
	return w
}

// Handler is the gateway's root HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.server.Handler() }

// Serve serves on ln until ctx ends, then drains requests and flushes usage.
// It also runs the background work: the control-plane probe and, when
// configured, the pprof listener.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	for _, w := range g.cfg.Warnings() {
		g.log.Warn("not production ready: " + w)
	}
	go g.probe.Run(ctx)
	if g.cfg.PprofAddr != "" {
		go g.servePprof(ctx)
	}
	err := g.server.Serve(ctx, ln)
	if g.recorder != nil {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if ferr := g.recorder.Close(fctx); ferr != nil {
			g.log.Warn("usage: flush on shutdown incomplete", "err", ferr)
		}
		cancel()
	}
	return err
}

// StartBackground runs the background work for a gateway served by someone
// else's server (tests): the probe, until ctx ends.
func (g *Gateway) StartBackground(ctx context.Context) { go g.probe.Run(ctx) }

// Close closes the storage cleanly (and stops usage, when not served).
func (g *Gateway) Close() error {
	if g.recorder != nil {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = g.recorder.Close(fctx)
		cancel()
	}
	if g.storage.Close == nil {
		return nil
	}
	return g.storage.Close()
}

// servePprof serves net/http/pprof on a listener of its own, never the
// public port.
func (g *Gateway) servePprof(ctx context.Context) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Addr: g.cfg.PprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	g.log.Info("pprof listening", "addr", g.cfg.PprofAddr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		g.log.Warn("pprof listener stopped", "err", err)
	}
}

func loadTLS(cfg *config.Config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, &config.Error{Var: "TLS_CERT_FILE", Value: cfg.TLSCertFile, Reason: err.Error()}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// keyLookup builds the access-key provider SIGV4_PROVIDER names: the local
// credentials, the control plane behind a cache, or both (local first).
func keyLookup(cfg *config.Config, cp *controlplane.Client, m *metrics.Metrics, limiter *rate.Limiter) credentials.Lookup {
	local := credentials.Static(cfg.Credentials)
	if cfg.SigV4Provider == "env" {
		return local
	}
	cache := &credentials.Cache{
		Source:      cp.ResolveKey,
		TTL:         cfg.SigV4CacheTTL,
		NegativeTTL: min(cfg.SigV4CacheTTL, 5*time.Second),
		Limiter:     limiter,
	}
	m.CounterFunc("key_cache_hits_total", "Access-key lookups answered from the cache.", func() float64 { return float64(cache.Hits.Load()) })
	m.CounterFunc("key_cache_unknown_total", "Access-key lookups answered from the cache as unknown keys.", func() float64 { return float64(cache.NegativeHits.Load()) })
	m.CounterFunc("key_cache_misses_total", "Access-key lookups that asked the control plane.", func() float64 { return float64(cache.Misses.Load()) })
	m.CounterFunc("key_cache_throttled_total", "Access-key lookups refused SlowDown by CONTROL_PLANE_LOOKUP_RATE.", func() float64 { return float64(cache.Throttled.Load()) })
	if cfg.SigV4Provider == "control-plane" {
		return cache.Lookup
	}
	return credentials.First(local, cache.Lookup)
}

// usageSink turns each finished S3 request of a known project into a usage
// event. Requests refused before authentication have no project to bill.
func usageSink(r *usage.Recorder) func(*accesslog.Entry) {
	return func(e *accesslog.Entry) {
		if e.Project == "" || e.Op == "" {
			return
		}
		r.Record(usage.Event{
			ProjectID: e.Project, Bucket: e.Bucket, Op: e.Op,
			BytesIn: e.BytesIn, BytesOut: e.BytesOut, Status: e.Status,
			At: e.Start.UTC(), RequestID: e.RequestID,
		})
	}
}

// describe summarises a failed control-plane probe for /readyz, which
// anyone may read: the cause, never the control plane's address.
func describe(err error) string {
	var se *controlplane.StatusError
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return "it answered HTTP " + strconv.Itoa(se.Status)
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "it did not answer in time"
	}
	return "it could not be reached"
}
