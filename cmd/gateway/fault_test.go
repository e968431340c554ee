package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/conformance/launch"
)

// cpJSON calls the mock control plane.
func cpJSON(t *testing.T, cp *launch.ControlPlane, method, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, cp.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+cp.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func setFaults(t *testing.T, cp *launch.ControlPlane, faults string) {
	t.Helper()
	if code := cpJSON(t, cp, http.MethodPost, "/v1/admin/faults", json.RawMessage(faults), nil); code != 200 {
		t.Fatalf("set faults %s: %d", faults, code)
	}
}

// TestControlPlaneFaults runs the gateway against the real mock control
// plane made slow (2 s), flaky (50% errors) and dead in turn. Requests with
// an access key cached before the faults keep succeeding without waiting on
// the control plane; a token never seen before gets 503; usage events that
// cannot be delivered are dropped, counted and surfaced in /readyz.
func TestControlPlaneFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway and the control plane; skipped in -short mode")
	}
	g, cp := startWithControlPlane(t, nil)
	target := g.Target()
	client := s3.NewFromConfig(aws.Config{
		Region:      target.Region,
		Credentials: credentials.NewStaticCredentialsProvider(target.ControlPlaneKey.AccessKey, target.ControlPlaneKey.SecretKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) { o.BaseEndpoint = aws.String(target.S3URL()); o.UsePathStyle = true })
	ctx := context.Background()

	// Healthy: the key is resolved by the control plane and cached.
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("faults")}); err != nil {
		t.Fatal(err)
	}
	put := func() (time.Duration, error) {
		start := time.Now()
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("faults"), Key: aws.String("k"), Body: strings.NewReader("data")})
		return time.Since(start), err
	}
	if _, err := put(); err != nil {
		t.Fatal(err)
	}
	var minted struct{ Token string }
	if code := cpJSON(t, cp, http.MethodPost, "/v1/macaroons", map[string]any{"project_id": "conformance", "ttl_seconds": 600}, &minted); code != 200 {
		t.Fatalf("mint: %d", code)
	}
	getWithToken := func() int {
		req, _ := http.NewRequest(http.MethodGet, target.S3URL()+"/faults/k", nil)
		req.Header.Set("Authorization", "Bearer "+minted.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	for _, fault := range []string{`{"latency_ms": 2000}`, `{"error_rate": 0.5}`, `{"down": true}`} {
		setFaults(t, cp, fault)
		for i := 0; i < 10; i++ {
			d, err := put()
			if err != nil {
				t.Fatalf("fault %s: PUT with a cached key failed: %v", fault, err)
			}
			// The control plane is not on the request path: no request
			// waits the 2 s the control plane takes to answer.
			if d > time.Second {
				t.Fatalf("fault %s: PUT with a cached key took %v", fault, d)
			}
		}
	}

	// Dead control plane, token never verified: 503, which clients retry.
	if code := getWithToken(); code != http.StatusServiceUnavailable {
		t.Fatalf("unverifiable token: status %d, want 503", code)
	}

	// The usage of the PUTs above cannot be delivered: /readyz says so.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ready struct {
			ProductionReady   bool     `json:"production_ready"`
			ReadinessWarnings []string `json:"readiness_warnings"`
		}
		resp, err := http.Get(g.Endpoint + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&ready)
		resp.Body.Close()
		joined := strings.Join(ready.ReadinessWarnings, "\n")
		if strings.Contains(joined, "usage events were dropped") && strings.Contains(joined, "control plane is unhealthy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never reported dropped usage and the dead control plane:\n%s", joined)
		}
		time.Sleep(250 * time.Millisecond)
	}
	resp, err := http.Get(g.Endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "s3gw_usage_events_dropped_total") || strings.Contains(string(body), "s3gw_usage_events_dropped_total 0\n") {
		t.Fatalf("metrics do not count dropped usage events")
	}

	// Back to health: tokens verify again.
	setFaults(t, cp, `{}`)
	if code := getWithToken(); code != http.StatusOK {
		t.Fatalf("token after recovery: %d", code)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	// No token, secret or signature reached the log.
	log := g.LogTail(1 << 20)
	for _, secret := range []string{minted.Token, target.ControlPlaneKey.SecretKey, cp.Token, "Signature="} {
		if strings.Contains(log, secret) {
			t.Errorf("the gateway log contains %q", secret[:min(len(secret), 16)]+"…")
		}
	}
}
