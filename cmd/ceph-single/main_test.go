package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUsage covers what needs no Ceph: the refusals, and a stop that finds
// nothing of its own to signal.
func TestUsage(t *testing.T) {
	empty := t.TempDir()
	stale := t.TempDir()
	// The test binary's own pid: a running process, but no ceph-single start.
	if err := os.WriteFile(filepath.Join(stale, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"restart", "--dir", empty}, 2, "unknown command"},
		{"no dir", []string{"start"}, 2, "--dir is required"},
		{"extra argument", []string{"stop", "--dir", empty, "now"}, 2, "--dir is required"},
		{"stop without a cluster", []string{"stop", "--dir", empty}, 1, "no cluster is running"},
		{"stop with a stale pid file", []string{"stop", "--dir", stale}, 1, "is not a ceph-single start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tc.want)
			}
		})
	}
}
