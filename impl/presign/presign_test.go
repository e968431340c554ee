package presign

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/tenancy"
)

func TestSignAndVerify(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := &Signer{Secrets: []string{"old"}, Prefix: "/s3", Now: clock}
	rotated := &Signer{Secrets: []string{"new", "old"}, Prefix: "/s3", Now: clock}
	u := &url.URL{Scheme: "http", Host: "gw", Path: "/s3/b/a key+/é"}
	minted := old.Sign(u, "GET", "p1", "token:abc", now.Add(time.Hour))

	check := func(s *Signer, method, raw, code string) {
		t.Helper()
		r := httptest.NewRequest(method, raw, nil)
		if !s.IsPresigned(r) {
			t.Fatalf("%s not recognised as presigned", raw)
		}
		p, err := s.Principal(r)
		if code == "" {
			if err != nil || p.Project != "p1" || len(p.Actions) != 1 || p.Actions[0] != "get" || p.Bucket != "b" || p.Prefix != "a key+/é" {
				t.Fatalf("%s %s: %+v %v", method, raw, p, err)
			}
			return
		}
		if e, ok := s3err.As(err); !ok || e.Code != code {
			t.Fatalf("%s %s: %v, want %s", method, raw, err, code)
		}
	}
	check(old, "GET", minted, "")
	check(rotated, "GET", minted, "") // minted before the rotation, still valid
	fresh := rotated.Sign(u, "GET", "p1", "token:abc", now.Add(time.Hour))
	check(rotated, "GET", fresh, "")
	check(old, "GET", fresh, "SignatureDoesNotMatch") // signed with the new secret
	check(old, "HEAD", minted, "SignatureDoesNotMatch")
	check(old, "GET", strings.Replace(minted, "/s3/b/", "/s3/c/", 1), "SignatureDoesNotMatch")
	check(old, "GET", strings.Replace(minted, "X-Gw-Project=p1", "X-Gw-Project=p2", 1), "SignatureDoesNotMatch")
	check(old, "GET", strings.Replace(minted, "X-Gw-Expires=", "uploadId=x&X-Gw-Expires=", 1), "SignatureDoesNotMatch")
	sig := minted[strings.LastIndex(minted, "=")+1:]
	check(old, "GET", strings.Replace(minted, sig, strings.Repeat("0", len(sig)), 1), "SignatureDoesNotMatch")
	now = now.Add(2 * time.Hour)
	check(old, "GET", minted, "AccessDenied")
}

// The presign handler fails closed too: a bucket whose owner cannot be read
// gets no URL (503); a bucket that does not exist yet may (a PUT creates it).
// TestMACIsStable pins a URL's signature bytes: a change refuses every URL
// in flight across an upgrade.
func TestMACIsStable(t *testing.T) {
	const want = "69e7fc8b1e47e4c347e755164f0d1825f8bdcf61f565509c0f4e127ba1218dfa"
	if got := hex.EncodeToString(mac("old", "GET", "/s3/b/a%20key", "X-Gw-Expires=1&X-Gw-Method=GET")); got != want {
		t.Errorf("mac = %s, want %s", got, want)
	}
}

func TestHandlerOwnerLookupFailsClosed(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
	}{
		{"unreadable owner", errors.New("index: input/output error"), http.StatusServiceUnavailable},
		{"no such bucket", fmt.Errorf("lookup: %w", tenancy.ErrUnclaimed), http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &Handler{
				Signer: &Signer{Secrets: []string{"s"}, Prefix: "/s3"},
				Prefix: "/s3",
				Auth: auth.AuthenticatorFunc(func(*http.Request, auth.Target) (*auth.Principal, error) {
					return &auth.Principal{Project: "p", AccessKey: "AK"}, nil
				}),
				Owners: failingOwners{c.err},
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("POST", "/v1/presign", strings.NewReader(`{"method":"PUT","bucket":"bkt","key":"k","expires_in":60}`)))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.status != http.StatusOK && strings.Contains(w.Body.String(), "url") {
				t.Fatalf("a URL was minted: %s", w.Body)
			}
		})
	}
}

// failingOwners is a Registry whose every lookup fails with err; nothing
// else of it is used.
type failingOwners struct{ err error }

func (f failingOwners) Owner(context.Context, string) (tenancy.Claim, error) {
	return tenancy.Claim{}, f.err
}
func (failingOwners) Claim(context.Context, string, string) (tenancy.Claim, error) {
	panic("unused")
}
func (failingOwners) Release(context.Context, string, string) error { panic("unused") }
func (failingOwners) List(context.Context, string, tenancy.ListOptions) ([]tenancy.Claim, bool, error) {
	panic("unused")
}
