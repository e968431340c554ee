package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gavv/httpexpect/v2"
)

// Cases for the gateway's own presigned URLs: POST {endpoint}/v1/presign,
// authenticated by SigV4 or a bearer token, with a JSON body
// {"method","bucket","key","expires_in"}, answers 200
// {"url","method","expires_at"}; errors are JSON {"error","message"} with
// 400 (a bad request), 401 or 403 (no or insufficient authority). The URL
// allows its one method on its one object, with no other credential, until
// it expires; changed in any byte it is 403 SignatureDoesNotMatch, used with
// another method 403 SignatureDoesNotMatch, expired 403 AccessDenied.

// gpRequest is the body of POST /v1/presign.
type gpRequest struct {
	Method    string `json:"method,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
}

// gpResponse is its answer.
type gpResponse struct {
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expires_at"`
}

// gpURL is the presign endpoint.
func gpURL(e *Env) string { return strings.TrimRight(e.Target.Endpoint, "/") + "/v1/presign" }

// gpPost sends a raw body to /v1/presign signed with SigV4 by creds.
func gpPost(e *Env, creds Credentials, body []byte) *httpexpect.Response {
	return e.expect(creds).Request(http.MethodPost, "").WithURL(gpURL(e)).
		WithHeader("Content-Type", "application/json").WithBytes(body).Expect()
}

// gpPostBearer sends a raw body to /v1/presign with a bearer token.
func gpPostBearer(e *Env, token string, body []byte) *httpexpect.Response {
	return e.Gateway().POST("/v1/presign").WithHeader("Authorization", "Bearer "+token).
		WithHeader("Content-Type", "application/json").WithBytes(body).Expect()
}

// gpSignedPost sends sent to /v1/presign with a SigV4 signature, by a fresh
// signer (the SDK signer caches derived keys by access key alone, so a
// shared one would ignore a wrong secret), over signed: its
// X-Amz-Content-Sha256 is the hash of signed. The two bodies must have the
// same length.
func gpSignedPost(t T, e *Env, creds Credentials, signed, sent []byte) *httpexpect.Response {
	t.Helper()
	if len(signed) != len(sent) {
		t.Fatalf("gpSignedPost: the bodies differ in length")
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, gpURL(e), bytes.NewReader(signed))
	mustf(t, err, "build request")
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(signed)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	ac := aws.Credentials{AccessKeyID: creds.AccessKey, SecretAccessKey: creds.SecretKey}
	mustf(t, sigv4Signer().SignHTTP(t.Context(), ac, req, hash, "s3", e.Target.Region, time.Now().UTC()), "sign")
	req.Body = io.NopCloser(bytes.NewReader(sent))
	return sigv4Send(t, e, req)
}

func gpBody(t T, req gpRequest) []byte {
	t.Helper()
	b, err := json.Marshal(req)
	mustf(t, err, "encode presign request")
	return b
}

// gpDecode checks a 200 answer and decodes it.
func gpDecode(t T, resp *httpexpect.Response, req gpRequest) gpResponse {
	t.Helper()
	if st := resp.Raw().StatusCode; st != http.StatusOK {
		t.Fatalf("POST /v1/presign %+v: HTTP %d, want 200\nbody: %s", req, st, quoteIfString(resp.Body().Raw()))
	}
	var out gpResponse
	if err := json.Unmarshal([]byte(resp.Body().Raw()), &out); err != nil {
		t.Fatalf("POST /v1/presign answer is not JSON {url, method, expires_at}: %v\nbody: %s", err, resp.Body().Raw())
	}
	if out.URL == "" {
		t.Fatalf("POST /v1/presign answer has no url: %s", resp.Body().Raw())
	}
	eq(t, "answer's method", out.Method, req.Method)
	return out
}

// gpMint mints a URL with SigV4 credentials and fails the case unless it
// gets one.
func gpMint(t T, e *Env, creds Credentials, req gpRequest) gpResponse {
	t.Helper()
	if req.ExpiresIn == 0 {
		req.ExpiresIn = 600
	}
	return gpDecode(t, gpPost(e, creds, gpBody(t, req)), req)
}

// gpWantError fails the case unless resp has the status and a JSON error
// document {"error","message"} with a non-empty error, and no URL.
func gpWantError(t T, resp *httpexpect.Response, statuses ...int) (code, message string) {
	t.Helper()
	st := resp.Raw().StatusCode
	ok := false
	for _, s := range statuses {
		ok = ok || st == s
	}
	if !ok {
		t.Fatalf("POST /v1/presign: HTTP %d, want one of %v\nbody: %s", st, statuses, quoteIfString(resp.Body().Raw()))
	}
	var doc struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		URL     string `json:"url"`
	}
	if err := json.Unmarshal([]byte(resp.Body().Raw()), &doc); err != nil {
		t.Fatalf("POST /v1/presign error is not JSON {error, message}: %v\nbody: %s", err, quoteIfString(resp.Body().Raw()))
	}
	if doc.Error == "" {
		t.Fatalf("POST /v1/presign error document has no \"error\": %s", resp.Body().Raw())
	}
	if doc.URL != "" {
		t.Fatalf("POST /v1/presign refused the request (HTTP %d) yet issued a URL", st)
	}
	return doc.Error, doc.Message
}

// gpBucket makes a bucket of Full's project holding "k" = "full's object".
func gpBucket(e *Env) string {
	b := e.NewBucket()
	e.PutString(b, "k", "full's object")
	return b
}

// gpCase runs check against a bucket of Full's project holding "k".
func gpCase(id, desc string, opNames []string, check func(t T, e *Env, bucket string)) Case {
	return Case{
		ID: "gateway-presign/" + id, Feature: GatewayPresign, Ops: opNames, Desc: desc,
		Run: func(t T, e *Env) {
			check(t, e, gpBucket(e))
		},
	}
}

// gpTamperCase mints a GET URL for "k", changes it with tamper and checks
// the result is 403 SignatureDoesNotMatch.
func gpTamperCase(id, desc string, tamper func(t T, e *Env, bucket, u string) string) Case {
	return gpCase("tamper/"+id, desc, ops("Presign", "GetObject"), func(t T, e *Env, b string) {
		e.PutString(b, "j", "another object")
		u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k"}).URL
		presignDo(t, e, http.MethodGet, u, nil).Status(http.StatusOK)
		bad := tamper(t, e, b, u)
		if bad == u {
			t.Fatalf("tampering left the URL unchanged: %s", u)
		}
		wantError(t, presignDo(t, e, http.MethodGet, bad, nil), http.StatusForbidden, "SignatureDoesNotMatch")
	})
}

// gpQueryParam returns the value of a query parameter of u, failing the
// case when it has none.
func gpQueryParam(t T, u, name string) string {
	t.Helper()
	pu, err := url.Parse(u)
	mustf(t, err, "parse presigned URL")
	v := pu.Query().Get(name)
	if v == "" {
		t.Skipf("the presigned URL has no %s parameter (this case edits it): %s", name, u)
	}
	return v
}

func init() {
	register(
		gpCase("use/get",
			"a URL minted for GET reads the object with plain HTTP and no credentials",
			ops("Presign", "GetObject"), gatewayPresignUseGet),
		gpCase("use/put",
			"a URL minted for PUT stores the body sent to it with plain HTTP and no credentials",
			ops("Presign", "PutObject"), gatewayPresignUsePut),
		gpCase("use/head",
			"a URL minted for HEAD answers 200 with the object's length and ETag and no body",
			ops("Presign", "HeadObject"), gatewayPresignUseHead),
		gpCase("use/delete",
			"a URL minted for DELETE removes the object with plain HTTP and no credentials",
			ops("Presign", "DeleteObject"), gatewayPresignUseDelete),
		gpCase("answer/url",
			"the answer names the method, the URL's host is the endpoint's, and the URL's path ends with the bucket and key",
			ops("Presign"), gatewayPresignAnswerUrl),
		gpCase("expires-at",
			"the answer's expires_at is within a second of the time of the request plus expires_in",
			ops("Presign"), gatewayPresignExpiresAt),
		gpCase("expired",
			"a URL used after it expired is refused with 403 AccessDenied saying it expired",
			ops("Presign", "GetObject"), gatewayPresignExpired),
		gpCase("expires/max",
			"expires_in 604800 (seven days) is accepted and the URL works",
			ops("Presign", "GetObject"), gatewayPresignExpiresMax),
		gpTamperCase("signature",
			"a URL whose signature was changed in one hex digit is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperSignature),
		gpTamperCase("path",
			"a URL whose key was changed to another existing object is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperPath),
		gpTamperCase("bucket",
			"a URL whose bucket was changed to another bucket of the project is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperBucket),
		gpTamperCase("expiry",
			"a URL whose expiry parameter was pushed later is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperExpiry),
		gpTamperCase("project",
			"a URL whose project parameter was changed is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperProject),
		gpTamperCase("extra-query",
			"a URL with a query parameter added after minting is refused with 403 SignatureDoesNotMatch",
			gatewayPresignTamperExtraQuery),
		gpCase("wrong-method/get-url-put",
			"a URL minted for GET used to PUT is refused with 403 SignatureDoesNotMatch and stores nothing",
			ops("Presign", "PutObject"), gatewayPresignWrongMethodGetUrlPut),
		gpCase("wrong-method/get-url-delete",
			"a URL minted for GET used to DELETE is refused with 403 SignatureDoesNotMatch and deletes nothing",
			ops("Presign", "DeleteObject"), gatewayPresignWrongMethodGetUrlDelete),
		gpCase("wrong-method/put-url-get",
			"a URL minted for PUT used to GET is refused with 403 SignatureDoesNotMatch",
			ops("Presign", "GetObject"), gatewayPresignWrongMethodPutUrlGet),
		gpCase("bad-request/expires-too-long",
			"expires_in 604801 (over seven days) is refused with 400 and a JSON error",
			ops("Presign"), gatewayPresignBadRequestExpiresTooLong),
	)
	for _, bad := range []struct{ name, desc, body string }{
		{"missing-method", "a request without method", `{"bucket":"BUCKET","key":"k","expires_in":60}`},
		{"missing-bucket", "a request without bucket", `{"method":"GET","key":"k","expires_in":60}`},
		{"missing-key", "a request without key", `{"method":"GET","bucket":"BUCKET","expires_in":60}`},
		{"missing-expires", "a request without expires_in", `{"method":"GET","bucket":"BUCKET","key":"k"}`},
		{"zero-expires", "expires_in 0", `{"method":"GET","bucket":"BUCKET","key":"k","expires_in":0}`},
		{"negative-expires", "a negative expires_in", `{"method":"GET","bucket":"BUCKET","key":"k","expires_in":-5}`},
		{"unsupported-method", "method PATCH (only GET, PUT, HEAD, DELETE and POST forms are minted)", `{"method":"PATCH","bucket":"BUCKET","key":"k","expires_in":60}`},
		{"not-json", "a body that is not JSON", `method=GET&bucket=BUCKET&key=k`},
	} {
		register(gpCase("bad-request/"+bad.name,
			bad.desc+" is refused with 400 and a JSON error, and no URL",
			ops("Presign"), gatewayPresignBadRequest(bad.body)))
	}
	register(
		gpCase("auth/anonymous",
			"an unauthenticated POST /v1/presign is refused with 401 or 403 and a JSON error, and no URL",
			ops("Presign"), gatewayPresignAuthAnonymous),
		gpCase("auth/wrong-secret",
			"a POST /v1/presign signed with a wrong secret key is refused with 403 SignatureDoesNotMatch as a JSON error, and no URL",
			ops("Presign"), gatewayPresignAuthWrongSecret),
		gpCase("auth/body-not-signed",
			"a POST /v1/presign whose body differs from the body its SigV4 signature covers (X-Amz-Content-Sha256) is refused with 400 or 403, and no URL",
			ops("Presign"), gatewayPresignAuthBodyNotSigned),
		gpCase("auth/bearer-token",
			"a URL minted with a bearer token of the bucket's project works like one minted with SigV4",
			ops("Presign", "GetObject"), gatewayPresignAuthBearerToken),
		gpCase("auth/bearer-token-expiry-cap",
			"a URL minted with a bearer token expires with the token: expires_at is capped at the token's expiry and the URL is refused with 403 AccessDenied once it has passed",
			ops("Presign", "GetObject"), gatewayPresignAuthBearerTokenExpiryCap),
		gpCase("auth/bearer-token-outside-caveats",
			"a bearer token without the put op cannot mint a PUT URL: 403 and a JSON error, and no URL",
			ops("Presign"), gatewayPresignAuthBearerTokenOutsideCaveats),
		gpCase("scope/read-only-put",
			"read-only credentials mint GET URLs but not PUT URLs: 403 and a JSON error, and no URL",
			ops("Presign"), gatewayPresignScopeReadOnlyPut),
		gpCase("scope/scoped-outside-prefix",
			"credentials scoped to a bucket and prefix mint URLs inside their prefix only: outside it, or in another bucket, 403 and a JSON error",
			ops("Presign", "PutObject"), gatewayPresignScopeScopedOutsidePrefix),
		gpCase("scope/other-project-bucket",
			"credentials of another project cannot mint a URL for a bucket of Full's project: 403 and a JSON error",
			ops("Presign"), gatewayPresignScopeOtherProjectBucket),
	)
	for _, k := range []struct{ name, key string }{
		{"space", "with space/a b.txt"},
		{"plus", "plus+sign/a+b"},
		{"unicode", "ünïcødé/日本語/ключ"},
		{"sub-delims", "odd/!$&'()*,;=@:"},
	} {
		register(gpCase("special-key/"+k.name,
			"URLs minted for a key with "+k.name+" characters PUT and GET that exact key",
			ops("Presign", "PutObject", "GetObject"), gatewayPresignSpecialKey(k.key)))
	}
}

func gatewayPresignUseGet(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k"}).URL
	resp := presignDo(t, e, http.MethodGet, u, nil)
	resp.Status(http.StatusOK)
	resp.Body().IsEqual("full's object")
	resp.Header("ETag").IsEqual(md5ETag([]byte("full's object")))
}

func gatewayPresignUsePut(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodPut, Bucket: b, Key: "up/new"}).URL
	body := []byte("uploaded through a gateway presigned URL")
	resp := presignDo(t, e, http.MethodPut, u, body)
	resp.Status(http.StatusOK)
	resp.Header("ETag").IsEqual(md5ETag(body))
	eq(t, "stored body", string(e.Get(b, "up/new")), string(body))
}

func gatewayPresignUseHead(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodHead, Bucket: b, Key: "k"}).URL
	resp := presignDo(t, e, http.MethodHead, u, nil)
	resp.Status(http.StatusOK)
	wantContentLength(t, resp, len("full's object"))
	resp.Header("ETag").IsEqual(md5ETag([]byte("full's object")))
	resp.Body().IsEmpty()
}

func gatewayPresignUseDelete(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodDelete, Bucket: b, Key: "k"}).URL
	presignDo(t, e, http.MethodDelete, u, nil).Status(http.StatusNoContent)
	wantAbsent(t, e, b, "k")
}

func gatewayPresignAnswerUrl(t T, e *Env, b string) {
	out := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "dir/k"})
	pu, err := url.Parse(out.URL)
	mustf(t, err, "parse the minted URL")
	ep, _ := url.Parse(e.Target.Endpoint)
	eq(t, "URL scheme", pu.Scheme, ep.Scheme)
	eq(t, "URL host", pu.Host, ep.Host)
	if !strings.HasSuffix(pu.Path, "/"+b+"/dir/k") {
		t.Fatalf("URL path %q does not end with /%s/dir/k", pu.Path, b)
	}
}

func gatewayPresignExpiresAt(t T, e *Env, b string) {
	before := time.Now()
	out := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k", ExpiresIn: 3600})
	after := time.Now()
	lo, hi := before.Add(3600*time.Second-time.Second), after.Add(3600*time.Second+time.Second)
	if out.ExpiresAt.Before(lo) || out.ExpiresAt.After(hi) {
		t.Fatalf("expires_at = %v, want between %v and %v", out.ExpiresAt, lo.UTC(), hi.UTC())
	}
}

func gatewayPresignExpired(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k", ExpiresIn: 1}).URL
	time.Sleep(2100 * time.Millisecond)
	doc := wantError(t, presignDo(t, e, http.MethodGet, u, nil), http.StatusForbidden, "AccessDenied")
	if !strings.Contains(strings.ToLower(doc.Message), "expired") {
		t.Fatalf("error message %q does not say the URL expired", doc.Message)
	}
}

func gatewayPresignExpiresMax(t T, e *Env, b string) {
	out := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k", ExpiresIn: 604800})
	presignDo(t, e, http.MethodGet, out.URL, nil).Status(http.StatusOK)
}

func gatewayPresignTamperSignature(t T, e *Env, b, u string) string {
	gpQueryParam(t, u, "X-Gw-Signature")
	return presignEditQuery(t, u, "X-Gw-Signature", func(v string) (string, bool) { return presignFlipHex(v), true })
}

func gatewayPresignTamperPath(t T, e *Env, b, u string) string {
	return strings.Replace(u, "/"+b+"/k?", "/"+b+"/j?", 1)
}

func gatewayPresignTamperBucket(t T, e *Env, b, u string) string {
	other := e.NewBucket()
	e.PutString(other, "k", "other bucket")
	return strings.Replace(u, "/"+b+"/k?", "/"+other+"/k?", 1)
}

func gatewayPresignTamperExpiry(t T, e *Env, b, u string) string {
	v, err := strconv.ParseInt(gpQueryParam(t, u, "X-Gw-Expires"), 10, 64)
	mustf(t, err, "X-Gw-Expires is not a number")
	return presignEditQuery(t, u, "X-Gw-Expires", func(string) (string, bool) { return strconv.FormatInt(v+86400, 10), true })
}

func gatewayPresignTamperProject(t T, e *Env, b, u string) string {
	gpQueryParam(t, u, "X-Gw-Project")
	other := e.Target.OtherProject
	if other == "" {
		other = "someone-else"
	}
	return presignEditQuery(t, u, "X-Gw-Project", func(string) (string, bool) { return url.QueryEscape(other), true })
}

func gatewayPresignTamperExtraQuery(t T, e *Env, b, u string) string {
	base, q, _ := strings.Cut(u, "?")
	return base + "?response-content-type=text%2Fhtml&" + q
}

func gatewayPresignWrongMethodGetUrlPut(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k"}).URL
	wantError(t, presignDo(t, e, http.MethodPut, u, []byte("overwritten")), http.StatusForbidden, "SignatureDoesNotMatch")
	eq(t, "object body", string(e.Get(b, "k")), "full's object")
}

func gatewayPresignWrongMethodGetUrlDelete(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k"}).URL
	wantError(t, presignDo(t, e, http.MethodDelete, u, nil), http.StatusForbidden, "SignatureDoesNotMatch")
	if !objectExists(t, e, b, "k") {
		t.Fatalf("a GET URL deleted the object")
	}
}

func gatewayPresignWrongMethodPutUrlGet(t T, e *Env, b string) {
	u := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodPut, Bucket: b, Key: "k"}).URL
	wantError(t, presignDo(t, e, http.MethodGet, u, nil), http.StatusForbidden, "SignatureDoesNotMatch")
}

func gatewayPresignBadRequestExpiresTooLong(t T, e *Env, b string) {
	gpWantError(t, gpPost(e, e.Target.Full, gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 604801})), http.StatusBadRequest)
}

// gatewayPresignBadRequest makes the gateway-presign/bad-request/* case of
// one JSON body, with BUCKET standing for the case's bucket.
func gatewayPresignBadRequest(template string) func(t T, e *Env, b string) {
	return func(t T, e *Env, b string) {
		body := []byte(strings.ReplaceAll(template, "BUCKET", b))
		gpWantError(t, gpPost(e, e.Target.Full, body), http.StatusBadRequest)
	}
}

func gatewayPresignAuthAnonymous(t T, e *Env, b string) {
	resp := e.Gateway().POST("/v1/presign").WithHeader("Content-Type", "application/json").
		WithBytes(gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 60})).Expect()
	gpWantError(t, resp, http.StatusUnauthorized, http.StatusForbidden)
}

func gatewayPresignAuthWrongSecret(t T, e *Env, b string) {
	creds := Credentials{AccessKey: e.Target.Full.AccessKey, SecretKey: e.Target.Full.SecretKey + "x"}
	body := gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 60})
	code, _ := gpWantError(t, gpSignedPost(t, e, creds, body, body), http.StatusForbidden)
	eq(t, "error", code, "SignatureDoesNotMatch")
}

func gatewayPresignAuthBodyNotSigned(t T, e *Env, b string) {
	signed := gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 60})
	sent := gpBody(t, gpRequest{Method: "PUT", Bucket: b, Key: "k", ExpiresIn: 60})
	gpWantError(t, gpSignedPost(t, e, e.Target.Full, signed, sent), http.StatusBadRequest, http.StatusForbidden)
}

func gatewayPresignAuthBearerToken(t T, e *Env, b string) {
	macNeed(t, e)
	tok := macToken(t, e, b, "", "get")
	req := gpRequest{Method: http.MethodGet, Bucket: b, Key: "k", ExpiresIn: 600}
	out := gpDecode(t, gpPostBearer(e, tok, gpBody(t, req)), req)
	presignDo(t, e, http.MethodGet, out.URL, nil).Status(http.StatusOK).Body().IsEqual("full's object")
}

func gatewayPresignAuthBearerTokenExpiryCap(t T, e *Env, b string) {
	macNeed(t, e)
	tok := cpMint(t, e, cpMintRequest{ProjectID: e.Target.Project, Bucket: b, Ops: []string{"get"}, TTLSeconds: 3})
	minted := time.Now()
	req := gpRequest{Method: http.MethodGet, Bucket: b, Key: "k", ExpiresIn: 7 * 24 * 3600}
	out := gpDecode(t, gpPostBearer(e, tok, gpBody(t, req)), req)
	if limit := minted.Add(4 * time.Second); out.ExpiresAt.After(limit) {
		t.Fatalf("expires_at = %v: the URL outlives the 3-second token that minted it", out.ExpiresAt)
	}
	presignDo(t, e, http.MethodGet, out.URL, nil).Status(http.StatusOK)
	time.Sleep(time.Until(out.ExpiresAt.Add(1100 * time.Millisecond)))
	doc := wantError(t, presignDo(t, e, http.MethodGet, out.URL, nil), http.StatusForbidden, "AccessDenied")
	if !strings.Contains(strings.ToLower(doc.Message), "expired") {
		t.Fatalf("error message %q does not say the URL expired", doc.Message)
	}
}

func gatewayPresignAuthBearerTokenOutsideCaveats(t T, e *Env, b string) {
	macNeed(t, e)
	tok := macToken(t, e, b, "", "get")
	gpWantError(t, gpPostBearer(e, tok, gpBody(t, gpRequest{Method: "PUT", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
}

func gatewayPresignScopeReadOnlyPut(t T, e *Env, b string) {
	tenNeed(t, e, "read-only", e.Target.ReadOnly)
	gpMint(t, e, e.Target.ReadOnly, gpRequest{Method: http.MethodGet, Bucket: b, Key: "k"})
	gpWantError(t, gpPost(e, e.Target.ReadOnly, gpBody(t, gpRequest{Method: "PUT", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
	gpWantError(t, gpPost(e, e.Target.ReadOnly, gpBody(t, gpRequest{Method: "DELETE", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
}

func gatewayPresignScopeScopedOutsidePrefix(t T, e *Env, b string) {
	sb, prefix := tenScoped(t, e)
	out := gpMint(t, e, e.Target.Scoped, gpRequest{Method: http.MethodPut, Bucket: sb, Key: prefix + "in"})
	presignDo(t, e, http.MethodPut, out.URL, []byte("inside")).Status(http.StatusOK)
	gpWantError(t, gpPost(e, e.Target.Scoped, gpBody(t, gpRequest{Method: "PUT", Bucket: sb, Key: "outside-" + runID, ExpiresIn: 60})), http.StatusForbidden)
	gpWantError(t, gpPost(e, e.Target.Scoped, gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
}

func gatewayPresignScopeOtherProjectBucket(t T, e *Env, b string) {
	tenNeed(t, e, "other-project", e.Target.Other)
	gpWantError(t, gpPost(e, e.Target.Other, gpBody(t, gpRequest{Method: "GET", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
	gpWantError(t, gpPost(e, e.Target.Other, gpBody(t, gpRequest{Method: "PUT", Bucket: b, Key: "k", ExpiresIn: 60})), http.StatusForbidden)
}

// gatewayPresignSpecialKey makes the gateway-presign/special-key/* case of
// one key.
func gatewayPresignSpecialKey(key string) func(t T, e *Env, b string) {
	return func(t T, e *Env, b string) {
		body := []byte("key " + key)
		put := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodPut, Bucket: b, Key: key}).URL
		presignDo(t, e, http.MethodPut, put, body).Status(http.StatusOK)
		eq(t, "body stored under the exact key", string(e.Get(b, key)), string(body))
		get := gpMint(t, e, e.Target.Full, gpRequest{Method: http.MethodGet, Bucket: b, Key: key}).URL
		presignDo(t, e, http.MethodGet, get, nil).Status(http.StatusOK).Body().IsEqual(string(body))
	}
}
