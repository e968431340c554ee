package conformance

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Command is a target that s3conform starts as a local process for the
// run (conformance/process) and stops after it. In argv, env values,
// ready_url and the target's endpoint, {port} stands for a free loopback
// TCP port picked at start and {tmp} for a fresh directory removed after
// the run.
type Command struct {
	// Argv is the program and its arguments. A program path with a slash
	// is relative to the target file; one without is looked up in PATH.
	Argv []string `toml:"argv"`
	// Dir is the working directory, relative to the target file (default:
	// the target file's directory).
	Dir string `toml:"dir"`
	// Env is added to s3conform's own environment for the process.
	Env map[string]string `toml:"env"`
	// ReadyURL is polled until it answers 2xx; without it the server is
	// ready once the endpoint's host and port accept a TCP connection.
	ReadyURL string `toml:"ready_url"`
	// StartTimeoutSeconds is how long the server may take to become ready
	// (default 60).
	StartTimeoutSeconds int `toml:"start_timeout_seconds"`
	// StopGraceSeconds is how long the server's process group has to exit
	// after SIGTERM before it gets SIGKILL (default 10).
	StopGraceSeconds int `toml:"stop_grace_seconds"`
	// LogFile receives the server's stdout and stderr, relative to the
	// target file (default: a new file in the temporary directory); its
	// path is printed when the start or the run fails.
	LogFile string `toml:"log_file"`
}

// StartTimeout is how long the server may take to become ready.
func (c *Command) StartTimeout() time.Duration {
	if c.StartTimeoutSeconds <= 0 {
		return 60 * time.Second
	}
	return time.Duration(c.StartTimeoutSeconds) * time.Second
}

// StopGrace is how long the server has between SIGTERM and SIGKILL.
func (c *Command) StopGrace() time.Duration {
	if c.StopGraceSeconds <= 0 {
		return 10 * time.Second
	}
	return time.Duration(c.StopGraceSeconds) * time.Second
}

// ExpandPlaceholders replaces {port} and {tmp} in s.
func ExpandPlaceholders(s, port, tmp string) string {
	return strings.NewReplacer("{port}", port, "{tmp}", tmp).Replace(s)
}

// resolve checks the command and makes its paths absolute, relative to
// dir (the target file's directory).
func (c *Command) resolve(dir string) error {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return errors.New("argv must name a program")
	}
	if c.StartTimeoutSeconds < 0 || c.StopGraceSeconds < 0 {
		return errors.New("start_timeout_seconds and stop_grace_seconds must not be negative")
	}
	abs := func(p string) (string, error) {
		if filepath.IsAbs(p) {
			return p, nil
		}
		return filepath.Abs(filepath.Join(dir, p))
	}
	var err error
	if strings.Contains(c.Argv[0], "/") && !strings.HasPrefix(c.Argv[0], "{tmp}") {
		if c.Argv[0], err = abs(c.Argv[0]); err != nil {
			return fmt.Errorf("argv: %w", err)
		}
	}
	if c.Dir == "" {
		c.Dir = "."
	}
	if c.Dir, err = abs(c.Dir); err != nil {
		return fmt.Errorf("dir: %w", err)
	}
	if c.LogFile != "" {
		if c.LogFile, err = abs(c.LogFile); err != nil {
			return fmt.Errorf("log_file: %w", err)
		}
	}
	if c.ReadyURL != "" {
		u, err := url.Parse(ExpandPlaceholders(c.ReadyURL, "1", ""))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("ready_url %q is not an http(s) URL", c.ReadyURL)
		}
	}
	return nil
}
