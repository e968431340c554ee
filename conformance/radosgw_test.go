package conformance_test

import (
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// radosgwExpectations lists the cases Ceph's RADOS Gateway 16.2 is
// expected to fail, each with the reason (its deviation from S3).
const radosgwExpectations = "../fixtures/expectations/radosgw.toml"

// TestRadosGW runs the suite's S3 features straight against Ceph's RADOS
// Gateway on a fresh single-node cluster (conformance/launch/ceph) and
// compares the failures with the checked-in expectations, both ways, as
// TestGofakes3MatchesExpectations does: a real, widely deployed
// implementation judged by the suite, and a guard that every deviation the
// upstream backend must make up for stays detected. Locally it skips when
// Ceph is not installed; in CI (S3GW_REQUIRE_CLIENTS) that fails it.
func TestRadosGW(t *testing.T) {
	c := ceph.StartForTest(t, ceph.Options{})

	target := &conformance.Target{
		Name:     "Ceph RADOS Gateway 16.2 (single node)",
		Endpoint: c.Endpoints()[0],
		Region:   c.Region,
		Full:     conformance.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey},
		MaxSkew:  15 * time.Minute, // radosgw's fixed grace for signed requests
		Features: conformance.S3Features,
	}
	began := time.Now()
	results, err := conformance.Execute(t.Context(), target, conformance.ExecOptions{Features: conformance.S3Features, Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %s", len(results), time.Since(began).Round(10*time.Millisecond))
	checkExpectations(t, "radosgw", results, radosgwExpectations, "WRITE_RADOSGW_FAILURES", nil)
}
