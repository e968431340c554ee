package conformance

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// implPrefix is where the gateway's own code lives.
const implPrefix = "github.com/s3gw/gateway/impl/"

// TestNoImplImports enforces the package's first rule: nothing under
// conformance/, tests included, depends on the gateway's code, so a bug the
// gateway shares with itself cannot hide from the suite. It asks the go
// command for every dependency of conformance/... and its tests.
//
// go test runs this with GOROOT/bin first in PATH, so "go" is the go
// command that built the test (runtime.GOROOT is deprecated for finding it).
func TestNoImplImports(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the dependencies: %v", err)
	}
	cmd := exec.Command(gocmd, "list", "-deps", "-test", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps -test ./...: %v\n%s", err, stderr.Bytes())
	}

	// Each line is a package (a test variant reads "path [path.test]"), a
	// tab and what it imports directly.
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		pkg, deps, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok {
			t.Fatalf("go list printed %q: want a package, a tab and its imports", line)
		}
		imports[pkg] = strings.Fields(deps)
	}
	if _, ok := imports["github.com/s3gw/gateway/conformance"]; !ok {
		t.Fatalf("go list did not list github.com/s3gw/gateway/conformance: the test no longer sees the package\n%s", out)
	}

	var bad []string
	for pkg, deps := range imports {
		if strings.HasPrefix(pkg, implPrefix) {
			bad = append(bad, pkg)
			continue
		}
		for _, d := range deps {
			if strings.HasPrefix(d, implPrefix) {
				bad = append(bad, pkg+" imports "+d)
			}
		}
	}
	slices.Sort(bad)
	for _, b := range bad {
		t.Errorf("conformance depends on the gateway's code: %s", b)
	}
}
