// Command dev runs the local development setup of `make dev`: the mock
// control plane and the gateway, wired together, on loopback only, with the
// demo credentials of fixtures/dev and a freshly minted demo token.
//
//	dev -gateway BIN -controlplane BIN [-addr 127.0.0.1:9009] [-cp-addr 127.0.0.1:8080] [-dir .tmp/dev]
//
// Either process failing to start stops both, with its own message and the
// setting that changes its address. Ctrl-C (SIGINT) or SIGTERM stops both.
// The environment reaches the gateway, so `make dev-ceph` can set
// STORAGE_BACKEND=s3 and the UPSTREAM_ settings.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/s3gw/gateway/controlplane-mock/mock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are dev's settings; the Makefile passes its DEV_ variables.
type options struct {
	gatewayBin, mockBin string
	addr, cpAddr        string
	dir                 string
	token               string
	credentials, seed   string
	banner              string
}

// startTimeout bounds how long either process may take to listen.
const startTimeout = 30 * time.Second

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	flags := flag.NewFlagSet("dev", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&o.gatewayBin, "gateway", "", "gateway `binary` (required)")
	flags.StringVar(&o.mockBin, "controlplane", "", "controlplane-mock `binary` (required)")
	flags.StringVar(&o.addr, "addr", "127.0.0.1:9009", "gateway listen `address` (make: DEV_ADDR)")
	flags.StringVar(&o.cpAddr, "cp-addr", "127.0.0.1:8080", "mock control plane listen `address` (make: DEV_CP_ADDR)")
	flags.StringVar(&o.dir, "dir", ".tmp/dev", "`directory` of data, logs, root key and presign secret (make: DEV_DIR)")
	flags.StringVar(&o.token, "token", "dev-internal-token", "INTERNAL_API_TOKEN shared by both (make: DEV_TOKEN)")
	flags.StringVar(&o.credentials, "credentials", "fixtures/dev/credentials.json", "gateway's local credentials `file`")
	flags.StringVar(&o.seed, "seed", "fixtures/controlplane/seed.toml", "mock control plane's seed `file`")
	flags.StringVar(&o.banner, "banner", "fixtures/dev/banner.txt", "banner template `file`")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if o.gatewayBin == "" || o.mockBin == "" {
		fmt.Fprintln(stderr, "dev: -gateway and -controlplane are required")
		return 2
	}
	if err := o.start(ctx, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "dev: %v\n", err)
		return 1
	}
	return 0
}

// loopbackOnly refuses an address that would expose the demo keys beyond
// this machine.
func loopbackOnly(setting, addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("%s=%q: %v", setting, addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", "", fmt.Errorf("%s=%q: the development setup serves public demo keys, so it listens on loopback only (e.g. 127.0.0.1:%s)", setting, addr, port)
	}
	return host, port, nil
}

func (o *options) start(ctx context.Context, stdout, stderr io.Writer) error {
	host, port, err := loopbackOnly("DEV_ADDR", o.addr)
	if err != nil {
		return err
	}
	if _, _, err := loopbackOnly("DEV_CP_ADDR", o.cpAddr); err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return fmt.Errorf("DEV_DIR: %w", err)
	}
	secret, err := presignSecret(filepath.Join(o.dir, "presign.secret"))
	if err != nil {
		return err
	}
	banner, err := template.ParseFiles(o.banner)
	if err != nil {
		return fmt.Errorf("banner: %w", err)
	}

	// The mock control plane first: the gateway is useless without it.
	rootKey := filepath.Join(o.dir, "root.key")
	mockLog, err := os.Create(filepath.Join(o.dir, "controlplane.log"))
	if err != nil {
		return fmt.Errorf("control plane log: %w", err)
	}
	defer mockLog.Close()
	var mockErr bytes.Buffer
	cpAddrFile := filepath.Join(o.dir, "controlplane.addr")
	cp, err := launch(exec.Command(o.mockBin, "-addr", o.cpAddr, "-seed", o.seed,
		"-root-key-file", rootKey, "-addr-file", cpAddrFile),
		[]string{"INTERNAL_API_TOKEN=" + o.token}, io.Discard, io.MultiWriter(mockLog, &limited{w: &mockErr, n: 8 << 10}), cpAddrFile)
	if err != nil {
		return err
	}
	defer cp.stop()
	cpAddr, err := cp.waitListening(ctx)
	if err != nil {
		return fmt.Errorf("the mock control plane did not start on %s: %v\n%s\n"+
			"Free that port, or choose another: make dev DEV_CP_ADDR=127.0.0.1:8081", o.cpAddr, err, indent(mockErr.String()))
	}

	key, err := mock.LoadRootKey(rootKey)
	if err != nil {
		return fmt.Errorf("root key: %w", err)
	}
	token, err := mock.Mint(key, mock.MintRequest{ProjectID: "prj_demo", TTLSeconds: 24 * 3600}, time.Now())
	if err != nil {
		return fmt.Errorf("mint demo token: %w", err)
	}

	gwAddrFile := filepath.Join(o.dir, "gateway.addr")
	gw, err := launch(exec.Command(o.gatewayBin, "-addr-file", gwAddrFile), []string{
		"HOST=" + host, "PORT=" + port,
		"S3_DATA_DIR=" + filepath.Join(o.dir, "data"),
		"S3_META_FILE=" + filepath.Join(o.dir, "index.db"),
		"S3_MULTIPART_DIR=" + filepath.Join(o.dir, "multipart"),
		"SIGV4_PROVIDER=hybrid", "SIGV4_CREDENTIALS_FILE=" + o.credentials,
		"CONTROL_PLANE_URL=http://" + cpAddr, "INTERNAL_API_TOKEN=" + o.token,
		"LOG_FORMAT=text", "PRESIGN_SECRET=" + secret,
	}, stderr, stderr, gwAddrFile)
	if err != nil {
		return err
	}
	defer gw.stop()
	addr, err := gw.waitListening(ctx)
	if err != nil {
		return fmt.Errorf("the gateway did not start on %s: %v (its message is above)\n"+
			"Free that port, or choose another: make dev DEV_ADDR=127.0.0.1:9010", o.addr, err)
	}

	var b bytes.Buffer
	if err := banner.Execute(&b, map[string]string{
		"Gateway": "http://" + addr, "ControlPlane": "http://" + cpAddr, "Dir": o.dir,
	}); err != nil {
		return fmt.Errorf("banner: %w", err)
	}
	fmt.Fprint(stdout, indent(b.String()))
	fmt.Fprintf(stdout, "  Internal API token (INTERNAL_API_TOKEN of both; DEV_TOKEN changes it): %s\n\n", o.token)
	fmt.Fprintf(stdout, "  Demo token (project prj_demo, all operations, 24 h):\n\n    export TOKEN=%s\n\n", token)
	fmt.Fprintf(stdout, "  curl -H \"Authorization: Bearer $TOKEN\" http://%s/s3/demo/hello.txt\n", addr)
	fmt.Fprintf(stdout, "  curl -H \"Authorization: Bearer $TOKEN\" -X POST http://%s/v1/presign \\\n", addr)
	fmt.Fprintf(stdout, "       -d '{\"method\":\"GET\",\"bucket\":\"demo\",\"key\":\"hello.txt\",\"expires_in\":3600}'\n\n")
	fmt.Fprintf(stdout, "  Ctrl-C stops both. Control plane log: %s\n\n", mockLog.Name())

	select {
	case <-ctx.Done():
		return nil // the deferred stops end both, gateway first
	case <-gw.done:
		if gw.err != nil {
			return fmt.Errorf("the gateway stopped: %v", gw.err)
		}
		return errors.New("the gateway stopped")
	case <-cp.done:
		return fmt.Errorf("the mock control plane stopped (%v):\n%s", cp.err, indent(mockErr.String()))
	}
}

// presignSecret returns the secret kept in path, creating a random one.
func presignSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	s := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		return "", fmt.Errorf("presign secret: %w", err)
	}
	return s, nil
}

// process is a started child.
type process struct {
	name     string
	cmd      *exec.Cmd
	addrFile string
	done     chan struct{}
	err      error // once done: how it exited
}

// launch starts cmd with the environment plus env (which wins), its output
// to out and errw. It removes addrFile first: the child writes it once
// listening.
func launch(cmd *exec.Cmd, env []string, out, errw io.Writer, addrFile string) (*process, error) {
	if err := os.Remove(addrFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, errw
	p := &process{name: filepath.Base(cmd.Path), cmd: cmd, addrFile: addrFile, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitListening returns the address the child wrote once listening, or why
// it never did.
func (p *process) waitListening(ctx context.Context) (string, error) {
	deadline := time.After(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(p.addrFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-p.done:
			if p.err == nil {
				return "", errors.New("it exited")
			}
			return "", p.err
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline:
			return "", fmt.Errorf("not listening after %v", startTimeout)
		case <-tick.C:
		}
	}
}

// stop asks the child to finish (SIGTERM: the gateway drains) and waits;
// one that does not stop in time is killed.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// limited keeps the first n bytes written to w and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if k := min(len(p), l.n); k > 0 {
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}

// indent shifts each non-empty line of s two spaces right.
func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" {
			b.WriteString("  ")
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
