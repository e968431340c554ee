package conformance_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// radosgwExpectations lists the cases Ceph's RADOS Gateway 16.2 is
// expected to fail, each with the reason (its deviation from S3).
const radosgwExpectations = "../fixtures/expectations/radosgw.toml"

// TestRadosGW runs the suite's S3 features straight against Ceph's RADOS
// Gateway on a fresh single-node cluster (conformance/launch/ceph) and
// compares the failures with the checked-in expectations, both ways, as
// TestGofakes3MatchesExpectations does: a real, widely deployed
// implementation judged by the suite, and a guard that every deviation the
// upstream backend must make up for stays detected. Locally it skips when
// Ceph is not installed; in CI (S3GW_REQUIRE_CLIENTS) that fails it.
func TestRadosGW(t *testing.T) {
	if err := ceph.CheckInstalled(); err != nil {
		if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
			t.Fatalf("Ceph is required here: %v", err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "rgw-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	began := time.Now()
	c, err := ceph.Start(t.Context(), ceph.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("Ceph started in %s", time.Since(began).Round(10*time.Millisecond))

	target := &conformance.Target{
		Name:     "Ceph RADOS Gateway 16.2 (single node)",
		Endpoint: c.Endpoints()[0],
		Region:   c.Region,
		Full:     conformance.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey},
		MaxSkew:  15 * time.Minute, // radosgw's fixed grace for signed requests
		Features: conformance.S3Features,
	}
	began = time.Now()
	results, err := conformance.Execute(t.Context(), target, conformance.ExecOptions{Features: conformance.S3Features, Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %s", len(results), time.Since(began).Round(10*time.Millisecond))
	checkExpectations(t, "radosgw", results, radosgwExpectations, "WRITE_RADOSGW_FAILURES", setAsideEarlyAnswers(results))
}

// closedByEarlyAnswer is how the suite's DeleteObjects fails when radosgw
// answers it before reading the whole request body: the SDK then closes
// the body, Go's transport closes the connection mid-response and the
// response cannot be read (aws/aws-sdk-go-v2#2737; issue 13). A flaw of the
// suite's HTTP client, which radosgw only exposes.
const closedByEarlyAnswer = "use of closed network connection"

// setAsideEarlyAnswers returns the cases to leave unjudged because a
// DeleteObjects of theirs met radosgw's early answer, with why. A case whose
// cleanup alone met it is still judged on the rest of its message (the
// cleanup lines are dropped); only a case with nothing else, or whose own
// DeleteObjects met it, is set aside. Once the suite's client recovers from
// early answers nothing matches and this returns nothing.
func setAsideEarlyAnswers(results []conformance.Result) map[string]string {
	unjudged := map[string]string{}
	for i := range results {
		r := &results[i]
		if r.Outcome != conformance.Fail || !strings.Contains(r.Message, closedByEarlyAnswer) {
			continue
		}
		var kept []string
		inCleanup, inCase := false, false
		for line := range strings.Lines(r.Message) {
			early := strings.Contains(line, "DeleteObjects") && strings.Contains(line, closedByEarlyAnswer)
			if strings.HasPrefix(line, "cleanup: ") {
				inCleanup = inCleanup || early
				continue
			}
			inCase = inCase || early
			kept = append(kept, line)
		}
		rest := strings.TrimSpace(strings.Join(kept, ""))
		switch {
		case inCase:
			unjudged[r.ID] = "its DeleteObjects met radosgw's early answer"
		case inCleanup && rest == "":
			unjudged[r.ID] = "only its cleanup failed, on radosgw's early answer to DeleteObjects"
		case inCleanup:
			r.Message = rest
		}
	}
	return unjudged
}

func TestSetAsideEarlyAnswers(t *testing.T) {
	const early = "cleanup: emptying bucket b: operation error S3: DeleteObjects, https response error StatusCode: 200, read tcp: use of closed network connection\n"
	const deleteBucket = "cleanup: deleting bucket b: BucketNotEmpty\n"
	for _, tc := range []struct {
		name        string
		in          conformance.Result
		wantJudged  bool
		wantMessage string
	}{
		{"only the cleanup", conformance.Result{ID: "a", Outcome: conformance.Fail, Message: early + deleteBucket}, false, ""},
		{"a failure and the cleanup", conformance.Result{ID: "a", Outcome: conformance.Fail, Message: "ETag = \"\"\n" + early + deleteBucket}, true, "ETag = \"\""},
		{"the case's own DeleteObjects", conformance.Result{ID: "a", Outcome: conformance.Fail, Message: "DeleteObjects b: operation error S3: DeleteObjects, use of closed network connection\n"}, false, ""},
		{"another operation", conformance.Result{ID: "a", Outcome: conformance.Fail, Message: "PutObject: use of closed network connection"}, true, "PutObject: use of closed network connection"},
		{"another cleanup error", conformance.Result{ID: "a", Outcome: conformance.Fail, Message: deleteBucket}, true, deleteBucket},
		{"a pass", conformance.Result{ID: "a", Outcome: conformance.Pass}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := []conformance.Result{tc.in}
			unjudged := setAsideEarlyAnswers(results)
			if _, set := unjudged["a"]; set == tc.wantJudged {
				t.Fatalf("unjudged = %v, want judged %v", unjudged, tc.wantJudged)
			}
			if tc.wantJudged && results[0].Message != tc.wantMessage {
				t.Errorf("message = %q, want %q", results[0].Message, tc.wantMessage)
			}
		})
	}
}
