package upstream_test

import (
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/gateway"
	"github.com/s3gw/gateway/impl/gateway/gatewaytest"
	"github.com/s3gw/gateway/impl/storage/upstream"
)

// TestSuiteOverUpstream serves the whole conformance suite from the
// backend and its registry (with the owner cache gateways run with), in
// front of a real S3 server.
// Several minutes with -race; -short skips it.
func TestSuiteOverUpstream(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole conformance suite: skipped with -short")
	}
	s := open(t)
	gatewaytest.RunSuiteOver(t, gateway.Storage{Backend: s, Owners: s.Registry().WithCache(upstream.OwnerCache{TTL: 2 * time.Second}), Check: s.Check})
}
