// Package metrics exposes the gateway's Prometheus metrics: requests by
// operation and status, latency, bytes, cache effectiveness, control-plane
// calls and the usage pipeline.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/s3gw/gateway/impl/accesslog"
)

const namespace = "s3gw"

// Metrics is the gateway's registry.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	bytesIn   *prometheus.CounterVec
	bytesOut  *prometheus.CounterVec
	cpCalls   *prometheus.CounterVec
	cpLatency *prometheus.HistogramVec
}

// New returns a registry with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "requests_total",
		Help: "Requests by operation and HTTP status."}, []string{"op", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "request_duration_seconds",
		Help:    "Request latency by operation, from the first header byte to the last body byte.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"op"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "bytes_in_total",
		Help: "Request body bytes received, by operation."}, []string{"op"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "bytes_out_total",
		Help: "Response body bytes sent, by operation."}, []string{"op"})
	m.cpCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "controlplane_requests_total",
		Help: "Calls to the control plane by endpoint and result (ok, refused, error)."}, []string{"endpoint", "result"})
	m.cpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "controlplane_request_duration_seconds",
		Help: "Latency of calls to the control plane by endpoint.", Buckets: prometheus.DefBuckets}, []string{"endpoint"})
	m.reg.MustRegister(m.requests, m.latency, m.bytesIn, m.bytesOut, m.cpCalls, m.cpLatency)
	return m
}

// Observe records a finished request; it is an access-log sink.
func (m *Metrics) Observe(e *accesslog.Entry) {
	op := e.Op
	if op == "" {
		op = "other"
	}
	m.requests.WithLabelValues(op, strconv.Itoa(e.Status)).Inc()
	m.latency.WithLabelValues(op).Observe(e.Duration.Seconds())
	if e.BytesIn > 0 {
		m.bytesIn.WithLabelValues(op).Add(float64(e.BytesIn))
	}
	if e.BytesOut > 0 {
		m.bytesOut.WithLabelValues(op).Add(float64(e.BytesOut))
	}
}

// ObserveControlPlane records one control-plane call.
func (m *Metrics) ObserveControlPlane(endpoint, result string, d time.Duration) {
	m.cpCalls.WithLabelValues(endpoint, result).Inc()
	m.cpLatency.WithLabelValues(endpoint).Observe(d.Seconds())
}

// CounterFunc exports a monotonically increasing value read on scrape.
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// GaugeFunc exports a value read on scrape.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// Handler serves the metrics in the Prometheus text format. With a token,
// a scrape must present it as "Authorization: Bearer <token>".
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			accesslog.FromContext(r.Context()).Code = "AccessDenied"
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"AccessDenied","message":"/metrics requires the METRICS_TOKEN bearer token"}` + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
