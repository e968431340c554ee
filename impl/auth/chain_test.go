package auth

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

// refusingTokens fails the test if a token reaches verification.
type refusingTokens struct{ t *testing.T }

func (v refusingTokens) Principal(*http.Request, string, Target) (*Principal, error) {
	v.t.Fatal("a token was verified although the request must be refused first")
	return nil, nil
}

// gwPresign recognises the gateway's presigned URLs by X-Gw-Signature, as
// impl/presign does, and fails the test if one is verified.
type gwPresign struct{ t *testing.T }

func (p gwPresign) IsPresigned(r *http.Request) bool {
	return strings.Contains(r.URL.RawQuery, "X-Gw-Signature=")
}

func (p gwPresign) Principal(*http.Request) (*Principal, error) {
	p.t.Fatal("a gateway presigned URL was verified although the request must be refused first")
	return nil, nil
}

// TestChainRefusesTwoCredentials checks that a request carrying two sets of
// credentials is refused before any of them is verified (the chain has no
// SigV4 verifier here: reaching it would panic).
func TestChainRefusesTwoCredentials(t *testing.T) {
	c := &Chain{Tokens: refusingTokens{t}, Presigned: gwPresign{t}, RequireAuth: true}
	const sigv4Header = "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	cases := []struct {
		name    string
		query   string
		headers []string // Authorization values
		message string   // "" for S3's two-mechanisms answer
	}{
		{"two Authorization headers", "", []string{"Bearer a", "Bearer b"}, "Only one Authorization header is allowed."},
		{"two SigV4 Authorization headers", "", []string{sigv4Header, sigv4Header}, "Only one Authorization header is allowed."},
		{"bearer token and gateway presigned URL", "X-Gw-Expires=1&X-Gw-Signature=abc", []string{"Bearer tok"}, ""},
		{"bearer token and SigV4 presigned query", "X-Amz-Algorithm=AWS4-HMAC-SHA256", []string{"Bearer tok"}, ""},
		{"SigV4 header and SigV4 presigned query", "X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", []string{sigv4Header}, ""},
		{"SigV4 header and X-Amz-Signature", "X-Amz-Signature=00", []string{sigv4Header}, ""},
		{"Basic header and SigV2 presigned query", "AWSAccessKeyId=AK&Expires=1&Signature=abc", []string{"Basic dXNlcjpwYXNz"}, ""},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
		r.URL.RawQuery = tc.query
		for _, h := range tc.headers {
			r.Header.Add("Authorization", h)
		}
		_, err := c.Authenticate(r, Target{Action: Get, Bucket: "b", Key: "k"})
		e, ok := s3err.As(err)
		if !ok || e.Code != "InvalidArgument" || e.Status != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400 InvalidArgument", tc.name, err)
			continue
		}
		if tc.message != "" {
			if e.Message != tc.message || len(e.Details) != 0 {
				t.Errorf("%s: %q %v, want %q", tc.name, e.Message, e.Details, tc.message)
			}
			continue
		}
		// The header is echoed as S3 does, unless it is a bearer token.
		want := []s3err.Detail{{Name: "ArgumentName", Value: "Authorization"}}
		if !strings.HasPrefix(tc.headers[0], "Bearer ") {
			want = append(want, s3err.Detail{Name: "ArgumentValue", Value: tc.headers[0]})
		}
		if !strings.HasPrefix(e.Message, "Only one auth mechanism allowed;") || !slices.Equal(e.Details, want) {
			t.Errorf("%s: %q %v, want S3's two-mechanisms answer with %v", tc.name, e.Message, e.Details, want)
		}
	}
	// The shared error is never changed by a refusal.
	if len(errTwoMechanisms.Details) != 1 {
		t.Fatalf("errTwoMechanisms gained details: %v", errTwoMechanisms.Details)
	}
}

// TestChainRefusesSigV2Query checks that a SigV2 presigned URL gets S3's
// answer to Signature Version 2 whether or not unauthenticated requests are
// served, and that the parameter names alone decide it.
func TestChainRefusesSigV2Query(t *testing.T) {
	for _, requireAuth := range []bool{true, false} {
		c := &Chain{Tokens: refusingTokens{t}, Presigned: gwPresign{t}, RequireAuth: requireAuth}
		for _, q := range []string{
			"AWSAccessKeyId=AK&Expires=1&Signature=abc",
			"Signature=abc",
			"AWSAccessKeyId=AK",
			"list-type=2&AWSAccessKeyId=AK&Expires=1&Signature=abc%3D",
		} {
			r := httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
			r.URL.RawQuery = q
			_, err := c.Authenticate(r, Target{Action: Get, Bucket: "b", Key: "k"})
			if e, ok := s3err.As(err); !ok || e != errSigV2 {
				t.Errorf("RequireAuth %v, query %q: %v, want %v", requireAuth, q, err, errSigV2)
			}
		}
		for _, q := range []string{"", "Expires=1", "signature=abc", "x-Signature=1", "prefix=Signature"} {
			r := httptest.NewRequest(http.MethodGet, "/s3/b/k", nil)
			r.URL.RawQuery = q
			p, err := c.Authenticate(r, Target{Action: Get, Bucket: "b", Key: "k"})
			if requireAuth {
				if e, ok := s3err.As(err); !ok || e.Code != "AccessDenied" {
					t.Errorf("RequireAuth, query %q: %v, want AccessDenied", q, err)
				}
			} else if err != nil || !p.Anonymous {
				t.Errorf("no credentials, query %q: %v %+v, want the anonymous principal", q, err, p)
			}
		}
	}
	if errSigV2.Code != "InvalidRequest" || errSigV2.Status != http.StatusBadRequest ||
		errSigV2.Message != "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256." {
		t.Errorf("errSigV2 = %+v, not S3's", errSigV2)
	}
}
