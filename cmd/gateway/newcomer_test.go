package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/impl/config"
)

// gateway -h lists every setting of config's table with its default, and
// points a newcomer at make dev and make test.
func TestHelpListsEverySettingAndTheTwoCommands(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"-h"}, func(string) (string, bool) { return "", false }, &out); code != 0 {
		t.Fatalf("gateway -h: exit %d, want 0:\n%s", code, out.String())
	}
	help := out.String()
	for _, want := range []string{"make dev", "make test", "-addr-file", "-config"} {
		if !strings.Contains(help, want) {
			t.Errorf("gateway -h does not mention %q", want)
		}
	}
	settings := config.Settings()
	if len(settings) < 40 {
		t.Fatalf("config.Settings() lists %d settings: the table moved?", len(settings))
	}
	for _, s := range settings {
		def := s.Default
		if def == "" {
			def = "empty"
		}
		if !strings.Contains(help, "  "+s.Name+" (default: "+def+")\n") || !strings.Contains(help, s.Doc) {
			t.Errorf("gateway -h does not list %s with its default %q and its doc", s.Name, def)
		}
	}
}

func TestDialable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[::]:9009", "127.0.0.1:9009"},
		{"0.0.0.0:9009", "127.0.0.1:9009"},
		{"127.0.0.1:9009", "127.0.0.1:9009"},
		{"[::1]:9009", "[::1]:9009"},
		{"192.0.2.7:80", "192.0.2.7:80"},
	}
	for _, c := range cases {
		a, err := net.ResolveTCPAddr("tcp", c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialable(a); got != c.want {
			t.Errorf("dialable(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// -addr-file names an address a client can dial, whatever HOST is.
func TestAddrFileIsDialable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	for _, host := range []string{"", "0.0.0.0", "127.0.0.1"} {
		t.Run("HOST="+host, func(t *testing.T) {
			g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{"HOST": host}})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Kill()
			if !strings.HasPrefix(g.Addr, "127.0.0.1:") {
				t.Fatalf("-addr-file wrote %q, want 127.0.0.1:PORT", g.Addr)
			}
			resp, err := http.Get("http://" + g.Addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if log := g.LogTail(20); !strings.Contains(log, "s3_endpoint=http://"+g.Addr+"/s3 ") {
				t.Fatalf("the start-up line does not give the S3 endpoint http://%s/s3:\n%s", g.Addr, log)
			}
		})
	}
}

// With no control plane where CONTROL_PLANE_URL points (its default, say),
// start-up says so and what it means, and requests that need the control
// plane get a prompt 503 saying why, not a wait.
func TestNoControlPlaneFailsFastAndSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{
		"CONTROL_PLANE_URL": "http://" + closedAddr(t), "SIGV4_PROVIDER": "hybrid",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()

	stranger := conformance.Credentials{AccessKey: "AKIDNOTLOCAL", SecretKey: "not-local-secret"}
	c := conformance.NewSDKClient(g.Target(), stranger)
	start := time.Now()
	_, err = c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("demo")})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("signed request with a key only the control plane could know: %v, want 503", err)
	}
	_, err = c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("demo"), Key: aws.String("k")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !strings.Contains(ae.ErrorMessage(), "control plane") {
		t.Fatalf("signed GET: %v, want ServiceUnavailable naming the control plane", err)
	}

	req, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/s3/demo/k", nil)
	req.Header.Set("Authorization", "Bearer some-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "control plane") {
		t.Fatalf("bearer request: %d %s, want 503 naming the control plane", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("three requests without a control plane took %v: they must fail fast", d)
	}

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(g.LogTail(100), "the control plane at CONTROL_PLANE_URL does not answer") {
		if time.Now().After(deadline) {
			t.Fatalf("start-up did not warn that the control plane does not answer:\n%s", g.LogTail(100))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if log := g.LogTail(100); !strings.Contains(log, "connection refused") {
		t.Errorf("the log does not give the cause of the 503s:\n%s", log)
	}
}

// A request outside a credential's scope gets S3's bare AccessDenied, and
// its access log line carries the code and says what was outside which
// scope.
func TestScopeDenialsAreExplainedInTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	full := conformance.Credentials{AccessKey: "AKFULL", SecretKey: "full-secret"}
	scoped := conformance.Credentials{AccessKey: "AKSCOPED", SecretKey: "scoped-secret"}
	other := conformance.Credentials{AccessKey: "AKOTHER", SecretKey: "other-secret"}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{"SIGV4_CREDENTIALS_JSON": `[
	  {"access_key": "AKFULL", "secret_key": "full-secret", "project_id": "p1"},
	  {"access_key": "AKSCOPED", "secret_key": "scoped-secret", "project_id": "p1", "bucket": "bkt-one", "prefix": "pub/", "ops": ["get", "list"]},
	  {"access_key": "AKOTHER", "secret_key": "other-secret", "project_id": "p2"}]`}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	ctx := context.Background()
	admin := conformance.NewSDKClient(g.Target(), full)
	for _, b := range []string{"bkt-one", "bkt-two"} {
		if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		creds  conformance.Credentials
		put    bool
		bucket string
		key    string
		reason string
	}{
		{"operation", scoped, true, "bkt-one", "pub/a", "access key AKSCOPED: operation put is not among the credential's operations [get list]"},
		{"prefix", scoped, false, "bkt-one", "priv/a", `access key AKSCOPED: key "priv/a" in bucket "bkt-one" is outside the credential's prefix "pub/"`},
		{"bucket", scoped, false, "bkt-two", "pub/a", `access key AKSCOPED: bucket "bkt-two" is not the credential's bucket "bkt-one"`},
		{"owner", other, false, "bkt-one", "pub/a", `bucket "bkt-one" belongs to another project than the caller's "p2"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := conformance.NewSDKClient(g.Target(), c.creds)
			var err error
			if c.put {
				_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(c.key), Body: strings.NewReader("x")})
			} else {
				_, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(c.key)})
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != "Access Denied" {
				t.Fatalf("%v, want S3's AccessDenied, Access Denied", err)
			}
			var line string
			deadline := time.Now().Add(2 * time.Second)
			for line == "" && time.Now().Before(deadline) {
				for _, l := range strings.Split(g.LogTail(50), "\n") {
					if strings.Contains(l, "msg=request ") && strings.Contains(l, "reason="+quoteText(c.reason)) {
						line = l
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if line == "" || !strings.Contains(line, "code=AccessDenied") || !strings.Contains(line, "status=403") {
				t.Fatalf("no access log line with code=AccessDenied and reason %q:\n%s", c.reason, g.LogTail(20))
			}
		})
	}
}

// quoteText is how slog's text handler writes a value with spaces.
func quoteText(s string) string { return strconv.Quote(s) }
