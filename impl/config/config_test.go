package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsMatchThePredecessor(t *testing.T) {
	c, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"PORT", c.Port, 9009},
		{"CONTROL_PLANE_URL", c.ControlPlaneURL, "http://127.0.0.1:8080"},
		{"REQUIRE_AUTH", c.RequireAuth, true},
		// The one deliberate change: the predecessor's public default
		// let anyone forge URLs, so no secret (URLs off) is the default.
		{"PRESIGN_SECRET", len(c.PresignSecrets), 0},
		{"MAX_BODY_BYTES", c.MaxBodyBytes, int64(268435456)},
		{"S3_DATA_DIR", c.DataDir, ".tmp/s3-gateway/data"},
		{"S3_META_FILE", c.MetaFile, ".tmp/s3-gateway/metadata.json"},
		{"S3_MULTIPART_DIR", c.MultipartDir, ".tmp/s3-gateway/multipart"},
		{"MAX_MULTIPART_PARTS", c.MaxMultipartParts, 10000},
		{"SIGV4_MAX_SKEW_SECONDS", c.SigV4MaxSkew, 900 * time.Second},
		{"SIGV4_PROVIDER", c.SigV4Provider, "hybrid"},
		{"SIGV4_CACHE_TTL_MS", c.SigV4CacheTTL, 60 * time.Second},
		{"INTERNAL_API_TOKEN", c.InternalAPIToken, ""},
		{"S3_PATH_PREFIX", c.PathPrefix, "/s3"},
		{"S3_AUTO_CREATE_BUCKETS", c.AutoCreateBuckets, true},
		{"S3_FSYNC", c.Fsync, true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s default = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if len(c.Credentials) != 0 {
		t.Errorf("credentials by default: %v", c.Credentials)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		vars       map[string]string
		name       string
		mustNotSay string
	}{
		{map[string]string{"PORT": "abc"}, "PORT", ""},
		{map[string]string{"PORT": "70000"}, "PORT", ""},
		{map[string]string{"REQUIRE_AUTH": "maybe"}, "REQUIRE_AUTH", ""},
		{map[string]string{"MAX_BODY_BYTES": "-1"}, "MAX_BODY_BYTES", ""},
		{map[string]string{"MAX_MULTIPART_PARTS": "10001"}, "MAX_MULTIPART_PARTS", ""},
		{map[string]string{"SIGV4_PROVIDER": "ldap"}, "SIGV4_PROVIDER", ""},
		{map[string]string{"CONTROL_PLANE_URL": "ftp://x"}, "CONTROL_PLANE_URL", ""},
		{map[string]string{"CONTROL_PLANE_URL": "ftp://cp:TOPSECRET@x"}, "CONTROL_PLANE_URL", "TOPSECRET"},
		{map[string]string{"CONTROL_PLANE_URL": "http://cp:TOPSECRET@x:port"}, "CONTROL_PLANE_URL", "TOPSECRET"},
		{map[string]string{"PUBLIC_BASE_URL": "https://u:TOPSECRET@s3.example.com"}, "PUBLIC_BASE_URL", "TOPSECRET"},
		{map[string]string{"S3_PATH_PREFIX": "s3"}, "S3_PATH_PREFIX", ""},
		{map[string]string{"S3_FSYNC": "2"}, "S3_FSYNC", ""},
		{map[string]string{"PRESIGN_SECRET": " , "}, "PRESIGN_SECRET", ""},
		{map[string]string{"SIGV4_CREDENTIALS_JSON": `[{"access_key":"AK","secret_key":"TOPSECRET"`}, "SIGV4_CREDENTIALS_JSON", "TOPSECRET"},
		{map[string]string{"SIGV4_CREDENTIALS_JSON": `[{"access_key":"AK","secret_key":"TOPSECRET","project_id":"p","ops":["fly"]}]`}, "SIGV4_CREDENTIALS_JSON", "TOPSECRET"},
		{map[string]string{"SIGV4_CREDENTIALS_JSON": `[{"access_key":"AK","secret_key":"S","project_id":"p","prefx":"a/"}]`}, "SIGV4_CREDENTIALS_JSON", ""},
		{map[string]string{"SIGV4_CREDENTIALS_FILE": "/nonexistent/creds.json"}, "SIGV4_CREDENTIALS_FILE", ""},
		{map[string]string{"UPSTREAM_OWNER_CACHE_TTL_MS": "-1"}, "UPSTREAM_OWNER_CACHE_TTL_MS", ""},
		{map[string]string{"UPSTREAM_OWNER_CACHE_TTL_MS": "60001"}, "UPSTREAM_OWNER_CACHE_TTL_MS", ""},
		{map[string]string{"UPSTREAM_OWNER_CACHE_TTL_MS": "2s"}, "UPSTREAM_OWNER_CACHE_TTL_MS", ""},
	}
	for _, c := range cases {
		_, err := Load(env(c.vars), "")
		if err == nil {
			t.Errorf("%v: accepted", c.vars)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, c.name) || strings.Contains(msg, "\n") {
			t.Errorf("%v: error %q does not start with %s on one line", c.vars, msg, c.name)
		}
		if c.mustNotSay != "" && strings.Contains(msg, c.mustNotSay) {
			t.Errorf("%v: error %q leaks a secret", c.vars, msg)
		}
	}
}

// UPSTREAM_OWNER_CACHE_TTL_MS: a few seconds by default, 0 turns the
// cache off.
func TestUpstreamOwnerCacheTTL(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 2 * time.Second, "0": 0, "1500": 1500 * time.Millisecond, "60000": time.Minute} {
		vars := map[string]string{}
		if v != "" {
			vars["UPSTREAM_OWNER_CACHE_TTL_MS"] = v
		}
		c, err := Load(env(vars), "")
		if err != nil {
			t.Errorf("UPSTREAM_OWNER_CACHE_TTL_MS=%q: %v", v, err)
		} else if c.Upstream.OwnerCacheTTL != want {
			t.Errorf("UPSTREAM_OWNER_CACHE_TTL_MS=%q: %v, want %v", v, c.Upstream.OwnerCacheTTL, want)
		}
	}
}

func TestCredentialsForms(t *testing.T) {
	arr := `[{"access_key":"b","secret_key":"s","project_id":"p","ops":["get"]},{"access_key":"a","secret_key":"s","project_id":"p"}]`
	obj := `{"a":{"secret_key":"s","project_id":"p"},"b":{"secret_key":"s","project_id":"p","ops":["get"]}}`
	for _, js := range []string{arr, obj} {
		c, err := Load(env(map[string]string{"SIGV4_CREDENTIALS_JSON": js}), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Credentials) != 2 || c.Credentials[0].AccessKey != "a" || c.Credentials[1].Ops[0] != "get" {
			t.Fatalf("credentials = %+v", c.Credentials)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`[{"access_key":"a","secret_key":"s","project_id":"p"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(env(map[string]string{"SIGV4_CREDENTIALS_JSON": arr, "SIGV4_CREDENTIALS_FILE": file}), "")
	if err == nil || !strings.Contains(err.Error(), "also defined") {
		t.Fatalf("a key in both sources: %v", err)
	}
}

func TestFileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.toml")
	toml := "port = 7000\nrequire_auth = false\npresign_secret = [\"new\", \"old\"]\ns3_data_dir = \"/srv/data\"\n"
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PORT": "7001"}), file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 7001 || c.RequireAuth || c.DataDir != "/srv/data" || strings.Join(c.PresignSecrets, ",") != "new,old" {
		t.Fatalf("config = %+v", c)
	}
	if err := os.WriteFile(file, []byte("prot = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(env(nil), file); err == nil || !strings.Contains(err.Error(), `unknown setting "prot"`) {
		t.Fatalf("typo in file: %v", err)
	}
	if _, err := Load(env(nil), filepath.Join(dir, "missing.toml")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestPrepareDirs(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(env(map[string]string{
		"S3_DATA_DIR": filepath.Join(dir, "d"), "S3_META_FILE": filepath.Join(dir, "m", "i.db"), "S3_MULTIPART_DIR": filepath.Join(dir, "mp"),
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PrepareDirs(); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c.DataDir = filepath.Join(blocker, "sub")
	if err := c.PrepareDirs(); err == nil || !strings.HasPrefix(err.Error(), "S3_DATA_DIR=") {
		t.Fatalf("unusable data dir: %v", err)
	}
}

// The README's configuration table lists every setting with its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		def := "(empty)"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		row := "| `" + s.Name + "` | " + def + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README's configuration table lacks the row starting %q", row)
		}
	}
}

// TestScaleOutWarning: gateways over a shared store without a shared
// PRESIGN_SECRET seal listing tokens with keys of their own, so readiness
// says that a listing cannot continue on another gateway.
func TestScaleOutWarning(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want bool
	}{
		{map[string]string{"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": "http://127.0.0.1:1", "UPSTREAM_ACCESS_KEY": "k", "UPSTREAM_SECRET_KEY": "s"}, true},
		{map[string]string{"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": "http://127.0.0.1:1", "UPSTREAM_ACCESS_KEY": "k", "UPSTREAM_SECRET_KEY": "s", "PRESIGN_SECRET": "shared-secret-0123456789abcdef"}, false},
		{map[string]string{}, false},
	} {
		cfg, err := Load(env(c.vars), "")
		if err != nil {
			t.Fatalf("%v: %v", c.vars, err)
		}
		got := strings.Contains(strings.Join(cfg.Warnings(), "\n"), "cannot continue on another gateway")
		if got != c.want {
			t.Errorf("%v: warnings %q, want the scale-out warning: %v", c.vars, cfg.Warnings(), c.want)
		}
	}
}

// TestCORSDefault: the gateway-wide CORS rule is off without origins, is
// built from the CORS_* variables, and refuses what PutBucketCors refuses.
func TestCORSDefault(t *testing.T) {
	c, err := Load(env(nil), "")
	if err != nil || c.CORSDefault() != nil {
		t.Fatalf("default: %+v, %v; want no gateway-wide CORS", c.CORSDefault(), err)
	}
	c, err = Load(env(map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example, http://*.example.org",
		"CORS_ALLOWED_METHODS": "GET,PUT", "CORS_MAX_AGE_SECONDS": ""}), "")
	if err != nil {
		t.Fatal(err)
	}
	d := c.CORSDefault()
	if d == nil || len(d.Rules) != 1 {
		t.Fatalf("CORSDefault = %+v", d)
	}
	r := d.Rules[0]
	if strings.Join(r.AllowedOrigins, "|") != "https://app.example|http://*.example.org" || strings.Join(r.AllowedMethods, "|") != "GET|PUT" ||
		strings.Join(r.AllowedHeaders, "|") != "*" || strings.Join(r.ExposeHeaders, "|") != "ETag|x-amz-request-id|x-amz-version-id" || r.MaxAgeSeconds != nil {
		t.Errorf("rule %+v", r)
	}
	for _, bad := range []map[string]string{
		{"CORS_ALLOWED_ORIGINS": "http://*.*.example"},
		{"CORS_ALLOWED_METHODS": "GET,PATCH"},
		{"CORS_ALLOWED_METHODS": ""},
		{"CORS_ALLOWED_HEADERS": "x-*-*"},
		{"CORS_MAX_AGE_SECONDS": "-1"},
	} {
		if _, err := Load(env(bad), ""); err == nil {
			t.Errorf("%v accepted", bad)
		} else {
			for name := range bad {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("%v: error %q does not name %s", bad, err, name)
				}
			}
		}
	}
}
