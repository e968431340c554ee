package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mint names what is wrong in the user's terms: the flag to add, the key
// file to point at. It never creates a root key of its own.
func TestMintNamesTheMissingFlag(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "root.key")
	if err := os.WriteFile(key, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "none", "root.key")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no project", []string{"--root-key-file", key}, 2, "--project is required"},
		{"no key file", []string{"--project", "prj_demo", "--root-key-file", missing}, 2, ".tmp/dev/root.key"},
		{"unknown op", []string{"--project", "prj_demo", "--root-key-file", key, "--ops", "fly"}, 2, `unknown op "fly"`},
		{"ok", []string{"--project", "prj_demo", "--root-key-file", key, "--ttl", "1h"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := mint(c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Fatalf("mint %v: exit %d, stderr %q; want exit %d saying %q", c.args, code, stderr.String(), c.code, c.want)
			}
			if c.code == 0 && len(strings.TrimSpace(stdout.String())) < 40 {
				t.Fatalf("mint printed %q, want a token", stdout.String())
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("mint created a root key of its own")
	}
}
