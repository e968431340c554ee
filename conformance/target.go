package conformance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"

	"fmt"
	"github.com/pelletier/go-toml/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Credentials are an access key pair.
type Credentials struct {
	AccessKey string `toml:"access_key"`
	SecretKey string `toml:"secret_key"`
}

// Target describes the endpoint under test.
type Target struct {
	// Name appears in reports.
	Name string `toml:"name"`
	// Endpoint is the scheme and authority, e.g. "http://127.0.0.1:9009".
	Endpoint string `toml:"endpoint"`
	// PathPrefix is where the S3 API is mounted, e.g. "/s3"; empty for
	// the root.
	PathPrefix string `toml:"path_prefix"`
	Region     string `toml:"region"`
	// Full are credentials allowed everything in their own project.
	Full Credentials `toml:"full"`
	// Scoped may only touch ScopedBucket, under ScopedPrefix, in Full's
	// project; cases create that bucket with Full when it is missing.
	Scoped       Credentials `toml:"scoped"`
	ScopedBucket string      `toml:"scoped_bucket"`
	ScopedPrefix string      `toml:"scoped_prefix"`
	// ReadOnly may get, head and list in Full's project.
	ReadOnly Credentials `toml:"read_only"`
	// Other has full rights in another project.
	Other Credentials `toml:"other_project"`
	// Project and OtherProject are the projects of Full and Other, for
	// minting tokens and reading usage.
	Project      string `toml:"project"`
	OtherProject string `toml:"other_project_id"`
	// ControlPlaneURL and ControlPlaneToken reach the target's control
	// plane (docs/architecture.md, "Control-plane wire contract"):
	// macaroons are minted with POST /v1/macaroons and usage read with
	// GET /v1/usage/summary.
	ControlPlaneURL   string `toml:"control_plane_url"`
	ControlPlaneToken string `toml:"control_plane_token"`
	// ControlPlaneKey is an access key only the control plane knows.
	ControlPlaneKey Credentials `toml:"control_plane_key"`
	// Features are the features the target claims: S3 features and this
	// gateway's extensions by name, and FeatureS3 ("s3") for every S3
	// feature. Empty claims the S3 features and no extension.
	Features []Feature `toml:"features"`
	// KnownDeviations maps the IDs of cases the target is known to fail to
	// the reason ([known_deviations] in a target file). Such a case still
	// runs: failing, it is reported skipped with the reason; passing, it
	// fails, so the list cannot outlive the deviation.
	KnownDeviations map[string]string `toml:"known_deviations"`
	// MaxSkew is the clock skew the target tolerates on signed requests
	// (max_skew_seconds in a target file).
	MaxSkew time.Duration `toml:"-"`
	// MaxBodyBytes is the largest single request body the target accepts
	// (0: unknown; cases that need it skip with that reason).
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// CAPEM is the PEM CA certificate an https endpoint's certificate
	// chains to, when the system roots do not cover it (ca_file in a
	// target file).
	CAPEM []byte `toml:"-"`
	// Container, when set, describes an image to start for the run; its
	// endpoint is then filled in by whoever starts it.
	Container *Container `toml:"container"`

	clientOnce sync.Once
	client     *http.Client
}

// Claims reports whether the target claims feature f. An extension is
// claimed only by name: a server that never heard of this gateway claims
// none, and its run shows them as not claimed rather than failed.
func (t *Target) Claims(f Feature) bool {
	if slices.Contains(t.Features, f) {
		return true
	}
	if f.Extension() {
		return false
	}
	return len(t.Features) == 0 || slices.Contains(t.Features, FeatureS3)
}

// S3URL returns the URL of the S3 API's root, with the prefix.
func (t *Target) S3URL() string {
	return strings.TrimRight(t.Endpoint, "/") + strings.TrimRight(t.PathPrefix, "/")
}

func (t *Target) validate() error {
	u, err := url.Parse(t.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not an http(s) URL", t.Endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return errors.New("endpoint must not have a path: put it in path_prefix")
	}
	if t.PathPrefix != "" && !strings.HasPrefix(t.PathPrefix, "/") {
		return fmt.Errorf("path_prefix %q must start with /", t.PathPrefix)
	}
	if t.Region == "" {
		t.Region = "us-east-1"
	}
	if t.Full.AccessKey == "" || t.Full.SecretKey == "" {
		return errors.New("full credentials are required")
	}
	for _, f := range t.Features {
		if f != FeatureS3 && !slices.Contains(AllFeatures, f) {
			return fmt.Errorf("unknown feature %q", f)
		}
	}
	return nil
}

// Container is a target run from a container image.
type Container struct {
	// Image names an image to run, or Dockerfile (relative to the target
	// file) one to build first.
	Image      string `toml:"image"`
	Dockerfile string `toml:"dockerfile"`
	// Context is the build context, relative to the target file.
	Context string `toml:"context"`
	// Port is the container port serving HTTP (default 9009).
	Port int               `toml:"port"`
	Env  map[string]string `toml:"env"`
	// Network and Aliases attach the container to a Docker network under
	// names its neighbours can reach (set by code, not target files).
	Network string   `toml:"-"`
	Aliases []string `toml:"-"`
}

// targetFile is a target's TOML form: the Target's own fields plus the
// ones that need converting.
type targetFile struct {
	*Target
	MaxSkewSeconds int    `toml:"max_skew_seconds"`
	CAFile         string `toml:"ca_file"`
}

// LoadTarget reads a target description (TOML). Relative paths in it are
// relative to the file.
func LoadTarget(path string) (*Target, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read target: %w", err)
	}
	t := &Target{}
	tf := targetFile{Target: t}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("target %s: %w", path, err)
	}
	t.MaxSkew = time.Duration(tf.MaxSkewSeconds) * time.Second
	if t.MaxSkew == 0 {
		t.MaxSkew = 15 * time.Minute
	}
	dir := filepath.Dir(path)
	if tf.CAFile != "" {
		if t.CAPEM, err = os.ReadFile(filepath.Join(dir, tf.CAFile)); err != nil {
			return nil, fmt.Errorf("target %s: ca_file: %w", path, err)
		}
	}
	if c := t.Container; c != nil {
		if c.Dockerfile != "" {
			c.Dockerfile = filepath.Join(dir, c.Dockerfile)
			if c.Context == "" {
				c.Context = filepath.Dir(c.Dockerfile)
			} else {
				c.Context = filepath.Join(dir, c.Context)
			}
		}
		if c.Port == 0 {
			c.Port = 9009
		}
		if c.Image == "" && c.Dockerfile == "" {
			return nil, fmt.Errorf("target %s: a container needs an image or a dockerfile", path)
		}
	} else if err := t.validate(); err != nil {
		return nil, fmt.Errorf("target %s: %w", path, err)
	}
	return t, nil
}
