// Command ceph-single runs a single-node Ceph cluster with RADOS Gateways
// (conformance/launch/ceph) in the foreground, for trying the upstream-S3
// backend by hand:
//
//	ceph-single start --dir DIR [--gateways N] [--store bluestore|memstore]
//	ceph-single stop --dir DIR
//
// start prints the gateways' endpoints and the S3 user's keys as shell
// exports on standard output, then waits: Ctrl-C, SIGTERM or `ceph-single
// stop` from another shell stops the daemons (gateways first, monitor
// last). Starting on a directory that holds a cluster restarts it with its
// data. DIR must be short: Ceph's admin sockets live under it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// pidFile, in the cluster's directory, names the ceph-single process
// serving it, for `stop`.
const pidFile = "ceph-single.pid"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ceph-single start|stop --dir DIR [flags]  (ceph-single start -h for the flags)")
		return 2
	}
	fs := flag.NewFlagSet("ceph-single "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "the cluster's directory (short: Ceph's admin sockets live under it)")
	var gateways *int
	var store *string
	if args[0] == "start" {
		gateways = fs.Int("gateways", 0, "radosgw instances (default 1; a restarted cluster keeps its own)")
		store = fs.String("store", "", "the OSD's store: bluestore (a sparse file, survives crashes; the default) or memstore")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "ceph-single: --dir is required, and nothing else")
		return 2
	}
	switch args[0] {
	case "start":
		return start(*dir, *gateways, ceph.Store(*store), stdout, stderr)
	case "stop":
		return stop(*dir, stderr)
	}
	fmt.Fprintf(stderr, "ceph-single: unknown command %q: want start or stop\n", args[0])
	return 2
}

func start(dir string, gateways int, store ceph.Store, stdout, stderr io.Writer) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	began := time.Now()
	c, err := ceph.Start(ctx, ceph.Options{Dir: dir, Gateways: gateways, Store: store})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(c.Dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		c.Stop()
		return 1
	}
	eps := c.Endpoints()
	fmt.Fprintf(stdout, "export UPSTREAM_ENDPOINT=%s\n", eps[0])
	fmt.Fprintf(stdout, "export UPSTREAM_REGION=%s\n", c.Region)
	fmt.Fprintf(stdout, "export UPSTREAM_ACCESS_KEY=%s\n", c.AccessKey)
	fmt.Fprintf(stdout, "export UPSTREAM_SECRET_KEY=%s\n", c.SecretKey)
	fmt.Fprintf(stdout, "export CEPH_ENDPOINTS='%s'\n", strings.Join(eps, " "))
	fmt.Fprintf(stderr, "ceph-single: cluster in %s ready in %s; Ctrl-C or `ceph-single stop --dir %s` stops it\n",
		c.Dir, time.Since(began).Round(10*time.Millisecond), dir)

	<-ctx.Done()
	fmt.Fprintln(stderr, "ceph-single: stopping")
	code := 0
	if err := c.Stop(); err != nil {
		fmt.Fprintln(stderr, err)
		code = 1
	}
	os.Remove(filepath.Join(c.Dir, pidFile))
	return code
}

// stop asks the ceph-single serving dir to stop its cluster, and waits
// until it has. It signals only a process whose command line is
// ceph-single's: a stale pid file may name a pid since reused.
func stop(dir string, stderr io.Writer) int {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "ceph-single: no cluster is running in %s\n", dir)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "ceph-single:", err)
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		fmt.Fprintf(stderr, "ceph-single: %s: not a pid\n", filepath.Join(dir, pidFile))
		return 1
	}
	if !isStart(pid) {
		fmt.Fprintf(stderr, "ceph-single: pid %d (from %s) is not a ceph-single start: nothing to stop\n", pid, pidFile)
		return 1
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(stderr, "ceph-single: signal %d: %v\n", pid, err)
		return 1
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(stderr, "ceph-single: pid %d still runs 2 minutes after SIGTERM\n", pid)
	return 1
}

// isStart reports whether pid runs `ceph-single start` (under any binary
// name beginning with ceph-single, as go run and go build name it).
func isStart(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	return len(args) >= 2 && strings.HasPrefix(filepath.Base(args[0]), "ceph-single") && args[1] == "start"
}
