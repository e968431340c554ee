package conformance_test

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/s3gw/gateway/conformance"
)

// expectations is a file of the cases another S3 implementation is
// expected to fail, each with the reason (its deviation from S3), and of
// the cases it fails only sometimes (a race inside the server), which are
// run but not judged.
type expectations struct {
	Server    string        `toml:"server"`
	Expected  []expectation `toml:"expected_failure"`
	Sometimes []expectation `toml:"sometimes_fails"`
}

type expectation struct {
	ID     string `toml:"id"`
	Reason string `toml:"reason"`
}

// checkExpectations compares a run against server with the expectations
// in file, in both directions: a listed case that passes has stopped
// detecting the deviation it was listed for, and a failure not listed is
// either a new deviation (list it, with the reason) or a bug in a case.
// A case listed as failing sometimes may do either, and so may the cases
// in unjudged (ID to why), which the caller knows to have met a flaw of
// the harness rather than of the server. With the environment variable dumpEnv set to a path, every failure is
// written there, one "ID<tab>message" line each, to start or update the
// file from.
func checkExpectations(t *testing.T, server string, results []conformance.Result, file, dumpEnv string, unjudged map[string]string) {
	t.Helper()
	if path := os.Getenv(dumpEnv); path != "" {
		var b bytes.Buffer
		for _, r := range results {
			if r.Outcome == conformance.Fail {
				fmt.Fprintf(&b, "%s\t%s\n", r.ID, oneLine(r.Message))
			}
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Error(err)
		}
	}
	var exp expectations
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(data, &exp); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	expected, sometimes := map[string]string{}, map[string]string{}
	for _, e := range exp.Expected {
		if e.Reason == "" {
			t.Errorf("%s: %s has no reason", file, e.ID)
		}
		if _, dup := expected[e.ID]; dup {
			t.Errorf("%s: %s is listed twice", file, e.ID)
		}
		expected[e.ID] = e.Reason
	}
	for _, e := range exp.Sometimes {
		if e.Reason == "" {
			t.Errorf("%s: %s has no reason", file, e.ID)
		}
		if _, dup := expected[e.ID]; dup {
			t.Errorf("%s: %s is listed both as failing and as failing sometimes", file, e.ID)
		}
		sometimes[e.ID] = e.Reason
	}
	var unexpectedFail, unexpectedPass, sometimesFailed []string
	failed := 0
	for _, r := range results {
		if r.Outcome == conformance.Fail {
			failed++
		}
		if _, ok := sometimes[r.ID]; ok {
			if r.Outcome == conformance.Fail {
				sometimesFailed = append(sometimesFailed, r.ID)
			}
			delete(sometimes, r.ID)
			continue
		}
		if why, ok := unjudged[r.ID]; ok {
			t.Logf("%s: not judged: %s", r.ID, why)
			delete(expected, r.ID)
			continue
		}
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
	for id := range sometimes {
		unexpectedPass = append(unexpectedPass, id+" (no such case)")
	}
	sort.Strings(sometimesFailed)
	t.Logf("%s: %d of %d cases failed; %d of them are listed as failing sometimes (%s), %d not judged",
		server, failed, len(results), len(sometimesFailed), strings.Join(sometimesFailed, " "), len(unjudged))
	sort.Strings(unexpectedFail)
	sort.Strings(unexpectedPass)
	if len(unexpectedFail) > 0 {
		t.Errorf("%d cases fail against %s but are not in %s:\n%s", len(unexpectedFail), server, file, strings.Join(unexpectedFail, "\n"))
	}
	if len(unexpectedPass) > 0 {
		t.Errorf("%d cases listed in %s did not fail:\n%s", len(unexpectedPass), file, strings.Join(unexpectedPass, "\n"))
	}
}

// firstLine is the first line of a failure's message that says something
// (httpexpect's start with an empty one), shortened.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimLeft(s, "\n\t "), "\n")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}

// oneLine is a whole failure message on one line, shortened.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
