package conformance_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3gw/gateway/conformance"
)

// gofakes3Expectations lists the cases gofakes3 is expected to fail, each
// with the reason (its deviation from S3).
const gofakes3Expectations = "../fixtures/expectations/gofakes3.toml"

// gofakes3Target is gofakes3 served in-process, claiming the S3 features
// (every one: it implements each at least in part) and no extension of
// this gateway's, as any server that is not this gateway would.
func gofakes3Target(t *testing.T) *conformance.Target {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithTimeSkewLimit(15*time.Minute))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	return &conformance.Target{
		Name:     "gofakes3 v1.2.0 (in-process)",
		Endpoint: srv.URL,
		Region:   "us-east-1",
		Full:     conformance.Credentials{AccessKey: "any", SecretKey: "any"},
		MaxSkew:  15 * time.Minute,
		Features: conformance.S3Features,
	}
}

// TestGofakes3MatchesExpectations runs the suite against an independent S3
// implementation and compares the outcome with the checked-in expectations,
// in both directions: a case that starts passing against gofakes3 has
// stopped detecting the deviation it was listed for, and a new failure is
// either a new deviation (list it, with the reason) or a bug in a case.
func TestGofakes3MatchesExpectations(t *testing.T) {
	results, err := conformance.Execute(context.Background(), gofakes3Target(t), conformance.ExecOptions{Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	checkExpectations(t, "gofakes3", results, gofakes3Expectations, "WRITE_GOFAKES3_FAILURES", nil)
}
