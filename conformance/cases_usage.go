package conformance

import (
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"time"

	"github.com/gavv/httpexpect/v2"
)

// Cases for usage metering: every S3 request of a known project reaches the
// control plane as a usage event (in batches, about every second), and the
// control plane's summary of the project (GET /v1/usage/summary) counts
// each request under its operation with the request body bytes received
// (bytes_in) and the response body bytes sent (bytes_out). Cases run in
// parallel, so each case works in projects of its own: it mints a token
// for a fresh project id and makes every request with it, creating its
// buckets with the token so that the project owns them. Then the summary
// must equal exactly what the case did.

// usageProject is a fresh project, a token for it (no caveats) and the
// usage the case expects it to have.
type usageProject struct {
	id    string
	token string
	want  cpSummary
}

// usageNew mints a token for a fresh project.
func usageNew(t T, e *Env) *usageProject {
	t.Helper()
	needClaim(t, e, Usage)
	cpNeed(t, e)
	id := cpFreshProject("usage")
	return &usageProject{id: id, token: cpMint(t, e, cpMintRequest{ProjectID: id})}
}

// do sends a raw request with the project's token, expects the status, and
// counts it under op with the bytes it carried each way.
func (p *usageProject) do(t T, e *Env, op string, status int, method, bucket, key string, body []byte, query ...string) *httpexpect.Response {
	t.Helper()
	req := macReq(e, p.token, method, bucket, key)
	for i := 0; i+1 < len(query); i += 2 {
		req = req.WithQuery(query[i], query[i+1])
	}
	if body != nil {
		req = req.WithBytes(body)
	}
	resp := req.Expect()
	if st := resp.Raw().StatusCode; st != status {
		t.Fatalf("%s %s/%s with the usage token: HTTP %d, want %d\nbody: %s", method, bucket, key, st, status, quoteIfString(resp.Body().Raw()))
	}
	p.want.add(op, len(body), len(resp.Body().Raw()))
	return resp
}

// bucket creates a bucket owned by the project (counted as CreateBucket),
// removed with the token when the case ends.
func (p *usageProject) bucket(t T, e *Env) string {
	t.Helper()
	name := e.BucketName()
	p.do(t, e, "CreateBucket", http.StatusOK, http.MethodPut, name, "", e.CreateBucketBody())
	t.Cleanup(func() { macDropBucket(t, e, p.token, name) })
	return name
}

// usageBytes returns n random bytes.
func usageBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// usageAwaitOps polls a project's summary until the listed operations have
// exactly the totals wanted, ignoring other operations.
func usageAwaitOps(t T, e *Env, project string, want map[string]cpTotals) {
	t.Helper()
	deadline := time.Now().Add(cpUsageWait)
	for {
		got := cpUsage(t, e, project)
		sub := map[string]cpTotals{}
		for op := range want {
			if v, ok := got.ByOp[op]; ok {
				sub[op] = v
			}
		}
		if maps.Equal(sub, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage of project %q after %v:\n got %v\nwant (these operations) %v", project, cpUsageWait, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func init() {
	register(
		Case{
			ID: "usage/per-op-totals", Feature: Usage,
			Ops:  ops("CreateBucket", "PutObject", "GetObject", "HeadObject", "ListObjectsV2", "DeleteObject"),
			Desc: "a project's usage counts each request under its operation with exactly the body bytes received and sent",
			Run:  usagePerOpTotals,
		},
		Case{
			ID: "usage/bytes/range-and-large", Feature: Usage, Ops: ops("PutObject", "GetObject"),
			Desc: "bytes_in counts a 1 MiB upload exactly; bytes_out counts what a ranged GET sent (the range), not the object's size",
			Run:  usageBytesRangeAndLarge,
		},
		Case{
			ID: "usage/failed-requests-count", Feature: Usage, Ops: ops("GetObject", "HeadObject", "PutObject"),
			Desc: "requests that fail (GET and HEAD of a missing key: 404) count as requests of their operation, with the error document as bytes_out",
			Run:  usageFailedRequestsCount,
		},
		Case{
			ID: "usage/isolation", Feature: Usage, Ops: ops("CreateBucket", "PutObject", "GetObject"),
			Desc: "usage of one project never appears in another's summary: two projects see exactly their own requests, a third none",
			Run:  usageIsolation,
		},
		Case{
			ID: "usage/gateway-presigned-url", Feature: Usage, Ops: ops("Presign", "PutObject", "GetObject"),
			Desc: "requests made with a gateway presigned URL are billed to the project that minted it, with their exact bytes",
			Run:  usageGatewayPresignedUrl,
		},
	)
}

func usagePerOpTotals(t T, e *Env) {
	p := usageNew(t, e)
	b := p.bucket(t, e)
	a, c := usageBytes(1000), usageBytes(2345)
	p.do(t, e, "PutObject", http.StatusOK, http.MethodPut, b, "a", a)
	p.do(t, e, "PutObject", http.StatusOK, http.MethodPut, b, "dir/c", c)
	p.do(t, e, "GetObject", http.StatusOK, http.MethodGet, b, "a", nil).Body().IsEqual(string(a))
	p.do(t, e, "GetObject", http.StatusOK, http.MethodGet, b, "dir/c", nil).Body().IsEqual(string(c))
	p.do(t, e, "HeadObject", http.StatusOK, http.MethodHead, b, "a", nil)
	p.do(t, e, "ListObjectsV2", http.StatusOK, http.MethodGet, b, "", nil, "list-type", "2")
	p.do(t, e, "DeleteObject", http.StatusNoContent, http.MethodDelete, b, "a", nil)
	cpAwaitUsage(t, e, p.id, p.want)
}

func usageBytesRangeAndLarge(t T, e *Env) {
	p := usageNew(t, e)
	b := p.bucket(t, e)
	big := usageBytes(1 << 20)
	p.do(t, e, "PutObject", http.StatusOK, http.MethodPut, b, "big", big)
	resp := macReq(e, p.token, http.MethodGet, b, "big").WithHeader("Range", "bytes=100-1123").Expect()
	resp.Status(http.StatusPartialContent)
	resp.Body().IsEqual(string(big[100:1124]))
	p.want.add("GetObject", 0, len(resp.Body().Raw()))
	p.do(t, e, "GetObject", http.StatusOK, http.MethodGet, b, "big", nil)
	cpAwaitUsage(t, e, p.id, p.want)
}

func usageFailedRequestsCount(t T, e *Env) {
	p := usageNew(t, e)
	b := p.bucket(t, e)
	p.do(t, e, "PutObject", http.StatusOK, http.MethodPut, b, "there", []byte("x"))
	resp := p.do(t, e, "GetObject", http.StatusNotFound, http.MethodGet, b, "missing", nil)
	eq(t, "error <Code>", parseError(t, resp).Code, "NoSuchKey")
	p.do(t, e, "HeadObject", http.StatusNotFound, http.MethodHead, b, "missing", nil)
	p.do(t, e, "GetObject", http.StatusOK, http.MethodGet, b, "there", nil)
	cpAwaitUsage(t, e, p.id, p.want)
}

func usageIsolation(t T, e *Env) {
	pa, pb := usageNew(t, e), usageNew(t, e)
	idle := cpFreshProject("usage-idle")
	ba, bb := pa.bucket(t, e), pb.bucket(t, e)
	pa.do(t, e, "PutObject", http.StatusOK, http.MethodPut, ba, "k", usageBytes(111))
	pb.do(t, e, "PutObject", http.StatusOK, http.MethodPut, bb, "k", usageBytes(2222))
	pb.do(t, e, "GetObject", http.StatusOK, http.MethodGet, bb, "k", nil)
	// A's token on B's bucket is refused before any bucket
	// access; whatever it counts, it must not count for B.
	wantError(t, macReq(e, pa.token, http.MethodGet, bb, "k").Expect(), http.StatusForbidden, "AccessDenied")
	cpAwaitUsage(t, e, pb.id, pb.want)
	// A may or may not bill its refused request; its own
	// successful requests are exact.
	usageAwaitOps(t, e, pa.id, map[string]cpTotals{"CreateBucket": pa.want.ByOp["CreateBucket"], "PutObject": pa.want.ByOp["PutObject"]})
	time.Sleep(1500 * time.Millisecond) // a late batch would show now
	if got := cpUsage(t, e, pb.id); !got.equal(pb.want) {
		t.Fatalf("usage of project B changed after settling:\n got %v\nwant %v", got, pb.want)
	}
	if got := cpUsage(t, e, idle); !got.equal(cpSummary{}) {
		t.Fatalf("a project that made no request has usage %v", got)
	}
}

func usageGatewayPresignedUrl(t T, e *Env) {
	needClaim(t, e, GatewayPresign)
	p := usageNew(t, e)
	b := p.bucket(t, e)
	mint := func(method string) string {
		req := gpRequest{Method: method, Bucket: b, Key: "via-url", ExpiresIn: 600}
		body, err := json.Marshal(req)
		mustf(t, err, "encode presign request")
		return gpDecode(t, gpPostBearer(e, p.token, body), req).URL
	}
	body := usageBytes(4321)
	presignDo(t, e, http.MethodPut, mint(http.MethodPut), body).Status(http.StatusOK)
	got := presignDo(t, e, http.MethodGet, mint(http.MethodGet), nil)
	got.Status(http.StatusOK)
	got.Body().IsEqual(string(body))
	usageAwaitOps(t, e, p.id, map[string]cpTotals{
		"PutObject": {Requests: 1, BytesIn: int64(len(body))},
		"GetObject": {Requests: 1, BytesOut: int64(len(body))},
	})
}
