package presign

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
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
