//go:build mutation

package fs_test

import (
	"os"
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/impl/gateway/gatewaytest"
)

func TestMain(m *testing.M) { os.Exit(gatewaytest.MutationMain(m)) }

// TestConformanceSuite runs the conformance cases that exercise this
// package against an in-process gateway, so that mutation testing
// (make mutants) counts the mutants the suite kills, not only the unit
// tests' kills.
func TestConformanceSuite(t *testing.T) {
	gatewaytest.RunSuite(t, conformance.Buckets, conformance.Objects, conformance.List, conformance.Multipart)
}
