// Command gateway serves the S3-compatible API over embedded storage.
//
// Configuration comes from the environment and an optional TOML file
// (-config); see the README for every setting. A bad setting stops start-up
// with exit status 2 and one line naming it. SIGINT or SIGTERM drains
// in-flight requests, flushes usage, closes the index cleanly and exits 0.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

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
	"github.com/s3gw/gateway/impl/s3api"
	"github.com/s3gw/gateway/impl/server"
	"github.com/s3gw/gateway/impl/storage/fs"
	"github.com/s3gw/gateway/impl/usage"
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stderr))
}

// exitConfig is the status for a configuration that cannot start.
const exitConfig = 2

func run(args []string, lookup func(string) (string, bool), stderr io.Writer) int {
	flags := flag.NewFlagSet("gateway", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configFile := flags.String("config", "", "TOML configuration `file` (the environment overrides it)")
	addrFile := flags.String("addr-file", "", "write the listening address to this `file` once serving")
	logFormat := flags.String("log-format", "", "json or text (overrides LOG_FORMAT)")
	if err := flags.Parse(args); err != nil {
		return exitConfig
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gateway: %v\n", err)
		return exitConfig
	}

	cfg, err := config.Load(lookup, *configFile)
	if err != nil {
		return fail(err)
	}
	if *logFormat != "" {
		if *logFormat != "json" && *logFormat != "text" {
			return fail(fmt.Errorf("-log-format=%q: want json or text", *logFormat))
		}
		cfg.LogFormat = *logFormat
	}
	if err := cfg.PrepareDirs(); err != nil {
		return fail(err)
	}
	log := newLogger(cfg.LogFormat, stderr)
	tlsConfig, err := loadTLS(cfg)
	if err != nil {
		return fail(err)
	}

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
		return fail(&config.Error{Var: "S3_META_FILE", Value: cfg.MetaFile, Reason: err.Error()})
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing storage", "err", err)
		}
	}()

	m := metrics.New()
	cp := controlplane.New(cfg.ControlPlaneURL, cfg.InternalAPIToken)
	cp.Observe = m.ObserveControlPlane
	m.CounterFunc("index_commits_total", "Group commits of the metadata index.", func() float64 { return float64(store.Commits()) })

	keys := keyLookup(cfg, cp, m)
	tokenVerifier := &tokens.Verifier{Verify: cp.VerifyToken, TTL: cfg.TokenCacheTTL}
	m.CounterFunc("token_cache_hits_total", "Bearer-token checks answered from the cache.", func() float64 { return float64(tokenVerifier.Hits.Load()) })
	m.CounterFunc("token_cache_misses_total", "Bearer-token checks that asked the control plane.", func() float64 { return float64(tokenVerifier.Misses.Load()) })
	signer := &presign.Signer{Secrets: cfg.PresignSecrets}
	authn := &auth.Chain{
		SigV4:       &sigv4.Verifier{Lookup: keys, Region: cfg.Region, MaxSkew: cfg.SigV4MaxSkew},
		Tokens:      tokenVerifier,
		Presigned:   signer,
		RequireAuth: cfg.RequireAuth,
	}

	sinks := []func(*accesslog.Entry){m.Observe}
	var recorder *usage.Recorder
	if cfg.UsageReporting {
		recorder = usage.New(cp.SendUsage, usage.Options{Logger: log})
		sinks = append(sinks, usageSink(recorder))
		m.GaugeFunc("usage_queue_depth", "Usage events waiting to be sent.", func() float64 { return float64(recorder.Depth()) })
		m.CounterFunc("usage_events_sent_total", "Usage events delivered to the control plane.", func() float64 { return float64(recorder.Sent.Load()) })
		m.CounterFunc("usage_events_dropped_total", "Usage events lost: queue full or every retry failed.", func() float64 { return float64(recorder.Lost()) })
	}

	var reserved []string
	if cfg.PathPrefix == "" {
		reserved = server.OwnEndpoints
	}
	api := s3api.New(s3api.Options{
		Backend:           store,
		Auth:              authn,
		Prefix:            cfg.PathPrefix,
		Region:            cfg.Region,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		MaxParts:          cfg.MaxMultipartParts,
		AutoCreateBuckets: cfg.AutoCreateBuckets,
		ReservedBuckets:   reserved,
		TokenKeys:         tokenKeys(cfg.PresignSecrets),
		Logger:            log,
	})
	presignHandler := &presign.Handler{
		Auth: authn, Signer: signer, Prefix: cfg.PathPrefix, Logger: log,
		BucketOwner: func(r *http.Request, bucket string) (string, error) {
			b, err := store.Bucket(r.Context(), bucket)
			return b.Owner, err
		},
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cfg.PprofAddr != "" {
		// Profiling is opt-in and on a listener of its own, never the
		// public port.
		go func() {
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			log.Info("pprof listening", "addr", cfg.PprofAddr)
			if err := http.ListenAndServe(cfg.PprofAddr, mux); err != nil {
				log.Warn("pprof listener stopped", "err", err)
			}
		}()
	}
	cpProbe := &readiness.Probe{Check: cp.Ping, Interval: 10 * time.Second}
	go cpProbe.Run(ctx)

	srv := server.New(server.Options{
		TLS:     tlsConfig,
		S3:      api,
		Prefix:  cfg.PathPrefix,
		Storage: store,
		Routes: map[string]http.Handler{
			"/v1/presign": presignHandler,
			"/metrics":    m.Handler(),
		},
		Warnings: func() []string {
			w := cfg.Warnings()
			if err := cpProbe.Err(); err != nil {
				w = append(w, "control plane "+cfg.ControlPlaneURL+" is unreachable: "+err.Error())
			}
			if recorder != nil {
				if n := recorder.Lost(); n > 0 {
					w = append(w, strconv.FormatInt(n, 10)+" usage events were dropped")
				}
			}
			return w
		},
		AccessSinks:     sinks,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          log,
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fail(&config.Error{Var: "PORT", Value: strconv.Itoa(cfg.Port), Reason: "cannot listen: " + err.Error()})
	}
	addr := ln.Addr().String()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(addr+"\n"), 0o644); err != nil {
			return fail(fmt.Errorf("-addr-file: %w", err))
		}
	}
	log.Info("gateway listening", "addr", addr, "tls", tlsConfig != nil, "s3_prefix", cfg.PathPrefix+"/",
		"require_auth", cfg.RequireAuth, "sigv4_provider", cfg.SigV4Provider, "control_plane", cfg.ControlPlaneURL)

	status := 0
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "err", err)
		if ctx.Err() == nil {
			status = 1
		}
	}
	if recorder != nil {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := recorder.Close(fctx); err != nil {
			log.Warn("usage: flush on shutdown incomplete", "err", err)
		}
		cancel()
	}
	log.Info("gateway stopped")
	return status
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
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
func keyLookup(cfg *config.Config, cp *controlplane.Client, m *metrics.Metrics) credentials.Lookup {
	local := credentials.Static(cfg.Credentials)
	if cfg.SigV4Provider == "env" {
		return local
	}
	cache := &credentials.Cache{
		Source:      cp.ResolveKey,
		TTL:         cfg.SigV4CacheTTL,
		NegativeTTL: min(cfg.SigV4CacheTTL, 5*time.Second),
	}
	m.CounterFunc("key_cache_hits_total", "Access-key lookups answered from the cache.", func() float64 { return float64(cache.Hits.Load()) })
	m.CounterFunc("key_cache_misses_total", "Access-key lookups that asked the control plane.", func() float64 { return float64(cache.Misses.Load()) })
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

// tokenKeys derives the listing-token keys from the presign secrets, so that
// every instance sharing the secrets accepts the others' tokens and rotation
// works the same way.
func tokenKeys(secrets []string) [][]byte {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write([]byte("s3-gateway list continuation token"))
		keys[i] = m.Sum(nil)
	}
	return keys
}
