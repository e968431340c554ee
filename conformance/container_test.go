package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/container"
	"github.com/s3gw/gateway/conformance/launch"
)

// TestGatewayContainer runs the suite against the gateway and the mock
// control plane as containers (images FROM scratch, built here, started with
// testcontainers-go on a network of their own). Without a Docker engine it
// skips and says why, unless S3GW_REQUIRE_DOCKER is set (as in CI), where it
// fails.
func TestGatewayContainer(t *testing.T) {
	// Before any testcontainers call: its configuration is read once.
	// TESTCONTAINERS_HOST_OVERRIDE is left as it is: container.Start finds
	// where ports are published without it.
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	ctx := context.Background()
	if err := container.Available(ctx); err != nil {
		if os.Getenv("S3GW_REQUIRE_DOCKER") != "" {
			t.Fatalf("a Docker engine is required here: %v", err)
		}
		t.Skipf("skipping the container target: %v", err)
	}
	netName, removeNet, err := container.NewNetwork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(removeNet)

	cpDir := t.TempDir()
	if err := launch.ImageContext(cpDir, "./controlplane-mock"); err != nil {
		t.Fatal(err)
	}
	if err := launch.SeedFile(filepath.Join(cpDir, "seed.toml")); err != nil {
		t.Fatal(err)
	}
	const cpToken = "conformance-internal-token"
	cp := &conformance.Target{Container: &conformance.Container{
		Dockerfile: filepath.Join(cpDir, "Dockerfile"), Context: cpDir, Port: 8080,
		Env: map[string]string{"INTERNAL_API_TOKEN": cpToken}, Network: netName, Aliases: []string{"controlplane"},
	}}
	stopCP, err := container.Start(ctx, cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopCP)

	gwDir := t.TempDir()
	if err := launch.ImageContext(gwDir, "./cmd/gateway"); err != nil {
		t.Fatal(err)
	}
	gw := &conformance.Target{Container: &conformance.Container{
		Dockerfile: filepath.Join(gwDir, "Dockerfile"), Context: gwDir, Port: 9009,
		Env: launch.ContainerEnv("http://controlplane:8080", cpToken), Network: netName,
	}}
	stopGW, err := container.Start(ctx, gw, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopGW)

	target := launch.TargetAt(gw.Endpoint, "/s3", nil, cp.Endpoint, cpToken)
	target.Name = "gateway (container)"
	conformance.Run(t, target)
}
