package mock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/macaroon.v2"
)

var rootKey = bytes.Repeat([]byte("k"), 32)

// attenuate adds a first-party caveat to a token, as any holder may.
func attenuate(t *testing.T, token, caveat string) string {
	t.Helper()
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	var m macaroon.Macaroon
	if err := m.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if err := m.AddFirstPartyCaveat([]byte(caveat)); err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestMintAndVerify(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tok, err := Mint(rootKey, MintRequest{ProjectID: "p", Bucket: "b", Prefix: "data/", Ops: []string{"get", "put"}, TTLSeconds: 3600}, now)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	raw[len(raw)-1] ^= 1
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	cases := []struct {
		name                string
		token, op, bkt, key string
		at                  time.Time
		status              int
	}{
		{"allowed", tok, "get", "b", "data/x", now, 200},
		{"other op", tok, "delete", "b", "data/x", now, 403},
		{"other bucket", tok, "get", "c", "data/x", now, 403},
		{"outside prefix", tok, "get", "b", "secret/x", now, 403},
		{"expired", tok, "get", "b", "data/x", now.Add(2 * time.Hour), 401},
		{"tampered", tampered, "get", "b", "data/x", now, 401},
		{"garbage", "not-a-token", "get", "b", "data/x", now, 401},
		{"wrong root key", func() string {
			t, _ := Mint(bytes.Repeat([]byte("x"), 32), MintRequest{ProjectID: "p", TTLSeconds: 60}, now)
			return t
		}(), "get", "b", "k", now, 401},
		{"unknown caveat", attenuate(t, tok, "ip = 10.0.0.1"), "get", "b", "data/x", now, 401},
		{"attenuated prefix allows inside", attenuate(t, tok, "prefix = data/sub/"), "get", "b", "data/sub/x", now, 200},
		{"attenuated prefix refuses outside", attenuate(t, tok, "prefix = data/sub/"), "get", "b", "data/x", now, 403},
		{"attenuated ops", attenuate(t, tok, "ops = get"), "put", "b", "data/x", now, 403},
		{"attenuated expiry", attenuate(t, tok, "expires = 2026-11-28T12:30:00Z"), "get", "b", "data/x", now.Add(45 * time.Minute), 401},
		{"widening prefix conflicts", attenuate(t, tok, "prefix = other/"), "get", "b", "data/x", now, 401},
	}
	for _, c := range cases {
		g, err := Verify(rootKey, c.token, c.op, c.bkt, c.key, c.at)
		status := 200
		if err != nil {
			status = err.(*tokenError).Status
		}
		if status != c.status {
			t.Errorf("%s: status %d (%v), want %d", c.name, status, err, c.status)
		}
		if status == 200 && (g.ProjectID != "p" || g.Bucket != "b" || g.ExpiresAt.IsZero()) {
			t.Errorf("%s: grant %+v", c.name, g)
		}
	}
}

func TestRootKeyFilePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "root.key")
	a, err := LoadRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadRootKey(path)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("root key changed across loads: %v", err)
	}
}

func TestServerEndpoints(t *testing.T) {
	srv := httptest.NewServer(New(nil, rootKey, "tok", nil).Handler())
	defer srv.Close()
	call := func(method, path, token string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := call("POST", "/v1/macaroons", "", MintRequest{ProjectID: "p", TTLSeconds: 60}); code != 401 {
		t.Fatalf("mint without the internal token: %d", code)
	}
	code, out := call("POST", "/v1/macaroons", "tok", MintRequest{ProjectID: "p", Ops: []string{"get"}, TTLSeconds: 60})
	if code != 200 {
		t.Fatalf("mint: %d %v", code, out)
	}
	code, out = call("POST", "/v1/macaroons/verify", "tok", map[string]string{"token": out["token"].(string), "op": "get", "bucket": "b", "key": "k"})
	if code != 200 || out["project_id"] != "p" {
		t.Fatalf("verify: %d %v", code, out)
	}
	ev := map[string]any{"events": []map[string]any{
		{"project_id": "p", "bucket": "b", "op": "PutObject", "bytes_in": 10, "status": 200, "request_id": "r1"},
		{"project_id": "p", "bucket": "b", "op": "GetObject", "bytes_out": 7, "status": 200, "request_id": "r2"},
	}}
	for i := 0; i < 2; i++ { // the retry of a batch must not count twice
		if code, _ := call("POST", "/v1/usage", "tok", ev); code != 202 {
			t.Fatalf("usage: %d", code)
		}
	}
	code, out = call("GET", "/v1/usage/summary?project_id=p", "tok", nil)
	if code != 200 || out["requests"] != 2.0 || out["bytes_in"] != 10.0 || out["bytes_out"] != 7.0 {
		t.Fatalf("summary: %d %v", code, out)
	}
}
