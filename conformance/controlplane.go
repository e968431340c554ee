package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Helpers to reach the target's control plane with its internal API token:
// mint bearer tokens (POST /v1/macaroons) and read a project's usage
// (GET /v1/usage/summary). Cases of the Macaroon, GatewayPresign, Usage and
// Readyz (metrics) features need one; without it they skip.

// cpNeed skips the case when the target names no control plane.
func cpNeed(t T, e *Env) {
	t.Helper()
	if e.Target.ControlPlaneURL == "" {
		t.Skipf("the target names no control plane (control_plane_url is empty): tokens, gateway presigned URLs, usage and metrics cases need one")
	}
}

// cpClient calls the control plane: it is not the gateway, so it gets its
// own client (system roots, no proxy from the environment).
var cpClient = func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}()

// cpCall sends a JSON request to the control plane with the internal token
// and returns the status and body. It does not fail the case on a non-2xx
// status; transport errors fail it.
func cpCall(t T, e *Env, method, path string, in any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		mustf(t, err, "encode control-plane request")
		body = bytes.NewReader(b)
	}
	ctx := t.Context()
	if ctx.Err() != nil { // in a cleanup the case's context is already done
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(e.Target.ControlPlaneURL, "/")+path, body)
	mustf(t, err, "control-plane request %s %s", method, path)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.Target.ControlPlaneToken != "" {
		req.Header.Set("Authorization", "Bearer "+e.Target.ControlPlaneToken)
	}
	resp, err := cpClient.Do(req)
	mustf(t, err, "control plane %s %s", method, path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	mustf(t, err, "read control-plane answer to %s %s", method, path)
	if resp.StatusCode == http.StatusUnauthorized && e.Target.ControlPlaneToken == "" {
		t.Skipf("the control plane wants an internal API token and the target names none (control_plane_token is empty)")
	}
	return resp.StatusCode, b
}

// cpMintRequest is the body of POST /v1/macaroons.
type cpMintRequest struct {
	ProjectID  string   `json:"project_id"`
	Bucket     string   `json:"bucket,omitempty"`
	Prefix     string   `json:"prefix,omitempty"`
	Ops        []string `json:"ops,omitempty"`
	TTLSeconds int64    `json:"ttl_seconds"`
}

// cpMint has the control plane mint a bearer token; a TTL of 0 means ten
// minutes, enough for the case and its cleanup.
func cpMint(t T, e *Env, req cpMintRequest) string {
	t.Helper()
	if req.TTLSeconds == 0 {
		req.TTLSeconds = 600
	}
	st, b := cpCall(t, e, http.MethodPost, "/v1/macaroons", req)
	if st != http.StatusOK {
		t.Fatalf("minting a token %+v: control plane answered %d: %s", req, st, b)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		t.Fatalf("minting a token: answer %s has no token (%v)", b, err)
	}
	return out.Token
}

// cpTotals are usage totals of a project or of one operation.
type cpTotals struct {
	Requests int64 `json:"requests"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

func (c cpTotals) String() string {
	return fmt.Sprintf("{requests %d, in %d, out %d}", c.Requests, c.BytesIn, c.BytesOut)
}

// cpSummary is the answer of GET /v1/usage/summary.
type cpSummary struct {
	cpTotals
	ByOp map[string]cpTotals `json:"by_op"`
}

func (s cpSummary) String() string {
	return fmt.Sprintf("total %v, by op %v", s.cpTotals, s.ByOp)
}

// equal compares two summaries; a missing operation and nil maps are alike
// only when both are empty.
func (s cpSummary) equal(o cpSummary) bool {
	return s.cpTotals == o.cpTotals && len(s.ByOp) == len(o.ByOp) && maps.Equal(s.ByOp, o.ByOp)
}

// add counts one request of op that moved in bytes to the target and out
// bytes back.
func (s *cpSummary) add(op string, in, out int) {
	if s.ByOp == nil {
		s.ByOp = map[string]cpTotals{}
	}
	d := cpTotals{Requests: 1, BytesIn: int64(in), BytesOut: int64(out)}
	s.Requests += d.Requests
	s.BytesIn += d.BytesIn
	s.BytesOut += d.BytesOut
	o := s.ByOp[op]
	o.Requests += d.Requests
	o.BytesIn += d.BytesIn
	o.BytesOut += d.BytesOut
	s.ByOp[op] = o
}

// cpUsage reads a project's usage summary.
func cpUsage(t T, e *Env, project string) cpSummary {
	t.Helper()
	st, b := cpCall(t, e, http.MethodGet, "/v1/usage/summary?project_id="+url.QueryEscape(project), nil)
	if st != http.StatusOK {
		t.Fatalf("usage summary of %q: control plane answered %d: %s", project, st, b)
	}
	var s cpSummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("usage summary of %q: %v\nbody: %s", project, err, b)
	}
	return s
}

// cpUsageWait is how long usage may take to reach the control plane: the
// gateway sends batches about every second.
const cpUsageWait = 12 * time.Second

// cpAwaitUsage polls a project's summary until it equals want exactly and
// fails the case with the last summary seen when it does not within
// cpUsageWait.
func cpAwaitUsage(t T, e *Env, project string, want cpSummary) {
	t.Helper()
	deadline := time.Now().Add(cpUsageWait)
	for {
		got := cpUsage(t, e, project)
		if got.equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage of project %q after %v:\n got %v\nwant %v", project, cpUsageWait, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var cpSeq atomic.Int64

// cpFreshProject returns a project id no other case or run uses.
func cpFreshProject(kind string) string {
	return fmt.Sprintf("%s-%s-%d-%d", kind, runID, time.Now().UnixNano()%1_000_000, cpSeq.Add(1))
}
