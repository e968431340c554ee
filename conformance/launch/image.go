package launch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ImageContext prepares a Docker build context in dir for a command of this
// module (./cmd/gateway or ./controlplane-mock): its static binary and its
// Dockerfile. The images are FROM scratch, so building them pulls nothing.
func ImageContext(dir, pkg string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	name := filepath.Base(pkg)
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, name), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("static build of %s: %v\n%s", pkg, err, out)
	}
	df, err := os.ReadFile(filepath.Join(root, pkg, "Dockerfile"))
	if err != nil {
		return fmt.Errorf("read Dockerfile: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644)
}

// SeedFile writes the mock control plane's seed for the launched keys.
func SeedFile(path string) error {
	body := fmt.Sprintf("[[keys]]\naccess_key = %q\nsecret_key = %q\nproject_id = \"conformance\"\n", cpKey.AccessKey, cpKey.SecretKey)
	return os.WriteFile(path, []byte(body), 0o600)
}

// ContainerEnv is the gateway's environment in a container target: the
// launched credentials, a control plane by name on the container network.
func ContainerEnv(controlPlaneURL, token string) map[string]string {
	env := map[string]string{
		"SIGV4_CREDENTIALS_JSON": credentialsJSON(),
		"LOG_FORMAT":             "text",
		"PRESIGN_SECRET":         PresignSecret,
	}
	if controlPlaneURL != "" {
		env["CONTROL_PLANE_URL"] = controlPlaneURL
		env["INTERNAL_API_TOKEN"] = token
		env["SIGV4_PROVIDER"] = "hybrid"
	} else {
		env["SIGV4_PROVIDER"] = "env"
		env["USAGE_REPORTING"] = "false"
	}
	return env
}
