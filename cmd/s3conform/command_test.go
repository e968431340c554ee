package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCommandTarget runs s3conform on fixtures/targets/gateway-command.toml
// with the gateway built here: s3conform starts it on a free port, runs
// cases against it, stops it, and names the log of its output.
func TestCommandTarget(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gateway")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fixture, err := os.ReadFile("../../fixtures/targets/gateway-command.toml")
	if err != nil {
		t.Fatal(err)
	}
	const argv = `argv = ["../../bin/gateway"]`
	if !bytes.Contains(fixture, []byte(argv)) {
		t.Fatalf("the fixture has no line %s", argv)
	}
	target := filepath.Join(dir, "target.toml")
	if err := os.WriteFile(target, bytes.Replace(fixture, []byte(argv), []byte(`argv = ["./gateway"]`), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--target", target, "--run", "^(buckets/create/|objects/put/|tenancy/|readyz/)", "--report", filepath.Join(dir, "reports")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("s3conform run exited %d\nstderr: %s\n%s", code, stderr.String(), stdout.String())
	}
	if !strings.Contains(stdout.String(), "| tenancy | extension |") {
		t.Errorf("no tenancy case ran:\n%s", stdout.String())
	}
	m := regexp.MustCompile(`started \S+ \(pid \d+\) at http://(127\.0\.0\.1:\d+); its output: (\S+)\n`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("s3conform did not say where it started the server and where its output is:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped the server; its output: "+m[2]) {
		t.Errorf("s3conform did not say it stopped the server:\n%s", stderr.String())
	}
	log, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "gateway listening") {
		t.Errorf("the server's log %s has not its output:\n%s", m[2], log)
	}
	os.Remove(m[2])
	if c, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		c.Close()
		t.Errorf("the server at %s still listens after the run", m[1])
	}
}

// TestCommandTargetFailsToStart checks that a server that does not start
// is a set-up error (status 2) that shows its output and names its log.
func TestCommandTargetFailsToStart(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.toml")
	doc := `endpoint = "http://127.0.0.1:{port}"
[full]
access_key = "a"
secret_key = "b"
[command]
argv = ["sh", "-c", "echo cannot open the data directory >&2; exit 3"]
log_file = "server.log"
`
	if err := os.WriteFile(target, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--target", target, "--report", filepath.Join(dir, "reports")}, &stdout, &stderr); code != 2 {
		t.Fatalf("s3conform run exited %d, want 2\nstderr: %s", code, stderr.String())
	}
	for _, want := range []string{"exited before it was ready (exit status 3)", filepath.Join(dir, "server.log"), "cannot open the data directory"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
		}
	}
}
