// Package launch builds this repository's gateway and runs it as a separate
// process on a free loopback port with its own temporary directories: the
// black box the conformance suite tests when no other target is given, and
// the subject of the crash and memory tests.
package launch

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// The credentials a launched gateway knows, one per Target credential set.
var (
	fullKey     = conformance.Credentials{AccessKey: "conformance-full", SecretKey: "conformance-full-secret"}
	scopedKey   = conformance.Credentials{AccessKey: "conformance-scoped", SecretKey: "conformance-scoped-secret"}
	readOnlyKey = conformance.Credentials{AccessKey: "conformance-read-only", SecretKey: "conformance-read-only-secret"}
	otherKey    = conformance.Credentials{AccessKey: "conformance-other", SecretKey: "conformance-other-secret"}
)

const (
	scopedBucket = "conformance-scoped"
	scopedPrefix = "allowed/"
)

// PresignSecret is the PRESIGN_SECRET of launched gateways: gateway
// presigned URLs are off without one.
const PresignSecret = "conformance-presign-secret"

// credentialsJSON is SIGV4_CREDENTIALS_JSON for the keys above.
func credentialsJSON() string { return CredentialsJSON() }

// CredentialsJSON is SIGV4_CREDENTIALS_JSON for the launched keys.
func CredentialsJSON() string {
	return `[
  {"access_key": "` + fullKey.AccessKey + `", "secret_key": "` + fullKey.SecretKey + `", "project_id": "conformance"},
  {"access_key": "` + scopedKey.AccessKey + `", "secret_key": "` + scopedKey.SecretKey + `", "project_id": "conformance",
   "bucket": "` + scopedBucket + `", "prefix": "` + scopedPrefix + `"},
  {"access_key": "` + readOnlyKey.AccessKey + `", "secret_key": "` + readOnlyKey.SecretKey + `", "project_id": "conformance",
   "ops": ["get", "head", "list"]},
  {"access_key": "` + otherKey.AccessKey + `", "secret_key": "` + otherKey.SecretKey + `", "project_id": "conformance-other"}
]`
}

// Options configures a gateway process.
type Options struct {
	// Dir holds the gateway's data, index and log. Reuse it to restart a
	// gateway on the same storage.
	Dir string
	// Env adds or overrides environment variables (PORT, HOST and the
	// storage paths are set by default).
	Env map[string]string
	// Race builds the gateway with the race detector.
	Race bool
	// TLS serves HTTPS with a self-signed certificate made for the run.
	TLS bool
	// ControlPlane, when set, is the control plane the gateway uses for
	// tokens, usage and keys it does not know locally.
	ControlPlane *ControlPlane
}

// Gateway is a running gateway process.
type Gateway struct {
	Addr     string // host:port
	Endpoint string // http://host:port
	Prefix   string
	Dir      string
	opts     Options
	caPEM    []byte
	client   *http.Client
	cmd      *exec.Cmd
	waitErr  chan error
	logPath  string
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Binary builds the gateway once per process (per race mode) and returns the
// binary's path.
func Binary(race bool) (string, error) { return build("./cmd/gateway", race) }

// build compiles a command of this module once per process, into the
// user's cache directory (s3gw-launch/): one binary per command, race mode
// and checkout, replaced atomically by the next build, so that runs leave
// nothing behind in the temp folder and the space taken does not grow.
func build(pkg string, race bool) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	id := fmt.Sprintf("%s race=%v", pkg, race)
	if p, ok := built[id]; ok {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "s3gw-launch")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("build dir: %w", err)
	}
	name := fmt.Sprintf("%s-%x", filepath.Base(pkg), sha256.Sum256([]byte(root)))[:len(filepath.Base(pkg))+17]
	if race {
		name += "-race"
	}
	// Built beside its final name, then renamed over it: a process still
	// running the previous binary keeps it, and concurrent builds do not
	// see each other's half-written files.
	tmp, err := os.CreateTemp(dir, name+".build-")
	if err != nil {
		return "", fmt.Errorf("build dir: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := []string{"build", "-o", tmp.Name()}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	out := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	built[id] = out
	return out, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the gateway's Go module")
	}
	return filepath.Dir(mod), nil
}

// Start builds (once) and starts a gateway, waiting until it serves.
func Start(opts Options) (*Gateway, error) {
	if opts.Dir == "" {
		return nil, errors.New("launch: Options.Dir is required")
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	bin, err := Binary(opts.Race)
	if err != nil {
		return nil, err
	}
	g := &Gateway{Dir: opts.Dir, opts: opts, Prefix: "/s3", client: http.DefaultClient}
	if p, ok := opts.Env["S3_PATH_PREFIX"]; ok {
		g.Prefix = strings.TrimRight(p, "/")
	}
	if opts.TLS {
		if err := g.makeCertificate(); err != nil {
			return nil, err
		}
	}
	return g, g.start(bin)
}

func (g *Gateway) start(bin string) error {
	addrFile := filepath.Join(g.Dir, "addr")
	os.Remove(addrFile)
	env := map[string]string{
		"HOST":                   "127.0.0.1",
		"PORT":                   "0",
		"S3_DATA_DIR":            filepath.Join(g.Dir, "data"),
		"S3_META_FILE":           filepath.Join(g.Dir, "meta", "index.db"),
		"S3_MULTIPART_DIR":       filepath.Join(g.Dir, "multipart"),
		"LOG_FORMAT":             "text",
		"SIGV4_PROVIDER":         "env",
		"SIGV4_CREDENTIALS_JSON": credentialsJSON(),
		"PRESIGN_SECRET":         PresignSecret,
	}
	if cp := g.opts.ControlPlane; cp != nil {
		env["CONTROL_PLANE_URL"] = cp.URL
		env["INTERNAL_API_TOKEN"] = cp.Token
		env["SIGV4_PROVIDER"] = "hybrid"
	} else {
		env["USAGE_REPORTING"] = "false"
	}
	if g.caPEM != nil {
		env["TLS_CERT_FILE"] = filepath.Join(g.Dir, "tls", "cert.pem")
		env["TLS_KEY_FILE"] = filepath.Join(g.Dir, "tls", "key.pem")
	}
	for k, v := range g.opts.Env {
		env[k] = v
	}
	cmd := exec.Command(bin, "-addr-file", addrFile)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GORACE=halt_on_error=0"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	g.logPath = filepath.Join(g.Dir, "gateway.log")
	logf, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("gateway log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start gateway: %w", err)
	}
	logf.Close()
	g.cmd = cmd
	g.waitErr = make(chan error, 1)
	go func() { g.waitErr <- cmd.Wait() }()

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-g.waitErr:
			g.waitErr <- err
			return fmt.Errorf("gateway exited during start-up (%v):\n%s", err, g.LogTail(20))
		default:
		}
		if b, err := os.ReadFile(addrFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			g.Addr = strings.TrimSpace(string(b))
			g.Endpoint = "http://" + g.Addr
			if g.caPEM != nil {
				g.Endpoint = "https://" + g.Addr
			}
			if resp, err := g.client.Get(g.Endpoint + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.Kill()
	return fmt.Errorf("gateway did not become healthy within 60s:\n%s", g.LogTail(20))
}

// Target describes the running gateway for the conformance suite.
func (g *Gateway) Target() *conformance.Target {
	cpURL, cpToken := "", ""
	if cp := g.opts.ControlPlane; cp != nil {
		cpURL, cpToken = cp.URL, cp.Token
	}
	t := TargetAt(g.Endpoint, g.Prefix, g.opts.Env, cpURL, cpToken)
	t.CAPEM = g.caPEM
	return t
}

// TargetAt describes a gateway of this repository at endpoint, started with
// the launched credentials and env, using the control plane at cpURL (the
// URL the suite reaches it at; empty for none).
func TargetAt(endpoint, prefix string, env map[string]string, cpURL, cpToken string) *conformance.Target {
	skew := 900 * time.Second
	if v, ok := env["SIGV4_MAX_SKEW_SECONDS"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			skew = time.Duration(n) * time.Second
		}
	}
	maxBody := int64(268435456)
	if v, ok := env["MAX_BODY_BYTES"]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			maxBody = n
		}
	}
	region := "us-east-1"
	if v := env["S3_REGION"]; v != "" {
		region = v
	}
	t := &conformance.Target{
		Name:            "gateway (launched)",
		Endpoint:        endpoint,
		PathPrefix:      prefix,
		Region:          region,
		Full:            fullKey,
		Scoped:          scopedKey,
		ScopedBucket:    scopedBucket,
		ScopedPrefix:    scopedPrefix,
		ReadOnly:        readOnlyKey,
		Other:           otherKey,
		MaxSkew:         skew,
		MaxBodyBytes:    maxBody,
		Project:         "conformance",
		OtherProject:    "conformance-other",
		KnownDeviations: KnownDeviations,
	}
	// The gateway claims every feature, its extensions by name (a target
	// without a features list would claim S3's only); without a control
	// plane it has no bearer tokens and reports no usage.
	t.Features = conformance.AllFeatures
	if cpURL != "" {
		t.ControlPlaneURL, t.ControlPlaneToken = cpURL, cpToken
		t.ControlPlaneKey = cpKey
	} else {
		t.Features = conformance.FeaturesWithout(conformance.Macaroon, conformance.Usage)
	}
	return t
}

// KnownDeviations are the cases this repository's gateway fails, each with
// the reason: behaviour of Amazon S3 it does not reproduce. The README's
// "Not supported" section lists them too.
var KnownDeviations = map[string]string{
	"general/expect/unknown-value": "Go's net/http answers an Expect header other than 100-continue with 417 " +
		"Expectation Failed before any handler runs; ignoring it as S3 does would take an HTTP/1.1 framer under net/http",
}

// Stop sends SIGTERM and waits for the process to exit. It returns an error
// unless the gateway exited with status 0 and its log shows no data race.
func (g *Gateway) Stop() error {
	if g.cmd == nil {
		return nil
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-g.waitErr:
	case <-time.After(60 * time.Second):
		g.Kill()
		return errors.New("gateway did not exit within 60s of SIGTERM")
	}
	g.cmd = nil
	if err != nil {
		return fmt.Errorf("gateway exit: %v\n%s", err, g.LogTail(30))
	}
	if races := g.Races(); races != "" {
		return fmt.Errorf("the race detector reported:\n%s", races)
	}
	return nil
}

// Kill ends the process with SIGKILL, as a crash would.
func (g *Gateway) Kill() {
	if g.cmd == nil {
		return
	}
	_ = g.cmd.Process.Kill()
	<-g.waitErr
	g.cmd = nil
}

// Restart starts the gateway again on the same directories.
func (g *Gateway) Restart() error {
	if g.cmd != nil {
		return errors.New("gateway still running")
	}
	bin, err := Binary(g.opts.Race)
	if err != nil {
		return err
	}
	return g.start(bin)
}

// Pid returns the process id, or 0 when stopped.
func (g *Gateway) Pid() int {
	if g.cmd == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes.
func (g *Gateway) PeakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.Pid()))
	if err != nil {
		return 0, fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("VmHWM not found in /proc status")
}

// LogTail returns the last n lines of the gateway's log.
func (g *Gateway) LogTail(n int) string {
	b, _ := os.ReadFile(g.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Races returns the race detector's reports in the log, if any.
func (g *Gateway) Races() string {
	b, _ := os.ReadFile(g.logPath)
	if i := bytes.Index(b, []byte("WARNING: DATA RACE")); i >= 0 {
		return string(b[i:min(len(b), i+8000)])
	}
	return ""
}

// makeCertificate writes a self-signed certificate for 127.0.0.1 and
// localhost, and makes the launcher's own client trust it.
func (g *Gateway) makeCertificate() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("tls key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "s3-gateway test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("tls key: %w", err)
	}
	dir := filepath.Join(g.Dir, "tls")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	g.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), g.caPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(g.caPEM)
	g.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return nil
}
