package conformance

//go:generate go run ./internal/targetdoc/gen -src . -doc ../docs/conformance.md

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Credentials are an access key pair.
type Credentials struct {
	// AccessKey is the access key id.
	AccessKey string `toml:"access_key"`
	// SecretKey is the secret access key.
	SecretKey string `toml:"secret_key"`
}

// Target describes the endpoint under test.
//
// The doc comments of the fields with a TOML key are the reference of the
// target file: docs/conformance.md's table of keys is generated from them
// (go generate ./conformance), and the features tag names the features
// whose cases need the key; without it those cases skip and name it.
type Target struct {
	// Name appears in reports.
	Name string `toml:"name"`
	// Endpoint is the scheme and authority, e.g. "http://127.0.0.1:9009";
	// no path. Required, except with a [container] (filled in when it
	// runs); with a [command] it may name {port}.
	Endpoint string `toml:"endpoint"`
	// PathPrefix is where the S3 API is mounted, e.g. "/s3"; empty for
	// the root.
	PathPrefix string `toml:"path_prefix"`
	// Region is the region requests are signed for and buckets created in
	// (default us-east-1).
	Region string `toml:"region"`
	// Full are credentials allowed everything in their own project.
	// Required.
	Full Credentials `toml:"full"`
	// Scoped are credentials that may only touch scoped_bucket, under
	// scoped_prefix, in the full credentials' project; cases create that
	// bucket with the full credentials when it is missing.
	Scoped Credentials `toml:"scoped" features:"tenancy,gateway-presign"`
	// ScopedBucket is the one bucket the scoped credentials may use.
	ScopedBucket string `toml:"scoped_bucket" features:"tenancy,gateway-presign"`
	// ScopedPrefix is the key prefix the scoped credentials are limited to
	// in scoped_bucket (empty: the whole bucket).
	ScopedPrefix string `toml:"scoped_prefix" features:"tenancy,gateway-presign"`
	// ReadOnly are credentials that may only get, head and list in the full
	// credentials' project.
	ReadOnly Credentials `toml:"read_only" features:"tenancy,gateway-presign"`
	// Other are credentials with full rights in another project.
	Other Credentials `toml:"other_project" features:"tenancy,gateway-presign,multipart"`
	// Project is the project of the full credentials, for minting bearer
	// tokens for its buckets.
	Project string `toml:"project" features:"macaroon,gateway-presign"`
	// OtherProject is the project of the other_project credentials.
	OtherProject string `toml:"other_project_id" features:"macaroon"`
	// ControlPlaneURL is the URL of the target's control plane
	// (docs/architecture.md, "Control-plane wire contract"): bearer tokens
	// are minted with POST /v1/macaroons and usage read with
	// GET /v1/usage/summary.
	ControlPlaneURL string `toml:"control_plane_url" features:"macaroon,usage,gateway-presign,readyz"`
	// ControlPlaneToken is the control plane's internal API token, sent as
	// a bearer token (INTERNAL_API_TOKEN); needed when the control plane
	// has one.
	ControlPlaneToken string `toml:"control_plane_token" features:"macaroon,usage,gateway-presign,readyz"`
	// ControlPlaneKey is an access key only the control plane knows, which
	// the target must resolve there.
	ControlPlaneKey Credentials `toml:"control_plane_key" features:"macaroon,readyz"`
	// Features are the features the target claims: S3 features and this
	// gateway's extensions by name (s3conform features lists them), and
	// "s3" for every S3 feature. Without it a target claims the S3
	// features and no extension.
	Features []Feature `toml:"features"`
	// KnownDeviations maps the IDs of cases the target is known to fail to
	// the reason. Such a case still
	// runs: failing, it is reported skipped with the reason; passing, it
	// fails, so the list cannot outlive the deviation.
	KnownDeviations map[string]string `toml:"known_deviations"`
	// MaxSkew is the clock skew the target tolerates on signed requests
	// (max_skew_seconds in a target file).
	MaxSkew time.Duration `toml:"-"`
	// MaxBodyBytes is the largest single request body the target accepts
	// (0: unknown; cases that need it skip with that reason).
	MaxBodyBytes int64 `toml:"max_body_bytes" features:"objects"`
	// CAPEM is the PEM CA certificate an https endpoint's certificate
	// chains to, when the system roots do not cover it (ca_file in a
	// target file).
	CAPEM []byte `toml:"-"`
	// Container, when set, describes an image to start for the run; its
	// endpoint is then filled in by whoever starts it.
	Container *Container `toml:"container"`
	// Command, when set, is a process s3conform starts for the run and
	// stops after it.
	Command *Command `toml:"command"`

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
	// Image is the image to run (it is never pulled: build it first).
	Image string `toml:"image"`
	// Dockerfile is a Dockerfile, relative to the target file, that builds
	// the image to run instead of image.
	Dockerfile string `toml:"dockerfile"`
	// Context is the build context, relative to the target file (default:
	// the Dockerfile's directory).
	Context string `toml:"context"`
	// Port is the container port serving HTTP (default 9009).
	Port int `toml:"port"`
	// Env is the container's environment.
	Env map[string]string `toml:"env"`
	// Network and Aliases attach the container to a Docker network under
	// names its neighbours can reach (set by code, not target files).
	Network string   `toml:"-"`
	Aliases []string `toml:"-"`
}

// targetFile is a target's TOML form: the Target's own fields plus the
// ones that need converting.
type targetFile struct {
	*Target
	// MaxSkewSeconds is the clock skew the target tolerates on signed
	// requests, in seconds (default 900); cases place requests just inside
	// and outside it.
	MaxSkewSeconds int `toml:"max_skew_seconds"`
	// CAFile is a PEM CA certificate, relative to the target file, that an
	// https endpoint's certificate chains to when the system roots do not
	// cover it.
	CAFile string `toml:"ca_file"`
}

// LoadTarget reads a target description (TOML). Relative paths in it are
// relative to the file. A key the target file format does not have is an
// error that names it, its line and the nearest known key.
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
		return nil, fmt.Errorf("target %s: %w", path, describeDecodeError(err))
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
	if t.Container != nil && t.Command != nil {
		return nil, fmt.Errorf("target %s: [container] and [command] exclude each other: the suite starts one server", path)
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
		return t, nil
	}
	if c := t.Command; c != nil {
		if err := c.resolve(dir); err != nil {
			return nil, fmt.Errorf("target %s: [command]: %w", path, err)
		}
		// The endpoint may name the port the command is given ({port}):
		// check the rest with a stand-in.
		endpoint := t.Endpoint
		t.Endpoint = ExpandPlaceholders(endpoint, "1", "")
		err := t.validate()
		t.Endpoint = endpoint
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", path, err)
		}
		return t, nil
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("target %s: %w", path, err)
	}
	return t, nil
}
