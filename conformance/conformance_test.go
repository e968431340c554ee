package conformance_test

import (
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// TestGateway runs the whole suite against this repository's gateway,
// built and started as a separate process with its default settings
// (authentication required) beside the mock control plane, with the race
// detector when the tests have it.
func TestGateway(t *testing.T) { runLaunched(t, false) }

// TestGatewayTLS runs the suite again over HTTPS, where the AWS SDK streams
// request bodies as aws-chunked with checksum trailers instead of signing a
// digest of them.
func TestGatewayTLS(t *testing.T) { runLaunched(t, true) }

func runLaunched(t *testing.T, tls bool) {
	cp, err := launch.StartControlPlane(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Stop() })
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Race: raceEnabled, TLS: tls, ControlPlane: cp})
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
