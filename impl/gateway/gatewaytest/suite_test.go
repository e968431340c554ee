package gatewaytest

import (
	"testing"

	"github.com/s3gw/gateway/impl/gateway"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/tenancy"
)

// TestSuiteInProcess keeps RunSuite honest: the whole suite passes against
// the in-process gateway, as it does against the launched one.
func TestSuiteInProcess(t *testing.T) { RunSuite(t) }

// TestSuiteOverMemory serves the whole suite from the in-memory backend and
// registry: nothing above the storage seam depends on the embedded store.
func TestSuiteOverMemory(t *testing.T) {
	RunSuiteOver(t, gateway.Storage{Backend: mem.New(), Owners: tenancy.NewMemory()})
}
