package launch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildLeavesNothing: building the gateway twice (as two test
// processes would) leaves nothing in the temp folder and one binary in
// the cache directory, which the second build replaces.
func TestBuildLeavesNothing(t *testing.T) {
	tmp, cache := t.TempDir(), t.TempDir()
	// The Go build cache stays where it is (it defaults to one under
	// XDG_CACHE_HOME): a cold one would make this a full build.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_CACHE_HOME", cache)
	var paths []string
	for range 2 {
		buildMu.Lock()
		clear(built)
		buildMu.Unlock()
		p, err := Binary(false)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if paths[0] != paths[1] || filepath.Dir(paths[0]) != filepath.Join(cache, "s3gw-launch") {
		t.Errorf("binaries at %q, want one path under %s", paths, cache)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in the temp folder: %s", e.Name())
	}
	kept, _ := os.ReadDir(filepath.Join(cache, "s3gw-launch"))
	if len(kept) != 1 {
		t.Errorf("cache holds %d files, want the one binary", len(kept))
	}
	if fi, err := os.Stat(paths[0]); err != nil || fi.Mode()&0o100 == 0 {
		t.Errorf("binary %s: %v %v", paths[0], fi, err)
	}
}
