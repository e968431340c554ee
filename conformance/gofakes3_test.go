package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/pelletier/go-toml/v2"

	"github.com/s3gw/gateway/conformance"
)

// expectationsFile lists the cases gofakes3 is expected to fail, each with
// the reason (its deviation from S3).
const expectationsFile = "../fixtures/expectations/gofakes3.toml"

type expectations struct {
	Server   string `toml:"server"`
	Expected []struct {
		ID     string `toml:"id"`
		Reason string `toml:"reason"`
	} `toml:"expected_failure"`
}

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
	var exp expectations
	data, err := os.ReadFile(expectationsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(data, &exp); err != nil {
		t.Fatalf("%s: %v", expectationsFile, err)
	}
	expected := map[string]string{}
	for _, e := range exp.Expected {
		if e.Reason == "" {
			t.Errorf("%s: %s has no reason", expectationsFile, e.ID)
		}
		expected[e.ID] = e.Reason
	}
	var unexpectedFail, unexpectedPass []string
	for _, r := range results {
		_, listed := expected[r.ID]
		switch {
		case r.Outcome == conformance.Fail && !listed:
			unexpectedFail = append(unexpectedFail, fmt.Sprintf("%s\n    %s", r.ID, firstLine(r.Message)))
		case r.Outcome != conformance.Fail && listed:
			unexpectedPass = append(unexpectedPass, fmt.Sprintf("%s (%s; listed because: %s)", r.ID, r.Outcome, expected[r.ID]))
		}
		delete(expected, r.ID)
	}
	for id := range expected {
		unexpectedPass = append(unexpectedPass, id+" (no such case)")
	}
	sort.Strings(unexpectedFail)
	sort.Strings(unexpectedPass)
	if len(unexpectedFail) > 0 {
		t.Errorf("%d cases fail against gofakes3 but are not in %s:\n%s", len(unexpectedFail), expectationsFile, strings.Join(unexpectedFail, "\n"))
	}
	if len(unexpectedPass) > 0 {
		t.Errorf("%d cases listed in %s did not fail:\n%s", len(unexpectedPass), expectationsFile, strings.Join(unexpectedPass, "\n"))
	}
	if os.Getenv("WRITE_GOFAKES3_FAILURES") != "" {
		var b bytes.Buffer
		for _, r := range results {
			if r.Outcome == conformance.Fail {
				fmt.Fprintf(&b, "%s\t%s\n", r.ID, strings.ReplaceAll(firstLine(r.Message), "\t", " "))
			}
		}
		os.WriteFile(os.Getenv("WRITE_GOFAKES3_FAILURES"), b.Bytes(), 0o644)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}
