// Command gateway serves the S3-compatible API over embedded storage.
//
// Configuration comes from the environment and an optional TOML file
// (-config); `gateway -h` lists every setting with its default. A bad
// setting stops start-up with exit status 2 and one line naming it. SIGINT or SIGTERM drains
// in-flight requests, flushes usage, closes the index cleanly and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/controlplane"
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
	addrFile := flags.String("addr-file", "", "write the address to dial to this `file` once serving (127.0.0.1:PORT when listening on all interfaces)")
	logFormat := flags.String("log-format", "", "json or text (overrides LOG_FORMAT)")
	flags.Usage = func() { usage(flags) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
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
		if err := os.WriteFile(*addrFile, []byte(dialable(ln.Addr())+"\n"), 0o644); err != nil {
			return fail(fmt.Errorf("-addr-file: %w", err))
		}
	}
	scheme := "http://"
	if cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	log.Info("gateway listening", "addr", addr, "s3_endpoint", scheme+dialable(ln.Addr())+cfg.PathPrefix,
		"tls", cfg.TLSCertFile != "", "s3_prefix", cfg.PathPrefix+"/",
		"require_auth", cfg.RequireAuth, "sigv4_provider", cfg.SigV4Provider, "control_plane", redact.URL(cfg.ControlPlaneURL),
		"max_connections", cfg.MaxConnections, "presigned_urls", len(cfg.PresignSecrets) > 0)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go checkControlPlane(ctx, cfg, log)
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

// usage prints the flags, every environment variable with its default and
// meaning (config's own table), and where a newcomer starts.
func usage(flags *flag.FlagSet) {
	w := flags.Output()
	fmt.Fprintf(w, "Usage: gateway [-config file] [-addr-file file] [-log-format json|text]\n\n")
	fmt.Fprintf(w, "Serves the S3 API (under S3_PATH_PREFIX, /s3 by default) over embedded storage or another S3 service.\n")
	fmt.Fprintf(w, "In a checkout: `make dev` runs it with a mock control plane and demo credentials, on loopback;\n")
	fmt.Fprintf(w, "`make test` runs every test; `make help` lists the rest.\n\nFlags:\n")
	flags.PrintDefaults()
	fmt.Fprintf(w, "\nEnvironment (the -config TOML file takes the same names in lower case; the environment wins):\n")
	for _, s := range config.Settings() {
		def := s.Default
		if def == "" {
			def = "empty"
		}
		fmt.Fprintf(w, "  %s (default: %s)\n    \t%s\n", s.Name, def, s.Doc)
	}
}

// dialable is the address a client on this machine dials to reach a
// listener: 127.0.0.1 when it listens on all interfaces (Go's "tcp"
// listener on [::] is dual-stack, so IPv4 loopback reaches it too).
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// checkControlPlane says at start-up, in the log, what an unreachable
// control plane means: the readiness probe reports it too, but only as
// "unhealthy".
func checkControlPlane(ctx context.Context, cfg *config.Config, log *slog.Logger) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := controlplane.New(cfg.ControlPlaneURL, cfg.InternalAPIToken).Ping(cctx); err != nil {
		keys := "access keys not in SIGV4_CREDENTIALS_JSON or SIGV4_CREDENTIALS_FILE"
		if cfg.SigV4Provider == "control-plane" {
			keys = "every access key"
		}
		if cfg.SigV4Provider == "env" {
			keys = "no access key (SIGV4_PROVIDER=env)"
		}
		log.Warn("not production ready: the control plane at CONTROL_PLANE_URL does not answer: requests signed with "+keys+
			", and bearer tokens, get 503 ServiceUnavailable until it does; set CONTROL_PLANE_URL, or run `make dev`, which starts a mock one",
			"control_plane", redact.URL(cfg.ControlPlaneURL), "err", err)
	}
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
