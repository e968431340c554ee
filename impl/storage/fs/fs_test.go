package fs

import (
	"bytes"
	"context"
	"crypto/md5"
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

// The behaviour every backend owes the API layer is checked by
// storagetest (contract_test.go). The tests here are about how this one
// keeps it: files, the index, crashes, pins and group commits.

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newStore opens a store with a bucket "b".
func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir)
	t.Cleanup(func() { s.Close() })
	if err := s.CreateBucket(context.Background(), "b"); err != nil {
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
	o, err := s.OpenObject(context.Background(), bucket, key, storage.ReadOptions{})
	if err != nil {
		t.Fatalf("open %s/%s: %v", bucket, key, err)
	}
	defer o.Close()
	var buf bytes.Buffer
	if _, err := o.WriteTo(&buf); err != nil {
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

func TestOverwriteRemovesTheOldBlob(t *testing.T) {
	s, dir := newStore(t)
	for _, body := range []string{"hello", "bye"} {
		if _, err := put(t, s, "k", body, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(t, s, "b", "k"); got != "bye" {
		t.Fatalf("after overwrite read %q", got)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after overwrite, want 1 (the replaced one must be removed)", n)
	}
}

// endError returns its data, then err instead of io.EOF: a verifying
// reader whose check fails at the end of the body.
type endError struct {
	r   io.Reader
	err error
}

func (e *endError) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		err = e.err
	}
	return n, err
}

// TestFailedWritesLeaveNoFiles: a refused write removes its temp file and
// its blob, inline or not.
func TestFailedWritesLeaveNoFiles(t *testing.T) {
	wrongMD5 := md5.Sum([]byte("other"))
	boom := errors.New("boom")
	cases := []struct {
		name string
		body func() io.Reader
		opts storage.PutOptions
	}{
		{"bad digest", func() io.Reader { return strings.NewReader("data") }, storage.PutOptions{Size: 4, ContentMD5: wrongMD5[:]}},
		{"too large", func() io.Reader { return strings.NewReader("0123456789") }, storage.PutOptions{Size: -1, MaxSize: 5}},
		{"short body", func() io.Reader { return strings.NewReader("abc") }, storage.PutOptions{Size: 10}},
		{"read error", func() io.Reader { return iotest.ErrReader(boom) }, storage.PutOptions{Size: -1}},
		{"error at the end", func() io.Reader { return &endError{strings.NewReader("data"), boom} }, storage.PutOptions{Size: 4}},
		{"error at the end, size unknown", func() io.Reader { return &endError{strings.NewReader("data"), boom} }, storage.PutOptions{Size: -1}},
		{"precondition", func() io.Reader { return strings.NewReader("x") }, storage.PutOptions{Size: 1, Conditions: storage.Conditions{IfNoneMatch: true}}},
	}
	for _, inline := range []int64{0, 64} {
		t.Run(fmt.Sprintf("inline=%d", inline), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), InlineMaxBytes: inline})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateBucket(context.Background(), "b"); err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				key := fmt.Sprintf("k%d", i)
				if _, err := put(t, s, key, strings.Repeat("o", 100), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
				blobs := blobCount(t, dir)
				if _, err := s.PutObject(context.Background(), "b", key, c.body(), c.opts); err == nil {
					t.Fatalf("%s: the write succeeded", c.name)
				}
				if n := blobCount(t, dir); n != blobs {
					t.Errorf("%s: %d blobs, want %d", c.name, n, blobs)
				}
				if tmp := files(t, filepath.Join(dir, "data", "tmp")); len(tmp) != 0 {
					t.Errorf("%s: temp files left: %v", c.name, tmp)
				}
			}
		})
	}
}

// An open reader pins the blob it reads; the blob goes when the reader
// does.
func TestReaderPinsTheOldBlob(t *testing.T) {
	s, dir := newStore(t)
	if _, err := put(t, s, "k", "first", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := s.OpenObject(context.Background(), "b", "k", storage.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "second", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 2 {
		t.Fatalf("%d blobs while the old version is open, want 2", n)
	}
	o.Close()
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after the reader closed, want 1", n)
	}
	o.Close() // a second Close changes nothing
	if got := read(t, s, "b", "k"); got != "second" || blobCount(t, dir) != 1 {
		t.Fatalf("after a second Close: read %q, %d blobs", got, blobCount(t, dir))
	}
}

// A reader that outlives Close leaves the store marked unclean, so the
// next start collects the blob it pinned.
func TestCloseWithPinnedBlobs(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "first", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := s.OpenObject(ctx, "b", "k", storage.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "second", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	s = openStore(t, dir)
	defer s.Close()
	if got := read(t, s, "b", "k"); got != "second" {
		t.Fatalf("read %q", got)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blobs after the restart, want 1", n)
	}
}

func TestConcurrentOverwritesKeepOneBlob(t *testing.T) {
	s, dir := newStore(t)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if _, err := put(t, s, "k", fmt.Sprintf("v%02d", i), storage.PutOptions{}); err != nil {
				t.Error(err)
			}
		})
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
	for i := range n {
		wg.Go(func() {
			if _, err := put(t, s, fmt.Sprintf("k%d", i), "v", storage.PutOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := s.batches.Load() - before; got >= n {
		t.Fatalf("%d index commits for %d concurrent writes: they were not batched", got, n)
	} else {
		t.Logf("%d concurrent writes in %d index commits", n, got)
	}
}

// TestRefusalsShareABatch: a refused change fails alone; the changes
// batched with it commit.
func TestRefusalsShareABatch(t *testing.T) {
	s, _ := newStore(t)
	if _, err := put(t, s, "exists", "v", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 32)
	for i := range errs {
		wg.Go(func() {
			key, cond := fmt.Sprintf("k%d", i), storage.Conditions{}
			if i%2 == 0 {
				key, cond = "exists", storage.Conditions{IfNoneMatch: true}
			}
			_, errs[i] = put(t, s, key, "v", storage.PutOptions{Conditions: cond})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if want := i%2 == 0; errors.Is(err, storage.ErrPreconditionFailed) != want || (!want && err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
}

func TestStartupCollectsGarbage(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
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
	_, dir := newStore(t)
	_, err := Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db")})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second open: %v", err)
	}
}

func TestClosedStoreRefusesWrites(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", "v", storage.PutOptions{}); err == nil {
		t.Fatal("PutObject after Close succeeded")
	}
	if err := s.CreateBucket(context.Background(), "c"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("CreateBucket after Close: %v", err)
	}
	if err := s.Check(context.Background()); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Check after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestMultiBlobRanges(t *testing.T) {
	// A manifest of several blobs reads as their concatenation, across
	// boundaries, as multipart objects do.
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
	if _, err := s.commitObject("b", "m", rec, nil, storage.Conditions{}); err != nil {
		t.Fatal(err)
	}
	whole := strings.Join(parts, "")
	o, err := s.open("b", "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for off := int64(0); off <= int64(len(whole)); off++ {
		for n := int64(0); off+n <= int64(len(whole)); n++ {
			var buf bytes.Buffer
			if _, err := o.writeRange(&buf, off, n); err != nil {
				t.Fatal(err)
			}
			r, err := io.ReadAll(o.rangeReader(off, n))
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != whole[off:off+n] || string(r) != whole[off:off+n] {
				t.Fatalf("range %d+%d = %q and %q, want %q", off, n, buf.String(), r, whole[off:off+n])
			}
		}
	}
	all, err := io.ReadAll(o.reader())
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
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "small", "0123456789", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 0 {
		t.Fatalf("%d blob files for an inline object", n)
	}
	o, err := s.open("b", "small", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	o.writeRange(&buf, 3, 4)
	r, _ := io.ReadAll(o.rangeReader(8, 2))
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
	// A body of unknown size is never inline; a copy of an inline object
	// is.
	if _, err := put(t, s, "unsized", "tiny", storage.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blob files after a write of unknown size", n)
	}
	if _, err := s.CopyObject(ctx, storage.ObjectRef{Bucket: "b", Key: "small"}, storage.ObjectRef{Bucket: "b", Key: "copy"}, storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "b", "copy"); got != "tiny" || blobCount(t, dir) != 1 {
		t.Fatalf("copy read %q, %d blob files", got, blobCount(t, dir))
	}
	// Survives a restart.
	s.Close()
	s, err = Open(Options{DataDir: filepath.Join(dir, "data"), MetaFile: filepath.Join(dir, "index.db"), InlineMaxBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := read(t, s, "b", "copy"); got != "tiny" {
		t.Fatalf("after a restart read %q", got)
	}
}

// TestClaimsAndBuckets: the Store's claims (its tenancy.Registry) and its
// buckets are separate records; a bucket's creation time is its claim's.
func TestClaimsAndBuckets(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	if b, err := s.HeadBucket(ctx, "b"); err != nil || !b.Created.IsZero() {
		t.Fatalf("HeadBucket of a bucket without a claim = %+v, %v", b, err)
	}
	c, err := s.Claim(ctx, "c", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HeadBucket(ctx, "c"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("a claim made a bucket: %v", err)
	}
	if err := s.CreateBucket(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if b, err := s.HeadBucket(ctx, "c"); err != nil || !b.Created.Equal(c.Created) {
		t.Fatalf("HeadBucket = %+v, %v; want the claim's time %v", b, err, c.Created)
	}
	if err := s.DeleteBucket(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Owner(ctx, "c"); err != nil || got.Owner != "p1" {
		t.Fatalf("DeleteBucket released the claim: %+v, %v", got, err)
	}
	// A claim is durable with the rest of the index.
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	if got, err := s.Owner(ctx, "c"); err != nil || got != c {
		t.Fatalf("claim after a restart: %+v, %v; want %+v", got, err, c)
	}
}
