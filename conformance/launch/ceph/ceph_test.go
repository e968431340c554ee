package ceph_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// requireCeph skips a test when Ceph is not installed, except in CI
// (S3GW_REQUIRE_CLIENTS set, as .ci/run does), where that fails it.
func requireCeph(t *testing.T) {
	t.Helper()
	if err := ceph.CheckInstalled(); err != nil {
		if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
			t.Fatalf("Ceph is required here: %v", err)
		}
		t.Skip(err)
	}
}

// shortDir is a fresh directory short enough for Ceph's admin sockets,
// removed after the test.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ceph-")
	if err == nil && len(dir) > 60 {
		os.RemoveAll(dir)
		dir, err = os.MkdirTemp("/tmp", "ceph-")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// start starts a cluster that the test's cleanup stops.
func start(t *testing.T, opts ceph.Options) *ceph.Cluster {
	t.Helper()
	return ceph.StartForTest(t, opts)
}

// client is an SDK client built from explicit settings only (no AWS_*
// variable or ~/.aws file is read). radosgw 16.2 refuses aws-chunked
// bodies with checksum trailers, so checksums are sent and checked only
// when an operation requires them.
func client(c *ceph.Cluster, endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     c.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Retryer:                    aws.NopRetryer{},
	})
}

func put(t *testing.T, s *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := s.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PUT %s/%s: %v", bucket, key, err)
	}
}

func get(t *testing.T, s *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := s.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GET %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GET %s/%s: %v", bucket, key, err)
	}
	return string(b)
}

func wantNoSuchKey(t *testing.T, s *s3.Client, bucket, key string) {
	t.Helper()
	_, err := s.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchKey" {
		t.Fatalf("GET %s/%s after delete: %v, want NoSuchKey", bucket, key, err)
	}
}

// TestCluster starts a two-gateway cluster on a file-backed OSD and checks
// what the upstream tests rely on: S3 through either gateway on shared
// state, a SIGKILLed gateway restarted, a stop that leaves no process, and
// data still there when the directory is started again.
func TestCluster(t *testing.T) {
	requireCeph(t)
	dir := shortDir(t)
	c := start(t, ceph.Options{Dir: dir, Gateways: 2})
	eps := c.Endpoints()
	if len(eps) != 2 || eps[0] == eps[1] {
		t.Fatalf("endpoints %v: want two distinct", eps)
	}
	a, b := client(c, eps[0]), client(c, eps[1])
	const bucket = "launcher-test"
	if _, err := a.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	t.Run("put-get-delete", func(t *testing.T) {
		put(t, a, bucket, "k", "hello")
		if got := get(t, a, bucket, "k"); got != "hello" {
			t.Fatalf("GET = %q, want hello", got)
		}
		if _, err := a.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
			t.Fatalf("DELETE: %v", err)
		}
		wantNoSuchKey(t, a, bucket, "k")
	})

	t.Run("gateways-share-state", func(t *testing.T) {
		put(t, a, bucket, "shared", "from a")
		if got := get(t, b, bucket, "shared"); got != "from a" {
			t.Fatalf("GET on the second gateway = %q, want %q", got, "from a")
		}
		if _, err := b.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared")}); err != nil {
			t.Fatalf("DELETE on the second gateway: %v", err)
		}
		wantNoSuchKey(t, a, bucket, "shared")
	})

	t.Run("gateway-killed-and-restarted", func(t *testing.T) {
		put(t, a, bucket, "survivor", "still here")
		pid := c.PIDs()[ceph.Gateway(0)]
		if err := c.KillDaemon(ceph.Gateway(0)); err != nil {
			t.Fatal(err)
		}
		if alive(pid) {
			t.Fatalf("radosgw %d still runs after KillDaemon", pid)
		}
		if resp, err := http.Get(eps[0] + "/"); err == nil {
			resp.Body.Close()
			t.Fatalf("the killed gateway still answers: %s", resp.Status)
		}
		if got := get(t, b, bucket, "survivor"); got != "still here" {
			t.Fatalf("GET on the other gateway = %q", got)
		}
		if err := c.RestartGateway(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if got := get(t, a, bucket, "survivor"); got != "still here" {
			t.Fatalf("GET after restart = %q", got)
		}
		put(t, a, bucket, "after-restart", "new")
	})

	t.Run("stop-leaves-no-process", func(t *testing.T) {
		pids := c.PIDs()
		if len(pids) != 4 {
			t.Fatalf("PIDs() = %v, want a monitor, an OSD and two gateways", pids)
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		for name, pid := range pids {
			if alive(pid) {
				t.Errorf("%s (pid %d) still runs after Stop", name, pid)
			}
		}
		if left := processesUsing(t, dir); len(left) > 0 {
			t.Errorf("processes still using %s: %v", dir, left)
		}
	})

	t.Run("restart-from-directory", func(t *testing.T) {
		c2 := start(t, ceph.Options{Dir: dir})
		if got, want := c2.Endpoints(), eps; !equal(got, want) {
			t.Fatalf("endpoints after restart %v, want %v", got, want)
		}
		if c2.AccessKey != c.AccessKey || c2.SecretKey != c.SecretKey {
			t.Fatal("the S3 user's keys changed across a restart")
		}
		for _, ep := range c2.Endpoints() {
			if got := get(t, client(c2, ep), bucket, "after-restart"); got != "new" {
				t.Fatalf("GET on %s after restart = %q", ep, got)
			}
		}
	})
}

// TestMemstore starts the in-memory variant, the quick one.
func TestMemstore(t *testing.T) {
	requireCeph(t)
	c := start(t, ceph.Options{Dir: shortDir(t), Store: ceph.Memstore})
	s := client(c, c.Endpoints()[0])
	if _, err := s.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("mem")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := strings.Repeat("x", 1<<20)
	put(t, s, "mem", "big", body)
	if got := get(t, s, "mem", "big"); got != body {
		t.Fatalf("GET returned %d bytes, want %d", len(got), len(body))
	}
}

// TestOSDKilledAndRestarted kills the OSD under a running gateway: once
// the OSD is back, the gateway serves the data written before the crash.
func TestOSDKilledAndRestarted(t *testing.T) {
	requireCeph(t)
	c := start(t, ceph.Options{Dir: shortDir(t)})
	s := client(c, c.Endpoints()[0])
	if _, err := s.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("crash")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	put(t, s, "crash", "k", "durable")
	for _, d := range []ceph.Daemon{ceph.Gateway(0), ceph.OSD} {
		if err := c.KillDaemon(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RestartGateway(t.Context(), 0); err == nil {
		t.Fatal("a gateway started without its OSD")
	}
	for _, d := range []ceph.Daemon{ceph.OSD, ceph.Gateway(0)} {
		if err := c.Restart(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	if got := get(t, s, "crash", "k"); got != "durable" {
		t.Fatalf("GET after the OSD's crash = %q", got)
	}
}

// TestStartErrors covers the refusals that need no Ceph.
func TestStartErrors(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 90)
	for _, tc := range []struct {
		name string
		opts ceph.Options
		want string
	}{
		{"no dir", ceph.Options{}, "Dir is required"},
		{"dir too long", ceph.Options{Dir: long}, "too long"},
		{"unknown store", ceph.Options{Dir: "/tmp/x", Store: "filestore"}, "unknown store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ceph.Start(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestStartReportsDeadDaemon breaks the cluster's configuration before a
// restart: Start must fail quickly with the daemon's name and its log, not
// wait out its timeout.
func TestStartReportsDeadDaemon(t *testing.T) {
	requireCeph(t)
	dir := shortDir(t)
	c := start(t, ceph.Options{Dir: dir, Store: ceph.Memstore})
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// The monitor cannot open a database that is not there.
	if err := os.RemoveAll(filepath.Join(dir, "mon")); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err := ceph.Start(t.Context(), ceph.Options{Dir: dir, Timeout: 60 * time.Second})
	if err == nil {
		t.Fatal("Start succeeded without the monitor's database")
	}
	if !strings.Contains(err.Error(), string(ceph.Monitor)) {
		t.Errorf("error does not name the monitor: %v", err)
	}
	t.Logf("Start: %v", err)
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("Start took %s to notice the dead monitor", d)
	}
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// processesUsing lists the processes whose command line mentions dir.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) {
			found = append(found, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return found
}

func equal(a, b []string) bool {
	return strings.Join(a, " ") == strings.Join(b, " ")
}
