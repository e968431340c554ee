package main

import (
	"bytes"
	"net"
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
		{"storage backend", map[string]string{"STORAGE_BACKEND": "disk"}, nil, "STORAGE_BACKEND="},
		{"upstream without endpoint", map[string]string{"STORAGE_BACKEND": "s3"}, nil, "UPSTREAM_ENDPOINT:"},
		{"upstream without keys", map[string]string{"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": "http://127.0.0.1:1"}, nil, "UPSTREAM_ACCESS_KEY:"},
		{"upstream refusing connections", upstreamAt("http://" + closedAddr(t)), nil, "UPSTREAM_ENDPOINT="},
		{"upstream never answering", upstreamAt("http://" + silentAddr(t)), nil, "UPSTREAM_ENDPOINT="},
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

func upstreamAt(endpoint string) map[string]string {
	return map[string]string{"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": endpoint,
		"UPSTREAM_ACCESS_KEY": "ak", "UPSTREAM_SECRET_KEY": "sk"}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentAddr accepts connections and never answers: start-up must give up
// on it within its deadline, not hang.
func silentAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}
