package fs_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/fs"
	"github.com/s3gw/gateway/impl/storage/storagetest"
	"github.com/s3gw/gateway/impl/tenancy"
	"github.com/s3gw/gateway/impl/tenancy/tenancytest"
)

// open returns a fresh Store in a temporary directory, closed when the
// test ends. Fsync is off: the contract is about what is visible, and the
// crash tests of this package cover durability.
func open(t *testing.T, inlineMax int64) *fs.Store {
	t.Helper()
	dir := t.TempDir()
	s, err := fs.Open(fs.Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), InlineMaxBytes: inlineMax})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestBackend runs the storage contract with every body in a file of its
// own, and with small bodies inline in the index (most of the battery's).
func TestBackend(t *testing.T) {
	for _, inline := range []int64{0, 1 << 10} {
		t.Run(fmt.Sprintf("inline=%d", inline), func(t *testing.T) {
			storagetest.TestBackend(t, func(t *testing.T) storage.Backend { return open(t, inline) })
		})
	}
}

// TestRegistry runs the tenancy contract on the Store's claims.
func TestRegistry(t *testing.T) {
	tenancytest.TestRegistry(t, func(t *testing.T) tenancy.Registry { return open(t, 0) })
}
