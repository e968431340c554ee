package ceph

import (
	"cmp"
	"os"
	"testing"
	"time"
)

// StartForTest starts a cluster for t in a fresh directory short enough for
// Ceph's admin sockets, and stops and removes it when t ends. Without Ceph
// installed it skips t, except where S3GW_REQUIRE_CLIENTS is set (CI), where
// it fails t: nothing the project requires may skip silently there.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if err := CheckInstalled(); err != nil {
		if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
			t.Fatalf("Ceph is required here: %v", err)
		}
		t.Skip(err)
	}
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "ceph-")
		if err == nil && len(dir) > 60 {
			os.RemoveAll(dir)
			dir, err = os.MkdirTemp("/tmp", "ceph-")
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		opts.Dir = dir
	}
	began := time.Now()
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Ceph (%s, %d gateways) started in %s", cmp.Or(opts.Store, Bluestore), len(c.Endpoints()), time.Since(began).Round(10*time.Millisecond))
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}
