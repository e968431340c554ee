package controlplane

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3gw/gateway/controlplane-mock/mock"
	"github.com/s3gw/gateway/impl/auth/credentials"
)

// The client is tested against the real mock control plane on loopback.
func startMock(t *testing.T, token string) *httptest.Server {
	t.Helper()
	seed := &mock.Seed{Keys: []mock.SeedKey{{AccessKey: "ak", SecretKey: "sk", ProjectID: "p", Bucket: "b", Prefix: "x/", Ops: []string{"get"}}}}
	srv := httptest.NewServer(mock.New(seed, []byte("0123456789abcdef0123456789abcdef"), token, nil).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func setFaults(t *testing.T, srv *httptest.Server, body string) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/v1/admin/faults", "application/json", bytes.NewBufferString(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("set faults: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestResolveKey(t *testing.T) {
	srv := startMock(t, "internal-token")
	ctx := context.Background()
	c := New(srv.URL, "internal-token")
	rec, err := c.ResolveKey(ctx, "ak")
	if err != nil || rec.SecretKey != "sk" || rec.Prefix != "x/" || rec.Ops[0] != "get" {
		t.Fatalf("resolve: %+v, %v", rec, err)
	}
	if _, err := c.ResolveKey(ctx, "nope"); !errors.Is(err, credentials.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := New(srv.URL, "wrong").ResolveKey(ctx, "ak"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wrong token: %v", err)
	}
	for _, fault := range []string{`{"down":true}`, `{"error_rate":1}`} {
		setFaults(t, srv, fault)
		if _, err := c.ResolveKey(ctx, "ak"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("fault %s: %v", fault, err)
		}
	}
	srv.Close()
	if _, err := c.ResolveKey(ctx, "ak"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("closed server: %v", err)
	}
}

// TestErrorsHideThePassword: whatever stops a call, its error (which is
// logged) never shows a password in CONTROL_PLANE_URL.
func TestErrorsHideThePassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there any more: connections are refused
	for _, base := range []string{
		"http://cp:TOPSECRET@" + closed,       // the call fails
		"http://cp:TOPSECRET@" + closed + "x", // the URL does not parse
	} {
		c := New(base, "")
		for name, call := range map[string]func() error{
			"resolve": func() error { _, err := c.ResolveKey(context.Background(), "ak"); return err },
			"ping":    func() error { return c.Ping(context.Background()) },
		} {
			err := call()
			if err == nil {
				t.Fatalf("%s at %s: no error", name, base)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("%s at %s: error shows the password: %v", name, base, err)
			}
		}
	}
}
