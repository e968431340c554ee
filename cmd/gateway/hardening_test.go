package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// The hardening tests start the real gateway binary and talk to it as an
// attacker would: raw sockets for what no client library sends, the real
// mock control plane for credentials that change under a URL.

// signedHead returns the request line and headers of a SigV4-signed request
// with an unsigned payload of n bytes, to send by hand.
func signedHead(t *testing.T, g *launch.Gateway, method, path string, n int64, extra map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(method, g.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	creds := g.Target().Full
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKey, SecretAccessKey: creds.SecretKey},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, req.URL.EscapedPath(), req.Host, n)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	return b.String() + "\r\n"
}

type exchange struct {
	net.Conn
	br *bufio.Reader
}

func dialGateway(t *testing.T, g *launch.Gateway) *exchange {
	t.Helper()
	c, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &exchange{Conn: c, br: bufio.NewReader(c)}
}

// answer reads one response within d, with its body.
func (x *exchange) answer(t *testing.T, d time.Duration) (*http.Response, string) {
	t.Helper()
	x.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(x.br, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", d, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// closed reports whether the server closed the connection within d.
func (x *exchange) closed(d time.Duration) bool {
	x.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, x.br)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestConnectionsAreNotHeld checks item by item that no stranger, and no
// client that stalls, holds a connection past a deadline: every error
// decided before the body is read is sent at once with Connection: close,
// and a stalled upload gets S3's 400 RequestTimeout.
func TestConnectionsAreNotHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{
		"BODY_IDLE_TIMEOUT_SECONDS": "2", "READ_HEADER_TIMEOUT_SECONDS": "2", "MAX_BODY_BYTES": "1048576",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	cases := []struct {
		name, head, sendBody string
		status               int
		code                 string
		within               time.Duration
	}{
		{"unauthenticated PUT, body never sent",
			"PUT /s3/x/y HTTP/1.1\r\nHost: " + g.Addr + "\r\nContent-Length: 100000\r\n\r\n", "", 403, "AccessDenied", time.Second},
		{"unauthenticated PUT with Expect: 100-continue",
			"PUT /s3/x/y HTTP/1.1\r\nHost: " + g.Addr + "\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n", "", 403, "AccessDenied", time.Second},
		{"signed PUT over MAX_BODY_BYTES",
			signedHead(t, g, "PUT", "/s3/hardening/big", 2<<20, nil), "", 400, "EntityTooLarge", time.Second},
		{"signed PUT over MAX_BODY_BYTES with Expect: 100-continue",
			signedHead(t, g, "PUT", "/s3/hardening/big", 2<<20, map[string]string{"Expect": "100-continue"}), "", 400, "EntityTooLarge", time.Second},
		{"signed PUT whose body stalls",
			signedHead(t, g, "PUT", "/s3/hardening/stalled", 100000, nil), "only the start", 400, "RequestTimeout", 4 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := dialGateway(t, g)
			start := time.Now()
			io.WriteString(x, c.head+c.sendBody)
			resp, body := x.answer(t, c.within)
			if resp.StatusCode == http.StatusContinue {
				t.Fatalf("got 100 Continue for a request that will be refused")
			}
			if resp.StatusCode != c.status || !strings.Contains(body, "<Code>"+c.code+"</Code>") {
				t.Fatalf("status %d, body %s; want %d %s", resp.StatusCode, body, c.status, c.code)
			}
			if !resp.Close {
				t.Fatalf("the answer lacks Connection: close")
			}
			if !x.closed(2 * time.Second) {
				t.Fatalf("the gateway kept the connection open after answering")
			}
			t.Logf("%d %s after %v, connection closed", resp.StatusCode, c.code, time.Since(start).Round(time.Millisecond))
		})
	}
	// Nothing of the refused or stalled uploads was stored.
	x := dialGateway(t, g)
	io.WriteString(x, signedHead(t, g, "GET", "/s3/hardening?list-type=2", 0, nil))
	if resp, body := x.answer(t, 2*time.Second); resp.StatusCode != 404 && strings.Contains(body, "<Key>") {
		t.Fatalf("a refused upload left an object behind: %s", body)
	}
	if !strings.Contains(g.LogTail(200), "code=RequestTimeout") {
		t.Errorf("the access log does not carry the error code of the stalled upload:\n%s", g.LogTail(20))
	}
}

// startWithControlPlane starts the mock control plane and a gateway using
// it, with env added; both stop when the test ends.
func startWithControlPlane(t *testing.T, env map[string]string) (*launch.Gateway, *launch.ControlPlane) {
	t.Helper()
	cp, err := launch.StartControlPlane(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Stop() })
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), ControlPlane: cp, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	return g, cp
}

// readyz reads /readyz.
func readyz(t *testing.T, endpoint string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(endpoint + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// Without PRESIGN_SECRET, gateway presigned URLs are off: nothing is minted,
// a URL forged with the predecessor's public default secret is refused even
// when anonymous requests are served, /readyz says why the gateway is not
// production ready, and start-up logs one WARN line per readiness warning.
func TestPresignOffWithoutSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{"PRESIGN_SECRET": "", "REQUIRE_AUTH": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	c := conformance.NewSDKClient(g.Target(), g.Target().Full)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("forged")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("forged"), Key: aws.String("k"), Body: strings.NewReader("secret data")}); err != nil {
		t.Fatal(err)
	}

	// Minting answers a clear error.
	req, _ := http.NewRequest(http.MethodPost, g.Endpoint+"/v1/presign", strings.NewReader(`{"method":"GET","bucket":"forged","key":"k","expires_in":60}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(b), "PRESIGN_SECRET") {
		t.Fatalf("POST /v1/presign without a secret: %d %s, want 501 naming PRESIGN_SECRET", resp.StatusCode, b)
	}

	// A URL signed with the old public default is refused for every method.
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		u := forgeURL(g.Endpoint, method, "/s3/forged/k", "conformance", "dev-presign-secret")
		req, _ := http.NewRequest(method, u, strings.NewReader("overwritten"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "disabled") {
			t.Fatalf("forged %s URL: %d %s, want 403 saying gateway presigned URLs are disabled", method, resp.StatusCode, body)
		}
	}

	_, ready := readyz(t, g.Endpoint)
	warnings := fmt.Sprint(ready["readiness_warnings"])
	if ready["production_ready"] != false || !strings.Contains(warnings, "PRESIGN_SECRET is not set") {
		t.Fatalf("/readyz: %v", ready)
	}
	log := g.LogTail(200)
	for _, w := range ready["readiness_warnings"].([]any) {
		if strings.HasPrefix(fmt.Sprint(w), "the control plane") {
			continue // found while serving, and logged by the probe
		}
		if !strings.Contains(log, fmt.Sprint(w)) {
			t.Errorf("start-up did not log the readiness warning %q", w)
		}
	}
	if n := strings.Count(log, "level=WARN msg=\"not production ready: "); n < 2 {
		t.Errorf("start-up logged %d readiness WARN lines, want one per warning:\n%s", n, log)
	}
}

// forgeURL builds a gateway presigned URL the way the predecessor did, with
// a guessed secret.
func forgeURL(endpoint, method, path, project, secret string) string {
	q := url.Values{}
	q.Set("X-Gw-Expires", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
	q.Set("X-Gw-Method", method)
	q.Set("X-Gw-Project", project)
	query := q.Encode()
	return endpoint + path + "?" + query + "&X-Gw-Signature=" + hmacHex(secret, "s3-gateway presigned URL v1\n"+method+"\n"+path+"\n"+query)
}

// A URL minted with an access key stops working once the key no longer
// resolves (after the key cache's TTL, never at the cost of a control-plane
// call per use while it does).
func TestPresignedURLDiesWithItsKey(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway and the control plane; skipped in -short mode")
	}
	g, cp := startWithControlPlane(t, map[string]string{"SIGV4_CACHE_TTL_MS": "1000"})
	key := conformance.Credentials{AccessKey: "short-lived-key", SecretKey: "short-lived-secret"}
	if code := cpJSON(t, cp, http.MethodPost, "/v1/keys", map[string]any{"access_key": key.AccessKey, "secret_key": key.SecretKey, "project_id": "conformance"}, nil); code != http.StatusCreated {
		t.Fatalf("create key: %d", code)
	}
	ctx := context.Background()
	c := conformance.NewSDKClient(g.Target(), key)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("keyed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keyed"), Key: aws.String("k"), Body: strings.NewReader("data")}); err != nil {
		t.Fatal(err)
	}
	u := mintWithKey(t, g, key, `{"method":"GET","bucket":"keyed","key":"k","expires_in":3600}`)
	if code := getStatus(t, u); code != http.StatusOK {
		t.Fatalf("fresh URL: %d", code)
	}
	var before map[string]int
	cpJSON(t, cp, http.MethodGet, "/v1/admin/calls", nil, &before)
	for i := 0; i < 20; i++ {
		getStatus(t, u)
	}
	var after map[string]int
	cpJSON(t, cp, http.MethodGet, "/v1/admin/calls", nil, &after)
	if n := after["/v1/sigv4/resolve"] - before["/v1/sigv4/resolve"]; n > 2 {
		t.Errorf("20 uses of a URL cost %d key resolutions, want the cache to answer", n)
	}
	if code := cpJSON(t, cp, http.MethodDelete, "/v1/keys/"+key.AccessKey, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete key: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for getStatus(t, u) != http.StatusForbidden {
		if time.Now().After(deadline) {
			t.Fatalf("the URL still works 10 s after its key was removed (cache TTL 1 s)")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mintWithKey(t *testing.T, g *launch.Gateway, key conformance.Credentials, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.Endpoint+"/v1/presign", strings.NewReader(body))
	sum := sha256Hex([]byte(body))
	req.Header.Set("X-Amz-Content-Sha256", sum)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key.AccessKey, SecretAccessKey: key.SecretKey},
		req, sum, "s3", "us-east-1", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ URL string }
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil || out.URL == "" {
		t.Fatalf("mint: %d %s", resp.StatusCode, b)
	}
	return out.URL
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Readiness sees real faults: storage below S3_MIN_FREE_BYTES makes the
// gateway not ready; a control plane answering 500 or 404 is unhealthy, and
// /readyz says so without showing where the control plane is. /metrics can
// be closed with a bearer token.
func TestReadinessSeesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway and the control plane; skipped in -short mode")
	}
	g, cp := startWithControlPlane(t, map[string]string{
		"S3_MIN_FREE_BYTES": "4611686018427387904", "METRICS_TOKEN": "scrape-me",
	})
	status, body := readyz(t, g.Endpoint)
	if status != http.StatusServiceUnavailable || body["ready"] != false || !strings.Contains(fmt.Sprint(body["storage_error"]), "S3_DATA_DIR has") {
		t.Fatalf("/readyz with too little free space: %d %v", status, body)
	}

	setFaults(t, cp, `{"error_rate": 1.0}`)
	deadline := time.Now().Add(25 * time.Second)
	for {
		_, body = readyz(t, g.Endpoint)
		if strings.Contains(fmt.Sprint(body["readiness_warnings"]), "answered HTTP 500") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never reported the control plane answering 500: %v", body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	cpHost := strings.TrimPrefix(cp.URL, "http://")
	if raw, _ := json.Marshal(body); strings.Contains(string(raw), cpHost) {
		t.Fatalf("/readyz shows the control plane's address %s: %s", cpHost, raw)
	}

	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer scrape-me", 200}} {
		req, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("/metrics with %q: %d, want %d", c.auth, resp.StatusCode, c.want)
		}
	}
}

// PUBLIC_BASE_URL, not the request's Host, makes the minted URLs.
func TestPresignUsesPublicBaseURL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway; skipped in -short mode")
	}
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{"PUBLIC_BASE_URL": "https://s3.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	u := mintWithKey(t, g, g.Target().Full, `{"method":"PUT","bucket":"based","key":"k","expires_in":60}`)
	if !strings.HasPrefix(u, "https://s3.example.com/s3/based/k?") {
		t.Fatalf("minted %s, want it on https://s3.example.com", u)
	}
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Strangers cannot turn requests into control-plane load: 2 000 requests
// signed with random access keys and 500 with random bearer tokens cost at
// most CONTROL_PLANE_LOOKUP_RATE calls a second (the rest are answered 503
// SlowDown), and the keys and tokens refused once are answered from the
// cache when they come again.
func TestStrangersCostBoundedControlPlaneCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway and the control plane; skipped in -short mode")
	}
	const rate = 50
	g, cp := startWithControlPlane(t, map[string]string{
		"CONTROL_PLANE_LOOKUP_RATE": fmt.Sprint(rate), "SIGV4_CACHE_TTL_MS": "60000", "USAGE_REPORTING": "false",
	})
	calls := func() (keys, tokens int) {
		var c map[string]int
		cpJSON(t, cp, http.MethodGet, "/v1/admin/calls", nil, &c)
		return c["/v1/sigv4/resolve"], c["/v1/macaroons/verify"]
	}
	send := func(n int, req func(i int) *http.Request) map[int]int {
		statuses := make(chan int, n)
		sem := make(chan struct{}, 32)
		for i := 0; i < n; i++ {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				resp, err := http.DefaultClient.Do(req(i))
				if err != nil {
					statuses <- 0
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		out := map[int]int{}
		for i := 0; i < n; i++ {
			out[<-statuses]++
		}
		return out
	}
	keyReq := func(i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/s3/stranger/k", nil)
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: fmt.Sprintf("STRANGER%08d", i), SecretAccessKey: "x"},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().UTC())
		return req
	}
	tokenReq := func(i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/s3/stranger/k", nil)
		req.Header.Set("Authorization", fmt.Sprintf("Bearer forged-token-%d", i))
		return req
	}
	k0, t0 := calls()
	start := time.Now()
	byStatus := send(2000, keyReq)
	tokStatus := send(500, tokenReq)
	elapsed := time.Since(start)
	k1, t1 := calls()
	budget := int(rate*elapsed.Seconds()) + rate + 1 // the burst, and one second's rounding
	t.Logf("2000 random keys: %v; 500 random tokens: %v; %d resolve and %d verify calls in %v (budget %d)",
		byStatus, tokStatus, k1-k0, t1-t0, elapsed.Round(time.Millisecond), budget)
	if n := (k1 - k0) + (t1 - t0); n > budget {
		t.Fatalf("%d control-plane calls for strangers in %v, over the budget of %d", n, elapsed, budget)
	}
	if byStatus[http.StatusForbidden]+byStatus[http.StatusServiceUnavailable] != 2000 || tokStatus[http.StatusBadRequest]+tokStatus[http.StatusServiceUnavailable] != 500 {
		t.Fatalf("strangers got other answers than refusals and SlowDown: keys %v tokens %v", byStatus, tokStatus)
	}

	// Refused once, answered from the cache after: the first 20 keys and
	// tokens (refused by the control plane, not throttled) cost nothing again.
	time.Sleep(time.Second) // let the budget refill
	k2, t2 := calls()
	for i := 0; i < 20; i++ {
		send(1, func(int) *http.Request { return keyReq(3000 + i) })
		send(1, func(int) *http.Request { return tokenReq(3000 + i) })
	}
	k3, t3 := calls()
	send(20, func(i int) *http.Request { return keyReq(3000 + i) })
	send(20, func(i int) *http.Request { return tokenReq(3000 + i) })
	k4, t4 := calls()
	if k3-k2 != 20 || t3-t2 != 20 || k4 != k3 || t4 != t3 {
		t.Fatalf("refused keys and tokens asked again: first pass %d/%d calls, second pass %d/%d, want 20/20 then 0/0", k3-k2, t3-t2, k4-k3, t4-t3)
	}
}

// A control plane slowed to hundreds of milliseconds never slows requests
// whose key or token is cached: entries are refreshed in the background
// before they expire.
func TestSlowControlPlaneNeverSlowsCachedCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway and the control plane; skipped in -short mode")
	}
	g, cp := startWithControlPlane(t, map[string]string{
		// A refresh begins at 80 % of the TTL: 5 s leaves it a second
		// for a 400 ms call on a loaded CI machine (with 3 s, 600 ms, a
		// refresh once ended after the entry expired: 391 ms waited).
		"SIGV4_CACHE_TTL_MS": "5000", "MACAROON_CACHE_TTL_MS": "5000",
	})
	target := g.Target()
	client := conformance.NewSDKClient(target, target.ControlPlaneKey)
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("slowcp")}); err != nil {
		t.Fatal(err)
	}
	var minted struct{ Token string }
	if code := cpJSON(t, cp, http.MethodPost, "/v1/macaroons", map[string]any{"project_id": "conformance", "ttl_seconds": 600}, &minted); code != 200 {
		t.Fatalf("mint: %d", code)
	}
	put := func() error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("slowcp"), Key: aws.String("k"), Body: strings.NewReader("data")})
		return err
	}
	get := func() error {
		req, _ := http.NewRequest(http.MethodGet, target.S3URL()+"/slowcp/k", nil)
		req.Header.Set("Authorization", "Bearer "+minted.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := put(); err != nil {
		t.Fatal(err)
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	setFaults(t, cp, `{"latency_ms": 400}`)
	var slowest time.Duration
	// Reads only from here: a PUT's fsync, on a disk other test packages
	// share in CI, took hundreds of milliseconds and was counted against
	// the control plane.
	signedGet := func() error {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("slowcp"), Key: aws.String("k")})
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, out.Body)
		out.Body.Close()
		return err
	}
	for end := time.Now().Add(13 * time.Second); time.Now().Before(end); {
		for _, op := range []func() error{signedGet, get} {
			start := time.Now()
			if err := op(); err != nil {
				t.Fatal(err)
			}
			slowest = max(slowest, time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("slowest request with a cached key or token over 13 s (2.6 TTLs) of a 400 ms control plane: %v", slowest)
	if slowest > 300*time.Millisecond {
		t.Fatalf("a request with cached credentials took %v while the control plane took 400 ms", slowest)
	}
}
