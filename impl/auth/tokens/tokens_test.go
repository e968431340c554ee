package tokens

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/s3err"
)

type fakeCP struct {
	calls int
	err   error
	exp   time.Time
}

func (f *fakeCP) verify(_ context.Context, token, op, bucket, key string) (*controlplane.Grant, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &controlplane.Grant{ProjectID: "p", Bucket: "b", Prefix: "x/", Ops: []string{"get"}, ExpiresAt: f.exp}, nil
}

func TestCachingAndErrors(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cp := &fakeCP{exp: now.Add(10 * time.Second)}
	v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: func() time.Time { return now }}
	r := httptest.NewRequest("GET", "/", nil)
	target := auth.Target{Action: auth.Get, Bucket: "b", Key: "x/k"}
	for i := 0; i < 3; i++ {
		p, err := v.Principal(r, "tok", target)
		if err != nil || p.Project != "p" || p.Prefix != "x/" || p.Actions[0] != auth.Get {
			t.Fatalf("principal %+v, %v", p, err)
		}
	}
	if cp.calls != 1 {
		t.Fatalf("%d control-plane calls for a cached token", cp.calls)
	}
	// Never trusted past the token's own expiry, however long the TTL.
	now = now.Add(11 * time.Second)
	cp.exp = now.Add(time.Hour)
	v.Principal(r, "tok", target)
	if cp.calls != 2 {
		t.Fatalf("grant outlived the token's expiry")
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{&controlplane.TokenError{Status: 401, Reason: "token expired"}, "ExpiredToken"},
		{&controlplane.TokenError{Status: 401, Reason: "invalid token signature"}, "InvalidToken"},
		{&controlplane.TokenError{Status: 403, Reason: "outside"}, "AccessDenied"},
		{errors.New("connection refused"), "ServiceUnavailable"},
	} {
		cp.err = c.err
		_, err := v.Principal(r, "other-token", target)
		if e, ok := s3err.As(err); !ok || e.Code != c.code {
			t.Errorf("%v: %v, want %s", c.err, err, c.code)
		}
	}
	if _, err := v.Principal(r, "", target); err == nil {
		t.Fatal("empty token accepted")
	}
}

// BenchmarkCachedToken is the cost of a bearer-token check answered from
// the cache (the control plane is not called).
func BenchmarkCachedToken(b *testing.B) {
	cp := &fakeCP{exp: time.Now().Add(time.Hour)}
	v := &Verifier{Verify: cp.verify, TTL: time.Hour}
	r, _ := http.NewRequest("GET", "/", nil)
	token := "AgEYczMtZ2F0ZXdheS1jb250cm9sLXBsYW5lAhD2k8a4iV5v1nN0xJ6lXvTqAAIWcHJvamVjdF9pZCA9IHByal9kZW1vAAIjZXhwaXJlcyA9IDIwMjYtMTEtMjhUMjE6MDA6MDBaAAAGIPQ5"
	target := auth.Target{Action: auth.Get, Bucket: "b", Key: "x/k"}
	v.Principal(r, token, target)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Principal(r, token, target); err != nil {
			b.Fatal(err)
		}
	}
}
