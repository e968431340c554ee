// Command gateway serves the S3-compatible API over embedded storage.
//
// Configuration comes from the environment and an optional TOML file
// (-config); see the README for every setting. A bad setting stops start-up
// with exit status 2 and one line naming it. SIGINT or SIGTERM drains
// in-flight requests, closes the index cleanly and exits 0.
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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/s3api"
	"github.com/s3gw/gateway/impl/server"
	"github.com/s3gw/gateway/impl/storage/fs"
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
	if err := cfg.PrepareDirs(); err != nil {
		return fail(err)
	}
	log := newLogger(cfg.LogFormat, stderr)

	store, err := fs.Open(fs.Options{
		DataDir:      cfg.DataDir,
		MultipartDir: cfg.MultipartDir,
		MetaFile:     cfg.MetaFile,
		Fsync:        cfg.Fsync,
		UploadMaxAge: cfg.MultipartMaxAge,
		Logger:       log,
	})
	if err != nil {
		return fail(&config.Error{Var: "S3_META_FILE", Value: cfg.MetaFile, Reason: err.Error()})
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing storage", "err", err)
		}
	}()

	authn := &auth.Chain{
		SigV4: &sigv4.Verifier{
			Lookup:  keyLookup(cfg),
			Region:  cfg.Region,
			MaxSkew: cfg.SigV4MaxSkew,
		},
		RequireAuth: cfg.RequireAuth,
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
	var tlsConfig *tls.Config
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fail(&config.Error{Var: "TLS_CERT_FILE", Value: cfg.TLSCertFile, Reason: err.Error()})
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv := server.New(server.Options{
		TLS:             tlsConfig,
		S3:              api,
		Prefix:          cfg.PathPrefix,
		Storage:         store,
		Warnings:        func() []string { return warnings(cfg) },
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
	log.Info("gateway listening", "addr", addr, "tls", tlsConfig != nil, "s3_prefix", cfg.PathPrefix+"/", "require_auth", cfg.RequireAuth)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "err", err)
		if ctx.Err() == nil {
			return 1
		}
	}
	log.Info("gateway stopped")
	return 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// keyLookup builds the access-key provider SIGV4_PROVIDER names: the local
// credentials, the control plane behind a cache, or both (local first).
func keyLookup(cfg *config.Config) credentials.Lookup {
	local := credentials.Static(cfg.Credentials)
	if cfg.SigV4Provider == "env" {
		return local
	}
	cp := controlplane.New(cfg.ControlPlaneURL, cfg.InternalAPIToken)
	cache := &credentials.Cache{
		Source:      cp.ResolveKey,
		TTL:         cfg.SigV4CacheTTL,
		NegativeTTL: min(cfg.SigV4CacheTTL, 5*time.Second),
	}
	if cfg.SigV4Provider == "control-plane" {
		return cache.Lookup
	}
	return credentials.First(local, cache.Lookup)
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

// warnings lists what makes this configuration unfit for production.
func warnings(cfg *config.Config) []string {
	var w []string
	if !cfg.RequireAuth {
		w = append(w, "REQUIRE_AUTH=false: every request is served as an anonymous development principal")
	}
	if cfg.PresignSecrets[0] == config.DefaultPresignSecret {
		w = append(w, "PRESIGN_SECRET is the public development default")
	}
	if !cfg.Fsync {
		w = append(w, "S3_FSYNC=false: acknowledged writes can be lost in a crash")
	}
	for _, c := range cfg.Credentials {
		if strings.HasPrefix(c.AccessKey, "demo-") || strings.HasPrefix(c.SecretKey, "demo-") {
			w = append(w, "demo credentials are configured (access key "+c.AccessKey+")")
			break
		}
	}
	if cfg.SigV4Provider != "env" && cfg.InternalAPIToken == "" {
		w = append(w, "INTERNAL_API_TOKEN is empty while SIGV4_PROVIDER="+cfg.SigV4Provider+" calls the control plane")
	}
	return w
}
