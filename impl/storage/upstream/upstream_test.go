package upstream_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3api"
	"github.com/s3gw/gateway/impl/s3err"

	"github.com/s3gw/gateway/controlplane-mock/mock"
	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/gateway"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/storage/storagetest"
	"github.com/s3gw/gateway/impl/storage/upstream"
	"github.com/s3gw/gateway/impl/tenancy"
	"github.com/s3gw/gateway/impl/tenancy/tenancytest"
)

const (
	accessKey = "upstream-test"
	secretKey = "upstream-test-secret"
)

// newUpstream starts a real S3 server for the backend to stand in front
// of: the project's own gateway, in-process, over the in-memory store, with
// static keys. Each call is a separate store, so that subtests running in
// parallel do not share bucket names.
func newUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	const token = "upstream-test-token"
	cp := httptest.NewServer(mock.New(&mock.Seed{}, bytes.Repeat([]byte("r"), 32), token, nil).Handler())
	t.Cleanup(cp.Close)
	dir := t.TempDir()
	env := map[string]string{
		"S3_DATA_DIR":            filepath.Join(dir, "data"),
		"S3_META_FILE":           filepath.Join(dir, "index.db"),
		"S3_MULTIPART_DIR":       filepath.Join(dir, "multipart"),
		"S3_PATH_PREFIX":         "/",
		"S3_AUTO_CREATE_BUCKETS": "false",
		"SIGV4_CREDENTIALS_JSON": `[{"access_key": "` + accessKey + `", "secret_key": "` + secretKey + `", "project_id": "upstream"}]`,
		"CONTROL_PLANE_URL":      cp.URL,
		"INTERNAL_API_TOKEN":     token,
		"PRESIGN_SECRET":         "upstream-test-presign-secret-0123456789",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.NewWithStorage(cfg, nil, gateway.Storage{Backend: mem.New(), Owners: tenancy.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.StartBackground(ctx)
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// open returns a Store in front of a fresh upstream.
func open(t *testing.T) *upstream.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := upstream.Open(ctx, upstream.Options{Endpoint: newUpstream(t).URL, AccessKey: accessKey, SecretKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newSmallPartsUpstream is a real S3 API (package s3api over the in-memory
// store) that completes uploads of parts of any size, as the battery needs
// (it completes uploads of few-byte parts, below the 5 MiB a store enforces
// for every part but the last). Requests are authenticated by their
// signature's presence only: authentication is not what the battery tests,
// and TestSuiteOverUpstream runs the whole gateway, SigV4 included.
func newSmallPartsUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	h := s3api.New(s3api.Options{
		Backend: mem.New(), Owners: tenancy.NewMemory(), MaxBodyBytes: 1 << 30, MinPartSize: 1,
		Auth: auth.AuthenticatorFunc(func(r *http.Request, _ auth.Target) (*auth.Principal, error) {
			if !strings.Contains(r.Header.Get("Authorization"), "Credential="+accessKey+"/") {
				return nil, s3err.AccessDenied
			}
			return &auth.Principal{Project: "upstream", Method: "sigv4"}, nil
		}),
	})
	srv := httptest.NewServer(accesslog.Middleware(slog.New(slog.DiscardHandler), h))
	t.Cleanup(srv.Close)
	return srv
}

// TestContract runs the storage contract's whole battery against the
// backend in front of a real S3 API.
func TestContract(t *testing.T) {
	storagetest.TestBackend(t, func(t *testing.T) storage.Backend {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		s, err := upstream.Open(ctx, upstream.Options{Endpoint: newSmallPartsUpstream(t).URL, AccessKey: accessKey, SecretKey: secretKey})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestRegistry runs the ownership battery against the registry in the
// store's metadata bucket.
func TestRegistry(t *testing.T) {
	tenancytest.TestRegistry(t, func(t *testing.T) tenancy.Registry { return open(t).Registry() })
}
