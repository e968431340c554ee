// Command s3bench measures an S3 endpoint with the AWS SDK for Go v2:
// PUT and GET of 4 KiB, 1 MiB and 64 MiB objects, listing a 10 000-key
// bucket (paged and delimited) and a 1 GiB multipart upload, each for a
// fixed time at a fixed concurrency. It reports ops/s, MiB/s, p50 and p99
// latency and, for a gateway it launched itself, the peak RSS during each
// workload; and it measures this machine's references (loopback TCP
// throughput, fsync latency) so each figure can be read as a fraction of the
// physical limit.
//
//	s3bench [--duration 10s] [--concurrency 8] [--workloads put-4k,get-4k,...] [--target other.toml ...]
//
// Without --target it builds and starts this repository's gateway (fsync and
// authentication on, as in production). Each --target (a conformance target
// file) is measured too, side by side.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

type targets []string

func (t *targets) String() string     { return strings.Join(*t, ",") }
func (t *targets) Set(v string) error { *t = append(*t, v); return nil }

func main() {
	var others targets
	duration := flag.Duration("duration", 10*time.Second, "how long each workload runs")
	concurrency := flag.Int("concurrency", 8, "concurrent requests")
	workloads := flag.String("workloads", strings.Join(allWorkloads, ","), "comma-separated workloads")
	noGateway := flag.Bool("no-gateway", false, "measure only the --target endpoints")
	flag.Var(&others, "target", "also measure this conformance target file (repeatable)")
	flag.Parse()

	var selected []string
	for _, w := range strings.Split(*workloads, ",") {
		if !slices.Contains(allWorkloads, w) {
			fmt.Fprintf(os.Stderr, "s3bench: unknown workload %q (want some of %s)\n", w, strings.Join(allWorkloads, ","))
			os.Exit(2)
		}
		selected = append(selected, w)
	}
	ctx := context.Background()
	type subject struct {
		name   string
		target *conformance.Target
		pid    int
	}
	var subjects []subject
	dir, err := os.MkdirTemp("", "s3bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	if !*noGateway {
		g, err := launch.Start(launch.Options{Dir: filepath.Join(dir, "gateway"), Env: map[string]string{"S3_FSYNC": "true", "MAX_BODY_BYTES": strconv.Itoa(1 << 30)}})
		if err != nil {
			fail(err)
		}
		defer g.Stop()
		subjects = append(subjects, subject{"gateway", g.Target(), g.Pid()})
	}
	for _, f := range others {
		t, err := conformance.LoadTarget(f)
		if err != nil {
			fail(err)
		}
		subjects = append(subjects, subject{t.Name, t, 0})
	}
	if len(subjects) == 0 {
		fail(errors.New("nothing to measure: drop --no-gateway or add --target"))
	}

	refs := measureReferences(dir)
	fmt.Printf("machine: %d CPUs; loopback TCP %.0f MiB/s; fsync of 4 KiB p50 %s\n\n", numCPU(), refs.loopbackMiBs, refs.fsyncP50)

	results := map[string]map[string]result{}
	for _, s := range subjects {
		results[s.name] = map[string]result{}
		b := newBench(s.target, *concurrency, *duration, s.pid)
		for _, w := range selected {
			fmt.Fprintf(os.Stderr, "s3bench: %s: %s...\n", s.name, w)
			r, err := b.run(ctx, w)
			if err != nil {
				fmt.Fprintf(os.Stderr, "s3bench: %s %s: %v\n", s.name, w, err)
				continue
			}
			results[s.name][w] = r
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tsubject\tops/s\tMiB/s\tp50\tp99\tpeak RSS\tof limit\t\n")
	for _, w := range selected {
		for _, s := range subjects {
			r, ok := results[s.name][w]
			if !ok {
				fmt.Fprintf(tw, "%s\t%s\tfailed\t\t\t\t\t\t\n", w, s.name)
				continue
			}
			rss := "-"
			if r.peakRSS > 0 {
				rss = fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t\n", w, s.name, r.opsPerSec(), r.mibPerSec(),
				r.quantile(0.50).Round(10*time.Microsecond), r.quantile(0.99).Round(10*time.Microsecond), rss, refs.fraction(w, r))
		}
	}
	tw.Flush()
	fmt.Printf("\n(concurrency %d, %s per workload; list workloads count keys as ops; 'of limit' compares MiB/s with loopback TCP, and small PUTs with one fsync at a time)\n", *concurrency, *duration)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "s3bench: %v\n", err)
	os.Exit(2)
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
	case strings.HasSuffix(workload, "-64m") || strings.HasSuffix(workload, "-1m") || workload == "multipart-1g":
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
