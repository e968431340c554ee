//go:build mutation

package fs_test

import (
	"testing"

	"github.com/s3gw/gateway/impl/gateway/gatewaytest"
)

// TestConformanceSuite runs the conformance suite against an in-process
// gateway, so that mutation testing (make mutants) sees which mutants of
// this package the suite kills, not only the unit tests.
func TestConformanceSuite(t *testing.T) { gatewaytest.RunSuite(t) }
