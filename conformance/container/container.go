// Package container starts a conformance target from a container image with
// testcontainers-go: an image by name, or one built from a Dockerfile first.
// No image is ever pulled (the images here are built FROM scratch), and the
// Ryuk reaper, whose image would have to be pulled, must be disabled with
// TESTCONTAINERS_RYUK_DISABLED=true; Start terminates what it started.
//
// Start finds where the container's port is published by itself, unless
// TESTCONTAINERS_HOST_OVERRIDE names the address: testcontainers guesses
// wrong when this process runs in a container beside a Docker engine of its
// own. Seeing /.dockerenv it takes the Docker host for the gateway of the
// engine's bridge network or, when that network reports none, of the
// default route: the machine outside, where nothing listens on the
// published port. So Start tries testcontainers' answer and 127.0.0.1, and
// takes the one where the port accepts connections.
package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/s3gw/gateway/conformance"
)

// ErrNoDocker reports that no Docker engine answers.
var ErrNoDocker = errors.New("no Docker engine is reachable")

// Available reports whether a Docker engine answers, and why not.
func Available(ctx context.Context) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	defer p.Close()
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return nil
}

// Start runs t.Container and fills in t.Endpoint. The returned function
// stops and removes the container.
func Start(ctx context.Context, t *conformance.Target, buildLog io.Writer) (stop func(), err error) {
	spec := t.Container
	if spec == nil {
		return nil, errors.New("target has no container")
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") != "true" {
		return nil, errors.New("set TESTCONTAINERS_RYUK_DISABLED=true: the reaper's image cannot be pulled here")
	}
	if err := Available(ctx); err != nil {
		return nil, err
	}
	port := strconv.Itoa(spec.Port) + "/tcp"
	req := testcontainers.ContainerRequest{
		Image:        spec.Image,
		Env:          spec.Env,
		ExposedPorts: []string{port},
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") != "" {
		// Images FROM scratch have no shell for the internal check.
		req.WaitingFor = wait.ForListeningPort(port).SkipInternalCheck().WithStartupTimeout(60 * time.Second)
	}
	if spec.Dockerfile != "" {
		if buildLog == nil {
			buildLog = io.Discard
		}
		req.Image = ""
		req.FromDockerfile = testcontainers.FromDockerfile{
			Context:        spec.Context,
			Dockerfile:     relative(spec.Context, spec.Dockerfile),
			BuildLogWriter: buildLog,
		}
	}
	if spec.Network != "" {
		req.Networks = []string{spec.Network}
		req.NetworkAliases = map[string][]string{spec.Network: spec.Aliases}
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		if c != nil {
			_ = c.Terminate(context.Background())
		}
		return nil, fmt.Errorf("start container: %w", err)
	}
	stop = func() { _ = c.Terminate(context.Background()) }
	host, err := c.Host(ctx)
	if err != nil {
		stop()
		return nil, fmt.Errorf("container host: %w", err)
	}
	mapped, err := c.MappedPort(ctx, port)
	if err != nil {
		stop()
		return nil, fmt.Errorf("container port: %w", err)
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		if host, err = publishedHost(ctx, []string{host, "127.0.0.1"}, mapped.Port(), 60*time.Second); err != nil {
			stop()
			return nil, err
		}
	}
	t.Endpoint = "http://" + net.JoinHostPort(host, mapped.Port())
	if err := waitHTTP(ctx, t.Endpoint); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// publishedHost returns the first of hosts where port accepts a TCP
// connection, trying each in turn until timeout.
func publishedHost(ctx context.Context, hosts []string, port string, timeout time.Duration) (string, error) {
	hosts = slices.Compact(hosts)
	deadline := time.Now().Add(timeout)
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	for {
		for _, h := range hosts {
			if c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(h, port)); err == nil {
				c.Close()
				return h, nil
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return "", fmt.Errorf("the container's port %s accepted no connection on %s within %v (set TESTCONTAINERS_HOST_OVERRIDE to where Docker publishes ports)",
				port, strings.Join(hosts, " or "), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHTTP waits until the endpoint answers HTTP at all.
func waitHTTP(ctx context.Context, endpoint string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("container at %s did not answer HTTP within 30s", endpoint)
}

func relative(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// NewNetwork creates a Docker network for containers that talk to each
// other, and returns its name and how to remove it.
func NewNetwork(ctx context.Context) (string, func(), error) {
	nw, err := network.New(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("create network: %w", err)
	}
	return nw.Name, func() { _ = nw.Remove(context.Background()) }, nil
}
