package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadCommandTarget(t *testing.T) {
	const base = "endpoint = \"http://127.0.0.1:{port}\"\n[full]\naccess_key = \"a\"\nsecret_key = \"b\"\n"
	for _, c := range []struct {
		name, doc, wantErr string
	}{
		{"relative program and log", base + "[command]\nargv = [\"./bin/server\", \"{port}\"]\nlog_file = \"s.log\"\n", ""},
		{"program from PATH", base + "[command]\nargv = [\"minio\"]\nstop_grace_seconds = 2\n", ""},
		{"no argv", base + "[command]\nready_url = \"http://127.0.0.1:{port}/\"\n", "argv must name a program"},
		{"bad ready_url", base + "[command]\nargv = [\"x\"]\nready_url = \"127.0.0.1:{port}\"\n", "ready_url"},
		{"negative timeout", base + "[command]\nargv = [\"x\"]\nstart_timeout_seconds = -1\n", "must not be negative"},
		{"container and command", base + "[command]\nargv = [\"x\"]\n[container]\nimage = \"i\"\n", "exclude each other"},
		{"endpoint with a path", strings.Replace(base, "{port}\"", "{port}/s3\"", 1) + "[command]\nargv = [\"x\"]\n", "path_prefix"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "t.toml")
			if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			tg, err := LoadTarget(path)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("LoadTarget: %v, want an error with %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cmd := tg.Command
			if cmd.Dir != dir || tg.Endpoint != "http://127.0.0.1:{port}" {
				t.Errorf("dir %q, endpoint %q", cmd.Dir, tg.Endpoint)
			}
			switch c.name {
			case "relative program and log":
				if cmd.Argv[0] != filepath.Join(dir, "bin/server") || cmd.Argv[1] != "{port}" || cmd.LogFile != filepath.Join(dir, "s.log") {
					t.Errorf("argv %q, log %q", cmd.Argv, cmd.LogFile)
				}
				if cmd.StartTimeout() != time.Minute || cmd.StopGrace() != 10*time.Second {
					t.Errorf("defaults: %v, %v", cmd.StartTimeout(), cmd.StopGrace())
				}
			case "program from PATH":
				if cmd.Argv[0] != "minio" || cmd.StopGrace() != 2*time.Second {
					t.Errorf("argv %q, grace %v", cmd.Argv, cmd.StopGrace())
				}
			}
		})
	}
}
