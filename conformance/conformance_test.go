package conformance_test

import (
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// TestGateway runs the whole suite against this repository's gateway,
// built and started as a separate process with its default settings
// (authentication required), with the race detector when the tests have it.
func TestGateway(t *testing.T) {
	cp := startControlPlane(t)
	g, err := launch.Start(launch.Options{
		Dir:          t.TempDir(),
		Race:         raceEnabled,
		ControlPlane: cp,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	conformance.Run(t, g.Target())
}

// TestGatewayTLS runs the suite again over HTTPS, where the AWS SDK streams
// request bodies as aws-chunked with checksum trailers instead of signing a
// digest of them.
func TestGatewayTLS(t *testing.T) {
	cp := startControlPlane(t)
	g, err := launch.Start(launch.Options{
		Dir:          t.TempDir(),
		Race:         raceEnabled,
		TLS:          true,
		ControlPlane: cp,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	conformance.Run(t, g.Target())
}

func startControlPlane(t *testing.T) *launch.ControlPlane {
	t.Helper()
	cp, err := launch.StartControlPlane(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Stop() })
	return cp
}
