// Package config reads the gateway's settings from the environment and an
// optional TOML file. The environment wins over the file, so a deployment can
// keep a shared file and override one value per instance.
//
// Every setting is named by its environment variable; in the TOML file the
// same name in lower case is the key (PORT is `port`). Names and defaults of
// the Node.js predecessor are kept so existing deployments start unchanged.
package config

import (
	"errors"
	"fmt"
	"github.com/s3gw/gateway/impl/cors"
	"github.com/s3gw/gateway/impl/s3err"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/redact"
)

// Config is the validated configuration.
type Config struct {
	Host            string
	Port            int
	ControlPlaneURL string
	RequireAuth     bool
	PresignSecrets  []string // the first signs, all verify
	MaxBodyBytes    int64
	// StorageBackend is "fs" (the embedded store) or "s3" (another S3
	// service, the Upstream settings).
	StorageBackend    string
	Upstream          Upstream
	DataDir           string
	MetaFile          string
	MultipartDir      string
	MaxMultipartParts int
	MultipartMaxAge   time.Duration
	SigV4MaxSkew      time.Duration
	SigV4Provider     string
	SigV4CacheTTL     time.Duration
	// Credentials are the records of SIGV4_CREDENTIALS_JSON and
	// SIGV4_CREDENTIALS_FILE together.
	Credentials       []credentials.Record
	CredentialsSource string // which variables supplied Credentials
	InternalAPIToken  string
	TokenCacheTTL     time.Duration
	UsageReporting    bool
	PathPrefix        string
	AutoCreateBuckets bool
	Fsync             bool
	InlineMaxBytes    int64
	Region            string
	ShutdownTimeout   time.Duration
	LogFormat         string
	// TLSCertFile and TLSKeyFile, when both set, make the gateway serve
	// HTTPS.
	TLSCertFile string
	TLSKeyFile  string
	PprofAddr   string
	// CORS is the gateway-wide CORS rule for buckets without a
	// configuration of their own and for /v1/presign; no origins is none.
	CORS cors.Rule
	// PublicBaseURL is where clients reach the gateway ("https://host"),
	// for minted URLs; empty means the request's Host.
	PublicBaseURL string
	// Connection budget: see package server.
	MaxHeaderBytes    int
	MaxConnections    int
	ReadHeaderTimeout time.Duration
	BodyIdleTimeout   time.Duration
	WriteIdleTimeout  time.Duration
	KeepAliveTimeout  time.Duration
	// MinFreeBytes is the free space below which storage is not ready.
	MinFreeBytes int64
	// LookupRate bounds control-plane calls per second for uncached
	// credentials.
	LookupRate   int
	MetricsToken string
}

// DefaultPresignSecret was the predecessor's default. It is public, so it is
// no longer a default; readiness warns if a deployment still sets it.
const DefaultPresignSecret = "dev-presign-secret"

// Error names the setting that stopped start-up. Values of secret settings
// are never included.
type Error struct {
	Var    string
	Value  string
	Secret bool
	Reason string
}

func (e *Error) Error() string {
	if e.Secret || e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Var, e.Reason)
	}
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// setting is one variable: its default and how it lands in Config.
type setting struct {
	name   string
	def    string
	secret bool
	// url marks a URL, which may carry a password: an error shows it
	// redacted.
	url bool
	doc string
	set func(c *Config, v string) error
}

// Settings lists every variable with its default and meaning, in the order
// the README documents them.
func Settings() []struct{ Name, Default, Doc string } {
	out := make([]struct{ Name, Default, Doc string }, len(settings))
	for i, s := range settings {
		out[i].Name, out[i].Default, out[i].Doc = s.name, s.def, s.doc
	}
	return out
}

var settings = []setting{
	{name: "HOST", def: "", doc: "interface to listen on; empty means all",
		set: func(c *Config, v string) error { c.Host = v; return nil }},
	{name: "PORT", def: "9009", doc: "TCP port (0 picks a free one)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return errors.New("not a port number (0-65535)")
			}
			c.Port = n
			return nil
		}},
	{name: "CONTROL_PLANE_URL", def: "http://127.0.0.1:8080", url: true, doc: "base URL of the control plane",
		set: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("not an http(s) URL")
			}
			c.ControlPlaneURL = strings.TrimRight(v, "/")
			return nil
		}},
	{name: "REQUIRE_AUTH", def: "true", doc: "refuse unauthenticated requests; false serves everyone as an anonymous development principal",
		set: func(c *Config, v string) (err error) { c.RequireAuth, err = parseBool(v); return }},
	{name: "PRESIGN_SECRET", def: "", secret: true, doc: "secret(s) for gateway presigned URLs, comma-separated: the first signs, all verify; empty turns gateway presigned URLs off",
		set: func(c *Config, v string) error {
			c.PresignSecrets = nil
			if v == "" {
				return nil
			}
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					c.PresignSecrets = append(c.PresignSecrets, s)
				}
			}
			if len(c.PresignSecrets) == 0 {
				return errors.New("no secret given")
			}
			return nil
		}},
	{name: "PUBLIC_BASE_URL", def: "", url: true, doc: "scheme and host clients reach the gateway at (e.g. https://s3.example.com), for the URLs POST /v1/presign mints; empty: the request's Host header",
		set: func(c *Config, v string) error {
			if v == "" {
				c.PublicBaseURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
				strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
				return errors.New("want an http(s) URL with a host and no path, e.g. https://s3.example.com")
			}
			c.PublicBaseURL = u.Scheme + "://" + u.Host
			return nil
		}},
	{name: "MAX_BODY_BYTES", def: "268435456", doc: "largest request body (a PUT or a part) in bytes",
		set: func(c *Config, v string) (err error) { c.MaxBodyBytes, err = parsePositive(v); return }},
	{name: "STORAGE_BACKEND", def: "fs", doc: "where objects live: fs (the embedded store: S3_DATA_DIR, S3_META_FILE, S3_MULTIPART_DIR) or s3 (another S3 service: the UPSTREAM_ settings)",
		set: func(c *Config, v string) error {
			if v != "fs" && v != "s3" {
				return errors.New("want fs or s3")
			}
			c.StorageBackend = v
			return nil
		}},
	{name: "UPSTREAM_ENDPOINT", def: "", url: true, doc: "with STORAGE_BACKEND=s3: the S3 service's URL (http or https), path-style",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				return errors.New("want an http(s) URL with a host and no credentials, e.g. http://127.0.0.1:7480")
			}
			c.Upstream.Endpoint = v
			return nil
		}},
	{name: "UPSTREAM_REGION", def: "us-east-1", doc: "with STORAGE_BACKEND=s3: the region requests to the S3 service are signed for",
		set: func(c *Config, v string) (err error) { c.Upstream.Region, err = nonEmpty(v); return }},
	{name: "UPSTREAM_ACCESS_KEY", def: "", doc: "with STORAGE_BACKEND=s3: the gateway's access key at the S3 service",
		set: func(c *Config, v string) error { c.Upstream.AccessKey = v; return nil }},
	{name: "UPSTREAM_SECRET_KEY", def: "", secret: true, doc: "with STORAGE_BACKEND=s3: the gateway's secret key at the S3 service",
		set: func(c *Config, v string) error { c.Upstream.SecretKey = v; return nil }},
	{name: "UPSTREAM_CA_FILE", def: "", doc: "with STORAGE_BACKEND=s3: PEM file of the roots the S3 service's certificate is checked against (empty: the system's)",
		set: func(c *Config, v string) error { c.Upstream.CAFile = v; return nil }},
	{name: "UPSTREAM_META_BUCKET", def: "s3gw-meta", doc: "with STORAGE_BACKEND=s3: the bucket at the S3 service holding the gateway's own records (bucket ownership, upload state); clients cannot reach it",
		set: func(c *Config, v string) (err error) { c.Upstream.MetaBucket, err = nonEmpty(v); return }},
	{name: "UPSTREAM_OWNER_CACHE_TTL_MS", def: "2000", doc: "with STORAGE_BACKEND=s3: how long a gateway trusts a bucket's owner it read from the metadata bucket; another gateway's delete or create of the bucket shows here within it (0: read on every request; at most 60000)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 60000 {
				return errors.New("want milliseconds from 0 (no cache) to 60000")
			}
			c.Upstream.OwnerCacheTTL = time.Duration(n) * time.Millisecond
			return nil
		}},
	{name: "S3_DATA_DIR", def: ".tmp/s3-gateway/data", doc: "directory of object bytes (blobs and temp files)",
		set: func(c *Config, v string) (err error) { c.DataDir, err = nonEmpty(v); return }},
	{name: "S3_META_FILE", def: ".tmp/s3-gateway/metadata.json", doc: "metadata index file (bbolt; the name is the predecessor's)",
		set: func(c *Config, v string) (err error) { c.MetaFile, err = nonEmpty(v); return }},
	{name: "S3_MULTIPART_DIR", def: ".tmp/s3-gateway/multipart", doc: "directory of multipart upload parts",
		set: func(c *Config, v string) (err error) { c.MultipartDir, err = nonEmpty(v); return }},
	{name: "MAX_MULTIPART_PARTS", def: "10000", doc: "highest part number accepted (at most 10000)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return errors.New("not a number from 1 to 10000")
			}
			c.MaxMultipartParts = n
			return nil
		}},
	{name: "S3_MULTIPART_MAX_AGE", def: "7d", doc: "age after which unfinished multipart uploads are aborted and finished ones forgotten (until then a repeated Complete or Abort gets its first answer) (e.g. 7d, 36h)",
		set: func(c *Config, v string) error {
			d, err := parseAge(v)
			c.MultipartMaxAge = d
			return err
		}},
	{name: "SIGV4_MAX_SKEW_SECONDS", def: "900", doc: "allowed clock difference for signed requests, either way",
		set: func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.SigV4MaxSkew = time.Duration(n) * time.Second
			return err
		}},
	{name: "SIGV4_PROVIDER", def: "hybrid", doc: "where access keys are looked up: env, control-plane or hybrid (local first)",
		set: func(c *Config, v string) error {
			switch v {
			case "env", "control-plane", "hybrid":
				c.SigV4Provider = v
				return nil
			}
			return errors.New("want env, control-plane or hybrid")
		}},
	{name: "SIGV4_CACHE_TTL_MS", def: "60000", doc: "how long a key resolved by the control plane is cached",
		set: func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.SigV4CacheTTL = time.Duration(n) * time.Millisecond
			return err
		}},
	{name: "SIGV4_CREDENTIALS_JSON", def: "", secret: true, doc: "credentials as JSON: an array of records or an object keyed by access key",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			recs, err := credentials.Parse([]byte(v))
			if err != nil {
				return err
			}
			return c.addCredentials(recs, "SIGV4_CREDENTIALS_JSON")
		}},
	{name: "SIGV4_CREDENTIALS_FILE", def: "", doc: "path of a credentials JSON file",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			data, err := os.ReadFile(v)
			if err != nil {
				return errors.New("cannot read: " + cause(err))
			}
			recs, err := credentials.Parse(data)
			if err != nil {
				return err
			}
			return c.addCredentials(recs, "SIGV4_CREDENTIALS_FILE")
		}},
	{name: "INTERNAL_API_TOKEN", def: "", secret: true, doc: "bearer token for calls to the control plane",
		set: func(c *Config, v string) error { c.InternalAPIToken = v; return nil }},
	{name: "S3_PATH_PREFIX", def: "/s3", doc: "where the S3 API is mounted; / mounts it at the root",
		set: func(c *Config, v string) error {
			if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#%") || strings.Contains(v, "//") {
				return errors.New("must be an absolute path such as /s3 or /")
			}
			c.PathPrefix = strings.TrimRight(v, "/")
			return nil
		}},
	{name: "S3_AUTO_CREATE_BUCKETS", def: "true", doc: "a first write to a missing bucket creates it for the writer's project",
		set: func(c *Config, v string) (err error) { c.AutoCreateBuckets, err = parseBool(v); return }},
	{name: "S3_FSYNC", def: "true", doc: "make each acknowledged write durable before answering",
		set: func(c *Config, v string) (err error) { c.Fsync, err = parseBool(v); return }},
	{name: "MACAROON_CACHE_TTL_MS", def: "30000", doc: "how long a verified bearer token is trusted before asking the control plane again (never past its expiry)",
		set: func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.TokenCacheTTL = time.Duration(n) * time.Millisecond
			return err
		}},
	{name: "USAGE_REPORTING", def: "true", doc: "send one usage event per request to the control plane (batched, best effort)",
		set: func(c *Config, v string) (err error) { c.UsageReporting, err = parseBool(v); return }},
	{name: "S3_INLINE_MAX_BYTES", def: "32768", doc: "objects up to this size are kept inside the index, not in files of their own (0: never)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 1<<20 {
				return errors.New("want a size in bytes from 0 to 1048576")
			}
			c.InlineMaxBytes = n
			return nil
		}},
	{name: "S3_REGION", def: "us-east-1", doc: "region the gateway reports and expects in signatures",
		set: func(c *Config, v string) (err error) { c.Region, err = nonEmpty(v); return }},
	{name: "SHUTDOWN_TIMEOUT_SECONDS", def: "25", doc: "how long SIGTERM waits for in-flight requests",
		set: func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.ShutdownTimeout = time.Duration(n) * time.Second
			return err
		}},
	{name: "TLS_CERT_FILE", def: "", doc: "PEM certificate (chain) to serve HTTPS; set with TLS_KEY_FILE",
		set: func(c *Config, v string) error { c.TLSCertFile = v; return nil }},
	{name: "TLS_KEY_FILE", def: "", doc: "PEM private key for TLS_CERT_FILE",
		set: func(c *Config, v string) error {
			c.TLSKeyFile = v
			if (c.TLSCertFile == "") != (v == "") {
				return errors.New("set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
			}
			return nil
		}},
	{name: "CORS_ALLOWED_ORIGINS", def: "", doc: "gateway-wide CORS: origins allowed, comma-separated, each with at most one * (e.g. https://app.example.com,https://*.example.org, or *); it answers for buckets without a CORS configuration of their own and for /v1/presign (empty: none)",
		set: func(c *Config, v string) error {
			return setCORS(c, v, func(r *cors.Rule, l []string) { r.AllowedOrigins = l })
		}},
	{name: "CORS_ALLOWED_METHODS", def: "GET,PUT,POST,DELETE,HEAD", doc: "gateway-wide CORS: methods allowed, comma-separated",
		set: func(c *Config, v string) error {
			return setCORS(c, v, func(r *cors.Rule, l []string) { r.AllowedMethods = l })
		}},
	{name: "CORS_ALLOWED_HEADERS", def: "*", doc: "gateway-wide CORS: request headers a preflight may ask for, comma-separated, each with at most one *",
		set: func(c *Config, v string) error {
			return setCORS(c, v, func(r *cors.Rule, l []string) { r.AllowedHeaders = l })
		}},
	{name: "CORS_EXPOSE_HEADERS", def: "ETag,x-amz-request-id,x-amz-version-id", doc: "gateway-wide CORS: response headers a page may read, comma-separated",
		set: func(c *Config, v string) error {
			return setCORS(c, v, func(r *cors.Rule, l []string) { r.ExposeHeaders = l })
		}},
	{name: "CORS_MAX_AGE_SECONDS", def: "600", doc: "gateway-wide CORS: how long a browser may reuse a preflight's answer (empty: not said)",
		set: func(c *Config, v string) error {
			c.CORS.MaxAgeSeconds = nil
			if v == "" {
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("want whole seconds, 0 or more")
			}
			c.CORS.MaxAgeSeconds = &n
			return nil
		}},
	{name: "PPROF_ADDR", def: "", doc: "address of an opt-in net/http/pprof listener, e.g. 127.0.0.1:6060 (empty: off)",
		set: func(c *Config, v string) error { c.PprofAddr = v; return nil }},
	{name: "MAX_HEADER_BYTES", def: "16384", doc: "largest request line and headers together, in bytes (S3 allows 8 KiB of headers; the rest is room for long presigned URLs)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 4096 || n > 1<<20 {
				return errors.New("want a size in bytes from 4096 to 1048576")
			}
			c.MaxHeaderBytes = n
			return nil
		}},
	{name: "MAX_CONNECTIONS", def: "auto", doc: "most client connections open at once; beyond it a new connection is answered 503 SlowDown and closed (auto: sized from the file-descriptor limit and memory)",
		set: func(c *Config, v string) error {
			if v == "auto" {
				c.MaxConnections = autoMaxConnections()
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return errors.New("want auto or a positive whole number")
			}
			c.MaxConnections = n
			return nil
		}},
	{name: "READ_HEADER_TIMEOUT_SECONDS", def: "15", doc: "time a client has to send a request's line and headers (and, over TLS, its handshake)",
		set: func(c *Config, v string) (err error) { c.ReadHeaderTimeout, err = parseSeconds(v); return }},
	{name: "BODY_IDLE_TIMEOUT_SECONDS", def: "60", doc: "longest pause while a request body arrives; a stalled upload gets 400 RequestTimeout and its connection is closed",
		set: func(c *Config, v string) (err error) { c.BodyIdleTimeout, err = parseSeconds(v); return }},
	{name: "WRITE_IDLE_TIMEOUT_SECONDS", def: "60", doc: "longest a response may wait on a client that does not read it (per 1 MiB sent); then the connection is cut",
		set: func(c *Config, v string) (err error) { c.WriteIdleTimeout, err = parseSeconds(v); return }},
	{name: "KEEPALIVE_TIMEOUT_SECONDS", def: "120", doc: "how long an idle keep-alive connection is kept open",
		set: func(c *Config, v string) (err error) { c.KeepAliveTimeout, err = parseSeconds(v); return }},
	{name: "S3_MIN_FREE_BYTES", def: "268435456", doc: "free space the storage directories need; below it /readyz answers 503 (0: no check)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errors.New("want a size in bytes (0 turns the check off)")
			}
			c.MinFreeBytes = n
			return nil
		}},
	{name: "CONTROL_PLANE_LOOKUP_RATE", def: "200", doc: "most control-plane calls per second for access keys and tokens not in the cache; beyond it such requests get 503 SlowDown",
		set: func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.LookupRate = int(min(n, 1<<20))
			return err
		}},
	{name: "METRICS_TOKEN", def: "", secret: true, doc: "bearer token /metrics requires (empty: /metrics is open)",
		set: func(c *Config, v string) error { c.MetricsToken = v; return nil }},
	{name: "LOG_FORMAT", def: "json", doc: "log format: json or text",
		set: func(c *Config, v string) error {
			if v != "json" && v != "text" {
				return errors.New("want json or text")
			}
			c.LogFormat = v
			return nil
		}},
}

func (c *Config) addCredentials(recs []credentials.Record, source string) error {
	seen := make(map[string]bool, len(c.Credentials))
	for _, r := range c.Credentials {
		seen[r.AccessKey] = true
	}
	for _, r := range recs {
		if seen[r.AccessKey] {
			return fmt.Errorf("access key %q is also defined in %s", r.AccessKey, c.CredentialsSource)
		}
	}
	c.Credentials = append(c.Credentials, recs...)
	if c.CredentialsSource == "" {
		c.CredentialsSource = source
	} else {
		c.CredentialsSource += "+" + source
	}
	return nil
}

// Load builds the configuration from lookup (os.LookupEnv in production) and
// the TOML file at path, if path is not empty.
func Load(lookup func(string) (string, bool), path string) (*Config, error) {
	file := map[string]string{}
	if path != "" {
		var err error
		if file, err = readFile(path); err != nil {
			return nil, err
		}
	}
	c := &Config{}
	for _, s := range settings {
		v, ok := lookup(s.name)
		if !ok {
			if v, ok = file[strings.ToLower(s.name)]; !ok {
				v = s.def
			}
		}
		if err := s.set(c, v); err != nil {
			if s.url {
				v = redact.URL(v)
			}
			return nil, &Error{Var: s.name, Value: v, Secret: s.secret, Reason: err.Error()}
		}
	}
	if c.StorageBackend == "s3" {
		for _, need := range []struct{ name, value string }{
			{"UPSTREAM_ENDPOINT", c.Upstream.Endpoint},
			{"UPSTREAM_ACCESS_KEY", c.Upstream.AccessKey},
			{"UPSTREAM_SECRET_KEY", c.Upstream.SecretKey},
		} {
			if need.value == "" {
				return nil, &Error{Var: need.name, Reason: "must be set with STORAGE_BACKEND=s3"}
			}
		}
	}
	return c, nil
}

// setCORS sets a list of the gateway-wide CORS rule and checks it as
// PutBucketCors checks a rule's.
func setCORS(c *Config, v string, set func(*cors.Rule, []string)) error {
	var list []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	set(&c.CORS, list)
	check := c.CORS
	check.AllowedOrigins, check.AllowedMethods = []string{"x"}, []string{"GET"}
	set(&check, list)
	if len(check.AllowedMethods) == 0 {
		return errors.New("want at least one of " + strings.Join(cors.Methods, ", "))
	}
	if len(check.AllowedOrigins) == 0 {
		check.AllowedOrigins = []string{"x"} // no origins: no gateway-wide rule
	}
	if err := check.Validate(); err != nil {
		if e, ok := s3err.As(err); ok {
			return errors.New(e.Message)
		}
		return err
	}
	return nil
}

// CORSDefault is the gateway-wide CORS configuration, nil when no origin
// is allowed.
func (c *Config) CORSDefault() *cors.Config {
	if len(c.CORS.AllowedOrigins) == 0 {
		return nil
	}
	return &cors.Config{Rules: []cors.Rule{c.CORS}}
}

// Upstream is the S3 service a gateway with STORAGE_BACKEND=s3 keeps its
// objects in.
type Upstream struct {
	Endpoint, Region, AccessKey, SecretKey, CAFile, MetaBucket string
	// OwnerCacheTTL bounds how stale a cached bucket owner may be; 0 is
	// no cache.
	OwnerCacheTTL time.Duration
}

// readFile reads a TOML file into lower-case setting names and their values
// as strings, refusing keys that name no setting.
func readFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Var: "-config", Value: path, Reason: "cannot read: " + cause(err)}
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, &Error{Var: "-config", Value: path, Reason: err.Error()}
	}
	known := make(map[string]bool, len(settings))
	for _, s := range settings {
		known[strings.ToLower(s.name)] = true
	}
	out := make(map[string]string, len(raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, &Error{Var: "-config", Value: path, Reason: fmt.Sprintf("unknown setting %q", k)}
		}
		switch v := raw[k].(type) {
		case string:
			out[k] = v
		case bool:
			out[k] = strconv.FormatBool(v)
		case int64:
			out[k] = strconv.FormatInt(v, 10)
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, ",")
		default:
			return nil, &Error{Var: "-config", Value: path, Reason: fmt.Sprintf("setting %q: unsupported value type %T", k, v)}
		}
	}
	return out, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, errors.New("want true or false")
}

func parsePositive(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/2 {
		return 0, errors.New("want a positive whole number")
	}
	return n, nil
}

// parseSeconds reads a positive whole number of seconds.
func parseSeconds(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > 86400 {
		return 0, errors.New("want a whole number of seconds from 1 to 86400")
	}
	return time.Duration(n) * time.Second, nil
}

func nonEmpty(v string) (string, error) {
	if v == "" {
		return "", errors.New("must not be empty")
	}
	return v, nil
}

// PrepareDirs creates the storage directories and checks that each can be
// written, so a misconfigured path stops start-up naming its variable rather
// than failing the first PUT.
func (c *Config) PrepareDirs() error {
	if c.StorageBackend != "fs" {
		return nil
	}
	for _, d := range []struct{ name, dir string }{
		{"S3_DATA_DIR", c.DataDir},
		{"S3_MULTIPART_DIR", c.MultipartDir},
		{"S3_META_FILE", filepath.Dir(c.MetaFile)},
	} {
		value := d.dir
		if d.name == "S3_META_FILE" {
			value = c.MetaFile
		}
		if err := os.MkdirAll(d.dir, 0o750); err != nil {
			return &Error{Var: d.name, Value: value, Reason: "cannot create directory: " + cause(err)}
		}
		f, err := os.CreateTemp(d.dir, ".write-probe-")
		if err != nil {
			return &Error{Var: d.name, Value: value, Reason: "directory is not writable: " + cause(err)}
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// cause drops the path from a *PathError: the message already names it.
func cause(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseAge reads a duration with an optional day unit: "7d", "36h", "90m".
func parseAge(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, errors.New("want a positive duration such as 7d or 36h")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 7d or 36h")
	}
	return d, nil
}

// Warnings lists what makes this configuration unfit for production.
func (c *Config) Warnings() []string {
	var w []string
	if !c.RequireAuth {
		w = append(w, "REQUIRE_AUTH=false: requests without credentials are served as an anonymous development principal")
	}
	switch {
	case len(c.PresignSecrets) == 0 && c.StorageBackend == "s3":
		w = append(w, "PRESIGN_SECRET is not set: gateway presigned URLs (POST /v1/presign) are off, and listing continuation tokens are sealed with a key of this process's own, so a listing cannot continue on another gateway")
	case len(c.PresignSecrets) == 0:
		w = append(w, "PRESIGN_SECRET is not set: gateway presigned URLs (POST /v1/presign) are off")
	case c.PresignSecrets[0] == DefaultPresignSecret:
		w = append(w, "PRESIGN_SECRET is the predecessor's public development default: anyone can forge gateway presigned URLs")
	}
	if !c.Fsync {
		w = append(w, "S3_FSYNC=false: acknowledged writes can be lost in a crash")
	}
	for _, r := range c.Credentials {
		if strings.HasPrefix(r.AccessKey, "demo-") || strings.HasPrefix(r.SecretKey, "demo-") {
			w = append(w, "demo credentials are configured (access key "+r.AccessKey+")")
			break
		}
	}
	if c.InternalAPIToken == "" {
		w = append(w, "INTERNAL_API_TOKEN is empty: calls to the control plane are not authenticated")
	}
	return w
}
