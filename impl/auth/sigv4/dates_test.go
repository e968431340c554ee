package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

func TestParseDate(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 34, 56, 0, time.UTC)
	for _, c := range []struct {
		v    string
		want time.Time // zero: refused
	}{
		{"Sat, 28 Nov 2026 12:34:56 GMT", at},
		{"Sat, 28 Nov 2026 12:34:56 UTC", at},
		{"Sat, 28 Nov 2026 12:34:56 -0000", at},
		{"Sat, 28 Nov 2026 12:34:56 +0000", at},
		{"Sat, 28 Nov 2026 14:34:56 +0200", at},
		{"Sat, 28 Nov 2026 07:34:56 -0500", at},
		{"Wed, 2 Dec 2026 12:34:56 GMT", time.Date(2026, 12, 2, 12, 34, 56, 0, time.UTC)},
		{"Wed, 2 Dec 2026 12:34:56 -0000", time.Date(2026, 12, 2, 12, 34, 56, 0, time.UTC)},
		{"20261128T123456Z", at},
		{"Saturday, 28-Nov-26 12:34:56 GMT", at},
		{"Sat Nov 28 12:34:56 2026", at},
		{"Sat, 28 Nov 2026 12:34:56 EST", time.Time{}},
		{"Sat, 28 Nov 2026 12:34:56 +00", time.Time{}},
		{"Saturday, 28-Nov-26 12:34:56 PST", time.Time{}},
		{"2026-11-28T12:34:56Z", time.Time{}},
		{"20261128T123456", time.Time{}},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	} {
		got, ok := parseDate(c.v)
		if ok != !c.want.IsZero() || ok && !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", c.v, got, ok, c.want)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Sat, 28 Nov 2026 12:34:56 GMT", "Sat, 28 Nov 2026 12:34:56 -0000",
		"20261128T123456Z", "Saturday, 28-Nov-26 12:34:56 GMT", "Sat Nov 28 12:34:56 2026", "Sat, 28 Nov 2026 12:34:56 +00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := parseDate(v)
		if !ok {
			return
		}
		if name, off := got.Zone(); off == 0 && name != "" && name != "GMT" && name != "UTC" {
			t.Fatalf("parseDate(%q) took zone %q for UTC", v, name)
		}
	})
}

// dateSigned returns a GET of /s3/b/k dated only by a Date header, signed
// over dateLine as the string to sign's second line, as a client that signs
// by hand does.
func dateSigned(date, dateLine string, day string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://s3.example/s3/b/k", nil)
	r.Header.Set("Date", date)
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	canonical := "GET\n/s3/b/k\n\ndate:" + date + "\nhost:s3.example\nx-amz-content-sha256:" + emptySHA256 +
		"\n\ndate;host;x-amz-content-sha256\n" + emptySHA256
	sum := sha256.Sum256([]byte(canonical))
	scope := day + "/us-east-1/s3/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + dateLine + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := deriveKey(exampleSecret, day, "us-east-1", "s3")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+exampleAK+"/"+scope+
		", SignedHeaders=date;host;x-amz-content-sha256, Signature="+hex.EncodeToString(hmacSum(key, sts)))
	return r
}

// A Date header dates the request; the string to sign holds its value as
// sent, whatever its form (ceph/s3-tests#346).
func TestDateHeaderSignedAsSent(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	for _, date := range []string{
		"Sat, 28 Nov 2026 12:00:00 GMT",
		"Sat, 28 Nov 2026 12:00:00 -0000",
		"Sat, 28 Nov 2026 14:00:00 +0200",
		"20261128T120000Z",
	} {
		if _, err := v.Verify(dateSigned(date, date, "20261128")); err != nil {
			t.Errorf("Date %q signed as sent: %v", date, err)
		}
		if date == "20261128T120000Z" {
			continue
		}
		_, err := v.Verify(dateSigned(date, "20261128T120000Z", "20261128"))
		e, ok := s3err.As(err)
		if !ok || e.Code != "SignatureDoesNotMatch" {
			t.Fatalf("Date %q signed over its ISO 8601 form: %v, want SignatureDoesNotMatch", date, err)
		}
		if sts := detail(e, "StringToSign"); !strings.HasPrefix(sts, "AWS4-HMAC-SHA256\n"+date+"\n") {
			t.Errorf("Date %q: StringToSign %q does not hold the date as sent", date, sts)
		}
	}
	// The credential's day is the request's, in UTC.
	wantError(t, "scope of the local day", func() error {
		_, err := v.Verify(dateSigned("Sun, 29 Nov 2026 01:00:00 +1300", "Sun, 29 Nov 2026 01:00:00 +1300", "20261129"))
		return err
	}(), "AuthorizationHeaderMalformed", "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	if _, err := v.Verify(dateSigned("Sun, 29 Nov 2026 01:00:00 +1300", "Sun, 29 Nov 2026 01:00:00 +1300", "20261128")); err != nil {
		t.Errorf("a day ahead in its own zone, the UTC day in the scope: %v", err)
	}
	for _, date := range []string{"", "Sat, 28 Nov 2026 12:00:00 EST", "2026-11-28T12:00:00Z"} {
		_, err := v.Verify(dateSigned(date, date, "20261128"))
		wantError(t, "Date "+date, err, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
}

func detail(e *s3err.Error, name string) string {
	for _, d := range e.Details {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

func TestErrorDetails(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	asS3 := func(err error) *s3err.Error {
		t.Helper()
		e, ok := s3err.As(err)
		if !ok {
			t.Fatalf("%v is not an S3 error", err)
		}
		return e
	}
	wantDetails := func(what string, e *s3err.Error, want ...s3err.Detail) {
		t.Helper()
		if len(e.Details) != len(want) {
			t.Fatalf("%s: details %q, want %q", what, e.Details, want)
		}
		for i := range want {
			if e.Details[i] != want[i] {
				t.Errorf("%s: detail %d = %q, want %q", what, i, e.Details[i], want[i])
			}
		}
	}

	// RequestTimeTooSkewed: the time as sent, the server's, the limit.
	r := signed(t, "GET", "/s3/b/k", nil, now.Add(-16*time.Minute), nil)
	_, err := v.Verify(r)
	wantDetails("skew", asS3(err),
		s3err.Detail{Name: "RequestTime", Value: r.Header.Get("X-Amz-Date")},
		s3err.Detail{Name: "ServerTime", Value: "2026-11-28T12:00:00Z"},
		s3err.Detail{Name: "MaxAllowedSkewMilliseconds", Value: "900000"})
	r = dateSigned("Sat, 28 Nov 2026 12:16:00 -0000", "Sat, 28 Nov 2026 12:16:00 -0000", "20261128")
	_, err = v.Verify(r)
	if got := detail(asS3(err), "RequestTime"); got != "Sat, 28 Nov 2026 12:16:00 -0000" {
		t.Errorf("skew of a Date-dated request: RequestTime %q, want the Date as sent", got)
	}

	// A wrong region names the right one, in each form's words.
	other := exampleVerifier(now)
	other.Region = "eu-central-1"
	_, err = other.Verify(signed(t, "GET", "/s3/b/k", nil, now, nil))
	e := asS3(err)
	if e.Code != "AuthorizationHeaderMalformed" || e.Message != "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'" {
		t.Errorf("header, wrong region: %v", err)
	}
	wantDetails("header, wrong region", e, s3err.Detail{Name: "Region", Value: "eu-central-1"})
	_, err = other.Verify(presigned(t, "/s3/b/k", now, time.Hour))
	e = asS3(err)
	if e.Code != "AuthorizationQueryParametersError" || e.Message != "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-central-1'" {
		t.Errorf("query, wrong region: %v", err)
	}
	wantDetails("query, wrong region", e, s3err.Detail{Name: "Region", Value: "eu-central-1"})
	other.service = "sqs"
	other.Region = "us-east-1"
	_, err = other.Verify(presigned(t, "/s3/b/k", now, time.Hour))
	if e = asS3(err); e.Message != "Error parsing the X-Amz-Credential parameter; incorrect service 's3'. This endpoint belongs to 'sqs'." || len(e.Details) != 0 {
		t.Errorf("query, wrong service: %v %q", err, e.Details)
	}

	// An unknown key is named.
	r = signed(t, "GET", "/s3/b/k", nil, now, nil)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), exampleAK, "AKIANOSUCHKEY", 1))
	_, err = v.Verify(r)
	wantDetails("unknown key", asS3(err), s3err.Detail{Name: "AWSAccessKeyId", Value: "AKIANOSUCHKEY"})
}

// A signature that does not match comes with what the verifier computed,
// which must be what the signer computed.
func TestMismatchDetails(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	r := signed(t, "PUT", "/s3/b/k?x=1", []byte("body"), now, func(r *http.Request) {
		r.Header.Set("X-Amz-Meta-A", "b")
		r.Header.Set("Content-Length", "4") // as net/http's server keeps it
	})
	auth := r.Header.Get("Authorization")
	sig := auth[strings.LastIndex(auth, "=")+1:]
	r.Header.Set("X-Amz-Meta-A", "changed")
	_, err := v.Verify(r)
	e, ok := s3err.As(err)
	if !ok || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered request: %v", err)
	}
	names := make([]string, len(e.Details))
	for i, d := range e.Details {
		names[i] = d.Name
	}
	if got := strings.Join(names, ","); got != "AWSAccessKeyId,StringToSign,SignatureProvided,StringToSignBytes,CanonicalRequest,CanonicalRequestBytes" {
		t.Fatalf("details %s, not S3's", got)
	}
	cr := detail(e, "CanonicalRequest")
	wantCR := "PUT\n/s3/b/k\nx=1\ncontent-length:4\nhost:example.com\nx-amz-content-sha256:230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5\n" +
		"x-amz-date:20261128T120000Z\nx-amz-meta-a:changed\n\ncontent-length;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a\n" +
		"230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5"
	if cr != wantCR {
		t.Errorf("CanonicalRequest\n%q, want\n%q", cr, wantCR)
	}
	sum := sha256.Sum256([]byte(cr))
	if sts := detail(e, "StringToSign"); sts != "AWS4-HMAC-SHA256\n20261128T120000Z\n20261128/us-east-1/s3/aws4_request\n"+hex.EncodeToString(sum[:]) {
		t.Errorf("StringToSign %q", sts)
	}
	if got := detail(e, "StringToSignBytes"); !strings.HasPrefix(got, "41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a 32") || len(got) != 3*len(detail(e, "StringToSign"))-1 {
		t.Errorf("StringToSignBytes %q", got)
	}
	if got := detail(e, "CanonicalRequestBytes"); !strings.HasPrefix(got, "50 55 54 0a 2f") || len(got) != 3*len(cr)-1 {
		t.Errorf("CanonicalRequestBytes %q", got)
	}
	if detail(e, "SignatureProvided") != sig || detail(e, "AWSAccessKeyId") != exampleAK {
		t.Errorf("SignatureProvided %q, AWSAccessKeyId %q", detail(e, "SignatureProvided"), detail(e, "AWSAccessKeyId"))
	}

	// The signature's own shape is checked with the same answer.
	for _, bad := range []string{sig[:10], strings.Repeat("z", 64)} {
		r := signed(t, "GET", "/s3/b/k", nil, now, nil)
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature="+bad+"x", 1))
		r.Header.Set("Authorization", r.Header.Get("Authorization")[:strings.Index(r.Header.Get("Authorization"), "Signature=")]+"Signature="+bad)
		_, err := v.Verify(r)
		if e, ok := s3err.As(err); !ok || e.Code != "SignatureDoesNotMatch" || detail(e, "SignatureProvided") != bad {
			t.Errorf("signature %q: %v", bad, err)
		}
	}
	if got := spacedHex([]byte{0, 0xab, '\n'}); got != "00 ab 0a" {
		t.Errorf("spacedHex = %q", got)
	}
	if got := spacedHex(nil); got != "" {
		t.Errorf("spacedHex(nil) = %q", got)
	}
}

// net/http's server takes Transfer-Encoding out of the header map; a request
// that signed it is canonicalised with the value it was sent with.
func TestCanonicalTransferEncoding(t *testing.T) {
	r := httptest.NewRequest(http.MethodPut, "http://s3.example/s3/b/k", nil)
	r.TransferEncoding = []string{"chunked"}
	r.Header.Set("X-Amz-Date", "20261128T120000Z")
	got := string(appendCanonicalRequest(nil, r, "host;transfer-encoding;x-amz-date", UnsignedPayload, false))
	want := "PUT\n/s3/b/k\n\nhost:s3.example\ntransfer-encoding:chunked\nx-amz-date:20261128T120000Z\n\n" +
		"host;transfer-encoding;x-amz-date\nUNSIGNED-PAYLOAD"
	if got != want {
		t.Errorf("canonical request\n%q, want\n%q", got, want)
	}
	r.Header.Set("Transfer-Encoding", "gzip")
	if got := string(appendCanonicalRequest(nil, r, "transfer-encoding", UnsignedPayload, false)); !strings.Contains(got, "transfer-encoding:gzip\n") {
		t.Errorf("a header left in the map is signed as it is: %q", got)
	}
}
