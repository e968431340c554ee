package conformance_test

import (
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// overCephExpectations lists what the gateway over Ceph fails that the
// gateway over its embedded store passes, each with the reason.
const overCephExpectations = "../fixtures/expectations/gateway-over-radosgw.toml"

// TestGatewayOverCeph runs the whole suite against the gateway with
// STORAGE_BACKEND=s3 in front of a fresh single-node Ceph: the backend must
// make the old store look like today's S3, so every feature the embedded
// store passes passes here too, except what the expectations file lists
// with its reason.
func TestGatewayOverCeph(t *testing.T) {
	c := ceph.StartForTest(t, ceph.Options{})
	cp, err := launch.StartControlPlane(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Stop() })
	// Without the race detector in the gateway: the backend's code runs
	// the whole suite under it in-process (upstream.TestSuiteOverUpstream),
	// and here it would only slow the store's answers down.
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), ControlPlane: cp, Env: map[string]string{
		"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": c.Endpoints()[0], "UPSTREAM_REGION": c.Region,
		"UPSTREAM_ACCESS_KEY": c.AccessKey, "UPSTREAM_SECRET_KEY": c.SecretKey,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	target := g.Target()
	began := time.Now()
	results, err := conformance.Execute(t.Context(), target, conformance.ExecOptions{Features: target.Features, Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %s", len(results), time.Since(began).Round(10*time.Millisecond))
	checkExpectations(t, "the gateway over radosgw", results, overCephExpectations, "WRITE_OVERCEPH_FAILURES", nil)
}
