package gatewaytest

import "testing"

// TestSuiteInProcess keeps RunSuite honest: the whole suite passes against
// the in-process gateway, as it does against the launched one.
func TestSuiteInProcess(t *testing.T) { RunSuite(t) }
