// Package process starts a conformance target's [command]: a local program
// that serves the S3 API for the run. It runs in a process group of its
// own, with its stdout and stderr in a log file, and is ready when its
// ready_url answers 2xx or, without one, when the endpoint accepts TCP.
// Stop sends the group SIGTERM, then SIGKILL after the grace period.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// Server is a started command.
type Server struct {
	// LogPath is the file with the program's stdout and stderr.
	LogPath string
	// Pid is the program's process id, also its process group's.
	Pid int

	cmd    *exec.Cmd
	grace  time.Duration
	tmp    string
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// Start starts t.Command, fills in {port} and {tmp} (in argv, env values,
// ready_url and t.Endpoint) and waits until the server is ready. On error
// nothing is left running, and the error names the log file.
func Start(ctx context.Context, t *conformance.Target) (*Server, error) {
	c := t.Command
	if c == nil {
		return nil, errors.New("target has no [command]")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "s3conform-server-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	expand := func(s string) string { return conformance.ExpandPlaceholders(s, port, tmp) }
	fixedPort := !strings.Contains(t.Endpoint, "{port}")
	t.Endpoint = expand(t.Endpoint)
	if fixedPort {
		// A server already there would look ready at once.
		if probe, _, err := readiness("", t.Endpoint); err == nil && probe(ctx) {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("something already listens at %s: stop it, or give the command {port}", t.Endpoint)
		}
	}

	var logf *os.File
	if c.LogFile != "" {
		logf, err = os.OpenFile(c.LogFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	} else {
		logf, err = os.CreateTemp("", "s3conform-server-*.log")
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("server log: %w", err)
	}
	defer logf.Close()

	argv := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		argv[i] = expand(a)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = os.Environ()
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+expand(v))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcessGroup(cmd)
	s := &Server{LogPath: logf.Name(), cmd: cmd, grace: c.StopGrace(), tmp: tmp, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start %s: %w (log: %s)", argv[0], err, s.LogPath)
	}
	s.Pid = cmd.Process.Pid
	go func() { s.err = cmd.Wait(); close(s.exited) }()

	if err := s.waitReady(ctx, expand(c.ReadyURL), t.Endpoint, c.StartTimeout()); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%s: %w\n(its output: %s)%s", argv[0], err, s.LogPath, tail(s.LogPath, 20))
	}
	return s, nil
}

// waitReady polls readyURL, or the endpoint's TCP port without one, until
// it answers, the program exits or the timeout passes.
func (s *Server) waitReady(ctx context.Context, readyURL, endpoint string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	probe, what, err := readiness(readyURL, endpoint)
	if err != nil {
		return err
	}
	for {
		if probe(ctx) {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("exited before it was ready (%v)", s.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not within %v", what, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readiness returns the check that the server is ready and what it waits
// for, in words.
func readiness(readyURL, endpoint string) (func(context.Context) bool, string, error) {
	if readyURL != "" {
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
		return func(ctx context.Context) bool {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
			if err != nil {
				return false
			}
			resp, err := client.Do(req)
			if err != nil {
				return false
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode/100 == 2
		}, readyURL + " did not answer 2xx", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("endpoint %q: no host to wait for", endpoint)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme]+map[string]string{"http": "80"}[u.Scheme])
	}
	d := net.Dialer{Timeout: time.Second}
	return func(ctx context.Context) bool {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, addr + " accepted no connection", nil
}

// Stop ends the server: SIGTERM to its process group, SIGKILL after the
// grace period, and removes {tmp}. It returns an error when the server had
// already exited (it died during the run) or had to be killed.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.tmp)
	select {
	case <-s.exited:
		signalGroup(s.cmd.Process, true) // whatever it left behind
		waitGroupGone(s.Pid)
		return fmt.Errorf("the server exited during the run (%v)", s.err)
	default:
	}
	signalGroup(s.cmd.Process, false)
	timer := time.NewTimer(s.grace)
	defer timer.Stop()
	select {
	case <-s.exited:
	case <-timer.C:
		signalGroup(s.cmd.Process, true)
		<-s.exited
		waitGroupGone(s.Pid)
		return fmt.Errorf("the server did not exit within %v of SIGTERM and was killed", s.grace)
	}
	// The leader is gone; its children share the rest of the grace.
	for groupAlive(s.Pid) {
		select {
		case <-timer.C:
			signalGroup(s.cmd.Process, true)
			waitGroupGone(s.Pid)
			return fmt.Errorf("the server's children did not exit within %v of SIGTERM and were killed", s.grace)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// waitGroupGone waits a little for killed processes to be gone (SIGKILL
// takes effect asynchronously).
func waitGroupGone(pgid int) {
	for deadline := time.Now().Add(5 * time.Second); groupAlive(pgid) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort returns a TCP port free on loopback now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// tail returns the last n lines of the file, indented, for an error.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n  " + strings.Join(lines, "\n  ")
}
