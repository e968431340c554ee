// Command s3bench measures an S3 endpoint with the AWS SDK for Go v2:
// PUT and GET of 4 KiB, 1 MiB, 16 MiB and 64 MiB objects, listing a
// 10 000-key bucket (paged and delimited) and a 1 GiB multipart upload, each
// for a fixed time at a fixed concurrency. It reports ops/s, MiB/s, p50 and
// p99 latency and, for a process it launched itself, the peak RSS during
// each workload; and it measures this machine's references (loopback TCP
// throughput, fsync latency) so each figure can be read as a fraction of the
// physical limit.
//
//	s3bench [--duration 10s] [--concurrency 8] [--repeat 1] [--workloads put-4k,get-4k,...] [--target other.toml ...]
//	s3bench --upstream-ceph [--repeat 3] ...
//
// Without --target it builds and starts this repository's gateway (fsync and
// authentication on, as in production). Each --target (a conformance target
// file) is measured too, side by side.
//
// With --upstream-ceph it starts a fresh single-node Ceph instead, and the
// gateway with STORAGE_BACKEND=s3 in front of it, and measures the gateway
// beside Ceph's radosgw direct, with the same client in the same run; it
// then prints the gateway's throughput as a fraction of radosgw's, workload
// by workload, against issue 13's targets.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

type targets []string

func (t *targets) String() string     { return strings.Join(*t, ",") }
func (t *targets) Set(v string) error { *t = append(*t, v); return nil }

// subject is one endpoint measured; pid, when set, is the process whose
// peak RSS each workload reports.
type subject struct {
	name   string
	target *conformance.Target
	pid    int
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "s3bench: %v\n", err)
		os.Exit(2)
	}
}

// run parses the flags, starts what is to be measured and stops it again
// whatever happens (daemons of a Ceph cluster outlive a process that exits
// without stopping them).
func run() error {
	var others targets
	duration := flag.Duration("duration", 10*time.Second, "how long each workload runs")
	concurrency := flag.Int("concurrency", 8, "concurrent requests")
	workloads := flag.String("workloads", strings.Join(allWorkloads, ","), "comma-separated workloads")
	noGateway := flag.Bool("no-gateway", false, "measure only the --target endpoints")
	upstreamCeph := flag.Bool("upstream-ceph", false, "start a single-node Ceph and measure the gateway over it (STORAGE_BACKEND=s3) beside its radosgw direct, "+
		"instead of the gateway over its embedded store; workloads default to "+strings.Join(upstreamWorkloads, ","))
	repeat := flag.Int("repeat", 1, "run each workload this many times, subjects taking turns; the table shows the median run")
	flag.Var(&others, "target", "also measure this conformance target file (repeatable)")
	flag.Parse()

	if *upstreamCeph && !flagSet("workloads") {
		*workloads = strings.Join(upstreamWorkloads, ",")
	}
	var selected []string
	for _, w := range strings.Split(*workloads, ",") {
		if !slices.Contains(allWorkloads, w) {
			return fmt.Errorf("unknown workload %q (want some of %s)", w, strings.Join(allWorkloads, ","))
		}
		selected = append(selected, w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var subjects []subject
	dir, err := os.MkdirTemp("", "s3bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	switch {
	case *upstreamCeph:
		up, err := startUpstream(ctx, dir)
		if err != nil {
			return err
		}
		defer up.stop()
		subjects = append(subjects, up.subjects...)
	case !*noGateway:
		g, err := launch.Start(launch.Options{Dir: filepath.Join(dir, "gateway"), Env: map[string]string{"S3_FSYNC": "true", "MAX_BODY_BYTES": strconv.Itoa(1 << 30)}})
		if err != nil {
			return err
		}
		defer g.Stop()
		subjects = append(subjects, subject{"gateway", g.Target(), g.Pid()})
	}
	for _, f := range others {
		t, err := conformance.LoadTarget(f)
		if err != nil {
			return err
		}
		subjects = append(subjects, subject{t.Name, t, 0})
	}
	if len(subjects) == 0 {
		return errors.New("nothing to measure: drop --no-gateway or add --target")
	}

	refs := measureReferences(dir)
	fmt.Printf("machine: %d CPUs; loopback TCP %.0f MiB/s; fsync of 4 KiB p50 %s\n\n", numCPU(), refs.loopbackMiBs, refs.fsyncP50)

	// Workload by workload, the subjects taking turns, so that a busy
	// moment of a shared machine falls on both sides of a comparison.
	benches := make([]*bench, len(subjects))
	for i, s := range subjects {
		benches[i] = newBench(s.target, *concurrency, *duration, s.pid)
	}
	runs := map[string]map[string][]result{}
	for _, s := range subjects {
		runs[s.name] = map[string][]result{}
	}
	for _, w := range selected {
		for rep := 0; rep < max(*repeat, 1); rep++ {
			for i, s := range subjects {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fmt.Fprintf(os.Stderr, "s3bench: %s: %s (run %d)... ", s.name, w, rep+1)
				r, err := benches[i].run(ctx, w)
				if err != nil {
					fmt.Fprintf(os.Stderr, "failed\ns3bench: %s %s: %v\n", s.name, w, err)
					continue
				}
				fmt.Fprintf(os.Stderr, "%.0f ops/s, %.1f MiB/s\n", r.opsPerSec(), r.mibPerSec())
				runs[s.name][w] = append(runs[s.name][w], r)
			}
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tsubject\truns\tops/s\tMiB/s\tp50\tp99\tpeak RSS\tof limit\t\n")
	medians := map[string]map[string]result{}
	for _, s := range subjects {
		medians[s.name] = map[string]result{}
	}
	for _, w := range selected {
		for _, s := range subjects {
			rs := runs[s.name][w]
			if len(rs) == 0 {
				fmt.Fprintf(tw, "%s\t%s\tfailed\t\t\t\t\t\t\t\n", w, s.name)
				continue
			}
			r := median(rs)
			medians[s.name][w] = r
			rss := "-"
			if r.peakRSS > 0 {
				rss = fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t\n", w, s.name, len(rs), r.opsPerSec(), r.mibPerSec(),
				r.quantile(0.50).Round(10*time.Microsecond), r.quantile(0.99).Round(10*time.Microsecond), rss, refs.fraction(w, r))
		}
	}
	tw.Flush()
	fmt.Printf("\n(concurrency %d, %s per workload; list workloads count keys as ops; 'of limit' compares MiB/s with loopback TCP, and small PUTs with one fsync at a time", *concurrency, *duration)
	if *repeat > 1 {
		fmt.Printf("; each row is the median of %d runs by ops/s, its peak RSS the highest of them", *repeat)
	}
	fmt.Println(")")
	if *upstreamCeph {
		printRatios(os.Stdout, selected, medians[gatewayOverCeph], medians[radosgwDirect])
	}
	return nil
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// median is the run of median throughput, with the highest peak RSS of
// all the runs.
func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.opsPerSec(), b.opsPerSec()) })
	m := sorted[len(sorted)/2]
	for _, r := range rs {
		m.peakRSS = max(m.peakRSS, r.peakRSS)
	}
	return m
}

func numCPU() int {
	n := 0
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "processor") {
			n++
		}
	}
	return n
}

// references are this machine's physical limits.
type references struct {
	loopbackMiBs float64
	fsyncP50     time.Duration
}

// fraction reads a result against the limit that bounds it.
func (r references) fraction(workload string, res result) string {
	switch {
	case strings.HasSuffix(workload, "-64m") || strings.HasSuffix(workload, "-16m") || strings.HasSuffix(workload, "-1m") || workload == "multipart-1g":
		return fmt.Sprintf("%.0f%% of TCP", 100*res.mibPerSec()/r.loopbackMiBs)
	case workload == "put-4k" && r.fsyncP50 > 0:
		return fmt.Sprintf("%.1fx serial fsync", res.opsPerSec()*r.fsyncP50.Seconds())
	}
	return ""
}

func measureReferences(dir string) references {
	var r references
	r.loopbackMiBs = loopbackThroughput(1 << 30)
	r.fsyncP50 = fsyncLatency(dir, 200)
	return r
}

// loopbackThroughput sends n bytes over one loopback TCP connection.
func loopbackThroughput(n int64) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 256<<10)
		for sent := int64(0); sent < n; sent += int64(len(buf)) {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0
	}
	defer c.Close()
	start := time.Now()
	got, _ := io.CopyBuffer(io.Discard, io.LimitReader(c, n), make([]byte, 256<<10))
	return float64(got) / (1 << 20) / time.Since(start).Seconds()
}

// fsyncLatency writes 4 KiB and fsyncs, n times, in dir; the median.
func fsyncLatency(dir string, n int) time.Duration {
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		f.Write(buf)
		f.Sync()
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat[len(lat)/2]
}
