package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/s3gw/gateway/conformance"
)

const devTarget = "../../fixtures/targets/dev.toml"

// TestDevTargetMatchesFixtures checks that fixtures/targets/dev.toml names
// what `make dev` really sets up: its keys in fixtures/dev and the control
// plane's seed, in the projects it says, and the Makefile's ports, path
// prefix and internal token.
func TestDevTargetMatchesFixtures(t *testing.T) {
	tg, err := conformance.LoadTarget(devTarget)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		AccessKey string   `json:"access_key" toml:"access_key"`
		SecretKey string   `json:"secret_key" toml:"secret_key"`
		Project   string   `json:"project_id" toml:"project_id"`
		Ops       []string `json:"ops" toml:"ops"`
	}
	var local []key
	b, err := os.ReadFile("../../fixtures/dev/credentials.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &local); err != nil {
		t.Fatal(err)
	}
	var seed struct{ Keys []key }
	b, err = os.ReadFile("../../fixtures/controlplane/seed.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	allOps := []string{"delete", "get", "head", "list", "put"}
	for _, c := range []struct {
		set     string
		creds   conformance.Credentials
		keys    []key
		project string
		ops     []string // nil: every operation
	}{
		{"full", tg.Full, local, tg.Project, nil},
		{"read_only", tg.ReadOnly, seed.Keys, tg.Project, []string{"get", "head", "list"}},
		{"other_project", tg.Other, seed.Keys, tg.OtherProject, nil},
		{"control_plane_key", tg.ControlPlaneKey, seed.Keys, tg.Project, nil},
	} {
		i := slices.IndexFunc(c.keys, func(k key) bool { return k.AccessKey == c.creds.AccessKey })
		if i < 0 {
			t.Errorf("[%s] access key %q is not in the dev fixtures", c.set, c.creds.AccessKey)
			continue
		}
		k := c.keys[i]
		ops := slices.Sorted(slices.Values(k.Ops))
		if k.SecretKey != c.creds.SecretKey || k.Project != c.project {
			t.Errorf("[%s] %s: secret or project %q differ from the fixture's (project %q)", c.set, k.AccessKey, c.project, k.Project)
		}
		if c.ops == nil && len(ops) > 0 && !slices.Equal(ops, allOps) || c.ops != nil && !slices.Equal(ops, c.ops) {
			t.Errorf("[%s] %s may do %v, want %v", c.set, k.AccessKey, k.Ops, c.ops)
		}
	}

	// make dev's settings: the Makefile's variables, and cmd/dev's
	// defaults for what the Makefile does not pass.
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := os.ReadFile("../dev/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, re, want string
		in             []byte
	}{
		{"Makefile's internal API token (DEV_TOKEN)", `(?m)^DEV_TOKEN \?= (\S+)$`, tg.ControlPlaneToken, mk},
		{"Makefile's control plane address (DEV_CP_ADDR)", `(?m)^DEV_CP_ADDR \?= (\S+)$`, strings.TrimPrefix(tg.ControlPlaneURL, "http://"), mk},
		{"Makefile's gateway address (DEV_ADDR)", `(?m)^DEV_ADDR \?= (\S+)$`, strings.TrimPrefix(tg.Endpoint, "http://"), mk},
		{"cmd/dev's control plane seed", `"seed", "([^"]+)"`, "fixtures/controlplane/seed.toml", dev},
		{"cmd/dev's gateway credentials", `"credentials", "([^"]+)"`, "fixtures/dev/credentials.json", dev},
	} {
		m := regexp.MustCompile(c.re).FindSubmatch(c.in)
		if m == nil || string(m[1]) != c.want {
			t.Errorf("%s: found %q, dev.toml has %q", c.what, m, c.want)
		}
	}
	if tg.PathPrefix != "/s3" {
		t.Errorf("dev.toml's path_prefix %q, the gateway's default is /s3", tg.PathPrefix)
	}
}

// devSkips are the reasons cases skip against make dev: it has no
// credentials scoped to a bucket, authentication is on, and the target
// lists a known deviation.
var devSkips = []string{"no scoped credentials", "authentication is on", "known deviation of this target"}

// TestDevTarget starts the dev setup as `make dev` does and runs the
// extension cases and two S3 features with fixtures/targets/dev.toml: every
// claimed case passes but for devSkips. Then it drops each key a feature
// needs in turn and runs the features its tag names: the cases that needed
// the key must be skipped with a reason naming it, none may fail.
func TestDevTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts make dev (builds the gateway and the control plane)")
	}
	startMakeDev(t)

	// Through the command line, as a user runs it.
	reports := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--target", devTarget, "--features", "extensions,objects,multipart", "--report", reports}, &stdout, &stderr); code != 0 {
		t.Fatalf("s3conform run exited %d\nstderr: %s\n%s", code, stderr.String(), stdout.String())
	}
	var report struct{ Results []conformance.Result }
	b, err := os.ReadFile(filepath.Join(reports, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	passed := map[conformance.Feature]int{}
	for _, r := range report.Results {
		switch r.Outcome {
		case conformance.Pass:
			passed[r.Feature]++
		case conformance.Skip:
			if !slices.ContainsFunc(devSkips, func(s string) bool { return strings.Contains(r.Message, s) }) {
				t.Errorf("%s skipped against make dev: %s", r.ID, r.Message)
			}
		default:
			t.Errorf("%s: %s: %s", r.ID, r.Outcome, r.Message)
		}
	}
	for _, f := range conformance.ExtensionFeatures {
		if passed[f] == 0 {
			t.Errorf("no %s case passed against make dev", f)
		}
	}

	// Each key dropped in turn.
	base := map[string]conformance.Result{}
	for _, r := range report.Results {
		base[r.ID] = r
	}
	for _, key := range []string{"control_plane_url", "control_plane_token", "control_plane_key", "project",
		"other_project_id", "read_only", "other_project", "max_body_bytes"} {
		t.Run("without "+key, func(t *testing.T) {
			tg, err := conformance.LoadTarget(devTarget)
			if err != nil {
				t.Fatal(err)
			}
			features := dropKey(t, tg, key)
			results, err := conformance.Execute(t.Context(), tg, conformance.ExecOptions{Features: features, Parallel: 8})
			if err != nil {
				t.Fatal(err)
			}
			skipped := 0
			for _, r := range results {
				switch {
				case r.Outcome == conformance.Fail:
					t.Errorf("%s failed without %s: %s", r.ID, key, r.Message)
				case r.Outcome == conformance.Skip && base[r.ID].Outcome == conformance.Pass:
					skipped++
					if !namesKey(r.Message, key) {
						t.Errorf("%s skipped without %s for a reason that does not name it: %s", r.ID, key, r.Message)
					}
				}
			}
			if skipped == 0 {
				t.Errorf("no case skipped without %s: is its features tag right?", key)
			}
		})
	}
}

// dropKey zeroes the target's field with TOML key key and returns the
// features its tag says need it.
func dropKey(t *testing.T, tg *conformance.Target, key string) []conformance.Feature {
	t.Helper()
	v := reflect.ValueOf(tg).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("toml"), ","); name == key {
			v.Field(i).SetZero()
			var out []conformance.Feature
			for _, s := range strings.Split(f.Tag.Get("features"), ",") {
				out = append(out, conformance.Feature(s))
			}
			return out
		}
	}
	t.Fatalf("Target has no key %s", key)
	return nil
}

// namesKey reports whether a skip reason names a key, as written or with
// its underscores as hyphens or spaces ("read-only credentials").
func namesKey(msg, key string) bool {
	norm := strings.NewReplacer("_", " ", "-", " ").Replace
	return strings.Contains(msg, key) || strings.Contains(norm(strings.ToLower(msg)), norm(key))
}

// startMakeDev runs `make dev` with a fresh DEV_DIR until the test ends.
// Its ports are fixed (9009, 8080): when they are taken, the test skips.
func startMakeDev(t *testing.T) {
	t.Helper()
	for _, addr := range []string{"127.0.0.1:9009", "127.0.0.1:8080"} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Skipf("%s is in use (a make dev running?): make dev's ports are fixed", addr)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skipf("no make: %v", err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "make-dev.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("make", "-s", "dev", "DEV_DIR="+filepath.Join(dir, "dev"))
	cmd.Dir = "../.."
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // it builds both programs
	defer cancel()
	for _, u := range []string{"http://127.0.0.1:8080/healthz", "http://127.0.0.1:9009/readyz"} {
		for {
			if resp, err := http.Get(u); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case err := <-exited:
				log, _ := os.ReadFile(logPath)
				t.Fatalf("make dev exited (%v):\n%s", err, log)
			case <-ctx.Done():
				log, _ := os.ReadFile(logPath)
				t.Fatalf("make dev: %s did not answer 200 within 5 minutes:\n%s", u, log)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}
