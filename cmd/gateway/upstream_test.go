package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// The scale-out tests of issue 13: several gateway processes with
// STORAGE_BACKEND=s3 in front of one live single-node Ceph cluster (started
// fresh by the project's own launcher), checked to behave as one service,
// including when one of them, or the store, crashes.
//
// All but the store-crash test share one cluster, started by the first and
// stopped by TestMain; each has its own metadata bucket (so its own
// ownership records) and bucket names no other test (nor another -count
// round) uses. The store-crash test starts its own: after a radosgw is
// SIGKILLed, every radosgw of the cluster stalls bucket creation for about
// 25 s (until the OSD drops the dead process's watches, 30 s after it
// died), which would stall the next test's gateways at start-up.

// cluster is the shared cluster, started once.
var cluster struct {
	once sync.Once
	c    *ceph.Cluster
	dir  string
	err  error
	runs atomic.Int32 // scale-out setups so far, for unique names
}

// TestMain stops the shared cluster, if a test started it.
func TestMain(m *testing.M) {
	code := m.Run()
	if cluster.c != nil {
		if err := cluster.c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the shared Ceph cluster:", err)
			code = 1
		}
	}
	if cluster.dir != "" {
		os.RemoveAll(cluster.dir)
	}
	os.Exit(code)
}

// sharedCluster starts the shared cluster on first use. Without Ceph the
// test is skipped, unless S3GW_REQUIRE_CLIENTS says Ceph must be here (as
// ceph.StartForTest does).
func sharedCluster(t *testing.T) *ceph.Cluster {
	t.Helper()
	if err := ceph.CheckInstalled(); err != nil {
		if os.Getenv("S3GW_REQUIRE_CLIENTS") != "" {
			t.Fatalf("Ceph is required here: %v", err)
		}
		t.Skip(err)
	}
	cluster.once.Do(func() {
		// Under /tmp: the admin sockets' paths must stay short.
		if cluster.dir, cluster.err = os.MkdirTemp("/tmp", "ceph-"); cluster.err != nil {
			return
		}
		began := time.Now()
		cluster.c, cluster.err = ceph.Start(context.Background(), ceph.Options{Dir: cluster.dir})
		if cluster.err == nil {
			t.Logf("Ceph (bluestore) started in %s, shared by the scale-out tests", time.Since(began).Round(10*time.Millisecond))
		}
	})
	if cluster.err != nil {
		t.Fatalf("starting the shared Ceph cluster: %v", cluster.err)
	}
	return cluster.c
}

// scaleOut is gateways in front of the shared cluster. full[i] and other[i]
// are clients of two projects ("conformance" and "conformance-other")
// through gateway i; none retries, so every refusal is seen as answered.
type scaleOut struct {
	ceph  *ceph.Cluster
	id    int32
	env   map[string]string
	gws   []*launch.Gateway
	full  []*s3.Client
	other []*s3.Client
}

// startScaleOut starts n gateways over the cluster c.
func startScaleOut(t *testing.T, c *ceph.Cluster, n int) *scaleOut {
	t.Helper()
	s := &scaleOut{ceph: c, id: cluster.runs.Add(1)}
	s.env = map[string]string{
		"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": c.Endpoints()[0], "UPSTREAM_REGION": c.Region,
		"UPSTREAM_ACCESS_KEY": c.AccessKey, "UPSTREAM_SECRET_KEY": c.SecretKey,
		"UPSTREAM_META_BUCKET": s.name("s3gw-meta"),
	}
	for range n {
		s.addGateway(t)
	}
	return s
}

// name is base made unique to this setup: bucket names are the cluster's.
func (s *scaleOut) name(base string) string { return fmt.Sprintf("%s-%d", base, s.id) }

// addGateway starts one more gateway over the cluster and returns its index.
func (s *scaleOut) addGateway(t *testing.T) int {
	t.Helper()
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: s.env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			var errs []string
			for _, l := range strings.Split(g.LogTail(100000), "\n") {
				if strings.Contains(l, "level=ERROR") {
					errs = append(errs, l)
				}
			}
			t.Logf("gateway at %s, errors logged:\n%s\nlast log lines:\n%s", g.Addr, strings.Join(errs[max(0, len(errs)-5):], "\n"), g.LogTail(10))
		}
		g.Kill()
	})
	s.gws = append(s.gws, g)
	s.full = append(s.full, conformance.NewSDKClient(g.Target(), g.Target().Full))
	s.other = append(s.other, conformance.NewSDKClient(g.Target(), g.Target().Other))
	return len(s.gws) - 1
}

// bodyFor is the deterministic body of size bytes written under key: any
// reader can tell a whole object from a cut or mixed one.
func bodyFor(key string, size int) []byte {
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(sha256.Sum256([]byte(key))).Read(b)
	return b
}

// getSum reads an object whole and returns its size and MD5.
func getSum(ctx context.Context, c *s3.Client, bucket, key string) (int64, [md5.Size]byte, error) {
	var sum [md5.Size]byte
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, sum, err
	}
	defer out.Body.Close()
	h := md5.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return n, sum, fmt.Errorf("reading %s: %w", key, err)
	}
	copy(sum[:], h.Sum(nil))
	return n, sum, nil
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestScaleOutOverCeph checks that three gateways over one cluster are one
// service: what one writes the others read at once, overwrite and delete;
// a listing started on one continues on the next; one multipart upload is
// created on one, gets parts through the two others and completes on a
// fourth started for it; a bucket one project claims through one gateway
// is another's through none.
func TestScaleOutOverCeph(t *testing.T) {
	s := startScaleOut(t, sharedCluster(t), 3)
	c := s.full
	ctx := t.Context()
	bucket := s.name("scale-out")
	bkt := aws.String(bucket)
	_, err := c[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	must(t, "CreateBucket through gateway 1", err)
	for i := range c {
		_, err := s.other[i].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
		if code := conformance.ErrorCode(err); code != "BucketAlreadyExists" {
			t.Fatalf("another project's CreateBucket through gateway %d: %v, want BucketAlreadyExists", i+1, err)
		}
		if _, err := s.other[i].HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bkt}); err == nil {
			t.Fatalf("another project's HeadBucket through gateway %d succeeded", i+1)
		}
	}

	// Read-after-write: each key written through one gateway is read whole
	// through the next one straight away, then overwritten through the
	// third and read through the first.
	keys := []string{"a", "b/1", "b/2", "c", "d", "e", "f"}
	for i, k := range keys {
		w, r := i%3, (i+1)%3
		want := bodyFor(k, 64<<10+i)
		_, err := c[w].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String(k), Body: bytes.NewReader(want)})
		must(t, fmt.Sprintf("PutObject %s through gateway %d", k, w+1), err)
		n, sum, err := getSum(ctx, c[r], bucket, k)
		must(t, fmt.Sprintf("GetObject %s through gateway %d", k, r+1), err)
		if n != int64(len(want)) || sum != md5.Sum(want) {
			t.Fatalf("gateway %d read %d bytes of %s, not the %d gateway %d wrote", r+1, n, k, len(want), w+1)
		}
	}
	again := bodyFor("a, again", 1000)
	_, err = c[2].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("a"), Body: bytes.NewReader(again)})
	must(t, "overwriting a through gateway 3", err)
	if n, sum, err := getSum(ctx, c[0], bucket, "a"); err != nil || n != int64(len(again)) || sum != md5.Sum(again) {
		t.Fatalf("gateway 1 after the overwrite through gateway 3: %d bytes, %v; want the new %d", n, err, len(again))
	}

	// A listing whose pages alternate gateways sees every key once, in
	// order; so does one with a delimiter.
	var listed []string
	var token *string
	for page := 0; page < 10; page++ {
		res, err := c[page%3].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt, MaxKeys: aws.Int32(2), ContinuationToken: token})
		must(t, fmt.Sprintf("ListObjectsV2 page %d through gateway %d", page+1, page%3+1), err)
		for _, o := range res.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
		if token = res.NextContinuationToken; token == nil {
			break
		}
	}
	if !slices.Equal(listed, keys) {
		t.Fatalf("listing paged across gateways: %q, want %q", listed, keys)
	}
	listed, token = nil, nil
	for page := 0; page < 10; page++ {
		res, err := c[(page+1)%3].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt, MaxKeys: aws.Int32(1), Delimiter: aws.String("/"), ContinuationToken: token})
		must(t, "ListObjectsV2 with a delimiter", err)
		for _, o := range res.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
		for _, p := range res.CommonPrefixes {
			listed = append(listed, aws.ToString(p.Prefix))
		}
		if token = res.NextContinuationToken; token == nil {
			break
		}
	}
	if want := []string{"a", "b/", "c", "d", "e", "f"}; !slices.Equal(listed, want) {
		t.Fatalf("listing with a delimiter paged across gateways: %q, want %q", listed, want)
	}

	// One multipart upload: created on 1, parts through 2 and 3, listed
	// through 1, completed on a fourth gateway started only now.
	mp := aws.String("mp")
	up, err := c[0].CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: mp})
	must(t, "CreateMultipartUpload through gateway 1", err)
	part1, part2 := bodyFor("mp part 1", 5<<20), bodyFor("mp part 2", 12345)
	p1, err := c[1].UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: mp, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
	must(t, "UploadPart 1 through gateway 2", err)
	p2, err := c[2].UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: mp, UploadId: up.UploadId, PartNumber: aws.Int32(2), Body: bytes.NewReader(part2)})
	must(t, "UploadPart 2 through gateway 3", err)
	parts, err := c[0].ListParts(ctx, &s3.ListPartsInput{Bucket: bkt, Key: mp, UploadId: up.UploadId})
	must(t, "ListParts through gateway 1", err)
	if len(parts.Parts) != 2 || aws.ToString(parts.Parts[0].ETag) != aws.ToString(p1.ETag) || aws.ToString(parts.Parts[1].ETag) != aws.ToString(p2.ETag) {
		t.Fatalf("ListParts through gateway 1: %d parts, want the 2 uploaded through gateways 2 and 3", len(parts.Parts))
	}
	fourth := s.addGateway(t)
	done, err := s.full[fourth].CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: mp, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}}}})
	must(t, "CompleteMultipartUpload through gateway 4", err)
	whole := append(slices.Clone(part1), part2...)
	n, sum, err := getSum(ctx, c[1], bucket, "mp")
	must(t, "GetObject mp through gateway 2", err)
	if n != int64(len(whole)) || sum != md5.Sum(whole) {
		t.Fatalf("gateway 2 read %d bytes of the multipart object, not its %d", n, len(whole))
	}
	head, err := c[2].HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: mp, PartNumber: aws.Int32(2)})
	must(t, "HeadObject part 2 through gateway 3", err)
	if aws.ToInt64(head.ContentLength) != int64(len(part2)) || aws.ToInt32(head.PartsCount) != 2 || aws.ToString(head.ETag) != aws.ToString(done.ETag) {
		t.Fatalf("part 2 through gateway 3: %d bytes of %d parts, ETag %s; want %d of 2, ETag %s",
			aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount), aws.ToString(head.ETag), len(part2), aws.ToString(done.ETag))
	}

	// Deleted through one gateway, gone through every other.
	for i, k := range append(keys, "mp") {
		_, err := c[i%3].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String(k)})
		must(t, "DeleteObject "+k, err)
		for j := range c {
			if j == i%3 {
				continue
			}
			_, err := c[j].GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String(k)})
			if code := conformance.ErrorCode(err); code != "NoSuchKey" {
				t.Fatalf("GetObject %s through gateway %d after its delete through gateway %d: %v, want NoSuchKey", k, j+1, i%3+1, err)
			}
		}
	}
	_, err = c[1].DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bkt})
	must(t, "DeleteBucket through gateway 2", err)
	if _, err := c[2].HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bkt}); conformance.HTTPStatus(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket through gateway 3 after the delete through gateway 2: %v, want 404", err)
	}
	_, err = s.other[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	must(t, "another project's CreateBucket through gateway 1 once the name is free", err)
}

// TestScaleOutOwnershipRace races two projects, each through a different
// gateway, to create the same bucket names, all at once: every name has
// exactly one owner, the loser is told BucketAlreadyExists, and afterwards
// the loser can neither read, write, list nor delete in it through any
// gateway, while each project's ListBuckets shows exactly what it won.
func TestScaleOutOwnershipRace(t *testing.T) {
	s := startScaleOut(t, sharedCluster(t), 3)
	ctx := t.Context()
	const names = 24
	type outcome struct{ full, other error }
	results := make([]outcome, names)
	start := make(chan struct{})
	var wg sync.WaitGroup
	name := func(i int) string { return s.name(fmt.Sprintf("race-%02d", i)) }
	for i := range names {
		bkt := aws.String(name(i))
		wg.Go(func() {
			<-start
			_, results[i].full = s.full[i%3].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
		})
		wg.Go(func() {
			<-start
			_, results[i].other = s.other[(i+1)%3].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
		})
	}
	close(start)
	wg.Wait()

	won := map[string][]string{}
	for i, r := range results {
		var winner string
		var loser error
		switch {
		case r.full == nil && r.other == nil:
			t.Fatalf("%s: both projects' CreateBucket succeeded", name(i))
		case r.full == nil:
			winner, loser = "full", r.other
		case r.other == nil:
			winner, loser = "other", r.full
		default:
			t.Fatalf("%s: neither CreateBucket succeeded: %v; %v", name(i), r.full, r.other)
		}
		if code := conformance.ErrorCode(loser); code != "BucketAlreadyExists" || conformance.HTTPStatus(loser) != http.StatusConflict {
			t.Fatalf("%s: the loser's CreateBucket: %v, want 409 BucketAlreadyExists", name(i), loser)
		}
		won[winner] = append(won[winner], name(i))
	}
	t.Logf("of %d names raced, one project won %d, the other %d", names, len(won["full"]), len(won["other"]))

	// Each project lists exactly the names it won, through every gateway.
	for who, clients := range map[string][]*s3.Client{"full": s.full, "other": s.other} {
		for g, c := range clients {
			res, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			must(t, "ListBuckets", err)
			var got []string
			for _, b := range res.Buckets {
				got = append(got, aws.ToString(b.Name))
			}
			if !slices.Equal(got, won[who]) {
				t.Fatalf("ListBuckets of project %q through gateway %d: %q, want %q", who, g+1, got, won[who])
			}
		}
	}

	// The winner writes a key in each; the loser, through every gateway,
	// can do nothing with it, and the winner's key stays as written.
	for i, r := range results {
		bucket := name(i)
		bkt := aws.String(bucket)
		owner, loser := s.full, s.other
		if r.full != nil {
			owner, loser = s.other, s.full
		}
		body := bodyFor(bucket, 100+i)
		_, err := owner[i%3].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("k"), Body: bytes.NewReader(body)})
		must(t, "the owner's PutObject in "+bucket, err)
		for g, c := range loser {
			_, herr := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bkt})
			_, gerr := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("k")})
			_, perr := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("intruder"), Body: bytes.NewReader([]byte("x"))})
			_, lerr := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt})
			_, derr := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("k")})
			_, berr := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bkt})
			for op, err := range map[string]error{"HeadBucket": herr, "GetObject": gerr, "PutObject": perr, "ListObjectsV2": lerr, "DeleteObject": derr, "DeleteBucket": berr} {
				if st := conformance.HTTPStatus(err); st != http.StatusForbidden && st != http.StatusNotFound {
					t.Fatalf("the loser's %s on %s through gateway %d: %v, want a 403 or 404 refusal", op, bucket, g+1, err)
				}
			}
		}
		res, err := owner[(i+2)%3].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt})
		must(t, "the owner's listing of "+bucket, err)
		if len(res.Contents) != 1 || aws.ToString(res.Contents[0].Key) != "k" {
			t.Fatalf("%s holds %d objects after the loser's attempts, want only the owner's k", bucket, len(res.Contents))
		}
		if n, sum, err := getSum(ctx, owner[(i+1)%3], bucket, "k"); err != nil || n != int64(len(body)) || sum != md5.Sum(body) {
			t.Fatalf("the owner's k in %s after the loser's attempts: %d bytes, %v; want the %d written", bucket, n, err, len(body))
		}
	}
}

// trackedBody is a request body that reports how far the HTTP transport has
// read it: the SDK reads a seekable body once per checksum it computes,
// then once more to send it, each pass from the start.
type trackedBody struct {
	r      *bytes.Reader
	passes atomic.Int32 // reads begun at offset 0
	read   atomic.Int64 // offset reached in the current pass
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if b.r.Len() == int(b.r.Size()) && len(p) > 0 {
		b.passes.Add(1)
	}
	n, err := b.r.Read(p)
	b.read.Store(b.r.Size() - int64(b.r.Len()))
	return n, err
}

func (b *trackedBody) Seek(off int64, whence int) (int64, error) { return b.r.Seek(off, whence) }

// write is one PUT of the SIGKILL test: its key, the body's size and MD5,
// the gateway it went through, and its outcome.
type write struct {
	key   string
	size  int
	sum   [md5.Size]byte
	gw    int
	err   error
	done  bool
	ended time.Time
}

// TestScaleOutGatewayKilled SIGKILLs one of three gateways while all three
// carry PUTs, large ones (8-16 MiB) and small, the kill landing while a
// large body through the victim is being sent. The two others keep serving
// without one failed request; afterwards both list every key whose PUT
// succeeded, with its size, and every key reads back whole, exactly as
// written, or (only when its PUT failed) is absent: no cut object becomes
// visible. The killed gateway then starts again and reads the same objects.
func TestScaleOutGatewayKilled(t *testing.T) {
	s := startScaleOut(t, sharedCluster(t), 3)
	ctx := t.Context()
	bucket := s.name("kill-a-gateway")
	_, err := s.full[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, "CreateBucket", err)
	const victim = 2

	var (
		mu       sync.Mutex
		writes   []*write
		stop     atomic.Bool
		lastPass atomic.Int32 // passes over a body, learnt from a finished large PUT
		current  atomic.Pointer[trackedBody]
		wg       sync.WaitGroup
	)
	// Two writers per gateway: one of large bodies, one of small. A writer
	// through the victim stops at its first failure.
	for gw := range s.full {
		for w, large := range []bool{true, false} {
			wg.Go(func() {
				for i := 0; !stop.Load(); i++ {
					key := fmt.Sprintf("g%d/w%d/%04d", gw, w, i)
					size := 1 + (i*7919)%(256<<10)
					if large {
						size = 8<<20 + (i*3)%9<<20
					}
					data := bodyFor(key, size)
					wr := &write{key: key, size: size, sum: md5.Sum(data), gw: gw}
					mu.Lock()
					writes = append(writes, wr)
					mu.Unlock()
					body := &trackedBody{r: bytes.NewReader(data)}
					if large && gw == victim {
						current.Store(body)
					}
					_, err := s.full[gw].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: body})
					mu.Lock()
					wr.err, wr.done, wr.ended = err, true, time.Now()
					mu.Unlock()
					if err == nil && large {
						lastPass.CompareAndSwap(0, body.passes.Load())
					}
					if err != nil && (gw == victim || ctx.Err() != nil) {
						return
					}
				}
			})
		}
	}

	// Kill once a large body through the victim is a quarter sent (its last
	// pass, the transport's, past 25 %).
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, n := current.Load(), lastPass.Load(); b != nil && n > 0 && b.passes.Load() == n && b.read.Load() > b.r.Size()/4 && b.read.Load() < b.r.Size() {
			break
		}
		if time.Now().After(deadline) {
			stop.Store(true)
			wg.Wait()
			t.Fatal("no large PUT through the victim was caught in flight within 20 s")
		}
		time.Sleep(time.Millisecond)
	}
	cut := current.Load()
	s.gws[victim].Kill()
	killedAt := time.Now()
	t.Logf("gateway %d killed with a %d-byte body %d bytes sent", victim+1, cut.r.Size(), cut.read.Load())

	// The survivors carry on; stop once each has finished three more PUTs
	// and two seconds have passed.
	for {
		mu.Lock()
		after := map[int]int{}
		for _, w := range writes {
			if w.done && w.err == nil && w.gw != victim && w.ended.After(killedAt) {
				after[w.gw]++
			}
		}
		mu.Unlock()
		if time.Since(killedAt) > 2*time.Second && after[0] > 2 && after[1] > 2 {
			break
		}
		if time.Since(killedAt) > 30*time.Second {
			t.Errorf("the survivors finished %d and %d PUTs in the 30 s after the kill", after[0], after[1])
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()

	var cutWrites, victimOK, survivorOK int
	for _, w := range writes {
		switch {
		case w.err != nil && w.gw != victim:
			t.Errorf("PUT %s (%d bytes) through surviving gateway %d failed: %v", w.key, w.size, w.gw+1, w.err)
		case w.err != nil:
			cutWrites++
		case w.gw == victim:
			victimOK++
		default:
			survivorOK++
		}
	}
	t.Logf("%d PUTs: %d through the survivors, %d through the victim before the kill, %d failed through the victim", len(writes), survivorOK, victimOK, cutWrites)
	if cutWrites == 0 {
		t.Fatal("no PUT through the victim failed: the kill cut nothing")
	}

	// Through each survivor, the listing holds every key whose PUT
	// succeeded, with its size, and of the others only whole ones; every
	// key is read back through one survivor or the other (each whole
	// object is 8-16 MiB: twice would double the test's time), the keys
	// whose PUT failed through both.
	check := func(g int, read func(i int, w *write) bool) {
		t.Helper()
		var token *string
		listed := map[string]int64{}
		for {
			res, err := s.full[g].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: token})
			must(t, fmt.Sprintf("ListObjectsV2 through gateway %d", g+1), err)
			for _, o := range res.Contents {
				listed[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
			}
			if token = res.NextContinuationToken; token == nil {
				break
			}
		}
		var cutVisible int
		for i, w := range writes {
			size, ok := listed[w.key]
			delete(listed, w.key)
			switch {
			case !ok && w.err == nil:
				t.Errorf("%s, written through gateway %d, is not listed through gateway %d", w.key, w.gw+1, g+1)
			case ok && size != int64(w.size):
				t.Errorf("%s, written through gateway %d with %d bytes, is listed through gateway %d with %d", w.key, w.gw+1, w.size, g+1, size)
			case ok && w.err != nil:
				cutVisible++
			}
			if w.err == nil && !read(i, w) {
				continue
			}
			n, sum, err := getSum(ctx, s.full[g], bucket, w.key)
			switch {
			case err != nil && (w.err == nil || ok):
				t.Errorf("%s, written through gateway %d (%v), listed %v, through gateway %d: %v", w.key, w.gw+1, w.err, ok, g+1, err)
			case err != nil && conformance.ErrorCode(err) != "NoSuchKey":
				t.Errorf("%s, cut, through gateway %d: %v, want whole or NoSuchKey", w.key, g+1, err)
			case err == nil && (n != int64(w.size) || sum != w.sum):
				t.Errorf("%s through gateway %d: %d bytes, MD5 %x; written %d bytes, MD5 %x", w.key, g+1, n, sum, w.size, w.sum)
			case err == nil && !ok:
				t.Errorf("%s through gateway %d: readable but not listed", w.key, g+1)
			}
		}
		for k := range listed {
			t.Errorf("gateway %d lists %s, which nobody wrote", g+1, k)
		}
		if cutVisible > 0 {
			t.Logf("through gateway %d, %d keys whose PUT failed are there, whole", g+1, cutVisible)
		}
	}
	began := time.Now()
	check(0, func(i int, _ *write) bool { return i%2 == 0 })
	check(1, func(i int, _ *write) bool { return i%2 == 1 })
	t.Logf("every key checked through the survivors in %s", time.Since(began).Round(10*time.Millisecond))
	if t.Failed() {
		return
	}

	// The victim restarts with nothing to recover and serves the same
	// data (a sample of it, and every key whose PUT failed).
	must(t, "restarting the killed gateway", s.gws[victim].Restart())
	s.full[victim] = conformance.NewSDKClient(s.gws[victim].Target(), s.gws[victim].Target().Full) // a new port
	check(victim, func(i int, w *write) bool { return i%5 == 0 })
}

func md5sum(b []byte) []byte {
	sum := md5.Sum(b)
	return sum[:]
}

// slowPut is the outcome of startSlowPut's request.
type slowPut struct {
	status int
	code   string
	err    error
}

// startSlowPut sends, through a presigned URL, a PUT of size bytes at a
// slow client's pace (64 KiB every 10 ms) and returns once first bytes
// are sent; the answer comes on the channel. A client that has stopped
// sending altogether is another case: the gateway's own request to the
// store cannot end while it waits for the client's next bytes.
func startSlowPut(t *testing.T, c *s3.Client, bucket, key string, size, first int) <-chan slowPut {
	t.Helper()
	ps, err := s3.NewPresignClient(c).PresignPutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, "PresignPutObject", err)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, ps.URL, pr)
	must(t, "a PUT request", err)
	req.ContentLength = int64(size)
	for k, v := range ps.SignedHeader {
		if k != "Host" {
			req.Header[k] = v
		}
	}
	res := make(chan slowPut, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		pr.CloseWithError(io.ErrClosedPipe) // stops the sender
		if err != nil {
			res <- slowPut{err: err}
			return
		}
		defer resp.Body.Close()
		var doc struct{ Code string }
		b, err := io.ReadAll(resp.Body)
		if err == nil && len(b) > 0 {
			err = xml.Unmarshal(b, &doc)
		}
		res <- slowPut{status: resp.StatusCode, code: doc.Code, err: err}
	}()
	body := bodyFor(key, size)
	if _, err := pw.Write(body[:first]); err != nil {
		t.Fatalf("sending the first %d bytes of the slow PUT: %v", first, err)
	}
	go func() {
		for off := first; off < size; off += 64 << 10 {
			time.Sleep(10 * time.Millisecond)
			if _, err := pw.Write(body[off:min(size, off+64<<10)]); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return res
}

// fetchReadyz fetches a gateway's /readyz.
func fetchReadyz(ctx context.Context, g *launch.Gateway) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.Endpoint+"/readyz", nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decoding /readyz: %w", err)
	}
	return resp.StatusCode, body, nil
}

// TestScaleOutStoreKilled SIGKILLs the cluster's radosgw under three
// gateways. A slow PUT in flight is answered 503 and a GET in flight ends whole
// or with an error (never short and clean); while radosgw is down, every
// request through every gateway is answered promptly with a retryable 503
// (SlowDown or ServiceUnavailable) and /readyz says not ready; once radosgw
// is back, the same gateway processes serve again, the data written before
// intact and nothing of the refused requests stored, with no restart.
// (Not checked: bucket creation, which radosgw itself stalls for about 25 s
// after the crash; see the note at the top.)
func TestScaleOutStoreKilled(t *testing.T) {
	s := startScaleOut(t, ceph.StartForTest(t, ceph.Options{}), 3)
	ctx := t.Context()
	bucket := s.name("kill-the-store")
	refused := s.name("refused")
	bkt := aws.String(bucket)
	_, err := s.full[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	must(t, "CreateBucket", err)
	before := bodyFor("before", 300<<10)
	_, err = s.full[1].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("before"), Body: bytes.NewReader(before)})
	must(t, "PutObject before the outage", err)
	var pids []int
	for g := range s.gws {
		st, body, err := fetchReadyz(ctx, s.gws[g])
		if err != nil || st != http.StatusOK || body["ready"] != true {
			t.Fatalf("/readyz of gateway %d before the outage: %d %v %v", g+1, st, body, err)
		}
		pids = append(pids, s.gws[g].Pid())
	}

	// Two requests in flight when radosgw dies: a GET of a large object
	// through gateway 1, its reader paused after 1 MiB, and a slow client's
	// PUT through gateway 3, 4 MiB sent.
	big := bodyFor("big", 48<<20)
	_, err = s.full[1].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("big"), Body: bytes.NewReader(big)})
	must(t, "PutObject big before the outage", err)
	get, err := s.full[0].GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("big")})
	must(t, "GetObject big", err)
	defer get.Body.Close()
	got := md5.New()
	_, err = io.CopyN(got, get.Body, 1<<20)
	must(t, "reading the first MiB of big", err)
	put := startSlowPut(t, s.full[2], bucket, "cut-by-the-outage", 48<<20, 4<<20)

	must(t, "killing radosgw", s.ceph.KillDaemon(ceph.Gateway(0)))
	killedAt := time.Now()
	// Each answer must come within this: a client sees an outage, not a hang.
	const prompt = 5 * time.Second

	// The slow PUT is answered 503 before its body's end.
	select {
	case r := <-put:
		if r.err != nil || r.status != http.StatusServiceUnavailable || (r.code != "SlowDown" && r.code != "ServiceUnavailable") {
			t.Errorf("a PUT in flight through gateway 3 when radosgw died: %d %q, %v; want 503 SlowDown or ServiceUnavailable", r.status, r.code, r.err)
		}
		t.Logf("the PUT in flight was answered %d %s %s after radosgw died", r.status, r.code, time.Since(killedAt).Round(time.Millisecond))
	case <-time.After(prompt):
		t.Errorf("a PUT in flight through gateway 3 when radosgw died: no answer within %s", prompt)
	}
	// The GET's body ends whole, if the bytes were already on their way,
	// or with an error: never short and clean.
	n, err := io.Copy(got, get.Body)
	n += 1 << 20
	switch {
	case err == nil && (n != int64(len(big)) || !bytes.Equal(got.Sum(nil), md5sum(big))):
		t.Errorf("a GET in flight through gateway 1 when radosgw died ended cleanly after %d bytes (MD5 %x) of the %d written", n, got.Sum(nil), len(big))
	case err == nil:
		t.Logf("a GET in flight when radosgw died ended whole: %d bytes were already buffered", n)
	default:
		t.Logf("a GET in flight when radosgw died was cut after %d bytes, %s after: %v", n, time.Since(killedAt).Round(time.Millisecond), err)
	}
	if took := time.Since(killedAt); took > 2*prompt {
		t.Errorf("the GET in flight took %s to end after radosgw died", took.Round(time.Millisecond))
	}

	var slowest time.Duration
	codes := map[string]int{}
	for g := range s.gws {
		c := s.full[g]
		ops := []struct {
			name string
			do   func(context.Context) error
		}{
			{"GetObject", func(ctx context.Context) error {
				_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("before")})
				return err
			}},
			{"HeadObject", func(ctx context.Context) error {
				_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String("before")})
				return err
			}},
			{"PutObject", func(ctx context.Context) error {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("during"), Body: bytes.NewReader(bodyFor("during", 10<<10))})
				return err
			}},
			{"ListObjectsV2", func(ctx context.Context) error {
				_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt})
				return err
			}},
			{"DeleteObject", func(ctx context.Context) error {
				_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("before")})
				return err
			}},
			{"CreateBucket", func(ctx context.Context) error {
				_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(refused)})
				return err
			}},
			{"ListBuckets", func(ctx context.Context) error {
				_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
				return err
			}},
		}
		for _, op := range ops {
			rctx, cancel := context.WithTimeout(ctx, 4*prompt)
			began := time.Now()
			err := op.do(rctx)
			took := time.Since(began)
			cancel()
			slowest = max(slowest, took)
			code, status := conformance.ErrorCode(err), conformance.HTTPStatus(err)
			codes[code]++
			if status != http.StatusServiceUnavailable || (code != "SlowDown" && code != "ServiceUnavailable") {
				t.Errorf("%s through gateway %d with radosgw down: %v (status %d, code %q), want 503 SlowDown or ServiceUnavailable", op.name, g+1, err, status, code)
			}
			if took > prompt {
				t.Errorf("%s through gateway %d with radosgw down answered after %s, want within %s", op.name, g+1, took.Round(time.Millisecond), prompt)
			}
		}
		began := time.Now()
		st, body, err := fetchReadyz(ctx, s.gws[g])
		took := time.Since(began)
		if msg, _ := body["storage_error"].(string); err != nil || st != http.StatusServiceUnavailable || body["ready"] != false || msg == "" {
			t.Errorf("/readyz of gateway %d with radosgw down: %d %v %v, want 503 with ready false and the storage error", g+1, st, body, err)
		}
		if took > prompt {
			t.Errorf("/readyz of gateway %d with radosgw down answered after %s", g+1, took.Round(time.Millisecond))
		}
	}
	t.Logf("with radosgw down, requests were refused with %v, the slowest in %s", codes, slowest.Round(time.Millisecond))
	if t.Failed() {
		return
	}

	began := time.Now()
	must(t, "restarting radosgw", s.ceph.RestartGateway(ctx, 0))
	t.Logf("radosgw restarted in %s", time.Since(began).Round(10*time.Millisecond))
	// Each gateway recovers on its own: poll it until it serves.
	for g := range s.gws {
		deadline := time.Now().Add(30 * time.Second)
		for {
			st, _, rerr := fetchReadyz(ctx, s.gws[g])
			n, sum, err := getSum(ctx, s.full[g], bucket, "before")
			if rerr == nil && st == http.StatusOK && err == nil {
				if n != int64(len(before)) || sum != md5.Sum(before) {
					t.Fatalf("gateway %d after the outage read %d bytes of before, not the %d written", g+1, n, len(before))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gateway %d did not recover within 30 s of radosgw's restart: /readyz %d %v, GetObject %v", g+1, st, rerr, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s.gws[g].Pid() != pids[g] {
			t.Fatalf("gateway %d is not the process it was before the outage", g+1)
		}
	}
	t.Logf("all gateways serving %s after radosgw's restart", time.Since(began).Round(10*time.Millisecond))

	// Writes work again, across gateways; nothing the outage refused
	// was half done.
	after := bodyFor("after", 2<<20)
	_, err = s.full[2].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("after"), Body: bytes.NewReader(after)})
	must(t, "PutObject after the outage", err)
	if n, sum, err := getSum(ctx, s.full[0], bucket, "after"); err != nil || n != int64(len(after)) || sum != md5.Sum(after) {
		t.Fatalf("GetObject after the outage through another gateway: %d bytes, %v", n, err)
	}
	res, err := s.full[1].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt})
	must(t, "ListObjectsV2 after the outage", err)
	var keys []string
	for _, o := range res.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{"after", "before", "big"}; !slices.Equal(keys, want) {
		t.Fatalf("after the outage the bucket holds %q, want %q", keys, want)
	}
	if n, sum, err := getSum(ctx, s.full[2], bucket, "big"); err != nil || n != int64(len(big)) || sum != md5.Sum(big) {
		t.Fatalf("big after the outage: %d bytes, %v; want the %d written", n, err, len(big))
	}
	if _, err := s.full[0].HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(refused)}); conformance.HTTPStatus(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket of the bucket refused during the outage: %v, want 404", err)
	}
}
