package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// brokenOwners is a registry whose claims cannot be read, and nilBackend a
// backend whose every method is the nil interface's: a request that got past
// the ownership check would panic, which the test reports as served.
type brokenOwners struct{ tenancy.Registry }

func (brokenOwners) Owner(context.Context, string) (tenancy.Claim, error) {
	return tenancy.Claim{}, errors.New("index: input/output error")
}

type nilBackend struct{ storage.Backend }

// Ownership fails closed: when the owner of a bucket cannot be read, no
// operation on it is served to a project's principal; the answer is a
// retryable 503, never access.
func TestOwnershipFailsClosed(t *testing.T) {
	h := New(Options{Backend: nilBackend{}, Owners: brokenOwners{}, Prefix: "/s3", MaxBodyBytes: 1 << 20,
		Auth: auth.AuthenticatorFunc(func(*http.Request, auth.Target) (*auth.Principal, error) {
			return &auth.Principal{Project: "p", Method: "sigv4"}, nil
		})})
	for _, c := range []struct{ method, target, body string }{
		{"GET", "/s3/bkt/key", ""},
		{"HEAD", "/s3/bkt/key", ""},
		{"PUT", "/s3/bkt/key", "data"},
		{"DELETE", "/s3/bkt/key", ""},
		{"GET", "/s3/bkt?list-type=2", ""},
		{"HEAD", "/s3/bkt", ""},
		{"DELETE", "/s3/bkt", ""},
		{"POST", "/s3/bkt?delete", `<Delete><Object><Key>k</Key></Object></Delete>`},
		{"POST", "/s3/bkt/key?uploads", ""},
	} {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			defer func() {
				if v := recover(); v != nil {
					t.Fatalf("served past an unreadable owner: %v", v)
				}
			}()
			req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			sum := md5.Sum([]byte(c.body))
			req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503; body %s", w.Code, w.Body)
			}
		})
	}
}
