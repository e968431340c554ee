package report

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/golden/report")

// sampleRun has one result of every kind the reports render: a pass, a
// failure with a log, a skip for a missing setting, a known deviation, a
// skip without a message and cases of a feature the target does not claim.
func sampleRun() *Run {
	ms := time.Millisecond
	return &Run{
		Target: "team server", Endpoint: "http://127.0.0.1:9000", PathPrefix: "/s3",
		Started: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), Duration: 83 * time.Second,
		Results: []conformance.Result{
			{ID: "buckets/create/basic", Feature: conformance.Buckets, Ops: []string{"CreateBucket"},
				Desc: "CreateBucket creates a bucket", Outcome: conformance.Pass, Duration: 12 * ms},
			{ID: "objects/get/range/suffix", Feature: conformance.Objects, Ops: []string{"GetObject"},
				Desc: "Range bytes=-n returns the last n bytes with 206 and Content-Range", Outcome: conformance.Fail,
				Message: "status: got 200, want 206\nbody: 0123456789", Log: []string{"PUT /s3/b/k 200", "GET /s3/b/k 200"}, Duration: 30 * ms},
			{ID: "general/expect/unknown-value", Feature: conformance.Objects, Ops: []string{"PutObject"},
				Desc: "an unknown Expect value is refused with 417", Outcome: conformance.Skip,
				Message: "known deviation of this target: the HTTP library answers 417 first\n(it failed as expected: status: got 400, want 417)", Duration: 4 * ms},
			{ID: "objects/put/too-large", Feature: conformance.Objects, Ops: []string{"PutObject"},
				Desc: "a body over the limit is refused", Outcome: conformance.Skip,
				Message: "the target sets no max_body_bytes", Duration: 0},
			{ID: "list/v2/quiet", Feature: conformance.List, Ops: []string{"ListObjectsV2"},
				Desc: "a case that skipped without saying why", Outcome: conformance.Skip},
			{ID: "readyz/healthz", Feature: conformance.Readyz, Ops: []string{"GET /healthz"},
				Desc: "/healthz answers 200", Outcome: conformance.NotClaimed},
		},
	}
}

// TestGolden pins the three reports of sampleRun, so a change in what a
// reader or a CI system sees shows up as a diff (go test -update rewrites).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		write func(io.Writer, *Run) error
	}{
		{"report.md", Markdown},
		{"report.xml", JUnit},
		{"report.json", JSON},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var got bytes.Buffer
			if err := tc.write(&got, sampleRun()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", "fixtures", "golden", "report", tc.file)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", tc.file, got.Bytes(), want)
			}
		})
	}
}
