package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad setting stops start-up with status 2 and one line that names it.
func TestBadConfigurationExitsTwoNamingTheVariable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"S3_DATA_DIR":      filepath.Join(dir, "data"),
		"S3_META_FILE":     filepath.Join(dir, "meta", "i.db"),
		"S3_MULTIPART_DIR": filepath.Join(dir, "mp"),
	}
	cases := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"port", map[string]string{"PORT": "abc"}, nil, "PORT="},
		{"credentials", map[string]string{"SIGV4_CREDENTIALS_JSON": "[{"}, nil, "SIGV4_CREDENTIALS_JSON:"},
		{"data dir", map[string]string{"S3_DATA_DIR": filepath.Join(blocker, "x")}, nil, "S3_DATA_DIR="},
		{"meta file", map[string]string{"S3_META_FILE": blocker + "/i.db"}, nil, "S3_META_FILE="},
		{"config file", nil, []string{"-config", filepath.Join(dir, "none.toml")}, "-config="},
		{"index not bbolt", map[string]string{"S3_META_FILE": blocker}, nil, "S3_META_FILE="},
	}
	if err := os.WriteFile(blocker, []byte(`{"objects":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range c.vars {
				vars[k] = v
			}
			var stderr bytes.Buffer
			code := run(c.args, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, &stderr)
			out := stderr.String()
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, out)
			}
			if strings.Count(out, "\n") != 1 || !strings.Contains(out, "gateway: "+c.want) {
				t.Fatalf("want one line naming %s, got:\n%s", c.want, out)
			}
		})
	}
}
