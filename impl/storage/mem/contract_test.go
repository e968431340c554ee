package mem_test

import (
	"testing"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/storage/storagetest"
)

// TestContract runs the storage contract's battery against a fresh Store
// per subtest.
func TestContract(t *testing.T) {
	storagetest.TestBackend(t, func(t *testing.T) storage.Backend { return mem.New() })
}
