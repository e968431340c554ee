package tokens

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestCacheBounded: a full cache drops expired grants first, and starts over
// when all are live; the new grant is kept either way.
func TestCacheBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cp := &fakeCP{exp: now.Add(time.Hour)}
	v := &Verifier{Verify: cp.verify, TTL: time.Minute, Now: func() time.Time { return now }}
	r := httptest.NewRequest("GET", "/", nil)
	target := auth.Target{Action: auth.Get, Bucket: "b", Key: "x/k"}
	fill := func(expired int) {
		v.entries = make(map[[sha256.Size]byte]entry, maxEntries)
		for i := range maxEntries {
			until := now.Add(time.Minute)
			if i < expired {
				until = now.Add(-time.Second)
			}
			v.entries[sha256.Sum256([]byte(strconv.Itoa(i)))] = entry{until: until}
		}
	}

	fill(10)
	if _, err := v.Principal(r, "new", target); err != nil {
		t.Fatal(err)
	}
	if n := len(v.entries); n != maxEntries-10+1 {
		t.Fatalf("%d entries after pruning 10 expired of a full cache, want %d", n, maxEntries-9)
	}

	fill(0)
	if _, err := v.Principal(r, "newer", target); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.entries[sha256.Sum256([]byte("newer"))]; !ok || len(v.entries) != 1 {
		t.Fatalf("full live cache: %d entries after a new grant, want just the new one", len(v.entries))
	}
}
