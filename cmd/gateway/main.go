// Command gateway serves the S3-compatible API over embedded storage.
//
// Configuration comes from the environment and an optional TOML file
// (-config); see the README for every setting. A bad setting stops start-up
// with exit status 2 and one line naming it. SIGINT or SIGTERM drains
// in-flight requests, flushes usage, closes the index cleanly and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/gateway"
	"github.com/s3gw/gateway/impl/redact"
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
	g, err := gateway.New(cfg, log)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := g.Close(); err != nil {
			log.Error("closing storage", "err", err)
		}
	}()

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
	log.Info("gateway listening", "addr", addr, "tls", cfg.TLSCertFile != "", "s3_prefix", cfg.PathPrefix+"/",
		"require_auth", cfg.RequireAuth, "sigv4_provider", cfg.SigV4Provider, "control_plane", redact.URL(cfg.ControlPlaneURL),
		"max_connections", cfg.MaxConnections, "presigned_urls", len(cfg.PresignSecrets) > 0)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	status := 0
	if err := g.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "err", err)
		if ctx.Err() == nil {
			status = 1
		}
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
