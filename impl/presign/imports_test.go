package presign

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps presign off the S3 API: presigned URLs share S3's path
// and naming rules through impl/s3path, not by reaching into impl/s3api,
// which would make every change to the S3 handlers a change to presign's
// build and let presign come to depend on the handlers' internals.
func TestImports(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("no go tool to list dependencies with: %v", err)
	}
	const module = "github.com/s3gw/gateway/"
	for _, c := range []struct{ pkg, forbidden string }{
		{"impl/presign", "impl/s3api"},
	} {
		out, err := exec.Command(goTool, "list", "-deps", module+c.pkg).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("go list -deps %s: %v\n%s", c.pkg, err, stderr)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, module+c.pkg) {
			t.Fatalf("go list -deps %s does not list the package itself:\n%s", c.pkg, out)
		}
		if slices.Contains(deps, module+c.forbidden) {
			t.Errorf("%s depends on %s (go list -deps %[1]s)", c.pkg, c.forbidden)
		}
	}
}
