package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/storage"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir)
	t.Cleanup(func() { s.Close() })
	if err := s.CreateBucket(context.Background(), "b", "p1"); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func put(t *testing.T, s *Store, key, body string, opts storage.PutOptions) (storage.ObjectInfo, error) {
	t.Helper()
	if opts.Size == 0 {
		opts.Size = int64(len(body))
	}
	return s.PutObject(context.Background(), "b", key, strings.NewReader(body), opts)
}

func read(t *testing.T, s *Store, bucket, key string) string {
	t.Helper()
	o, err := s.OpenObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("open %s/%s: %v", bucket, key, err)
	}
	defer o.Close()
	var buf bytes.Buffer
	if _, err := o.WriteRange(&buf, 0, o.Info().Size); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func blobCount(t *testing.T, dir string) int {
	return len(files(t, filepath.Join(dir, "data", "blobs")))
}

func TestPutGetOverwrite(t *testing.T) {
	s, dir := newStore(t)
	info, err := put(t, s, "k", "hello", storage.PutOptions{Metadata: storage.Metadata{ContentType: "text/plain", User: map[string]string{"a": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("hello"))
	if info.ETag != hex.EncodeToString(sum[:]) || info.Size != 5 {
		t.Fatalf("info = %+v", info)
	}
	if got := read(t, s, "b", "k"); got != "hello" {
		t.Fatalf("read %q", got)
	}
	st, err := s.StatObject(context.Background(), "b", "k")
	if err != nil || st.ContentType != "text/plain" || st.User["a"] != "b" {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	if _, err := put(t, s, "k", "bye", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "b", "k"); got != "bye" {
		t.Fatalf("after overwrite read %q", got)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after overwrite, want 1 (the replaced one must be removed)", n)
	}
}

func TestFailedWritesLeaveNothing(t *testing.T) {
	wrongMD5 := md5.Sum([]byte("other"))
	cases := []struct {
		name string
		body io.Reader
		opts storage.PutOptions
		want error
	}{
		{"bad digest", strings.NewReader("data"), storage.PutOptions{Size: 4, ContentMD5: wrongMD5[:]}, storage.ErrBadDigest},
		{"too large", strings.NewReader("0123456789"), storage.PutOptions{Size: -1, MaxSize: 5}, storage.ErrTooLarge},
		{"declared too large", strings.NewReader("0123456789"), storage.PutOptions{Size: 10, MaxSize: 5}, storage.ErrTooLarge},
		{"short body", strings.NewReader("abc"), storage.PutOptions{Size: 10}, storage.ErrIncompleteBody},
		{"read error", iotest.ErrReader(errors.New("boom")), storage.PutOptions{Size: -1}, nil},
		{"precondition", strings.NewReader("x"), storage.PutOptions{Size: 1, Conditions: storage.Conditions{IfNoneMatch: true}}, storage.ErrPreconditionFailed},
		{"missing bucket", strings.NewReader("x"), storage.PutOptions{Size: 1}, storage.ErrNoSuchBucket},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, dir := newStore(t)
			if _, err := put(t, s, "k", "old", storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			bucket := "b"
			if c.want == storage.ErrNoSuchBucket {
				bucket = "missing"
			}
			_, err := s.PutObject(context.Background(), bucket, "k", c.body, c.opts)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if got := read(t, s, "b", "k"); got != "old" {
				t.Fatalf("old object changed to %q", got)
			}
			if n := blobCount(t, dir); n != 1 {
				t.Fatalf("%d blobs, want 1", n)
			}
			if tmp := files(t, filepath.Join(dir, "data", "tmp")); len(tmp) != 0 {
				t.Fatalf("temp files left: %v", tmp)
			}
		})
	}
}

func TestConditionalWrites(t *testing.T) {
	s, _ := newStore(t)
	info, err := put(t, s, "k", "v1", storage.PutOptions{Conditions: storage.Conditions{IfNoneMatch: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "v2", storage.PutOptions{Conditions: storage.Conditions{IfMatch: "nope"}}); !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Fatalf("If-Match wrong: %v", err)
	}
	if _, err := put(t, s, "k", "v2", storage.PutOptions{Conditions: storage.Conditions{IfMatch: info.ETag}}); err != nil {
		t.Fatalf("If-Match right: %v", err)
	}
	if _, err := put(t, s, "missing", "v", storage.PutOptions{Conditions: storage.Conditions{IfMatch: info.ETag}}); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Fatalf("If-Match missing key: %v", err)
	}
	if got := read(t, s, "b", "k"); got != "v2" {
		t.Fatalf("read %q", got)
	}
}

// TestConditionalDeletes: each object's If-Match is decided in the delete's
// commit, for that object alone.
func TestConditionalDeletes(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	infos := map[string]storage.ObjectInfo{}
	for _, k := range []string{"match", "star", "mismatch", "plain"} {
		info, err := put(t, s, k, "body of "+k, storage.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		infos[k] = info
	}
	errs, err := s.DeleteObjects(ctx, "b", []storage.ObjectDelete{
		{Key: "match", IfMatch: infos["match"].ETag},
		{Key: "star", IfMatch: "*"},
		{Key: "mismatch", IfMatch: infos["match"].ETag},
		{Key: "absent", IfMatch: "*"},
		{Key: "absent"},
		{Key: "plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, nil, storage.ErrPreconditionFailed, storage.ErrNoSuchKey, nil, nil}
	for i, w := range want {
		if (w == nil) != (errs[i] == nil) || (w != nil && !errors.Is(errs[i], w)) {
			t.Errorf("object %d: %v, want %v", i, errs[i], w)
		}
	}
	for _, k := range []string{"match", "star", "plain"} {
		if _, err := s.StatObject(ctx, "b", k); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("%s not deleted: %v", k, err)
		}
	}
	if got := read(t, s, "b", "mismatch"); got != "body of mismatch" {
		t.Fatalf("mismatch: %q", got)
	}
	if _, err := s.DeleteObjects(ctx, "nope", []storage.ObjectDelete{{Key: "k"}}); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
}

// TestListCarriesChecksums: listings report an object's checksum and its
// type, which ListObjectVersions sends.
func TestListCarriesChecksums(t *testing.T) {
	s, _ := newStore(t)
	if _, err := put(t, s, "sum", "x", storage.PutOptions{Metadata: storage.Metadata{Checksums: map[string]string{"crc32": "jHNlIQ=="}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "none", "x", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ListObjects(context.Background(), "b", storage.ListOptions{Limit: 10})
	if err != nil || len(res.Objects) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	none, sum := res.Objects[0], res.Objects[1]
	if sum.Checksums["crc32"] != "jHNlIQ==" || sum.ChecksumType != "FULL_OBJECT" || sum.Size != 1 || sum.ETag == "" {
		t.Fatalf("sum = %+v", sum)
	}
	if len(none.Checksums) != 0 || none.ChecksumType != "" {
		t.Fatalf("none = %+v", none)
	}
}

func TestAutoCreateIsAtomicWithTheWrite(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	bad := md5.Sum([]byte("x"))
	_, err := s.PutObject(ctx, "nb", "k", strings.NewReader("y"), storage.PutOptions{Size: 1, ContentMD5: bad[:], CreateBucketFor: "p2"})
	if !errors.Is(err, storage.ErrBadDigest) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Bucket(ctx, "nb"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("a failed write created the bucket: %v", err)
	}
	if _, err := s.PutObject(ctx, "nb", "k", strings.NewReader("y"), storage.PutOptions{Size: 1, CreateBucketFor: "p2"}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bucket(ctx, "nb")
	if err != nil || b.Owner != "p2" {
		t.Fatalf("bucket = %+v, %v", b, err)
	}
}

func TestBuckets(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b", "p1"); !errors.Is(err, storage.ErrBucketOwnedByYou) {
		t.Fatalf("re-create by owner: %v", err)
	}
	if err := s.CreateBucket(ctx, "b", "p2"); !errors.Is(err, storage.ErrBucketTaken) {
		t.Fatalf("create by other project: %v", err)
	}
	if _, err := put(t, s, "k", "v", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, storage.ErrBucketNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if _, err := s.DeleteObjects(ctx, "b", []storage.ObjectDelete{{Key: "k"}, {Key: "absent"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("delete empty: %v", err)
	}
	if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("delete missing: %v", err)
	}
	bs, err := s.ListBuckets(ctx)
	if err != nil || len(bs) != 0 {
		t.Fatalf("buckets = %v, %v", bs, err)
	}
}

// An open reader keeps reading the version it opened even when the key is
// overwritten or deleted meanwhile; the old blob goes when the reader does.
func TestReaderSnapshotSurvivesOverwrite(t *testing.T) {
	s, dir := newStore(t)
	if _, err := put(t, s, "k", "first", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := s.OpenObject(context.Background(), "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "second", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 2 {
		t.Fatalf("%d blobs while the old version is open, want 2", n)
	}
	var buf bytes.Buffer
	if _, err := o.WriteRange(&buf, 1, 3); err != nil || buf.String() != "irs" {
		t.Fatalf("snapshot read %q, %v", buf.String(), err)
	}
	o.Close()
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after the reader closed, want 1", n)
	}
}

func TestConcurrentOverwritesKeepOneBlob(t *testing.T) {
	s, dir := newStore(t)
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := put(t, s, "k", fmt.Sprintf("v%02d", i), storage.PutOptions{}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got := read(t, s, "b", "k")
	if len(got) != 3 || got[0] != 'v' {
		t.Fatalf("read %q", got)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs, want 1", n)
	}
}

func TestConcurrentWritesShareCommits(t *testing.T) {
	s, _ := newStore(t)
	before := s.batches.Load()
	var wg sync.WaitGroup
	const n = 64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := put(t, s, fmt.Sprintf("k%d", i), "v", storage.PutOptions{}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if got := s.batches.Load() - before; got >= n {
		t.Fatalf("%d index commits for %d concurrent writes: they were not batched", got, n)
	} else {
		t.Logf("%d concurrent writes in %d index commits", n, got)
	}
}

func TestStartupCollectsGarbage(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b", "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "keep", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: a temp file, an orphan blob, and an index not
	// marked clean.
	orphan := s.data.newID()
	mustWrite(t, filepath.Join(dir, "data", "blobs", orphan[:2], orphan), "orphan")
	mustWrite(t, filepath.Join(dir, "data", "tmp", s.data.newID()), "partial")
	partOrphan := s.parts.newID()
	mustWrite(t, filepath.Join(dir, "data", "multipart", "blobs", partOrphan[1:3], partOrphan), "orphan part")
	db, err := bolt.Open(filepath.Join(dir, "index.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Delete(keyClean) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = openStore(t, dir)
	defer s.Close()
	if got := read(t, s, "b", "k"); got != "keep" {
		t.Fatalf("read %q", got)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after recovery, want 1", n)
	}
	if parts := files(t, filepath.Join(dir, "data", "multipart", "blobs")); len(parts) != 0 {
		t.Fatalf("orphan parts survived: %v", parts)
	}
	if tmp := files(t, filepath.Join(dir, "data", "tmp")); len(tmp) != 0 {
		t.Fatalf("temp files survived start-up: %v", tmp)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	s, dir := newStore(t)
	_ = s
	_, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db")})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second open: %v", err)
	}
}

func TestMultiBlobRanges(t *testing.T) {
	// A manifest of several blobs reads as their concatenation, across
	// boundaries, as multipart objects will.
	s, _ := newStore(t)
	parts := []string{"abc", "defgh", "", "ij"}
	rec := &objectRecord{}
	for _, p := range parts {
		b, err := s.writeBlob(s.parts, strings.NewReader(p), int64(len(p)), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec.Blobs = append(rec.Blobs, blobRef{ID: b.id, Size: b.size})
		rec.Size += b.size
	}
	rec.ETag = "x"
	if _, err := s.commitObject("b", "m", rec, nil, storage.Conditions{}, "", ""); err != nil {
		t.Fatal(err)
	}
	whole := strings.Join(parts, "")
	o, err := s.OpenObject(context.Background(), "b", "m")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for off := int64(0); off <= int64(len(whole)); off++ {
		for n := int64(0); off+n <= int64(len(whole)); n++ {
			var buf bytes.Buffer
			if _, err := o.WriteRange(&buf, off, n); err != nil {
				t.Fatal(err)
			}
			if buf.String() != whole[off:off+n] {
				t.Fatalf("range %d+%d = %q, want %q", off, n, buf.String(), whole[off:off+n])
			}
		}
	}
	r := o.(*object).reader()
	all, err := io.ReadAll(r)
	if err != nil || string(all) != whole {
		t.Fatalf("reader = %q, %v", all, err)
	}
}

func TestInlineObjects(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), Fsync: true, InlineMaxBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.CreateBucket(ctx, "b", "p")
	if _, err := put(t, s, "small", "0123456789", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 0 {
		t.Fatalf("%d blob files for an inline object", n)
	}
	o, err := s.OpenObject(ctx, "b", "small")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	o.WriteRange(&buf, 3, 4)
	r, _ := io.ReadAll(o.Reader(8, 2))
	o.Close()
	if buf.String() != "3456" || string(r) != "89" {
		t.Fatalf("ranges %q %q", buf.String(), r)
	}
	// Inline to file and back: each version's bytes go with it.
	if _, err := put(t, s, "small", strings.Repeat("x", 100), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blob files after growing past the inline limit", n)
	}
	if _, err := put(t, s, "small", "tiny", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 0 || read(t, s, "b", "small") != "tiny" {
		t.Fatalf("%d blob files, read %q", n, read(t, s, "b", "small"))
	}
	// Failed inline writes store nothing; a copy of an inline object works.
	bad := md5.Sum([]byte("other"))
	if _, err := put(t, s, "small", "data", storage.PutOptions{ContentMD5: bad[:]}); !errors.Is(err, storage.ErrBadDigest) {
		t.Fatalf("bad digest: %v", err)
	}
	if _, err := s.PutObject(ctx, "b", "short", strings.NewReader("ab"), storage.PutOptions{Size: 5}); !errors.Is(err, storage.ErrIncompleteBody) {
		t.Fatalf("short body: %v", err)
	}
	if _, err := s.CopyObject(ctx, storage.ObjectRef{Bucket: "b", Key: "small"}, storage.ObjectRef{Bucket: "b", Key: "copy"}, storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "b", "copy"); got != "tiny" {
		t.Fatalf("copy read %q", got)
	}
	if _, err := s.DeleteObjects(ctx, "b", []storage.ObjectDelete{{Key: "small"}, {Key: "copy"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StatObject(ctx, "b", "small"); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Fatalf("deleted: %v", err)
	}
}
