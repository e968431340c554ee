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
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
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
	rootKeyFile := flags.String("root-key-file", envOr("CONTROLPLANE_ROOT_KEY_FILE", ".tmp/controlplane-mock/root.key"),
		"macaroon root key `file`, created if missing (env CONTROLPLANE_ROOT_KEY_FILE)")
	if len(args) > 0 && args[0] == "mint" {
		return mint(args[1:], os.Stdout, os.Stderr)
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	rootKey, err := mock.LoadRootKey(*rootKeyFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "controlplane-mock: -root-key-file: %v\n", err)
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
		Handler:           mock.New(seed, rootKey, os.Getenv("INTERNAL_API_TOKEN"), log).Handler(),
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

// mint prints a macaroon minted with the root key file, offline:
//
//	controlplane-mock mint --project prj_demo --bucket demo --ops get,put --ttl 1h
//
// The key file must exist: a token minted with a key of its own would be
// refused by every control plane.
func mint(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("controlplane-mock mint", flag.ContinueOnError)
	flags.SetOutput(stderr)
	project := flags.String("project", "", "project id (required)")
	bucket := flags.String("bucket", "", "bucket the token is confined to")
	prefix := flags.String("prefix", "", "key prefix the token is confined to")
	ops := flags.String("ops", "", "comma-separated operations (put,get,head,list,delete); empty for all")
	ttl := flags.Duration("ttl", time.Hour, "validity")
	rootKeyFile := flags.String("root-key-file", envOr("CONTROLPLANE_ROOT_KEY_FILE", ".tmp/controlplane-mock/root.key"),
		"macaroon root key `file` of the control plane that will verify the token (make dev's: .tmp/dev/root.key)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *project == "" {
		fmt.Fprintln(stderr, "controlplane-mock mint: --project is required: the project the token acts for, e.g. --project prj_demo")
		return 2
	}
	if _, err := os.Stat(*rootKeyFile); err != nil {
		fmt.Fprintf(stderr, "controlplane-mock mint: --root-key-file %s: %v\n"+
			"  (pass the root key file of the control plane that will verify the token: make dev's is .tmp/dev/root.key)\n", *rootKeyFile, err)
		return 2
	}
	rootKey, err := mock.LoadRootKey(*rootKeyFile)
	if err != nil {
		fmt.Fprintf(stderr, "controlplane-mock mint: %v\n", err)
		return 2
	}
	req := mock.MintRequest{ProjectID: *project, Bucket: *bucket, Prefix: *prefix, TTLSeconds: int64(ttl.Seconds())}
	if *ops != "" {
		req.Ops = strings.Split(*ops, ",")
	}
	token, err := mock.Mint(rootKey, req, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "controlplane-mock mint: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, token)
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
