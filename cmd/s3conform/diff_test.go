package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/report"
)

// writeReport writes a JSON report as s3conform run does, with the given
// results as "id outcome" pairs.
func writeReport(t *testing.T, dir, name string, pairs ...string) string {
	t.Helper()
	run := &report.Run{Target: "t", Endpoint: "http://127.0.0.1:9000"}
	for _, p := range pairs {
		id, outcome, _ := strings.Cut(p, " ")
		r := conformance.Result{ID: id, Feature: conformance.Objects, Outcome: conformance.Outcome(outcome)}
		if r.Outcome != conformance.Pass {
			r.Message = "why " + id + "\nmore"
		}
		run.Results = append(run.Results, r)
	}
	if err := report.WriteAll(filepath.Join(dir, name), run); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name, "report.json")
}

// TestDiffCommand runs "s3conform diff" on report files as run writes them.
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	base := writeReport(t, dir, "base", "a pass", "b fail", "c pass", "d skip")
	worse := writeReport(t, dir, "worse", "a fail", "b pass", "c skip", "e pass")
	better := writeReport(t, dir, "better", "a pass", "b pass", "c pass", "d skip")
	notJSON := filepath.Join(dir, "base", "report.md")
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     []string // each must appear
		stderrLine string   // what stderr must contain; "" for empty
	}{
		{"a regression", []string{base, worse}, 1, []string{"" +
			"regressed (1):\n  a  pass -> fail      why a\n" +
			"fixed (1):\n  b  fail -> pass\n" +
			"appeared (1):\n  e  (absent) -> pass\n" +
			"vanished (1):\n  d  skip -> (absent)  why d\n" +
			"changed (1):\n  c  pass -> skip      why c\n" +
			"s3conform diff: 1 regressed, 1 fixed, 1 appeared, 1 vanished, 1 changed, 0 unchanged; failures 1 -> 1\n",
		}, ""},
		{"only a fix", []string{base, better}, 0, []string{"fixed (1):", "0 regressed, 1 fixed, 0 appeared, 0 vanished, 0 changed, 3 unchanged; failures 1 -> 0\n"}, ""},
		{"the same run", []string{base, base}, 0, []string{"s3conform diff: 0 regressed, 0 fixed, 0 appeared, 0 vanished, 0 changed, 4 unchanged; failures 1 -> 1\n"}, ""},
		{"missing file", []string{base, filepath.Join(dir, "nope.json")}, 2, nil, "nope.json: no such file"},
		{"not a JSON report", []string{notJSON, base}, 2, nil, "report.md: not an s3conform JSON report"},
		{"one argument", []string{base}, 2, nil, "usage: s3conform diff OLD.json NEW.json"},
		{"help", []string{"-h"}, 0, nil, "usage: s3conform diff OLD.json NEW.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, append([]string{"diff"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			if tc.code == 2 && stdout != "" {
				t.Errorf("stdout %q, want nothing on an error", stdout)
			}
			if tc.stderrLine == "" && stderr != "" || !strings.Contains(stderr, tc.stderrLine) {
				t.Errorf("stderr %q, want %q", stderr, tc.stderrLine)
			}
		})
	}
}

// TestUsage checks that -h names the diff command and exits 0.
func TestUsage(t *testing.T) {
	code, stdout, _ := runBinary(t, "-h")
	if code != 0 || !strings.Contains(stdout, "s3conform diff OLD.json NEW.json") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
	if _, err := os.Stat(s3conformBinary(t)); err != nil {
		t.Fatal(err)
	}
}
