package wire

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const (
	module  = "github.com/s3gw/gateway"
	wirePkg = module + "/impl/controlplane/wire"
)

// deps lists the packages pkg depends on, itself included, as the go tool
// of the toolchain running the test sees them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("no go tool beside the toolchain: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// Both sides of the contract must speak it through this package; a side
// that stops importing it has gone back to a copy of its own.
func TestBothSidesUseWire(t *testing.T) {
	for _, side := range []string{
		module + "/impl/controlplane",
		module + "/controlplane-mock/mock",
	} {
		if !slices.Contains(deps(t, side), wirePkg) {
			t.Errorf("%s does not depend on %s", side, wirePkg)
		}
	}
}

// The contract depends on neither side, nor on anything else in the module,
// so either side (or another implementation's tests) can import it alone.
func TestWireImportsNothingFromTheModule(t *testing.T) {
	for _, dep := range deps(t, wirePkg) {
		if dep != wirePkg && (dep == module || strings.HasPrefix(dep, module+"/")) {
			t.Errorf("%s depends on %s", wirePkg, dep)
		}
	}
}
