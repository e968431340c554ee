package main

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// TestGatewayWideCORS: with CORS_ALLOWED_ORIGINS set, a bucket without a
// CORS configuration of its own answers preflights and cross-origin GETs
// by the gateway-wide rule, a bucket's own configuration replaces it, and
// /v1/presign answers its preflight, all without credentials.
func TestGatewayWideCORS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{
		"CORS_ALLOWED_ORIGINS": "http://app.example", "CORS_MAX_AGE_SECONDS": "60"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	ctx := t.Context()
	c := conformance.NewSDKClient(g.Target(), g.Target().Full)
	for _, b := range []string{"plain", "own"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("own"), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"http://other.example"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"*"}}}}}); err != nil {
		t.Fatal(err)
	}
	preflight := func(path, origin, method string) *http.Response {
		t.Helper()
		r, _ := http.NewRequestWithContext(ctx, http.MethodOptions, g.Endpoint+path, nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct {
		path, origin, method string
		status               int
		allow                string
	}{
		{"/s3/plain/k", "http://app.example", "PUT", 200, "http://app.example"},
		{"/s3/plain/k", "http://evil.example", "PUT", 403, ""},
		{"/s3/missing-bucket/k", "http://app.example", "PUT", 200, "http://app.example"},
		{"/s3/own/k", "http://app.example", "GET", 403, ""},
		{"/s3/own/k", "http://other.example", "GET", 200, "http://other.example"},
		{"/v1/presign", "http://app.example", "POST", 200, "http://app.example"},
		{"/v1/presign", "http://evil.example", "POST", 403, ""},
	} {
		resp := preflight(c.path, c.origin, c.method)
		if resp.StatusCode != c.status || resp.Header.Get("Access-Control-Allow-Origin") != c.allow {
			t.Errorf("preflight %s from %s for %s: %d, Allow-Origin %q; want %d, %q", c.path, c.origin, c.method,
				resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), c.status, c.allow)
		}
		if c.status == 200 && (resp.Header.Get("Access-Control-Max-Age") == "") != (c.path == "/s3/own/k") {
			t.Errorf("preflight %s: Max-Age %q", c.path, resp.Header.Get("Access-Control-Max-Age"))
		}
	}
	// An actual request: the gateway-wide rule's headers on the answer,
	// an unauthenticated one's refusal included.
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.Endpoint+"/s3/plain/k", nil)
	r.Header.Set("Origin", "http://app.example")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		resp.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("unsigned cross-origin GET: %d, headers %v", resp.StatusCode, resp.Header)
	}
}
