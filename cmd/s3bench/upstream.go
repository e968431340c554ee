package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// Subject names of --upstream-ceph.
const (
	gatewayOverCeph = "gateway/ceph"
	radosgwDirect   = "radosgw"
)

// upstreamWorkloads are --upstream-ceph's workloads by default.
var upstreamWorkloads = []string{"put-16m", "get-16m", "put-4k", "get-4k", "list"}

// upstreamTargets are issue 13's targets: the gateway's throughput as a
// fraction of radosgw's, on a 2-core machine where both hops share the
// cores.
var upstreamTargets = map[string]float64{
	"put-16m": 0.85, "get-16m": 0.85,
	"put-4k": 0.6, "get-4k": 0.6,
	"list": 0.8,
}

// upstream is a single-node Ceph and a gateway in front of it.
type upstream struct {
	cluster  *ceph.Cluster
	gateway  *launch.Gateway
	dir      string
	subjects []subject
}

// startUpstream starts a fresh single-node Ceph (bluestore, as durable as a
// deployment) and a gateway over it, and names the two subjects: the
// gateway, and radosgw reached directly with the S3 user's keys.
func startUpstream(ctx context.Context, dir string) (*upstream, error) {
	if err := ceph.CheckInstalled(); err != nil {
		return nil, err
	}
	// Ceph's admin sockets live under the cluster's directory, whose path
	// must stay short: /tmp, not a long TMPDIR.
	cdir, err := os.MkdirTemp("/tmp", "ceph-bench-")
	if err != nil {
		return nil, err
	}
	u := &upstream{dir: cdir}
	began := time.Now()
	// The write workloads put tens of GiB through it in one run.
	if u.cluster, err = ceph.Start(ctx, ceph.Options{Dir: cdir, BlockSize: 48 << 30}); err != nil {
		os.RemoveAll(cdir)
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "s3bench: Ceph started in %s\n", time.Since(began).Round(10*time.Millisecond))
	c := u.cluster
	u.gateway, err = launch.Start(launch.Options{Dir: filepath.Join(dir, "gateway"), Env: map[string]string{
		"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": c.Endpoints()[0], "UPSTREAM_REGION": c.Region,
		"UPSTREAM_ACCESS_KEY": c.AccessKey, "UPSTREAM_SECRET_KEY": c.SecretKey,
		"MAX_BODY_BYTES": strconv.Itoa(1 << 30),
	}})
	if err != nil {
		u.stop()
		return nil, err
	}
	direct := &conformance.Target{
		Name:     radosgwDirect,
		Endpoint: c.Endpoints()[0],
		Region:   c.Region,
		Full:     conformance.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey},
		MaxSkew:  15 * time.Minute,
		Features: conformance.S3Features,
	}
	u.subjects = []subject{
		{gatewayOverCeph, u.gateway.Target(), u.gateway.Pid()},
		{radosgwDirect, direct, c.PIDs()[ceph.Gateway(0)]},
	}
	return u, nil
}

// stop ends the gateway and the cluster and removes the cluster's files.
func (u *upstream) stop() {
	if u.gateway != nil {
		if err := u.gateway.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "s3bench: stopping the gateway: %v\n", err)
		}
	}
	if err := u.cluster.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "s3bench: stopping Ceph: %v\n", err)
	}
	os.RemoveAll(u.dir)
}

// printRatios prints, per workload, the gateway's throughput (ops/s, keys
// for listings) as a fraction of radosgw's, beside the target.
func printRatios(w io.Writer, workloads []string, gw, direct map[string]result) {
	fmt.Fprintf(w, "\n%s / %s (ops/s of the median runs):\n", gatewayOverCeph, radosgwDirect)
	for _, wl := range workloads {
		g, okG := gw[wl]
		d, okD := direct[wl]
		if !okG || !okD || d.opsPerSec() == 0 {
			fmt.Fprintf(w, "  %-8s  n/a\n", wl)
			continue
		}
		ratio := g.opsPerSec() / d.opsPerSec()
		line := fmt.Sprintf("  %-8s  %.2fx", wl, ratio)
		if t, ok := upstreamTargets[wl]; ok {
			verdict := "met"
			if ratio < t {
				verdict = "NOT met"
			}
			line += fmt.Sprintf("  (target >= %.2fx: %s)", t, verdict)
		}
		fmt.Fprintln(w, line)
	}
}
