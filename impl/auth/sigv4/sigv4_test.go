package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/s3err"
)

// The key of AWS's S3 signing examples.
const (
	exampleAK     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func exampleVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:  "us-east-1",
		MaxSkew: 15 * time.Minute,
		Now:     func() time.Time { return now },
		Lookup: func(_ context.Context, ak string) (*credentials.Record, error) {
			if ak != exampleAK {
				return nil, credentials.ErrUnknownKey
			}
			return &credentials.Record{AccessKey: ak, SecretKey: exampleSecret, ProjectID: "p"}, nil
		},
	}
}

func signedChunk(size int, sig string) string {
	return fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n", size, sig, strings.Repeat("a", size))
}

// TestAWSStreamingExample verifies the chunk-signed upload of AWS's
// "Transferring payload in multiple chunks" example: 66560 bytes of 'a' in
// chunks of 65536, 1024 and 0 bytes, with the published signatures.
func TestAWSStreamingExample(t *testing.T) {
	body := signedChunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
		signedChunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
	newReq := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPut, "http://s3.amazonaws.com/examplebucket/chunkObject.txt", strings.NewReader(body))
		r.Host = "s3.amazonaws.com"
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Content-Sha256", StreamingSigned)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Content-Length", "66824")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
			"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
		return r
	}
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes", len(body))
	}
	v := exampleVerifier(exampleTime)
	r := newReq(body)
	res, err := v.Verify(r)
	if err != nil {
		t.Fatalf("the documented request was refused: %v", err)
	}
	if err := res.WrapBody(r); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || string(got) != strings.Repeat("a", 66560) {
		t.Fatalf("decoded %d bytes, %v", len(got), err)
	}

	// Any change to the data or a signature fails the read.
	for name, tampered := range map[string]string{
		"data":            strings.Replace(body, "aaaa", "aaab", 1),
		"chunk signature": strings.Replace(body, "0055627c", "1055627c", 1),
		"final signature": strings.Replace(body, "b6c6ea8a", "c6c6ea8a", 1),
		"dropped chunk":   signedChunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") + "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
	} {
		r := newReq(tampered)
		r.Header.Del("Content-Length") // not what this checks
		r.Header.Set("Content-Length", "66824")
		res, err := v.Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		res.WrapBody(r)
		_, err = io.ReadAll(r.Body)
		if e, ok := s3err.As(err); !ok || e.Code != "SignatureDoesNotMatch" {
			t.Errorf("%s: read error %v, want SignatureDoesNotMatch", name, err)
		}
	}
	for name, broken := range map[string]string{
		"truncated":          body[:40000],
		"no final chunk":     body[:len(body)-len("0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")],
		"bad size":           "zz" + body[5:],
		"missing CRLF":       strings.Replace(body, "\r\n400;", "400;", 1),
		"missing signature":  strings.Replace(body, ";chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648", "", 1),
		"huge chunk header":  "10000;" + strings.Repeat("x", 5000) + "\r\n",
		"negative size":      "-1;chunk-signature=" + strings.Repeat("0", 64) + "\r\n",
		"overlong size hex":  "00000000000000010000;chunk-signature=" + strings.Repeat("0", 64) + "\r\n",
		"final without CRLF": strings.TrimSuffix(body, "\r\n"),
	} {
		r := newReq(broken)
		res, err := v.Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		res.WrapBody(r)
		_, err = io.ReadAll(r.Body)
		if e, ok := s3err.As(err); !ok || e.Code != "IncompleteBody" {
			t.Errorf("%s: read error %v, want IncompleteBody", name, err)
		}
	}
}

// TestAWSStreamingTrailerExample checks the chunk and trailer signature
// chain of AWS's "signed payload with trailing checksum" example, starting
// from its published seed signature.
func TestAWSStreamingTrailerExample(t *testing.T) {
	const seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	body := signedChunk(65536, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2") +
		signedChunk(1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7") +
		"0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n" +
		"x-amz-checksum-crc32c:sOO8/Q==\r\n" +
		"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
	decode := func(body string) (string, http.Header, error) {
		r := httptest.NewRequest(http.MethodPut, "/examplebucket/chunkObject.txt", strings.NewReader(body))
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		res := &Result{PayloadHash: StreamingSignedTrailer, seed: chainSeed{
			key:       deriveKey(exampleSecret, "20130524", "us-east-1", "s3"),
			date:      "20130524T000000Z",
			scope:     "20130524/us-east-1/s3/aws4_request",
			signature: seed,
		}}
		if err := res.WrapBody(r); err != nil {
			return "", nil, err
		}
		got, err := io.ReadAll(r.Body)
		return string(got), r.Trailer, err
	}
	got, trailer, err := decode(body)
	if err != nil || got != strings.Repeat("a", 66560) || trailer.Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
		t.Fatalf("decoded %d bytes, trailer %v, %v", len(got), trailer, err)
	}
	cases := map[string]struct {
		body string
		code string
	}{
		"changed trailer value":    {strings.Replace(body, "sOO8/Q==", "sOO8/A==", 1), "SignatureDoesNotMatch"},
		"changed trailer sig":      {strings.Replace(body, "d81f82fc", "e81f82fc", 1), "SignatureDoesNotMatch"},
		"missing trailer sig":      {strings.Replace(body, "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n", "", 1), "MalformedTrailerError"},
		"undeclared trailer":       {strings.Replace(body, "x-amz-checksum-crc32c:", "x-amz-checksum-sha1:", 1), "MalformedTrailerError"},
		"declared trailer missing": {strings.Replace(body, "x-amz-checksum-crc32c:sOO8/Q==\r\n", "", 1), "MalformedTrailerError"},
		"trailer without colon":    {strings.Replace(body, "x-amz-checksum-crc32c:", "x-amz-checksum-crc32c ", 1), "MalformedTrailerError"},
	}
	for name, c := range cases {
		_, _, err := decode(c.body)
		if e, ok := s3err.As(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

func TestUnsignedTrailer(t *testing.T) {
	body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
	r := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedTrailer)
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	if err := WrapAnonymousBody(r); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || string(got) != "hello" || r.Trailer.Get("X-Amz-Checksum-Crc32") != "NhCmhg==" {
		t.Fatalf("%q %v %v", got, r.Trailer, err)
	}
}

func TestDigestPayload(t *testing.T) {
	// An empty body is checked when read, like any other.
	for _, body := range []io.ReadCloser{nil, http.NoBody} {
		r := httptest.NewRequest(http.MethodPut, "/b/k", nil)
		r.Body = body
		if err := (&Result{PayloadHash: strings.Repeat("0", 64)}).WrapBody(r); err != nil {
			t.Fatalf("empty body with another digest refused before it is read: %v", err)
		}
		if _, err := io.ReadAll(r.Body); !errors.Is(err, s3err.XAmzContentSHA256Mismatch) {
			t.Errorf("empty body with another digest read: %v, want XAmzContentSHA256Mismatch", err)
		}
		r.Body = body
		if err := (&Result{PayloadHash: emptySHA256}).WrapBody(r); err != nil || r.Body != body {
			t.Errorf("empty body with its digest: %v, body %T replaced", err, r.Body)
		}
	}
	sum := sha256.Sum256([]byte("hello"))
	for _, c := range []struct {
		body, hash string
		ok         bool
	}{
		{"hello", hex.EncodeToString(sum[:]), true},
		{"hellO", hex.EncodeToString(sum[:]), false},
	} {
		r := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader(c.body))
		if err := (&Result{PayloadHash: c.hash}).WrapBody(r); err != nil {
			t.Fatal(err)
		}
		_, err := io.ReadAll(r.Body)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, s3err.XAmzContentSHA256Mismatch)) {
			t.Errorf("body %q: %v", c.body, err)
		}
	}
}

// signed returns a request signed by the AWS SDK's signer at t.
func signed(t *testing.T, method, url string, body []byte, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, url, bytes.NewReader(body))
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	if mutate != nil {
		mutate(r)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSecret},
		r, hash, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func presigned(t *testing.T, url string, at time.Time, expires time.Duration) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, url, nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(int(expires.Seconds())))
	r.URL.RawQuery = q.Encode()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, _, err := signer.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSecret},
		r, UnsignedPayload, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodGet, u, nil)
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	skew := 15 * time.Minute
	cases := []struct {
		name string
		req  func() *http.Request
		code string
	}{
		{"valid", func() *http.Request { return signed(t, "GET", "/s3/b/k?list-type=2&prefix=a%2Fb", nil, now, nil) }, ""},
		{"special key", func() *http.Request { return signed(t, "GET", "/s3/b/a%20b%2Bc%25d/%E6%97%A5", nil, now, nil) }, ""},
		{"skew edge past", func() *http.Request { return signed(t, "GET", "/s3/b/k", nil, now.Add(-skew+time.Second), nil) }, ""},
		{"skew edge future", func() *http.Request { return signed(t, "GET", "/s3/b/k", nil, now.Add(skew-time.Second), nil) }, ""},
		{"too old", func() *http.Request { return signed(t, "GET", "/s3/b/k", nil, now.Add(-skew-time.Second), nil) }, "RequestTimeTooSkewed"},
		{"too new", func() *http.Request { return signed(t, "GET", "/s3/b/k", nil, now.Add(skew+time.Second), nil) }, "RequestTimeTooSkewed"},
		{"header changed after signing", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, func(r *http.Request) { r.Header.Set("Range", "bytes=0-1") })
			r.Header.Set("Range", "bytes=0-2")
			return r
		}, "SignatureDoesNotMatch"},
		{"path changed after signing", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.URL.Path, r.URL.RawPath = "/s3/b/j", ""
			return r
		}, "SignatureDoesNotMatch"},
		{"unsigned x-amz header", func() *http.Request {
			r := signed(t, "PUT", "/s3/b/k", nil, now, nil)
			r.Header.Set("X-Amz-Copy-Source", "other/secret")
			return r
		}, "AccessDenied"},
		{"unknown key", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), exampleAK, "NOPE", 1))
			return r
		}, "InvalidAccessKeyId"},
		{"wrong region", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "us-east-1", "eu-west-1", 1))
			return r
		}, "AuthorizationHeaderMalformed"},
		{"wrong service", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/ec2/", 1))
			return r
		}, "AuthorizationHeaderMalformed"},
		{"scope date differs", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261128/", "/20261127/", 1))
			return r
		}, "AuthorizationHeaderMalformed"},
		{"no date", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Del("X-Amz-Date")
			return r
		}, "AccessDenied"},
		{"no content sha", func() *http.Request {
			r := signed(t, "GET", "/s3/b/k", nil, now, nil)
			r.Header.Del("X-Amz-Content-Sha256")
			return r
		}, "InvalidRequest"},
		{"session token", func() *http.Request {
			return signed(t, "GET", "/s3/b/k", nil, now, func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "tok") })
		}, "InvalidToken"},
		{"scheme without a space", func() *http.Request {
			r := httptest.NewRequest("GET", "/s3/b/k", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256Credential=x")
			return r
		}, "InvalidArgument"},
		{"missing signature", func() *http.Request {
			r := httptest.NewRequest("GET", "/s3/b/k", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/s3/aws4_request, SignedHeaders=host")
			return r
		}, "AuthorizationHeaderMalformed"},
		{"presigned", func() *http.Request { return presigned(t, "/s3/b/k", now.Add(-time.Hour), 2*time.Hour) }, ""},
		{"presign expired", func() *http.Request { return presigned(t, "/s3/b/k", now.Add(-time.Hour), 30*time.Minute) }, "AccessDenied"},
		{"presign from the future", func() *http.Request { return presigned(t, "/s3/b/k", now.Add(skew+time.Minute), time.Hour) }, "AccessDenied"},
		{"presign too long", func() *http.Request { return presigned(t, "/s3/b/k", now, 8*24*time.Hour) }, "AuthorizationQueryParametersError"},
		{"presign tampered", func() *http.Request {
			r := presigned(t, "/s3/b/k", now, time.Hour)
			r.URL.Path, r.URL.RawPath = "/s3/b/other", ""
			return r
		}, "SignatureDoesNotMatch"},
		{"presign missing part", func() *http.Request {
			r := presigned(t, "/s3/b/k", now, time.Hour)
			q := r.URL.Query()
			q.Del("X-Amz-Date")
			r.URL.RawQuery = q.Encode()
			return r
		}, "AuthorizationQueryParametersError"},
	}
	v := exampleVerifier(now)
	for _, c := range cases {
		_, err := v.Verify(c.req())
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if e, ok := s3err.As(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,")
	f.Add("AWS4-HMAC-SHA256")
	f.Fuzz(func(t *testing.T, h string) {
		in, err := parseAuthorization(h)
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if in.accessKey == "" || len(in.date) != 8 || in.signedHeaders == "" || in.signature == "" {
			t.Fatalf("accepted incomplete %+v", in)
		}
	})
}

// FuzzVerifyQuery throws arbitrary query strings at presigned verification:
// nothing may panic, and nothing unsigned may pass.
func FuzzVerifyQuery(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261128T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("X-Amz-Expires=99999999999999999999")
	f.Add("%zz=1&a")
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
		r.URL.RawQuery = q
		if _, err := v.Verify(r); err == nil {
			t.Fatalf("unsigned query %q verified", q)
		}
	})
}

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoder, in
// the unsigned-with-trailer mode (the signed modes fail earlier): it must
// never panic, never return more bytes than the framing holds, and fail with
// an S3 error.
func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"))
	f.Add([]byte("0\r\n\r\n"))
	f.Add([]byte("ffffffffffffffff\r\n"))
	f.Add([]byte("3\r\nab"))
	f.Add([]byte("1\r\na\r\n1\r\nb\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")) // a short chunk before another
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n"))           // no blank line after the trailer
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n\r\n"))     // minio-go's bare LF
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n"))             // cut after a bare LF
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPut, "/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedTrailer)
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		if err := WrapAnonymousBody(r); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r.Body)
		if len(got) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(body))
		}
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("non-S3 error %v", err)
			}
		}
	})
}
