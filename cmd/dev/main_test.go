package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the module's root; gatewayBin and mockBin are built once.
var root, gatewayBin, mockBin string

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmd/dev tests:", err)
		code = 1
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return 0, fmt.Errorf("go env GOMOD: %w", err)
	}
	root = filepath.Dir(strings.TrimSpace(string(out)))
	bin, err := os.MkdirTemp("", "dev-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(bin)
	gatewayBin, mockBin = filepath.Join(bin, "gateway"), filepath.Join(bin, "controlplane-mock")
	for pkg, out := range map[string]string{"./cmd/gateway": gatewayBin, "./controlplane-mock": mockBin} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	return m.Run(), nil
}

// syncBuffer is a buffer the children's output goroutines and the test
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// args are dev's flags for a run in dir, with extra ones after.
func args(dir string, extra ...string) []string {
	return append([]string{
		"-gateway", gatewayBin, "-controlplane", mockBin, "-dir", dir,
		"-addr", "127.0.0.1:0", "-cp-addr", "127.0.0.1:0",
		"-credentials", filepath.Join(root, "fixtures/dev/credentials.json"),
		"-seed", filepath.Join(root, "fixtures/controlplane/seed.toml"),
		"-banner", filepath.Join(root, "fixtures/dev/banner.txt"),
	}, extra...)
}

// occupied returns a loopback address something listens on.
func occupied(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// refuses reports whether nothing listens at addr any more.
func refuses(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// Either process failing to start stops dev at once, non-zero, with that
// process's own error and the setting that moves it; nothing is left
// running.
func TestStopsWhenAPortIsTaken(t *testing.T) {
	cases := []struct {
		name    string
		flag    string
		setting string
		cause   string
	}{
		{"control plane", "-cp-addr", "DEV_CP_ADDR", "address already in use"},
		{"gateway", "-addr", "DEV_ADDR", "address already in use"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			taken := occupied(t)
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			code := run(ctx, args(dir, c.flag, taken), &stdout, &stderr)
			msg := stderr.String()
			if code == 0 {
				t.Fatalf("dev with %s taken: exit 0, want non-zero; stderr:\n%s", taken, msg)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("dev took %v to give up", time.Since(start))
			}
			for _, want := range []string{taken, c.setting, c.cause} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr does not say %q:\n%s", want, msg)
				}
			}
			if strings.Contains(stdout.String(), "export TOKEN=") {
				t.Errorf("printed the banner of a setup that did not start:\n%s", stdout.String())
			}
			if b, err := os.ReadFile(filepath.Join(dir, "controlplane.addr")); err == nil && c.flag == "-addr" {
				if cp := strings.TrimSpace(string(b)); !refuses(cp) {
					t.Errorf("the mock control plane still listens on %s after dev gave up", cp)
				}
			}
		})
	}
}

// The demo keys are public: dev refuses to listen beyond loopback.
func TestLoopbackOnly(t *testing.T) {
	cases := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9009", true},
		{"localhost:9009", true},
		{"[::1]:9009", true},
		{":9009", false},
		{"0.0.0.0:9009", false},
		{"[::]:9009", false},
		{"192.0.2.1:9009", false},
		{"9009", false},
	}
	for _, c := range cases {
		_, _, err := loopbackOnly("DEV_ADDR", c.addr)
		if (err == nil) != c.ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", c.addr, err, c.ok)
		}
	}
	var stderr syncBuffer
	if code := run(context.Background(), args(t.TempDir(), "-addr", "0.0.0.0:0"), io.Discard, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "loopback") {
		t.Fatalf("dev -addr 0.0.0.0:0: exit %d, %s; want a refusal naming loopback", code, stderr.String())
	}
}

var tokenRE = regexp.MustCompile(`export TOKEN=(\S+)`)

// A normal run: the gateway answers on loopback only, wired to the mock
// control plane (the minted token works), and the banner shows the internal
// API token it set; cancelling stops both.
func TestServesOnLoopbackWired(t *testing.T) {
	dir := t.TempDir()
	internal := fmt.Sprintf("dev-test-token-%d", time.Now().UnixNano())
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, args(dir, "-token", internal), &stdout, &stderr) }()

	deadline := time.After(60 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C stops both") {
		select {
		case code := <-exited:
			t.Fatalf("dev exited %d during start-up:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("no banner after 60s; stderr:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	banner := stdout.String()
	b, err := os.ReadFile(filepath.Join(dir, "gateway.addr"))
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSpace(string(b))
	cpb, err := os.ReadFile(filepath.Join(dir, "controlplane.addr"))
	if err != nil {
		t.Fatal(err)
	}
	cpAddr := strings.TrimSpace(string(cpb))
	host, port, _ := net.SplitHostPort(addr)
	if host != "127.0.0.1" {
		t.Fatalf("gateway listens on %s, want 127.0.0.1", addr)
	}
	for _, want := range []string{internal, "http://" + addr + "/s3", "http://" + cpAddr, "INTERNAL_API_TOKEN"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner does not show %q:\n%s", want, banner)
		}
	}
	if !strings.Contains(stderr.String(), "addr="+addr) {
		t.Errorf("the gateway's log does not say it listens on %s:\n%s", addr, stderr.String())
	}
	// Reachable on no other interface of this machine.
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			if other := net.JoinHostPort(ipn.IP.String(), port); !refuses(other) {
				t.Errorf("the gateway answers on %s: it must listen on loopback only", other)
			}
		}
	}

	// The minted token works end to end: the gateway asks the control
	// plane, with the internal token, to verify it.
	m := tokenRE.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("no demo token in the banner:\n%s", banner)
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+m[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(got)
	}
	if code, body := do(http.MethodPut, "/s3/demo", ""); code != http.StatusOK {
		t.Fatalf("CreateBucket with the demo token: %d %s", code, body)
	}
	if code, body := do(http.MethodPut, "/s3/demo/hello.txt", "hello"); code != http.StatusOK {
		t.Fatalf("PutObject with the demo token: %d %s", code, body)
	}
	if code, body := do(http.MethodGet, "/s3/demo/hello.txt", ""); code != http.StatusOK || body != "hello" {
		t.Fatalf("GetObject with the demo token: %d %q", code, body)
	}

	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("dev exited %d on interrupt, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not stop within 60s of its interrupt")
	}
	for _, a := range []string{addr, cpAddr} {
		if !refuses(a) {
			t.Errorf("%s still answers after dev stopped", a)
		}
	}
}

// make runs from the module root; output is its stdout and stderr.
func makeIn(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to test the Makefile: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", root}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// make dev itself stops with the mock's error when its port is taken.
func TestMakeDevStopsWhenControlPlanePortTaken(t *testing.T) {
	taken := occupied(t)
	out, err := makeIn(t, 5*time.Minute, "dev", "DEV_DIR="+t.TempDir(), "DEV_CP_ADDR="+taken, "DEV_ADDR=127.0.0.1:0")
	if err == nil {
		t.Fatalf("make dev with %s taken succeeded:\n%s", taken, out)
	}
	for _, want := range []string{"address already in use", "DEV_CP_ADDR", taken} {
		if !strings.Contains(out, want) {
			t.Errorf("make dev's output does not say %q:\n%s", want, out)
		}
	}
}

// A plain make prints the help, which lists every target documented with
// "## target:" in the Makefile.
func TestMakeHelpIsTheDefault(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	documented := regexp.MustCompile(`(?m)^## ([a-z-]+):`).FindAllStringSubmatch(string(mk), -1)
	targets := regexp.MustCompile(`(?m)^([a-z-]+):`).FindAllStringSubmatch(string(mk), -1)
	if len(documented) != len(targets) {
		t.Errorf("%d targets, %d documented with ## name: every target needs its line", len(targets), len(documented))
	}
	out, err := makeIn(t, time.Minute)
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	for _, d := range documented {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(d[1]) + ` +\S`).MatchString(out) {
			t.Errorf("make help does not list %s:\n%s", d[1], out)
		}
	}
	for _, want := range []string{"DEV_ADDR", "DEV_CP_ADDR", "--duration"} {
		if !strings.Contains(out, want) {
			t.Errorf("make help does not mention %s", want)
		}
	}
}
