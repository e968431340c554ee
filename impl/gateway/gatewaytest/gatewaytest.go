// Package gatewaytest runs the conformance suite against a gateway built
// in-process, with an in-process mock control plane: no subprocess, so test
// coverage (and mutation testing, which needs it) sees the gateway's code.
package gatewaytest

import (
	"bytes"
	"context"
	"flag"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/controlplane-mock/mock"
	"github.com/s3gw/gateway/impl/config"
	"github.com/s3gw/gateway/impl/gateway"
)

// RunSuite builds a gateway with its default settings (authentication on)
// and the launched credentials, and runs the conformance cases of the given
// features (all when none) against it.
func RunSuite(t *testing.T, features ...conformance.Feature) {
	t.Helper()
	runSuite(t, nil, features)
}

// RunSuiteOver is RunSuite with the gateway serving from st instead of the
// embedded store: the suite then judges st's backend and registry through
// the whole gateway.
func RunSuiteOver(t *testing.T, st gateway.Storage, features ...conformance.Feature) {
	t.Helper()
	runSuite(t, &st, features)
}

func runSuite(t *testing.T, st *gateway.Storage, features []conformance.Feature) {
	t.Helper()
	const token = "gatewaytest-token"
	seed := &mock.Seed{Keys: []mock.SeedKey{{AccessKey: "conformance-cp-key", SecretKey: "conformance-cp-secret", ProjectID: "conformance"}}}
	cp := httptest.NewServer(mock.New(seed, bytes.Repeat([]byte("r"), 32), token, nil).Handler())
	t.Cleanup(cp.Close)

	dir := t.TempDir()
	env := map[string]string{
		"S3_DATA_DIR":            filepath.Join(dir, "data"),
		"S3_META_FILE":           filepath.Join(dir, "index.db"),
		"S3_MULTIPART_DIR":       filepath.Join(dir, "multipart"),
		"SIGV4_CREDENTIALS_JSON": launch.CredentialsJSON(),
		"CONTROL_PLANE_URL":      cp.URL,
		"INTERNAL_API_TOKEN":     token,
		"PRESIGN_SECRET":         launch.PresignSecret,
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	var g *gateway.Gateway
	if st != nil {
		g, err = gateway.NewWithStorage(cfg, nil, *st)
	} else {
		g, err = gateway.New(cfg, nil)
	}
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
	target := launch.TargetAt(srv.URL, "/s3", env, cp.URL, token)
	target.Name = "gateway (in-process)"
	if st != nil {
		target.Name = "gateway (in-process, other storage)"
	}
	if len(features) > 0 {
		target.Features = features
	}
	conformance.Run(t, target)
}

// MutationMain is TestMain for the mutation-testing suites: the cases run
// 16 at a time (they are parallel and mostly wait), so each mutant's test
// run stays short.
func MutationMain(m *testing.M) int {
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == f.DefValue {
		_ = flag.Set("test.parallel", "16")
	}
	return m.Run()
}
