// Package clients runs real S3 clients from Debian (the AWS CLI, boto3)
// against the gateway with authentication on. Locally a missing client skips
// its test with a line saying what to install; in CI (S3GW_REQUIRE_CLIENTS
// set, as .ci/run does) a missing client fails the run.
package clients

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// requireTool returns path if it exists, or skips (locally) or fails (CI).
func requireTool(t *testing.T, path, pkg string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
		t.Fatalf("%s is required here but missing: apt-get install %s", path, pkg)
	}
	t.Skipf("%s not found: apt-get install %s to run this test", path, pkg)
	return ""
}

// startGateway launches the gateway with authentication required.
func startGateway(t *testing.T) *launch.Gateway {
	t.Helper()
	g, err := launch.Start(launch.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	return g
}

// awsCLI runs Debian's AWS CLI against the gateway with a configuration of
// its own: nothing from the environment (AWS_*, ~/.aws) leaks in.
type awsCLI struct {
	t        *testing.T
	bin      string
	env      []string
	endpoint string
}

func newAWSCLI(t *testing.T, g *launch.Gateway) *awsCLI {
	bin := requireTool(t, "/usr/bin/aws", "awscli")
	dir := t.TempDir()
	tg := g.Target()
	cfg := "[default]\nregion = " + tg.Region + "\ns3 =\n    addressing_style = path\n"
	creds := "[default]\naws_access_key_id = " + tg.Full.AccessKey + "\naws_secret_access_key = " + tg.Full.SecretKey + "\n"
	for name, body := range map[string]string{"config": cfg, "credentials": creds} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
	}
	return &awsCLI{t: t, bin: bin, env: env, endpoint: tg.S3URL()}
}

// run executes `aws --endpoint-url … args…` and returns its stdout, failing
// the test on a non-zero exit.
func (a *awsCLI) run(args ...string) string {
	a.t.Helper()
	out, err := a.try(args...)
	if err != nil {
		a.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (a *awsCLI) try(args ...string) (string, error) {
	cmd := exec.Command(a.bin, append([]string{"--endpoint-url", a.endpoint, "--no-cli-pager"}, args...)...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func randomFile(t *testing.T, dir, name string, size int) (string, []byte) {
	t.Helper()
	b := make([]byte, size)
	_, _ = rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// TestAWSCLIBasics: with default settings and authentication on, the AWS CLI
// makes a bucket, puts, lists, gets and deletes objects, including keys with
// spaces, plus signs and unicode.
func TestAWSCLIBasics(t *testing.T) {
	g := startGateway(t)
	aws := newAWSCLI(t, g)
	dir := t.TempDir()
	aws.run("s3", "mb", "s3://cli-basics")
	small, want := randomFile(t, dir, "small.bin", 3000)
	keys := []string{"plain.bin", "dir/with space.bin", "dir/plus+sign.bin", "dir/ünïcødé-日本.bin"}
	for _, k := range keys {
		aws.run("s3", "cp", small, "s3://cli-basics/"+k)
	}
	ls := aws.run("s3", "ls", "--recursive", "s3://cli-basics")
	for _, k := range keys {
		if !strings.Contains(ls, k) {
			t.Errorf("aws s3 ls does not list %q:\n%s", k, ls)
		}
	}
	for _, k := range keys {
		down := filepath.Join(dir, "down.bin")
		aws.run("s3", "cp", "s3://cli-basics/"+k, down)
		got, err := os.ReadFile(down)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q read back differently (%d bytes, %v)", k, len(got), err)
		}
	}
	out := aws.run("s3api", "head-object", "--bucket", "cli-basics", "--key", "dir/with space.bin")
	if !strings.Contains(out, `"ContentLength": 3000`) {
		t.Errorf("head-object: %s", out)
	}
	aws.run("s3", "rm", "s3://cli-basics/plain.bin")
	if out, err := aws.try("s3api", "head-object", "--bucket", "cli-basics", "--key", "plain.bin"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("head-object after rm: %v\n%s", err, out)
	}
	aws.run("s3", "rm", "--recursive", "s3://cli-basics")
	aws.run("s3", "rb", "s3://cli-basics")
}

// TestAWSCLIWrongSecretIsRefused: the CLI's signature with a wrong secret
// is refused, so the previous test's success means something.
func TestAWSCLIWrongSecretIsRefused(t *testing.T) {
	g := startGateway(t)
	aws := newAWSCLI(t, g)
	creds := "[default]\naws_access_key_id = " + g.Target().Full.AccessKey + "\naws_secret_access_key = wrong\n"
	for i, kv := range aws.env {
		if strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE=") {
			p := filepath.Join(t.TempDir(), "credentials")
			if err := os.WriteFile(p, []byte(creds), 0o600); err != nil {
				t.Fatal(err)
			}
			aws.env[i] = "AWS_SHARED_CREDENTIALS_FILE=" + p
		}
	}
	out, err := aws.try("s3", "mb", "s3://cli-wrong-secret")
	if err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
		t.Fatalf("mb with a wrong secret: %v\n%s", err, out)
	}
}

// multipartETag is S3's ETag of an object uploaded in parts of partSize.
func multipartETag(data []byte, partSize int) string {
	var sums []byte
	n := 0
	for off := 0; off < len(data); off += partSize {
		s := md5.Sum(data[off:min(off+partSize, len(data))])
		sums = append(sums, s[:]...)
		n++
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%x-%d", s, n)
}

// TestAWSCLIMultipart: `aws s3 cp` of a 100 MiB file goes up as a multipart
// upload (8 MiB parts by default), reads back byte for byte, and carries
// S3's multipart ETag.
func TestAWSCLIMultipart(t *testing.T) {
	g := startGateway(t)
	aws := newAWSCLI(t, g)
	dir := t.TempDir()
	path, data := randomFile(t, dir, "big.bin", 100<<20)
	aws.run("s3", "mb", "s3://cli-multipart")
	aws.run("s3", "cp", path, "s3://cli-multipart/big.bin")
	out := aws.run("s3api", "head-object", "--bucket", "cli-multipart", "--key", "big.bin")
	if want := multipartETag(data, 8<<20); !strings.Contains(out, want) {
		t.Errorf("head-object: want ETag %s in\n%s", want, out)
	}
	down := filepath.Join(dir, "down.bin")
	aws.run("s3", "cp", "s3://cli-multipart/big.bin", down)
	got, err := os.ReadFile(down)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes, equal=%v, %v", len(got), bytes.Equal(got, data), err)
	}
	if out := aws.run("s3api", "list-multipart-uploads", "--bucket", "cli-multipart"); strings.Contains(out, "UploadId") {
		t.Errorf("an upload is left in progress:\n%s", out)
	}
	aws.run("s3", "rm", "--recursive", "s3://cli-multipart")
	aws.run("s3", "rb", "s3://cli-multipart")
}

// TestBoto3: Debian's python3-boto3 puts, gets, heads, lists with a
// paginator, uploads and downloads multipart, copies, deletes in bulk and
// uses presigned GET and PUT URLs, with authentication on.
func TestBoto3(t *testing.T) {
	python := requireTool(t, "/usr/bin/python3", "python3-boto3")
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
			t.Fatalf("boto3 is required here but missing (apt-get install python3-boto3): %s", out)
		}
		t.Skipf("boto3 not importable by /usr/bin/python3: apt-get install python3-boto3 to run this test")
	}
	g := startGateway(t)
	tg := g.Target()
	cmd := exec.Command(python, "testdata/boto3_suite.py")
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
		"S3GW_ENDPOINT=" + tg.S3URL(), "S3GW_ACCESS_KEY=" + tg.Full.AccessKey, "S3GW_SECRET_KEY=" + tg.Full.SecretKey,
		"S3GW_REGION=" + tg.Region, "S3GW_TMP=" + t.TempDir(),
	}
	out, err := cmd.CombinedOutput()
	t.Logf("boto3 suite:\n%s", out)
	if err != nil {
		t.Fatalf("boto3 suite failed: %v", err)
	}
}

// TestAWSCLIListing: `aws s3 ls --recursive` over 2500 keys lists each once,
// and `s3api list-objects-v2` pages with --page-size and --max-items.
func TestAWSCLIListing(t *testing.T) {
	g := startGateway(t)
	aws := newAWSCLI(t, g)
	tg := g.Target()
	ctx := context.Background()
	sdk := conformance.NewSDKClient(tg, tg.Full)
	if _, err := sdk.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws_("cli-listing")}); err != nil {
		t.Fatal(err)
	}
	name := func(i int) string { return fmt.Sprintf("d%02d/key-%04d", i%17, i) }
	if err := conformance.PutObjects(ctx, sdk, "cli-listing", 2500, name, func(int) []byte { return []byte("x") }); err != nil {
		t.Fatal(err)
	}
	ls := aws.run("s3", "ls", "--recursive", "s3://cli-listing")
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(ls), "\n") {
		f := strings.Fields(line)
		key := f[len(f)-1]
		if seen[key] {
			t.Fatalf("%s listed twice", key)
		}
		seen[key] = true
	}
	if len(seen) != 2500 {
		t.Fatalf("aws s3 ls --recursive listed %d keys, want 2500", len(seen))
	}
	var keys []string
	token := ""
	for pages := 0; ; pages++ {
		args := []string{"s3api", "list-objects-v2", "--bucket", "cli-listing", "--prefix", "d03/", "--page-size", "7", "--max-items", "20", "--output", "json"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var page struct {
			Contents  []struct{ Key string }
			NextToken string
		}
		if err := json.Unmarshal([]byte(aws.run(args...)), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Contents {
			keys = append(keys, c.Key)
		}
		if page.NextToken == "" {
			break
		}
		if len(page.Contents) != 20 || pages > 20 {
			t.Fatalf("page %d has %d keys, want --max-items 20", pages, len(page.Contents))
		}
		token = page.NextToken
	}
	want := 0
	for i := 0; i < 2500; i++ {
		if i%17 == 3 {
			want++
		}
	}
	if len(keys) != want || !sort.StringsAreSorted(keys) {
		t.Fatalf("paged listing returned %d keys (sorted %v), want %d", len(keys), sort.StringsAreSorted(keys), want)
	}
}

// TestAWSCLISyncAndPresign: `aws s3 sync` up and down with awkward names,
// `aws s3 presign` fetched with curl, then `aws s3 rm --recursive`.
func TestAWSCLISyncAndPresign(t *testing.T) {
	curl := requireTool(t, "/usr/bin/curl", "curl")
	g := startGateway(t)
	aws := newAWSCLI(t, g)
	up, down := t.TempDir(), t.TempDir()
	names := []string{"plain.txt", "with space.txt", "plus+sign.txt", "ünïcødé/日本語.txt", "nested/dir/deep file.bin", "percent%20literal.txt"}
	want := map[string][]byte{}
	for i, n := range names {
		_, b := randomFile(t, up, n, 100+i*4097)
		want[n] = b
	}
	aws.run("s3", "mb", "s3://cli-sync")
	aws.run("s3", "sync", up, "s3://cli-sync/tree")
	aws.run("s3", "sync", "s3://cli-sync/tree", down)
	for n, b := range want {
		got, err := os.ReadFile(filepath.Join(down, n))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%q did not survive sync up and down (%v)", n, err)
		}
	}
	// A second sync finds nothing to do.
	if out := aws.run("s3", "sync", up, "s3://cli-sync/tree"); strings.Contains(out, "upload:") {
		t.Errorf("a repeated sync uploaded again:\n%s", out)
	}
	url := strings.TrimSpace(aws.run("s3", "presign", "s3://cli-sync/tree/with space.txt", "--expires-in", "300"))
	out, err := exec.Command(curl, "-sS", "-f", url).Output()
	if err != nil || !bytes.Equal(out, want["with space.txt"]) {
		t.Fatalf("curl of the presigned URL: %v (%d bytes)", err, len(out))
	}
	aws.run("s3", "rm", "--recursive", "s3://cli-sync")
	if ls, _ := aws.try("s3", "ls", "--recursive", "s3://cli-sync"); strings.TrimSpace(ls) != "" {
		t.Fatalf("objects left after rm --recursive:\n%s", ls)
	}
	aws.run("s3", "rb", "s3://cli-sync")
}

func aws_(s string) *string { return &s }
