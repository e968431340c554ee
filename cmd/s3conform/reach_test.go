package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func answering(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	t.Cleanup(srv.Close)
	return srv
}

// silent accepts connections and never answers.
func silent(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return "http://" + l.Addr().String()
}

func TestCheckReachable(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TCP probe and the refused certificate log handshake errors
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	dead := fmt.Sprintf("http://127.0.0.1:%d", closedPort(t))

	for _, tc := range []struct {
		name    string
		target  *conformance.Target
		wantErr string // a regular expression; "" for reachable
	}{
		{"403 is an answer", &conformance.Target{Endpoint: answering(t, 403).URL, PathPrefix: "/s3"}, ""},
		{"404 is an answer", &conformance.Target{Endpoint: answering(t, 404).URL}, ""},
		{"500 is an answer", &conformance.Target{Endpoint: answering(t, 500).URL}, ""},
		{"https with the target's CA", &conformance.Target{Endpoint: tlsSrv.URL, CAPEM: ca}, ""},
		{"https without it", &conformance.Target{Endpoint: tlsSrv.URL},
			`^endpoint https://127\.0\.0\.1:\d+ unreachable: GET /: .*certificate`},
		{"closed port", &conformance.Target{Endpoint: dead, PathPrefix: "/s3"},
			`^endpoint ` + regexp.QuoteMeta(dead) + `/s3 unreachable: dial tcp 127\.0\.0\.1:\d+: .*connection refused$`},
		{"no answer", &conformance.Target{Endpoint: silent(t)},
			`^endpoint http://127\.0\.0\.1:\d+ unreachable: GET /: context deadline exceeded$`},
		{"not a URL", &conformance.Target{Endpoint: "127.0.0.1:9000"}, `unreachable: not an http\(s\) URL$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Half a second bounds the silent server; the others answer or
			// fail on their own, and get longer, for a TLS handshake with
			// the race detector on a loaded CI machine (once over 500 ms).
			timeout := 3 * time.Second
			if tc.name == "no answer" {
				timeout = 500 * time.Millisecond
			}
			start := time.Now()
			err := checkReachable(context.Background(), tc.target, timeout)
			if took := time.Since(start); took > timeout+time.Second {
				t.Errorf("took %v, want the timeout to bound it", took)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want reachable, got %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("want an error matching %q, got none", tc.wantErr)
			case tc.wantErr != "" && !regexp.MustCompile(tc.wantErr).MatchString(err.Error()):
				t.Fatalf("error %q does not match %q", err, tc.wantErr)
			}
		})
	}
}

func writeTarget(t *testing.T, endpoint, prefix string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "target.toml")
	body := fmt.Sprintf("name = \"test\"\nendpoint = %q\npath_prefix = %q\n\n[full]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n", endpoint, prefix)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunUnreachable runs the command against a closed port: one line on
// stderr, status 2, and no report written.
func TestRunUnreachable(t *testing.T) {
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", closedPort(t))
	reports := filepath.Join(t.TempDir(), "reports")
	start := time.Now()
	code, stdout, stderr := runBinary(t, "run", "--target", writeTarget(t, endpoint, "/s3"), "--report", reports)
	if code != 2 {
		t.Errorf("exit status %d, want 2\nstderr: %s", code, stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v to give up", took)
	}
	want := regexp.MustCompile(`^s3conform: endpoint ` + regexp.QuoteMeta(endpoint) + `/s3 unreachable: dial tcp 127\.0\.0\.1:\d+: .*connection refused\n$`)
	if !want.MatchString(stderr) {
		t.Errorf("stderr %q, want one line matching %s", clip(stderr, 500), want)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", clip(stdout, 300))
	}
	if _, err := os.Stat(reports); !os.IsNotExist(err) {
		t.Errorf("report directory: %v, want it not created", err)
	}
}

// TestRunReachableForbidden runs one case against a server that answers
// 403 to everything: the check lets it through, the case fails, and the
// reports are written.
func TestRunReachableForbidden(t *testing.T) {
	srv := answering(t, http.StatusForbidden)
	id := conformance.Cases()[0].ID
	reports := filepath.Join(t.TempDir(), "reports")
	code, stdout, stderr := runBinary(t, "run", "--target", writeTarget(t, srv.URL, ""), "--report", reports, "--run", "^"+regexp.QuoteMeta(id)+"$")
	if code != 1 {
		t.Errorf("exit status %d, want 1 (the case fails)\nstderr: %s", code, stderr)
	}
	if strings.Contains(stderr, "unreachable") {
		t.Errorf("a 403 answer was taken for unreachable: %s", stderr)
	}
	if !strings.Contains(stdout, "## Failures (1)") {
		t.Errorf("stdout lacks the failure:\n%s", clip(stdout, 2000))
	}
	for _, f := range []string{"report.xml", "report.json", "report.md"} {
		if _, err := os.Stat(filepath.Join(reports, f)); err != nil {
			t.Error(err)
		}
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
