package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

// The canonical forms of paths and query components, edge by edge: escape
// case, unreserved bytes sent escaped, truncated or invalid escapes, and the
// byte values either side of each hex-digit range.
func TestCanonicalURI(t *testing.T) {
	cases := map[string]string{
		"":                "/",
		"/":               "/",
		"/a%2fb":          "/a%2Fb", // an escaped slash stays escaped, in upper case
		"/a/b":            "/a/b",
		"/a%41":           "/aA", // unreserved bytes are never escaped
		"/%7e%7E":         "/~~",
		"/a%4":            "/a%254", // a truncated escape is a literal percent
		"/a%":             "/a%25",
		"/%zz":            "/%25zz",
		"/%3a%3A":         "/%3A%3A",
		"/:@!$&'()*+,;=":  "/%3A%40%21%24%26%27%28%29%2A%2B%2C%3B%3D",
		"/09AZaz-._~":     "/09AZaz-._~",
		"/%67%47":         "/gG",
		"/%g1":            "/%25g1",
		"/%G1":            "/%25G1",
		"/%/1":            "/%25/1",
		"/%:1":            "/%25%3A1",
		"/%@1":            "/%25%401",
		"/%`1":            "/%25%601",
		"/%0a%0A%f0%F0":   "/%0A%0A%F0%F0",
		"/%a0%A0%af%AF":   "/%A0%A0%AF%AF",
		"/%90%99%9f%9F":   "/%90%99%9F%9F",
		"//a/./../b//":    "//a/./../b//", // S3 paths are never normalised
		"/\xe6\x97\xa5 x": "/%E6%97%A5%20x",
	}
	for in, want := range cases {
		if got := string(appendCanonicalURI(nil, in)); got != want {
			t.Errorf("canonical URI of %q = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQueryComponent(t *testing.T) {
	cases := map[string]string{
		"":           "",
		"AZaz09-_.~": "AZaz09-_.~",
		"a%2fb":      "a%2Fb",
		"a%2Fb":      "a%2Fb",
		"%41":        "A",
		"%7E":        "~",
		"a+b":        "a%20b",
		"a b":        "a%20b",
		"%zz":        "%25zz", // not valid encoding: the bytes are signed as sent
		"%3a":        "%3A",
		"%3A":        "%3A",
		"%G0":        "%25G0",
		"%/0":        "%25%2F0",
		"%:0":        "%25%3A0",
		"%@0":        "%25%400",
		"%`0":        "%25%600",
		"%2":         "%252",
		"%A0%F0%90":  "%A0%F0%90",
		"=":          "%3D",
	}
	for in, want := range cases {
		if got := encodeQueryComponent(in); got != want {
			t.Errorf("canonical query component %q = %q, want %q", in, got, want)
		}
	}
	var b []byte
	b = appendCanonicalQuery(b, "b=2&a=1&a=0&c&X-Amz-Signature=s", true)
	if got := string(b); got != "a=0&a=1&b=2&c=" {
		t.Errorf("canonical query = %q", got)
	}
}

func TestListHelpers(t *testing.T) {
	for list, sorted := range map[string]bool{"": true, "host": true, "host;x-amz-date": true, "a;a": true, "x-amz-date;host": false, "a;c;b": false} {
		if sortedList(list) != sorted {
			t.Errorf("sortedList(%q) = %v", list, !sorted)
		}
	}
	if !hasListItem("a;host;b", "host") || hasListItem("a;hostx;b", "host") || hasListItem("", "host") {
		t.Error("hasListItem")
	}
	if !signedHas("host;x-amz-date", "X-Amz-Date") || signedHas("host", "X-Amz-Date") {
		t.Error("signedHas")
	}
	for s, ok := range map[string]bool{"09af": true, "": true, "0g": false, "AF": false, "0/": false, "9:": false, "a`": false} {
		if isLowerHex(s) != ok {
			t.Errorf("isLowerHex(%q) = %v", s, !ok)
		}
	}
}

// Edges of the verifier's decisions: exact skew limits, the Date header,
// presigned payload hashes, and header shapes the signer never produces.
func TestVerifyEdges(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	skew := 15 * time.Minute
	v := exampleVerifier(now)
	code := func(err error) string {
		if err == nil {
			return ""
		}
		e, ok := s3err.As(err)
		if !ok {
			return err.Error()
		}
		return e.Code
	}
	check := func(name string, r *http.Request, want string) {
		t.Helper()
		if _, err := v.Verify(r); code(err) != want {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	check("exactly the skew in the past", signed(t, "GET", "/s3/b/k", nil, now.Add(-skew), nil), "")
	check("exactly the skew in the future", signed(t, "GET", "/s3/b/k", nil, now.Add(skew), nil), "")
	check("presign dated exactly the skew ahead", presigned(t, "/s3/b/k", now.Add(skew), time.Hour), "")
	check("presign expiring now", presigned(t, "/s3/b/k", now.Add(-time.Hour), time.Hour), "")

	// The Date header stands in for x-amz-date.
	r := signed(t, "GET", "/s3/b/k", nil, now, func(r *http.Request) { r.Header.Set("Date", now.Format(http.TimeFormat)) })
	check("x-amz-date and Date", r, "")

	r = signed(t, "GET", "/s3/b/k", nil, now, nil)
	r.Header.Set("X-Amz-Content-Sha256", strings.ToUpper(r.Header.Get("X-Amz-Content-Sha256")))
	check("upper-case content hash", r, "InvalidArgument")

	r = signed(t, "GET", "/s3/b/k", nil, now, nil)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=host;x-amz-content-sha256;x-amz-date", "SignedHeaders=x-amz-date;host;x-amz-content-sha256", 1))
	check("unsorted signed headers", r, "SignatureDoesNotMatch")

	r = signed(t, "GET", "/s3/b/k", nil, now, nil)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261128/", "/2026112:/", 1))
	check("non-digit credential date", r, "AuthorizationHeaderMalformed")

	r = presigned(t, "/s3/b/k", now, time.Hour)
	r.URL.RawQuery += "&X-Amz-Content-Sha256=" + StreamingSigned
	r.Header.Set("X-Amz-Content-Sha256", StreamingSigned)
	check("presigned streaming payload", r, "InvalidRequest")

	r = presigned(t, "/s3/b/k", now, time.Hour)
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", 1)
	check("presign with another algorithm", r, "AuthorizationQueryParametersError")
}

func TestParseAuthorizationRefuses(t *testing.T) {
	const ok = "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	if _, err := parseAuthorization(ok); err != nil {
		t.Fatalf("valid header refused: %v", err)
	}
	for _, h := range []string{
		strings.Replace(ok, "20260101", "2026010x", 1),
		strings.Replace(ok, "20260101", "x0260101", 1),
		strings.Replace(ok, "20260101", "2026011", 1),
		strings.Replace(ok, "Signature=00", "Signature=00, Colour=red", 1),
		strings.Replace(ok, "Credential=", "Credentials=", 1),
		strings.Replace(ok, "SignedHeaders=host, ", "", 1),
		strings.Replace(ok, ", Signature=00", "", 1),
		strings.Replace(ok, "AK/20260101/us-east-1/s3/aws4_request", "AK/20260101/us-east-1/s3", 1),
		strings.Replace(ok, "AK/20260101/us-east-1/s3/aws4_request", "AK/20260101/us-east-1/s3/aws4_request/x", 1),
		strings.Replace(ok, "us-east-1", "", 1),
	} {
		_, err := parseAuthorization(h)
		if e, isS3 := s3err.As(err); !isS3 || e.Code != "AuthorizationHeaderMalformed" {
			t.Errorf("%q: %v, want AuthorizationHeaderMalformed", h, err)
		}
	}
}
