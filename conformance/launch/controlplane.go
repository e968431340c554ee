package launch

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// cpKey is a key only the launched control plane knows: the gateway must
// resolve it there (SIGV4_PROVIDER=hybrid).
var cpKey = conformance.Credentials{AccessKey: "conformance-cp-key", SecretKey: "conformance-cp-secret"}

// ControlPlane is a running mock control plane (go run ./controlplane-mock).
type ControlPlane struct {
	URL   string
	Token string
	Dir   string
	cmd   *exec.Cmd
	wait  chan error
}

// StartControlPlane builds and starts the mock control plane with a seed
// holding cpKey for the conformance project, a root key file and an
// internal API token, all under dir.
func StartControlPlane(dir string) (*ControlPlane, error) {
	bin, err := build("./controlplane-mock", false)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	seed := filepath.Join(dir, "seed.toml")
	if err := SeedFile(seed); err != nil {
		return nil, err
	}
	cp := &ControlPlane{Token: "conformance-internal-token", Dir: dir}
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-seed", seed, "-root-key-file", filepath.Join(dir, "root.key"), "-addr-file", addrFile)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "INTERNAL_API_TOKEN=" + cp.Token}
	logf, err := os.Create(filepath.Join(dir, "controlplane.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	logf.Close()
	cp.cmd, cp.wait = cmd, make(chan error, 1)
	go func() { cp.wait <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			cp.URL = "http://" + strings.TrimSpace(string(b))
			if resp, err := http.Get(cp.URL + "/healthz"); err == nil {
				resp.Body.Close()
				return cp, nil
			}
		}
		select {
		case err := <-cp.wait:
			return nil, fmt.Errorf("control plane exited during start-up: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cp.Stop()
	return nil, errors.New("control plane did not start within 30s")
}

// Stop ends the control plane.
func (cp *ControlPlane) Stop() error {
	if cp.cmd == nil {
		return nil
	}
	_ = cp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-cp.wait:
	case <-time.After(10 * time.Second):
		_ = cp.cmd.Process.Kill()
		<-cp.wait
	}
	cp.cmd = nil
	return nil
}
