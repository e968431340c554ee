package process

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// target returns a target whose command is sh -c script, listening (or
// not) as the script does on {port}.
func target(t *testing.T, script string, grace, timeout int) *conformance.Target {
	return &conformance.Target{
		Endpoint: "http://127.0.0.1:{port}",
		Command: &conformance.Command{
			Argv: []string{"sh", "-c", script}, Dir: t.TempDir(),
			StopGraceSeconds: grace, StartTimeoutSeconds: timeout,
			LogFile: filepath.Join(t.TempDir(), "server.log"),
		},
	}
}

// listen is a shell server: it accepts on {port} (python3's socket module,
// present where the suite runs; the case skips without it).
const listen = `python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("listening", flush=True); time.sleep(600)' {port}`

func TestStartAndStop(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no python3 for a listening shell server")
	}
	for _, c := range []struct {
		name    string
		script  string
		grace   int
		stopErr string // "" : a clean stop
		elapsed time.Duration
	}{
		{"stops on SIGTERM", listen, 10, "", 5 * time.Second},
		{"ignores SIGTERM: killed after the grace", `trap "" TERM; ` + listen, 1, "was killed", 5 * time.Second},
		{"a child in the group is stopped too", `sleep 600 & echo child $! ; ` + listen, 10, "", 5 * time.Second},
		{"a child ignoring SIGTERM is killed after the grace", `sh -c 'trap "" TERM; sleep 600' & echo child $! ; exec ` + listen, 1, "children did not exit", 5 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg := target(t, c.script, c.grace, 30)
			s, err := Start(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tg.Endpoint, "{port}") {
				t.Fatalf("endpoint %s not expanded", tg.Endpoint)
			}
			start := time.Now()
			err = s.Stop()
			if c.stopErr == "" && err != nil || c.stopErr != "" && (err == nil || !strings.Contains(err.Error(), c.stopErr)) {
				t.Errorf("Stop: %v, want %q", err, c.stopErr)
			}
			if d := time.Since(start); d > c.elapsed {
				t.Errorf("Stop took %v", d)
			}
			if syscall.Kill(-s.Pid, 0) == nil {
				t.Errorf("process group %d still has processes", s.Pid)
				syscall.Kill(-s.Pid, syscall.SIGKILL)
			}
			log, _ := os.ReadFile(s.LogPath)
			if !strings.Contains(string(log), "listening") {
				t.Errorf("log %s lacks the server's output: %q", s.LogPath, log)
			}
			if strings.Contains(c.script, "echo child") {
				pid, _ := strconv.Atoi(strings.Fields(strings.SplitN(string(log), "child ", 2)[1])[0])
				if pid == 0 || syscall.Kill(pid, 0) == nil {
					t.Errorf("child %d survived", pid)
				}
			}
		})
	}
}

func TestStartFails(t *testing.T) {
	for _, c := range []struct {
		name    string
		script  string
		ready   string
		timeout int
		want    []string
	}{
		{"exits at once", "echo no config >&2; exit 4", "", 30, []string{"exited before it was ready (exit status 4)", "no config", "server.log"}},
		{"never listens", "echo starting; sleep 600", "", 1, []string{"accepted no connection not within 1s", "starting"}},
		{"ready_url never 2xx", listen, "http://127.0.0.1:{port}/healthz", 1, []string{"/healthz did not answer 2xx not within 1s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg := target(t, c.script, 1, c.timeout)
			tg.Command.ReadyURL = c.ready
			start := time.Now()
			_, err := Start(context.Background(), tg)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if d := time.Since(start); d > time.Duration(c.timeout+5)*time.Second {
				t.Errorf("Start took %v", d)
			}
		})
	}
}
