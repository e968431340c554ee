// Command controlplane-mock is a control plane for local development and
// tests: a real HTTP server implementing the contract the gateway consumes,
// seeded from a TOML file.
//
//	go run ./controlplane-mock [-addr 127.0.0.1:8080] [-seed fixtures/controlplane/seed.toml]
//
// INTERNAL_API_TOKEN, when set, is required as a bearer token on every
// endpoint but the admin ones.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/s3gw/gateway/controlplane-mock/mock"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	flags := flag.NewFlagSet("controlplane-mock", flag.ContinueOnError)
	addr := flags.String("addr", envOr("CONTROLPLANE_ADDR", "127.0.0.1:8080"), "listen `address` (env CONTROLPLANE_ADDR)")
	seedPath := flags.String("seed", envOr("CONTROLPLANE_SEED", "fixtures/controlplane/seed.toml"), "TOML seed `file` (env CONTROLPLANE_SEED)")
	addrFile := flags.String("addr-file", "", "write the listening address to this `file` once serving")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	seed, err := mock.LoadSeed(*seedPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "controlplane-mock: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "controlplane-mock: -addr=%q: %v\n", *addr, err)
		return 2
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "controlplane-mock: -addr-file: %v\n", err)
			return 2
		}
	}
	srv := &http.Server{
		Handler:           mock.New(seed, os.Getenv("INTERNAL_API_TOKEN"), log).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info("control plane mock listening", "addr", ln.Addr().String(), "seed", *seedPath, "keys", len(seed.Keys),
		"token_required", os.Getenv("INTERNAL_API_TOKEN") != "")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
