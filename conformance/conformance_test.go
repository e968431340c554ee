package conformance_test

import (
	"context"
	"regexp"
	"strings"
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

// TestGatewayOtherRegion runs the bucket cases against a gateway serving
// eu-west-2, where S3's regional-endpoint answers apply: a CreateBucket
// must name that region as its LocationConstraint, and one naming another
// region, or none, is refused. The location cases, which skip or take the
// us-east-1 branch in the other runs, must pass here.
func TestGatewayOtherRegion(t *testing.T) {
	results := launchAndExecute(t, map[string]string{"S3_REGION": "eu-west-2"}, conformance.ExecOptions{
		Features: []conformance.Feature{conformance.Buckets, conformance.SingleRegion},
	})
	for _, r := range results {
		switch {
		case r.Outcome == conformance.Fail:
			t.Errorf("%s failed: %s", r.ID, r.Message)
		case strings.HasPrefix(r.ID, "buckets/create/location-constraint/") && r.Outcome != conformance.Pass:
			t.Errorf("%s: %s, want pass: %s", r.ID, r.Outcome, r.Message)
		}
	}
}

// TestGatewayAnonymous runs the readiness cases against a gateway that
// serves unsigned requests (REQUIRE_AUTH=false), the one setting under
// which readyz/readyz/warns-when-anonymous runs rather than skips: it must
// pass here, and the other /readyz cases with it.
func TestGatewayAnonymous(t *testing.T) {
	results := launchAndExecute(t, map[string]string{"REQUIRE_AUTH": "false"}, conformance.ExecOptions{
		Run: regexp.MustCompile(`^readyz/readyz/`),
	})
	ran := false
	for _, r := range results {
		if r.Outcome != conformance.Pass {
			t.Errorf("%s: %s, want pass: %s", r.ID, r.Outcome, r.Message)
		}
		ran = ran || r.ID == "readyz/readyz/warns-when-anonymous"
	}
	if !ran {
		t.Errorf("readyz/readyz/warns-when-anonymous was not run; results %+v", results)
	}
}

// launchAndExecute starts a gateway with env (no control plane) and runs
// the cases opts selects against it.
func launchAndExecute(t *testing.T, env map[string]string, opts conformance.ExecOptions) []conformance.Result {
	t.Helper()
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Race: raceEnabled, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	results, err := conformance.Execute(context.Background(), g.Target(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return results
}
