// Package ceph starts and stops a single-node Ceph cluster with one or more
// RADOS Gateways (radosgw), from Debian's Ceph 16.2 packages, without
// systemd or containers: one monitor, one OSD and the gateways, each a
// foreground process in its own session, all on 127.0.0.1, all state under
// one directory. It is the engine the upstream-S3 tests run against and what
// cmd/ceph-single starts by hand; ../shared/notes/ceph-single-node.md (in
// the project's shared notes) has the measurements behind its settings.
//
// Nothing here is mocked: the daemons are the packaged ones, cephx is on,
// and the S3 user is a real radosgw user with generated keys.
package ceph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Store is the OSD's object store.
type Store string

const (
	// Bluestore keeps objects in a sparse file under the cluster's
	// directory: data survives SIGKILL of any daemon.
	Bluestore Store = "bluestore"
	// Memstore keeps objects in the OSD's memory: faster to start, but
	// data survives only a clean stop (a SIGKILLed OSD comes back with its
	// last clean state).
	Memstore Store = "memstore"
)

// Region is the SigV4 region clients sign with. radosgw 16.2 accepts any
// region in the credential scope (it signs with whatever the request
// names) and creates a bucket whose CreateBucket names no location
// constraint, so the one S3 clients default to is used; the zonegroup
// itself is called "default", which is what GetBucketLocation answers.
const Region = "us-east-1"

// maxSocketPath is the longest path a Unix socket may have (sun_path is
// 108 bytes, the last a NUL).
const maxSocketPath = 107

// Options configures a cluster.
type Options struct {
	// Dir holds the cluster: configuration, keys, the monitor's database,
	// the OSD's block file, admin sockets and logs. The admin sockets live
	// under it, so it must be short (at most about 80 bytes). Start on a
	// directory that already holds a cluster restarts that cluster.
	Dir string
	// Gateways is the number of radosgw instances (default 1), each on
	// its own port, all sharing the cluster.
	Gateways int
	// Store is the OSD's object store (default Bluestore).
	Store Store
	// Timeout bounds each wait for a daemon (default 90 s).
	Timeout time.Duration
	// MinPartSize, when set, is radosgw's smallest part before the last
	// of a multipart upload (rgw multipart min part size; S3's and
	// radosgw's default is 5 MiB): a storage contract battery that
	// completes uploads of few-byte parts needs it lowered.
	MinPartSize int64
	// BlockSize is the size of the OSD's sparse block file with Bluestore
	// (default 10 GiB); the OSD stops taking writes at 90 % of it.
	BlockSize int64
}

// Daemon names one of the cluster's daemons as Ceph does.
type Daemon string

const (
	// Monitor is the cluster's only monitor.
	Monitor Daemon = "mon.a"
	// OSD is the cluster's only object storage daemon.
	OSD Daemon = "osd.0"
)

// Gateway names the i-th radosgw (from 0).
func Gateway(i int) Daemon { return Daemon("client.rgw." + strconv.Itoa(i)) }

// state is what Start records in the directory to restart the cluster
// later: identities, ports and the S3 user's keys.
type state struct {
	FSID         string `json:"fsid"`
	OSDUUID      string `json:"osd_uuid"`
	Store        Store  `json:"store"`
	MonPort      int    `json:"mon_port"`
	GatewayPorts []int  `json:"gateway_ports"`
	AccessKey    string `json:"access_key"`
	SecretKey    string `json:"secret_key"`
	MinPartSize  int64  `json:"min_part_size,omitempty"`
	BlockSize    int64  `json:"block_size,omitempty"`
}

// Cluster is a running single-node cluster.
type Cluster struct {
	// Dir is the cluster's directory.
	Dir string
	// AccessKey and SecretKey are the S3 user's keys.
	AccessKey string
	SecretKey string
	// Region is the SigV4 region to sign with.
	Region string

	st      state
	timeout time.Duration

	mu    sync.Mutex
	procs map[Daemon]*proc
}

// proc is one daemon process started by the cluster.
type proc struct {
	name Daemon
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // the exit status, valid after done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start creates a cluster in opts.Dir (or restarts the one already there),
// starts its daemons and waits until every gateway serves S3. On error
// nothing it started is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("ceph: Options.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("ceph: %w", err)
	}
	if n := len(socketPath(dir, Gateway(99))); n > maxSocketPath {
		return nil, fmt.Errorf("ceph: directory %s is too long: its admin sockets would be %d bytes, over the %d-byte limit of a Unix socket path", dir, n, maxSocketPath)
	}
	requested := opts.Store
	if opts.Store == "" {
		opts.Store = Bluestore
	}
	if opts.Store != Bluestore && opts.Store != Memstore {
		return nil, fmt.Errorf("ceph: unknown store %q (want %q or %q)", opts.Store, Bluestore, Memstore)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 90 * time.Second
	}
	if err := checkBinaries(); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Region: Region, timeout: opts.Timeout, procs: map[Daemon]*proc{}}

	existing, err := os.ReadFile(c.path("cluster.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(existing, &c.st); err != nil {
			return nil, fmt.Errorf("ceph: %s: %w", c.path("cluster.json"), err)
		}
		if opts.Gateways != 0 && opts.Gateways != len(c.st.GatewayPorts) {
			return nil, fmt.Errorf("ceph: the cluster in %s has %d gateways, not %d", dir, len(c.st.GatewayPorts), opts.Gateways)
		}
		if requested != "" && requested != c.st.Store {
			return nil, fmt.Errorf("ceph: the cluster in %s uses %s, not %s", dir, c.st.Store, opts.Store)
		}
		if err := c.checkPorts(); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist):
		if opts.Gateways <= 0 {
			opts.Gateways = 1
		}
		if err := c.create(ctx, opts); err != nil {
			c.Stop()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("ceph: %w", err)
	}
	c.AccessKey, c.SecretKey = c.st.AccessKey, c.st.SecretKey

	if err := c.startAll(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// checkBinaries reports the packages to install when a Ceph program is
// missing.
func checkBinaries() error {
	var missing []string
	for _, b := range []struct{ bin, pkg string }{
		{"ceph-mon", "ceph-mon"}, {"ceph-osd", "ceph-osd"}, {"radosgw", "radosgw"},
		{"radosgw-admin", "ceph-common"}, {"ceph-authtool", "ceph-common"}, {"ceph", "ceph-common"},
		{"monmaptool", "ceph-base"},
	} {
		if _, err := exec.LookPath(b.bin); err != nil {
			missing = append(missing, b.bin+" ("+b.pkg+")")
		}
	}
	if len(missing) > 0 {
		return &MissingError{Programs: missing}
	}
	return nil
}

// MissingError reports Ceph programs not found in PATH.
type MissingError struct{ Programs []string }

func (e *MissingError) Error() string {
	return "ceph: not installed: " + strings.Join(e.Programs, ", ") +
		"; apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common"
}

// CheckInstalled returns a *MissingError when a Ceph program is not
// installed, nil when all are.
func CheckInstalled() error { return checkBinaries() }

// create makes a new cluster: ports, configuration, keys, the monitor's
// map and database, then (with the monitor running) the OSD and the S3
// user.
func (c *Cluster) create(ctx context.Context, opts Options) error {
	if err := os.MkdirAll(c.Dir, 0o750); err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	for _, d := range []string{"mon", "osd", "run", "log"} {
		if err := os.MkdirAll(c.path(d), 0o750); err != nil {
			return fmt.Errorf("ceph: %w", err)
		}
	}
	c.st = state{FSID: newUUID(), OSDUUID: newUUID(), Store: opts.Store, AccessKey: randomString(20, upperAlnum), SecretKey: randomString(40, alnum),
		MinPartSize: opts.MinPartSize, BlockSize: opts.BlockSize}
	ports, err := freePorts(1 + opts.Gateways)
	if err != nil {
		return err
	}
	c.st.MonPort, c.st.GatewayPorts = ports[0], ports[1:]
	if err := os.WriteFile(c.path("ceph.conf"), c.config(), 0o640); err != nil {
		return fmt.Errorf("ceph: %w", err)
	}

	// Every daemon's key goes into one keyring that the monitor imports
	// when its database is made: no round trips to register them later.
	keyring := c.path("keyring")
	keys := [][]string{
		{"--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"},
		{keyring, "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *"},
		{keyring, "--gen-key", "-n", string(OSD), "--cap", "mon", "allow profile osd", "--cap", "osd", "allow *", "--cap", "mgr", "allow profile osd"},
	}
	for i := range c.st.GatewayPorts {
		keys = append(keys, []string{keyring, "--gen-key", "-n", string(Gateway(i)), "--cap", "mon", "allow rw", "--cap", "osd", "allow rwx"})
	}
	for _, args := range keys {
		if err := c.tool(ctx, "ceph-authtool", args...); err != nil {
			return err
		}
	}
	monmap := c.path("monmap")
	if err := c.tool(ctx, "monmaptool", "--create", "--fsid", c.st.FSID, "--addv", "a", c.monAddr(), monmap); err != nil {
		return err
	}
	if err := c.run(ctx, nil, "ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring, "-c", c.path("ceph.conf")); err != nil {
		return err
	}
	if err := c.startMonitor(ctx); err != nil {
		return err
	}
	if err := c.run(ctx, []Daemon{Monitor}, "ceph", "-c", c.path("ceph.conf"), "--connect-timeout", "30", "osd", "new", c.st.OSDUUID, "0"); err != nil {
		return err
	}
	if err := c.run(ctx, []Daemon{Monitor}, "ceph-osd", "--mkfs", "-i", "0", "--osd-uuid", c.st.OSDUUID, "-c", c.path("ceph.conf")); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c.st, "", "  ")
	if err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	// Written last: a directory with cluster.json holds a complete cluster.
	return os.WriteFile(c.path("cluster.json"), append(data, '\n'), 0o600)
}

// startAll starts whichever daemons are not running yet, in order, then
// creates the S3 user if the cluster is new.
func (c *Cluster) startAll(ctx context.Context) error {
	if !c.running(Monitor) {
		if err := c.startMonitor(ctx); err != nil {
			return err
		}
	}
	if err := c.startOSD(ctx); err != nil {
		return err
	}
	for i := range c.st.GatewayPorts {
		if err := c.startGateway(ctx, i); err != nil {
			return err
		}
	}
	if _, err := os.Stat(c.path("user-created")); err == nil {
		return nil
	}
	if err := c.run(ctx, []Daemon{Monitor, OSD}, "radosgw-admin", "-c", c.path("ceph.conf"), "user", "create",
		"--uid=s3", "--display-name=S3 user", "--access-key="+c.st.AccessKey, "--secret-key="+c.st.SecretKey); err != nil {
		return err
	}
	return os.WriteFile(c.path("user-created"), nil, 0o600)
}

// config is ceph.conf. Each setting is one the notes found to matter.
func (c *Cluster) config() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("[global]")
	p("fsid = %s", c.st.FSID)
	p("mon host = %s", c.monAddr())
	p("mon initial members = a")
	p("auth cluster required = cephx")
	p("auth service required = cephx")
	p("auth client required = cephx")
	p("keyring = %s", c.path("keyring"))
	p("run dir = %s", c.path("run"))
	p("log file = %s", c.path("log", "$name.log"))
	// Otherwise a daemon that fails early (a missing database, a bad
	// setting) exits before its log thread writes why.
	p("log flush on exit = true")
	p("mon data = %s", c.path("mon"))
	p("osd data = %s", c.path("osd"))
	// The monitor commits once a second by default: radosgw's first
	// start, which creates its pools one by one, then takes ~19 s, not ~6 s.
	p("paxos propose interval = 0.1")
	// One OSD: one copy, placed on this host, without warnings about it.
	p("osd pool default size = 1")
	p("osd pool default min size = 1")
	p("osd crush chooseleaf type = 0")
	p("mon allow pool size one = true")
	p("mon warn on pool no redundancy = false")
	// radosgw creates ~8 pools: at the default pg count they exceed the
	// per-OSD limit and pool creation fails.
	p("osd pool default pg num = 8")
	p("osd pool default pgp num = 8")
	p("osd pool default pg autoscale mode = off")
	p("mon max pg per osd = 1000")
	// Test machines keep their disks full enough to trip the 30 % warning.
	p("mon data avail warn = 2")
	p("osd objectstore = %s", c.st.Store)
	p("osd memory target = %d", 1<<30)
	if c.st.Store == Memstore {
		// Memstore writes its state out only on a slow (clean) shutdown.
		p("osd fast shutdown = false")
		p("memstore device bytes = %d", 4<<30)
	} else {
		size := c.st.BlockSize
		if size <= 0 {
			size = 10 << 30
		}
		p("bluestore block size = %d", size) // a sparse file
		p("bluestore fsck on mkfs = false")
	}
	p("")
	// The daemons' admin sockets are named after the daemon alone, short
	// enough for the Unix socket limit; the command-line tools get none.
	p("[mon]")
	p("admin socket = %s", socketPath(c.Dir, "$name"))
	p("[osd]")
	p("admin socket = %s", socketPath(c.Dir, "$name"))
	p("[client.admin]")
	p("admin socket =")
	for i, port := range c.st.GatewayPorts {
		p("[%s]", Gateway(i))
		p("admin socket = %s", socketPath(c.Dir, "$name"))
		p("rgw data = %s", c.path("rgw."+strconv.Itoa(i)))
		// Without tcp_nodelay a 4 KiB GET takes ~45 ms (Nagle plus
		// delayed ACK) instead of ~1 ms.
		p("rgw frontends = beast endpoint=127.0.0.1:%d tcp_nodelay=1", port)
		if c.st.MinPartSize > 0 {
			p("rgw multipart min part size = %d", c.st.MinPartSize)
		}
		// Deleted objects' data is collected after two hours by default:
		// tests and benchmarks that write and delete gigabytes would fill
		// the OSD first.
		p("rgw gc obj min wait = 0")
		p("rgw gc processor period = 10")
	}
	return b.Bytes()
}

func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

func socketPath(dir string, name Daemon) string {
	return filepath.Join(dir, "run", string(name)+".asok")
}

func (c *Cluster) monAddr() string {
	return fmt.Sprintf("[v2:127.0.0.1:%d]", c.st.MonPort)
}

// Endpoints returns each gateway's S3 endpoint, http://127.0.0.1:port.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.st.GatewayPorts))
	for i, p := range c.st.GatewayPorts {
		eps[i] = fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	return eps
}

// PIDs returns the process ids of the running daemons.
func (c *Cluster) PIDs() map[Daemon]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	pids := map[Daemon]int{}
	for name, p := range c.procs {
		if !p.exited() {
			pids[name] = p.cmd.Process.Pid
		}
	}
	return pids
}

func (c *Cluster) running(d Daemon) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.procs[d]
	return p != nil && !p.exited()
}

// KillDaemon ends a daemon with SIGKILL, as a crash would, and waits until
// it has exited.
func (c *Cluster) KillDaemon(d Daemon) error {
	c.mu.Lock()
	p := c.procs[d]
	c.mu.Unlock()
	if p == nil || p.exited() {
		return fmt.Errorf("ceph: %s is not running", d)
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return nil
}

// Restart starts a daemon that is not running (after KillDaemon, or
// after it died) and waits until it serves: the monitor until it leads,
// the OSD until its admin socket reports it active, a gateway until it
// answers HTTP.
func (c *Cluster) Restart(ctx context.Context, d Daemon) error {
	if c.running(d) {
		return fmt.Errorf("ceph: %s is still running", d)
	}
	switch d {
	case Monitor:
		return c.startMonitor(ctx)
	case OSD:
		return c.startOSD(ctx)
	}
	for i := range c.st.GatewayPorts {
		if d == Gateway(i) {
			return c.startGateway(ctx, i)
		}
	}
	return fmt.Errorf("ceph: no daemon %s in this cluster", d)
}

// RestartGateway starts the i-th gateway again after it was killed.
func (c *Cluster) RestartGateway(ctx context.Context, i int) error {
	return c.Restart(ctx, Gateway(i))
}

// Stop ends every daemon the cluster started, gateways first and the
// monitor last (each with SIGTERM, then SIGKILL if it lingers), and waits
// for each. It signals only the processes it started.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	var order []*proc
	for i := range c.st.GatewayPorts {
		if p := c.procs[Gateway(i)]; p != nil {
			order = append(order, p)
		}
	}
	for _, d := range []Daemon{OSD, Monitor} {
		if p := c.procs[d]; p != nil {
			order = append(order, p)
		}
	}
	c.mu.Unlock()
	var errs []error
	for _, p := range order {
		if p.exited() {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			errs = append(errs, fmt.Errorf("ceph: %s did not exit within 30 s of SIGTERM; killed", p.name))
		}
	}
	return errors.Join(errs...)
}

// startMonitor starts the monitor and waits until it leads its quorum of
// one.
func (c *Cluster) startMonitor(ctx context.Context) error {
	if err := c.spawn(Monitor, "ceph-mon", "-f", "-i", "a", "-c", c.path("ceph.conf")); err != nil {
		return err
	}
	return c.waitFor(ctx, Monitor, "lead its quorum", func() (bool, error) {
		var st struct {
			State string `json:"state"`
		}
		if err := adminSocket(socketPath(c.Dir, Monitor), "mon_status", &st); err != nil {
			return false, nil
		}
		return st.State == "leader", nil
	})
}

// startOSD starts the OSD unless it runs, and waits until its admin socket
// reports it active: after a crash the cluster map may still show the dead
// OSD as up, so only the OSD itself can say it serves again.
func (c *Cluster) startOSD(ctx context.Context) error {
	if !c.running(OSD) {
		if err := c.spawn(OSD, "ceph-osd", "-f", "-i", "0", "-c", c.path("ceph.conf")); err != nil {
			return err
		}
	}
	return c.waitOSD(ctx)
}

func (c *Cluster) waitOSD(ctx context.Context) error {
	return c.waitFor(ctx, OSD, "become active", func() (bool, error) {
		var st struct {
			State string `json:"state"`
		}
		if err := adminSocket(socketPath(c.Dir, OSD), "status", &st); err != nil {
			return false, nil
		}
		return st.State == "active", nil
	})
}

// startGateway starts the i-th radosgw once the OSD is active and waits
// until it answers HTTP.
func (c *Cluster) startGateway(ctx context.Context, i int) error {
	if !c.running(OSD) {
		return fmt.Errorf("ceph: cannot start %s: %s is not running", Gateway(i), OSD)
	}
	if err := c.waitOSD(ctx); err != nil {
		return err
	}
	d := Gateway(i)
	if err := checkPort(c.st.GatewayPorts[i]); err != nil {
		return fmt.Errorf("ceph: cannot start %s: %w", d, err)
	}
	if err := os.MkdirAll(c.path("rgw."+strconv.Itoa(i)), 0o750); err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	if err := c.spawn(d, "radosgw", "-f", "-n", string(d), "-c", c.path("ceph.conf")); err != nil {
		return err
	}
	url := c.Endpoints()[i] + "/"
	client := &http.Client{Timeout: 2 * time.Second}
	return c.waitFor(ctx, d, "answer HTTP at "+url, func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return true, nil
	})
}

// spawn starts a daemon in the foreground, in a session of its own (a
// terminal's Ctrl-C reaches the launcher only, which stops the daemons
// in order), with its output in log/NAME.out.
func (c *Cluster) spawn(d Daemon, bin string, args ...string) error {
	// A marker in both logs: LogTail shows only this run's lines.
	marker := fmt.Sprintf("%s %s: %s %s\n", logMarker, time.Now().UTC().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	if err := appendFile(c.path("log", string(d)+".log"), marker); err != nil {
		return err
	}
	out, err := os.OpenFile(c.path("log", string(d)+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	defer out.Close()
	if _, err := out.WriteString(marker); err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ceph: start %s: %w", d, err)
	}
	p := &proc{name: d, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs[d] = p
	c.mu.Unlock()
	return nil
}

// waitFor polls ready until it reports true, the daemon exits, or the
// timeout passes; the last two are errors naming the daemon, with the
// tail of its logs.
func (c *Cluster) waitFor(ctx context.Context, d Daemon, what string, ready func() (bool, error)) error {
	c.mu.Lock()
	p := c.procs[d]
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := ready()
		if err != nil {
			return fmt.Errorf("ceph: %s: %w", d, err)
		}
		if ok {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("ceph: %s exited (%v) before it could %s:\n%s", d, p.err, what, c.LogTail(d, 15))
		case <-ctx.Done():
			return fmt.Errorf("ceph: %s did not %s within %s (%v):\n%s", d, what, c.timeout, ctx.Err(), c.LogTail(d, 15))
		case <-tick.C:
		}
	}
}

// run runs a command to completion within the timeout. While it runs, the
// daemons in watch must stay up: a command waiting for a dead monitor
// would otherwise wait out its own timeout, and the error would not say
// why.
func (c *Cluster) run(ctx context.Context, watch []Daemon, bin string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ceph: %s: %w", bin, err)
	}
	finished := make(chan error, 1)
	go func() { finished <- cmd.Wait() }()
	died := make(chan Daemon, len(watch))
	stop := make(chan struct{})
	defer close(stop)
	c.mu.Lock()
	for _, d := range watch {
		if p := c.procs[d]; p != nil {
			go func() {
				select {
				case <-p.done:
					died <- d
				case <-stop:
				}
			}()
		}
	}
	c.mu.Unlock()
	select {
	case err := <-finished:
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("ceph: %s %s: no answer within %s:\n%s", bin, strings.Join(args, " "), c.timeout, tail(out.String(), 15))
			}
			return fmt.Errorf("ceph: %s %s: %v:\n%s", bin, strings.Join(args, " "), err, tail(out.String(), 15))
		}
		return nil
	case d := <-died:
		cancel()
		<-finished
		return fmt.Errorf("ceph: %s exited while %s ran:\n%s", d, bin, c.LogTail(d, 15))
	}
}

// NewUser creates an S3 user in a tenant of its own and returns its keys.
// A tenant has its own bucket namespace, so tests that each need a store
// to themselves (fixed bucket names, a metadata bucket) can share one
// cluster. The tenant is a fresh random name.
func (c *Cluster) NewUser(ctx context.Context) (accessKey, secretKey string, err error) {
	tenant := "t" + randomString(12, lowerAlnum)
	accessKey, secretKey = randomString(20, upperAlnum), randomString(40, alnum)
	if err := c.run(ctx, []Daemon{Monitor, OSD}, "radosgw-admin", "-c", c.path("ceph.conf"), "user", "create",
		"--tenant="+tenant, "--uid=s3", "--display-name=S3 user of "+tenant, "--access-key="+accessKey, "--secret-key="+secretKey); err != nil {
		return "", "", err
	}
	return accessKey, secretKey, nil
}

// tool runs ceph-authtool or monmaptool with CEPH_CONF=/dev/null: they
// must neither read nor log against the half-made configuration.
func (c *Cluster) tool(ctx context.Context, bin string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(cleanEnv(), "CEPH_CONF="+os.DevNull)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ceph: %s %s: %v:\n%s", bin, strings.Join(args, " "), err, tail(string(out), 15))
	}
	return nil
}

// cleanEnv is the launcher's environment without Ceph's own variables, so
// that an operator's CEPH_ARGS or CEPH_CONF cannot redirect the daemons.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CEPH_") {
			env = append(env, kv)
		}
	}
	return env
}

// logMarker starts the line spawn writes into a daemon's logs before each
// start.
const logMarker = "=== start"

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ceph: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of a daemon's log and of its standard
// error since its latest start, for error messages.
func (c *Cluster) LogTail(d Daemon, n int) string {
	var parts []string
	for _, name := range []string{string(d) + ".log", string(d) + ".out"} {
		b, err := os.ReadFile(c.path("log", name))
		if err != nil {
			continue
		}
		if i := bytes.LastIndex(b, []byte(logMarker)); i >= 0 {
			b = b[i:]
			if j := bytes.IndexByte(b, '\n'); j >= 0 {
				b = b[j+1:]
			}
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		parts = append(parts, "--- "+c.path("log", name)+"\n"+tail(string(b), n))
	}
	if len(parts) == 0 {
		return "(nothing in its logs)"
	}
	return strings.Join(parts, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// adminSocket sends one command to a daemon's admin socket and decodes its
// JSON answer. The protocol: the command as JSON and a NUL; the answer is
// a 4-byte big-endian length and that many bytes.
func adminSocket(path, prefix string, v any) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req, _ := json.Marshal(map[string]string{"prefix": prefix, "format": "json"})
	if _, err := conn.Write(append(req, 0)); err != nil {
		return err
	}
	var hdr [4]byte
	if _, err := readFull(conn, hdr[:]); err != nil {
		return err
	}
	n := int(hdr[0])<<24 | int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	if n > 16<<20 {
		return fmt.Errorf("admin socket %s: answer of %d bytes", path, n)
	}
	body := make([]byte, n)
	if _, err := readFull(conn, body); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

func readFull(conn net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := conn.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// checkPorts checks, before a restart, that the recorded ports are free.
func (c *Cluster) checkPorts() error {
	if err := checkPort(c.st.MonPort); err != nil {
		return fmt.Errorf("ceph: cannot restart the monitor: %w", err)
	}
	for i, p := range c.st.GatewayPorts {
		if err := checkPort(p); err != nil {
			return fmt.Errorf("ceph: cannot restart %s: %w", Gateway(i), err)
		}
	}
	return nil
}

// reuseAddr binds as the daemons do, with SO_REUSEADDR: a port held only
// by a killed daemon's TIME_WAIT connections is free to them.
var reuseAddr = net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return serr
}}

// checkPort reports whether port is free on 127.0.0.1.
func checkPort(port int) error {
	l, err := reuseAddr.Listen(context.Background(), "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port %d is in use: %w", port, err)
	}
	return l.Close()
}

// freePorts returns n distinct ports free on 127.0.0.1, each held until
// all are chosen so that none is handed out twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := reuseAddr.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("ceph: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from set.
func randomString(n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		b[i] = set[k.Int64()]
	}
	return string(b)
}
