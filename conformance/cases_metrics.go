package conformance

import (
	"bufio"
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Cases for the gateway's /metrics endpoint (Prometheus text format, names
// prefixed s3gw_): requests by operation and status, latency, bytes, the
// usage pipeline and the token and key caches. Counters are shared by every
// case running in parallel, so a case reads a counter before and after its
// own requests and checks that it grew by at least what the case did.

// metricSample is one sample line of the text format.
type metricSample struct {
	name   string
	labels map[string]string
	value  float64
}

var metricLabelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// metricsScrape fetches /metrics and parses its samples; it fails the case
// unless the answer is 200 text/plain.
func metricsScrape(t T, e *Env) (body string, samples []metricSample) {
	t.Helper()
	resp := e.Gateway().GET("/metrics").Expect()
	resp.Status(http.StatusOK)
	if ct := header(resp, "Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics Content-Type = %q, want text/plain (the Prometheus text format)", ct)
	}
	body = resp.Body().Raw()
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var s metricSample
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				t.Fatalf("/metrics: malformed line %q", line)
			}
			s.name = line[:i]
			s.labels = map[string]string{}
			for _, m := range metricLabelRE.FindAllStringSubmatch(line[i+1:j], -1) {
				s.labels[m[1]] = m[2]
			}
			rest = strings.TrimSpace(line[j+1:])
		} else {
			s.name, rest, _ = strings.Cut(line, " ")
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			t.Fatalf("/metrics: line without a value %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("/metrics: bad value in %q: %v", line, err)
		}
		s.value = v
		samples = append(samples, s)
	}
	return body, samples
}

// metricValue sums the samples of name whose labels include match, and
// reports whether there was any.
func metricValue(samples []metricSample, name string, match map[string]string) (float64, bool) {
	var sum float64
	found := false
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, v := range match {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

// metricRead scrapes and returns one metric's value (0 when absent).
func metricRead(t T, e *Env, name string, match map[string]string) float64 {
	t.Helper()
	_, samples := metricsScrape(t, e)
	v, _ := metricValue(samples, name, match)
	return v
}

// metricGrew fails the case unless the metric grew by at least delta since
// before.
func metricGrew(t T, e *Env, name string, match map[string]string, before, delta float64) {
	t.Helper()
	_, samples := metricsScrape(t, e)
	after, found := metricValue(samples, name, match)
	if !found {
		t.Fatalf("/metrics has no %s%v sample after requests that should count in it", name, match)
	}
	if after < before+delta {
		t.Fatalf("%s%v went from %v to %v, want an increase of at least %v", name, match, before, after, delta)
	}
}

// metricsCase is a Readyz case about /metrics.
func metricsCase(id, desc string, opNames []string, run func(t T, e *Env)) Case {
	return Case{
		ID: "readyz/metrics/" + id, Feature: Readyz, Ops: opNames, Desc: desc,
		Run: run,
	}
}

func init() {
	register(
		metricsCase("exposition",
			"GET /metrics answers 200 text/plain in the Prometheus format, declaring s3gw_requests_total a counter and s3gw_request_duration_seconds a histogram",
			ops("Metrics"), readyzMetricsExposition),
		metricsCase("requests-by-op-and-status",
			"s3gw_requests_total counts requests by op and status: three HeadBucket 200s and two HeadBucket 404s raise their two series by at least that",
			ops("Metrics", "HeadBucket"), readyzMetricsRequestsByOpAndStatus),
		metricsCase("latency-histogram",
			"s3gw_request_duration_seconds counts each request of an op: its _count for ListObjectsV2 grows by at least the listings made, and its +Inf bucket with it",
			ops("Metrics", "ListObjectsV2"), readyzMetricsLatencyHistogram),
		metricsCase("bytes",
			"s3gw_bytes_in_total{op=PutObject} grows by at least the bytes uploaded and s3gw_bytes_out_total{op=GetObject} by at least the bytes downloaded",
			ops("Metrics", "PutObject", "GetObject"), readyzMetricsBytes),
		metricsCase("usage-events-sent",
			"s3gw_usage_events_sent_total grows by at least the requests of a project once the control plane has their usage",
			ops("Metrics", "CreateBucket", "PutObject"), readyzMetricsUsageEventsSent),
		metricsCase("token-cache",
			"a bearer token used three times in a row is verified once and then answered from the cache: s3gw_token_cache_hits_total grows by at least two",
			ops("Metrics", "GetObject"), readyzMetricsTokenCache),
		metricsCase("key-cache",
			"an access key the control plane resolves is cached: three requests signed with it raise s3gw_key_cache_hits_total by at least two",
			ops("Metrics", "HeadBucket"), readyzMetricsKeyCache),
	)
}

func readyzMetricsExposition(t T, e *Env) {
	// A request's metrics are recorded as it ends, after its answer has
	// left: in a suite running in parallel this case may scrape before any
	// request has been counted. Make one, then give its recording a moment.
	e.NewBucket()
	wants := []string{"# TYPE s3gw_requests_total counter", "# TYPE s3gw_request_duration_seconds histogram"}
	declared := func(body string) bool {
		for _, want := range wants {
			if !strings.Contains(body, want+"\n") {
				return false
			}
		}
		return true
	}
	body, samples := metricsScrape(t, e)
	for try := 0; try < 20 && !declared(body); try++ {
		time.Sleep(100 * time.Millisecond)
		body, samples = metricsScrape(t, e)
	}
	for _, want := range wants {
		if !strings.Contains(body, want+"\n") {
			t.Fatalf("/metrics does not declare %q", want)
		}
	}
	if len(samples) == 0 {
		t.Fatalf("/metrics has no samples")
	}
	for _, s := range samples {
		if strings.HasPrefix(s.name, "s3gw_") {
			return
		}
	}
	t.Fatalf("/metrics has no s3gw_ sample")
}

func readyzMetricsRequestsByOpAndStatus(t T, e *Env) {
	ok := map[string]string{"op": "HeadBucket", "status": "200"}
	missing := map[string]string{"op": "HeadBucket", "status": "404"}
	b := e.NewBucket()
	before200, before404 := metricRead(t, e, "s3gw_requests_total", ok), metricRead(t, e, "s3gw_requests_total", missing)
	for range 3 {
		e.Request(http.MethodHead, b, "").Expect().Status(http.StatusOK)
	}
	for range 2 {
		e.Request(http.MethodHead, e.BucketName(), "").Expect().Status(http.StatusNotFound)
	}
	metricGrew(t, e, "s3gw_requests_total", ok, before200, 3)
	metricGrew(t, e, "s3gw_requests_total", missing, before404, 2)
}

func readyzMetricsLatencyHistogram(t T, e *Env) {
	b := e.NewBucket()
	op := map[string]string{"op": "ListObjectsV2"}
	inf := map[string]string{"op": "ListObjectsV2", "le": "+Inf"}
	beforeCount := metricRead(t, e, "s3gw_request_duration_seconds_count", op)
	beforeInf := metricRead(t, e, "s3gw_request_duration_seconds_bucket", inf)
	for range 4 {
		listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	}
	metricGrew(t, e, "s3gw_request_duration_seconds_count", op, beforeCount, 4)
	metricGrew(t, e, "s3gw_request_duration_seconds_bucket", inf, beforeInf, 4)
}

func readyzMetricsBytes(t T, e *Env) {
	b := e.NewBucket()
	body := bytes.Repeat([]byte("metrics!"), 32<<10) // 256 KiB
	in := map[string]string{"op": "PutObject"}
	out := map[string]string{"op": "GetObject"}
	beforeIn, beforeOut := metricRead(t, e, "s3gw_bytes_in_total", in), metricRead(t, e, "s3gw_bytes_out_total", out)
	e.Put(b, "big", body)
	if got := e.Get(b, "big"); !bytes.Equal(got, body) {
		t.Fatalf("GetObject returned %d bytes, want the %d stored", len(got), len(body))
	}
	metricGrew(t, e, "s3gw_bytes_in_total", in, beforeIn, float64(len(body)))
	metricGrew(t, e, "s3gw_bytes_out_total", out, beforeOut, float64(len(body)))
}

func readyzMetricsUsageEventsSent(t T, e *Env) {
	cpNeed(t, e)
	before := metricRead(t, e, "s3gw_usage_events_sent_total", nil)
	p := usageNew(t, e)
	b := p.bucket(t, e)
	p.do(t, e, "PutObject", http.StatusOK, http.MethodPut, b, "k", []byte("counted"))
	cpAwaitUsage(t, e, p.id, p.want)
	metricGrew(t, e, "s3gw_usage_events_sent_total", nil, before, 2)
}

func readyzMetricsTokenCache(t T, e *Env) {
	macNeed(t, e)
	b := e.NewBucket()
	e.PutString(b, "k", "cached")
	cpNeed(t, e)
	tok := macToken(t, e, b, "", "get")
	before := metricRead(t, e, "s3gw_token_cache_hits_total", nil)
	for range 3 {
		macReq(e, tok, http.MethodGet, b, "k").Expect().Status(http.StatusOK)
	}
	metricGrew(t, e, "s3gw_token_cache_hits_total", nil, before, 2)
}

func readyzMetricsKeyCache(t T, e *Env) {
	needClaim(t, e, Macaroon) // the control-plane keys are that feature's
	if e.Target.ControlPlaneKey.AccessKey == "" {
		t.Skipf("the target names no access key known only to its control plane (control_plane_key)")
	}
	b := e.NewBucket()
	c := e.SDKAs(e.Target.ControlPlaneKey)
	// The first request may be the one that fills the cache.
	_, err := c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(b)})
	mustf(t, err, "HeadBucket with the control-plane key")
	before := metricRead(t, e, "s3gw_key_cache_hits_total", nil)
	for range 3 {
		_, err := c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(b)})
		mustf(t, err, "HeadBucket with the control-plane key")
	}
	metricGrew(t, e, "s3gw_key_cache_hits_total", nil, before, 3)
}
