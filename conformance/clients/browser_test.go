package clients

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// The browser test's buckets: one whose CORS configuration allows the
// page's origin, one whose configuration allows only another origin, and
// one without a configuration, answered by the gateway-wide default.
const (
	browserAllowed = "browser-allowed"
	browserDenied  = "browser-denied"
	browserDefault = "browser-default"
	otherOrigin    = "https://elsewhere.example"
)

// TestBrowser drives Debian's headless Chromium through a page served from
// another origin than the gateway's (testdata/browser.html), standing for a
// web app that holds a bearer token: it mints presigned URLs and upload
// forms with fetch on /v1/presign (allowed by CORS_ALLOWED_ORIGINS), PUTs a
// file and GETs it back, uploads with FormData and with a plain <form>, all
// under the bucket's own CORS rule. Against a bucket whose rule allows only
// another origin, the browser itself refuses: fetch rejects with a
// TypeError, Chromium reports the CORS block, and a PUT stopped at its
// preflight stores nothing, while a form POST, which has no preflight, is
// stored though the page cannot read the answer.
func TestBrowser(t *testing.T) {
	chromium := requireTool(t, "/usr/bin/chromium", "chromium")

	// The page's origin is localhost on a port of its own; the gateway is
	// 127.0.0.1 on another: a different host and port, so every call is
	// cross-origin.
	page := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	t.Cleanup(page.Close)
	_, port, err := net.SplitHostPort(page.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://localhost:" + port

	cp, err := launch.StartControlPlane(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	g, err := launch.Start(launch.Options{
		Dir:          t.TempDir(),
		ControlPlane: cp,
		Env:          map[string]string{"CORS_ALLOWED_ORIGINS": origin},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	tg := g.Target()
	sdk := conformance.NewSDKClient(tg, tg.Full)
	ctx := t.Context()
	corsRule := func(origin string) *types.CORSConfiguration {
		return &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{origin},
			AllowedMethods: []string{"GET", "PUT", "POST", "HEAD"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag"},
		}}}
	}
	for bucket, allow := range map[string]string{browserAllowed: origin, browserDenied: otherOrigin, browserDefault: ""} {
		if _, err := sdk.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", bucket, err)
		}
		if allow == "" {
			continue
		}
		if _, err := sdk.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: corsRule(allow)}); err != nil {
			t.Fatalf("PutBucketCors %s: %v", bucket, err)
		}
	}
	// An object the page may not read.
	if _, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(browserDenied), Key: aws.String("secret.txt"), Body: strings.NewReader("not for that page")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	token := mintToken(t, cp, tg.Project)

	b := startBrowser(t, chromium)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(origin+"/browser.html"), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("open the page: %v", err)
	}

	putData := randomBytes(t, 200<<10)
	postData := randomBytes(t, 70<<10)
	formData := randomBytes(t, 5<<10)
	gw := js(g.Endpoint)
	tok := js(token)
	blob := func(data []byte) string {
		return "new Blob([fromBase64(" + js(base64.StdEncoding.EncodeToString(data)) + ")])"
	}

	cases := []struct {
		name string
		// call is the page's call, wrapped by settle().
		call string
		// blocked: the browser must reject it as a CORS failure on a
		// request to blockedPath.
		blocked     bool
		blockedPath string
		check       func(t *testing.T, value json.RawMessage)
	}{
		{
			name: "put-then-get",
			call: fmt.Sprintf(`putFile(%s, %s, %s, "put/photo.bin", %s).then(async etag => ({etag, body: await toBase64(await getFile(%[1]s, %[2]s, %[3]s, "put/photo.bin"))}))`,
				gw, tok, js(browserAllowed), blob(putData)),
			check: func(t *testing.T, value json.RawMessage) {
				checkPutThenGet(t, sdk, value, browserAllowed, "put/photo.bin", putData)
			},
		},
		{
			// CORS_ALLOWED_ORIGINS answers for a bucket without rules of
			// its own, exposing ETag by default.
			name: "put-then-get-gateway-default",
			call: fmt.Sprintf(`putFile(%s, %s, %s, "photo.bin", %s).then(async etag => ({etag, body: await toBase64(await getFile(%[1]s, %[2]s, %[3]s, "photo.bin"))}))`,
				gw, tok, js(browserDefault), blob(postData)),
			check: func(t *testing.T, value json.RawMessage) {
				checkPutThenGet(t, sdk, value, browserDefault, "photo.bin", postData)
			},
		},
		{
			name: "post-form-data",
			call: fmt.Sprintf(`postFile(%s, %s, %s, "post/", %s, "scan.bin")`, gw, tok, js(browserAllowed), blob(postData)),
			check: func(t *testing.T, value json.RawMessage) {
				if string(value) != "204" {
					t.Errorf("POST answered %s, want 204", value)
				}
				sdkObject(t, sdk, browserAllowed, "post/scan.bin", postData)
			},
		},
		{
			name: "html-form-submit",
			call: fmt.Sprintf(`submitForm(%s, %s, %s, "form/", new File([fromBase64(%s)], "note.bin"))`,
				gw, tok, js(browserAllowed), js(base64.StdEncoding.EncodeToString(formData))),
			check: func(t *testing.T, _ json.RawMessage) {
				// The form's answer goes to an iframe the page cannot
				// read: the object appearing is the proof.
				deadline := time.Now().Add(10 * time.Second)
				for !objectExists(t, sdk, browserAllowed, "form/note.bin") {
					if time.Now().After(deadline) {
						t.Fatalf("the submitted form stored nothing within 10s; gateway log:\n%s", g.LogTail(15))
					}
					time.Sleep(50 * time.Millisecond)
				}
				sdkObject(t, sdk, browserAllowed, "form/note.bin", formData)
			},
		},
		{
			name:        "put-other-origin-bucket",
			call:        fmt.Sprintf(`putFile(%s, %s, %s, "stolen.bin", %s)`, gw, tok, js(browserDenied), blob(putData)),
			blocked:     true,
			blockedPath: tg.PathPrefix + "/" + browserDenied + "/stolen.bin",
			check: func(t *testing.T, _ json.RawMessage) {
				// The preflight was refused: the PUT itself never went.
				if objectExists(t, sdk, browserDenied, "stolen.bin") {
					t.Errorf("the blocked PUT stored %s/stolen.bin", browserDenied)
				}
			},
		},
		{
			// A form POST is a "simple" request: no preflight, so it
			// reaches the bucket, which stores it as S3 does (the
			// minted policy is what guards the upload); CORS only hides
			// the answer from the page.
			name:        "post-other-origin-bucket",
			call:        fmt.Sprintf(`postFile(%s, %s, %s, "post/", %s, "sent.bin")`, gw, tok, js(browserDenied), blob(postData)),
			blocked:     true,
			blockedPath: tg.PathPrefix + "/" + browserDenied + "'",
			check: func(t *testing.T, _ json.RawMessage) {
				sdkObject(t, sdk, browserDenied, "post/sent.bin", postData)
			},
		},
		{
			name:        "get-other-origin-bucket",
			call:        fmt.Sprintf(`getFile(%s, %s, %s, "secret.txt").then(toBase64)`, gw, tok, js(browserDenied)),
			blocked:     true,
			blockedPath: tg.PathPrefix + "/" + browserDenied + "/secret.txt",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b.reset()
			res, err := chromedp.Run(b.ctx, chromedp.Evaluate[settled]("settle("+tc.call+")", chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			// Chromium reports a CORS block as the request fails, which
			// may reach us just after fetch's rejection.
			blocked := b.corsErrors()
			if tc.blocked {
				blocked = b.awaitCORSError(tc.blockedPath, 2*time.Second)
			}
			switch {
			case !tc.blocked && !res.OK:
				t.Fatalf("the page failed: %s: %s\nChromium reported: %q", res.Name, res.Message, blocked)
			case !tc.blocked && len(blocked) > 0:
				t.Errorf("Chromium reported CORS errors: %q", blocked)
			case tc.blocked && res.OK:
				t.Fatalf("the page succeeded (%s); want fetch to reject for CORS", res.Value)
			case tc.blocked && (res.Name != "TypeError" || !anyContains(blocked, tc.blockedPath)):
				t.Fatalf("the page failed with %s: %s; want a TypeError and Chromium reporting a CORS block of %s, it reported: %q",
					res.Name, res.Message, tc.blockedPath, blocked)
			}
			if tc.blocked {
				t.Logf("the page saw %s: %s; Chromium reported: %q", res.Name, res.Message, blocked)
			}
			if tc.check != nil {
				tc.check(t, res.Value)
			}
		})
	}
}

// settled is what the page's settle() answers.
type settled struct {
	OK            bool
	Value         json.RawMessage
	Name, Message string
}

// browser is a headless Chromium with one tab, and the console messages
// about CORS that the tab reported.
type browser struct {
	ctx  context.Context
	mu   sync.Mutex
	msgs []string
}

// startBrowser starts Chromium headless, without its sandbox (the tests
// run as root), on a fresh profile, with a minute for the whole test.
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok && strings.Contains(e.Entry.Text, "CORS policy") {
			b.mu.Lock()
			b.msgs = append(b.msgs, e.Entry.Text)
			b.mu.Unlock()
		}
	})
	if err == nil {
		_, err = chromedp.Call(ctx, log.Enable, cdp.Empty{})
	}
	if err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return b
}

func (b *browser) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = nil
}

// corsErrors are the CORS messages since the last reset, their URLs'
// queries (presigned credentials) cut.
func (b *browser) corsErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(b.msgs))
	for i, m := range b.msgs {
		out[i] = urlQuery.ReplaceAllString(m, "?…")
	}
	return out
}

var urlQuery = regexp.MustCompile(`\?[^'\s]*`)

// awaitCORSError waits up to d for a CORS message naming sub and answers
// the messages seen.
func (b *browser) awaitCORSError(sub string, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		msgs := b.corsErrors()
		if anyContains(msgs, sub) || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mintToken has the mock control plane mint a bearer token for project,
// allowed to get and put, as the app's backend would.
func mintToken(t *testing.T, cp *launch.ControlPlane, project string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"project_id": project, "ops": []string{"get", "put"}, "ttl_seconds": 600})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, cp.URL+"/v1/macaroons", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cp.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mint a token: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.Token == "" {
		t.Fatalf("mint a token: HTTP %d: %s", resp.StatusCode, b)
	}
	return out.Token
}

// checkPutThenGet checks the page's answer {etag, body} to a put and get
// of want at bucket/key against the bucket.
func checkPutThenGet(t *testing.T, sdk *s3.Client, value json.RawMessage, bucket, key string, want []byte) {
	t.Helper()
	var got struct{ ETag, Body string }
	if err := json.Unmarshal(value, &got); err != nil {
		t.Fatalf("answer %s: %v", value, err)
	}
	body, err := base64.StdEncoding.DecodeString(got.Body)
	if err != nil || !bytes.Equal(body, want) {
		t.Errorf("the page read back %d bytes (%v), not the %d it put", len(body), err, len(want))
	}
	etag := sdkObject(t, sdk, bucket, key, want)
	if got.ETag != etag {
		t.Errorf("the page saw ETag %q, the bucket holds %q (is ETag exposed?)", got.ETag, etag)
	}
}

// sdkObject fails unless bucket/key holds want, and returns its ETag.
func sdkObject(t *testing.T, sdk *s3.Client, bucket, key string, want []byte) string {
	t.Helper()
	out, err := sdk.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s/%s holds %d bytes, not the %d the page sent", bucket, key, len(got), len(want))
	}
	return aws.ToString(out.ETag)
}

// objectExists asks the bucket through the SDK.
func objectExists(t *testing.T, sdk *s3.Client, bucket, key string) bool {
	t.Helper()
	_, err := sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nf *types.NotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &nf):
		return false
	}
	t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	return false
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// js is s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

func anyContains(msgs []string, sub string) bool {
	for _, m := range msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}
