package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3gw/gateway/conformance/container"
	"github.com/s3gw/gateway/conformance/launch"
)

// TestContainerTarget runs s3conform on fixtures/targets/gateway-container.toml
// with no TESTCONTAINERS_HOST_OVERRIDE, as a user does: the image is built
// here from this repository's gateway (the fixture's image line becomes a
// dockerfile line), everything else is the fixture's. Without a Docker
// engine it skips, unless S3GW_REQUIRE_DOCKER is set.
func TestContainerTarget(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "")
	os.Unsetenv("TESTCONTAINERS_HOST_OVERRIDE") // restored by t.Setenv's cleanup
	if err := container.Available(context.Background()); err != nil {
		if os.Getenv("S3GW_REQUIRE_DOCKER") != "" {
			t.Fatalf("a Docker engine is required here: %v", err)
		}
		t.Skipf("skipping the container target: %v", err)
	}
	dir := t.TempDir()
	if err := launch.ImageContext(dir, "./cmd/gateway"); err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile("../../fixtures/targets/gateway-container.toml")
	if err != nil {
		t.Fatal(err)
	}
	const imageLine = `image = "s3gw/gateway:dev"`
	if !bytes.Contains(fixture, []byte(imageLine)) {
		t.Fatalf("the fixture has no line %s", imageLine)
	}
	target := filepath.Join(dir, "target.toml")
	if err := os.WriteFile(target, bytes.Replace(fixture, []byte(imageLine), []byte(`dockerfile = "Dockerfile"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--target", target, "--run", "^(buckets/create/|objects/put/|tenancy/)", "--report", filepath.Join(dir, "reports")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("s3conform run exited %d\nstderr: %s\n%s", code, stderr.String(), stdout.String())
	}
	if !strings.Contains(stdout.String(), "| tenancy | extension |") || strings.Contains(stdout.String(), "| **all** | | **0** |") {
		t.Errorf("no case ran:\n%s", stdout.String())
	}
}
