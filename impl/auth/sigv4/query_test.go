package sigv4

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/s3gw/gateway/impl/s3err"
)

// presignedExpires presigns a GET whose X-Amz-Expires is the given text,
// so that only that parameter can be wrong.
func presignedExpires(t *testing.T, at time.Time, expires string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
	r.URL.RawQuery = url.Values{"X-Amz-Expires": {expires}}.Encode()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, _, err := signer.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSecret},
		r, UnsignedPayload, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodGet, u, nil)
}

// wantError fails unless err is the S3 error code with a message starting
// with msg ("" for any).
func wantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	e, ok := s3err.As(err)
	if !ok || e.Code != code || !strings.HasPrefix(e.Message, msg) {
		t.Errorf("%s: %v, want %s %q", what, err, code, msg)
	}
}

// TestPresignExpiresFormat: X-Amz-Expires is decimal digits only. S3 answers
// "should be a number" for 21600.0 and undefined
// (kitware-resonant/cookiecutter-resonant#369, minio/minio-js#1312) and
// "must be non-negative" for a negative number (fog/fog#3528); the other
// refusals (a sign, a space) are the gateway's own strictness.
func TestPresignExpiresFormat(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	const (
		notNumber   = "X-Amz-Expires should be a number"
		negative    = "X-Amz-Expires must be non-negative"
		overAWeek   = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
		accepted    = ""
		queryParams = "AuthorizationQueryParametersError"
	)
	for _, c := range []struct{ expires, msg string }{
		{"900", accepted},
		{"0900", accepted},
		{"604800", accepted},
		{"604801", overAWeek},
		{"9223372036854775807", overAWeek},
		{"9223372036854775808", notNumber},
		{"99999999999999999999", notNumber},
		{"+5", notNumber},
		{" 5", notNumber},
		{"5 ", notNumber},
		{"5.0", notNumber},
		{"21600.0", notNumber},
		{"5e2", notNumber},
		{"0x10", notNumber},
		{"undefined", notNumber},
		{"-", notNumber},
		{"--5", notNumber},
		{"-5", negative},
		{"-0", negative},
		{"-1428703005", negative},
		{"-99999999999999999999", notNumber},
	} {
		_, err := v.Verify(presignedExpires(t, now, c.expires))
		if c.msg == accepted {
			if err != nil {
				t.Errorf("X-Amz-Expires=%q: %v, want accepted", c.expires, err)
			}
			continue
		}
		wantError(t, "X-Amz-Expires="+c.expires, err, queryParams, c.msg)
		if e, _ := s3err.As(err); e != nil && e.Message != c.msg {
			t.Errorf("X-Amz-Expires=%q: message %q, want %q", c.expires, e.Message, c.msg)
		}
	}
}

// TestPresignDuplicateParams: a presigned URL that gives one of its
// authentication parameters twice is refused, naming it, whichever value
// the signature covers (no S3 evidence: S3's answer is unknown; MinIO and
// others read the first value, which lets the two parts of the gateway
// that read the query disagree).
func TestPresignDuplicateParams(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	good := presigned(t, "/s3/b/k", now, time.Hour)
	if _, err := v.Verify(good); err != nil {
		t.Fatalf("the presigned URL itself was refused: %v", err)
	}
	q := good.URL.Query()
	for _, name := range []string{"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Algorithm"} {
		for _, second := range []string{q.Get(name), "other"} {
			r := httptest.NewRequest(http.MethodGet, good.URL.String(), nil)
			r.URL.RawQuery += "&" + name + "=" + url.QueryEscape(second)
			_, err := v.Verify(r)
			wantError(t, name+" twice", err, "AuthorizationQueryParametersError", name)
		}
		// First in the query or last, it is the same refusal.
		r := httptest.NewRequest(http.MethodGet, good.URL.String(), nil)
		r.URL.RawQuery = name + "=" + url.QueryEscape(q.Get(name)) + "&" + r.URL.RawQuery
		_, err := v.Verify(r)
		wantError(t, name+" twice, first", err, "AuthorizationQueryParametersError", name)
	}
}

// TestDuplicateSigningHeaders: a header-signed request that gives
// x-amz-date (or Date, when it stands in) or x-amz-content-sha256 twice is
// refused rather than verified against one of the values (gateway-only: no
// S3 evidence exists).
func TestDuplicateSigningHeaders(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	for _, name := range []string{"X-Amz-Date", "X-Amz-Content-Sha256"} {
		r := signed(t, "GET", "/s3/b/k", nil, now, nil)
		r.Header.Add(name, r.Header.Get(name))
		_, err := v.Verify(r)
		wantError(t, name+" twice", err, "InvalidArgument", "Only one "+strings.ToLower(name)+" header is allowed.")
	}
	// Date counts only when it is the request's timestamp.
	r := signed(t, "GET", "/s3/b/k", nil, now, nil)
	r.Header.Add("Date", now.Format(http.TimeFormat))
	r.Header.Add("Date", now.Format(http.TimeFormat))
	if _, err := v.Verify(r); err != nil {
		t.Errorf("two Date headers beside x-amz-date: %v", err)
	}
	r = httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
	r.Header.Add("Date", now.Format(http.TimeFormat))
	r.Header.Add("Date", now.Format(http.TimeFormat))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+exampleAK+"/20261128/us-east-1/s3/aws4_request, SignedHeaders=date;host, Signature="+strings.Repeat("0", 64))
	_, err := v.Verify(r)
	wantError(t, "Date twice without x-amz-date", err, "InvalidArgument", "Only one date header is allowed.")

	// A presigned request may carry x-amz-content-sha256 as a header; twice
	// is refused there too.
	r = presigned(t, "/s3/b/k", now, time.Hour)
	r.Header.Add("X-Amz-Content-Sha256", UnsignedPayload)
	r.Header.Add("X-Amz-Content-Sha256", UnsignedPayload)
	_, err = v.Verify(r)
	wantError(t, "presigned with x-amz-content-sha256 twice", err, "InvalidArgument", "Only one x-amz-content-sha256 header is allowed.")

	// And so is an unauthenticated body's framing.
	r = httptest.NewRequest(http.MethodPut, "/s3/b/k", strings.NewReader("x"))
	r.Header.Add("X-Amz-Content-Sha256", UnsignedPayload)
	r.Header.Add("X-Amz-Content-Sha256", StreamingUnsignedTrailer)
	wantError(t, "anonymous x-amz-content-sha256 twice", WrapAnonymousBody(r), "InvalidArgument", "Only one x-amz-content-sha256 header is allowed.")
}
