package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

func putPart(t *testing.T, s *Store, key, id string, n int, body string) storage.Part {
	t.Helper()
	p, err := s.PutPart(context.Background(), "b", key, id, n, strings.NewReader(body), storage.PartOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("part %d: %v", n, err)
	}
	return p
}

func partFiles(t *testing.T, dir string) int {
	return len(files(t, filepath.Join(dir, "data", "multipart", "blobs")))
}

func TestMultipartLifecycle(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{Owner: "p1", Metadata: storage.Metadata{ContentType: "text/x"}})
	if err != nil {
		t.Fatal(err)
	}
	p1 := putPart(t, s, "k", up.ID, 1, "aaaa")
	putPart(t, s, "k", up.ID, 2, "old")
	p2 := putPart(t, s, "k", up.ID, 2, "bb") // replaces the first part 2
	p3 := putPart(t, s, "k", up.ID, 3, "unused")
	if n := partFiles(t, dir); n != 3 {
		t.Fatalf("%d part files, want 3 (a re-uploaded part replaces the old)", n)
	}
	if _, err := s.StatObject(ctx, "b", "k"); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Fatalf("object visible before completion: %v", err)
	}
	list, err := s.ListParts(ctx, "b", "k", up.ID, 0, 2)
	if err != nil || len(list.Parts) != 2 || !list.Truncated || list.Next != 2 {
		t.Fatalf("ListParts page 1: %+v %v", list, err)
	}
	list, err = s.ListParts(ctx, "b", "k", up.ID, list.Next, 2)
	if err != nil || len(list.Parts) != 1 || list.Parts[0].Number != 3 || list.Truncated {
		t.Fatalf("ListParts page 2: %+v %v", list, err)
	}

	complete := func(parts ...storage.Part) error {
		var cps []storage.CompletedPart
		for _, p := range parts {
			cps = append(cps, storage.CompletedPart{Number: p.Number, ETag: p.ETag})
		}
		_, err := s.CompleteUpload(ctx, "b", "k", up.ID, cps, storage.CompleteOptions{MinPartSize: 3})
		return err
	}
	if err := complete(p2, p1); !errors.Is(err, storage.ErrInvalidPartOrder) {
		t.Fatalf("out of order: %v", err)
	}
	if err := complete(p1, p1); !errors.Is(err, storage.ErrInvalidPartOrder) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := complete(p1, storage.Part{Number: 2, ETag: "0123"}); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("wrong ETag: %v", err)
	}
	if err := complete(p1, storage.Part{Number: 9, ETag: p1.ETag}); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("missing part: %v", err)
	}
	if err := complete(p2, p3); !errors.Is(err, storage.ErrEntityTooSmall) {
		t.Fatalf("small non-last part: %v", err)
	}
	if _, err := s.CompleteUpload(ctx, "b", "other", up.ID, nil, storage.CompleteOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("upload bound to another key: %v", err)
	}
	if err := complete(p1, p2); err != nil {
		t.Fatal(err)
	}
	info, err := s.StatObject(ctx, "b", "k")
	if err != nil || info.Size != 6 || info.ContentType != "text/x" || info.PartsCount != 2 {
		t.Fatalf("info = %+v, %v", info, err)
	}
	m1, _ := hex.DecodeString(p1.ETag)
	m2, _ := hex.DecodeString(p2.ETag)
	sum := md5.Sum(append(m1, m2...))
	if want := hex.EncodeToString(sum[:]) + "-2"; info.ETag != want {
		t.Fatalf("ETag %s, want %s", info.ETag, want)
	}
	if got := read(t, s, "b", "k"); got != "aaaabb" {
		t.Fatalf("read %q", got)
	}
	if n := partFiles(t, dir); n != 2 {
		t.Fatalf("%d part files after completion, want 2 (the unused part must go)", n)
	}
	if _, err := s.GetUpload(ctx, "b", "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("upload still there after completion: %v", err)
	}
	// Overwriting the object frees its parts.
	if _, err := put(t, s, "k", "plain", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := partFiles(t, dir); n != 0 {
		t.Fatalf("%d part files after overwrite, want 0", n)
	}
}

func TestAbortAndDeleteBucketFreeParts(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	putPart(t, s, "k", up.ID, 1, "x")
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatalf("second abort: %v, want success as for the first", err)
	}
	if _, err := s.PutPart(ctx, "b", "k", up.ID, 2, strings.NewReader("y"), storage.PartOptions{Size: 1}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("part after abort: %v", err)
	}
	up2, _ := s.CreateUpload(ctx, "b", "k2", storage.UploadOptions{})
	putPart(t, s, "k2", up2.ID, 1, "z")
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("delete bucket with an upload in progress: %v", err)
	}
	if n := partFiles(t, dir); n != 0 {
		t.Fatalf("%d part files left", n)
	}
}

func TestListUploads(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var all []string
	for _, k := range []string{"a/1", "a/2", "b", "b", "c/x/y", "\x00odd"} {
		up, err := s.CreateUpload(ctx, "b", k, storage.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, k+"#"+up.ID)
		time.Sleep(time.Millisecond) // distinct initiation times
	}
	// Byte order of keys, then initiation order.
	want := []string{all[5], all[0], all[1], all[2], all[3], all[4]}
	for size := 1; size <= 7; size++ {
		var got []string
		opts := storage.ListUploadsOptions{Limit: size}
		for i := 0; ; i++ {
			if i > 10 {
				t.Fatal("paging does not end")
			}
			l, err := s.ListUploads(ctx, "b", opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range l.Uploads {
				got = append(got, u.Key+"#"+u.ID)
			}
			if !l.Truncated {
				break
			}
			opts.KeyMarker, opts.IDMarker = l.NextKey, l.NextID
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("size %d:\n got %q\nwant %q", size, got, want)
		}
	}
	l, err := s.ListUploads(ctx, "b", storage.ListUploadsOptions{Delimiter: "/", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(l.CommonPrefixes) != "[a/ c/]" || len(l.Uploads) != 3 {
		t.Fatalf("delimited: %v %d uploads", l.CommonPrefixes, len(l.Uploads))
	}
	l, err = s.ListUploads(ctx, "b", storage.ListUploadsOptions{Delimiter: "/", KeyMarker: "a/", Limit: 100})
	if err != nil || fmt.Sprint(l.CommonPrefixes) != "[c/]" {
		t.Fatalf("after the prefix a/: %v %v", l.CommonPrefixes, err)
	}
	l, err = s.ListUploads(ctx, "b", storage.ListUploadsOptions{Prefix: "a/", Limit: 100})
	if err != nil || len(l.Uploads) != 2 {
		t.Fatalf("prefix: %+v %v", l, err)
	}
}

func TestCollectUploads(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "old", storage.UploadOptions{})
	putPart(t, s, "old", up.ID, 1, "x")
	cutoff := time.Now()
	fresh, _ := s.CreateUpload(ctx, "b", "new", storage.UploadOptions{})
	n, err := s.CollectUploads(ctx, cutoff)
	if err != nil || n != 1 {
		t.Fatalf("collected %d, %v", n, err)
	}
	if _, err := s.GetUpload(ctx, "b", "new", fresh.ID); err != nil {
		t.Fatalf("fresh upload collected: %v", err)
	}
	if n := partFiles(t, dir); n != 0 {
		t.Fatalf("%d part files left", n)
	}
}

func TestMultipartChecksums(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, typ := range []string{"COMPOSITE", "FULL_OBJECT"} {
		up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{ChecksumAlgorithm: "crc32", ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		var cps []storage.CompletedPart
		for i, body := range []string{"hello ", "world"} {
			sums := map[string]string{"crc32": crc32b64(body)}
			p, err := s.PutPart(ctx, "b", "k", up.ID, i+1, strings.NewReader(body), storage.PartOptions{
				Size: int64(len(body)), LateChecksums: func() map[string]string { return sums },
			})
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, storage.CompletedPart{Number: p.Number, ETag: p.ETag, Checksums: sums})
		}
		info, err := s.CompleteUpload(ctx, "b", "k", up.ID, cps, storage.CompleteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := info.Checksums["crc32"]
		if typ == "FULL_OBJECT" && got != crc32b64("hello world") {
			t.Errorf("full-object CRC32 %s, want %s", got, crc32b64("hello world"))
		}
		if typ == "COMPOSITE" && !strings.HasSuffix(got, "-2") {
			t.Errorf("composite checksum %s lacks the part count", got)
		}
		if info.ChecksumType != typ {
			t.Errorf("type %s, want %s", info.ChecksumType, typ)
		}
	}
}

func TestMultipartObjectReader(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	p1 := putPart(t, s, "k", up.ID, 1, "0123")
	p2 := putPart(t, s, "k", up.ID, 7, "4567")
	if _, err := s.CompleteUpload(ctx, "b", "k", up.ID, []storage.CompletedPart{{Number: 1, ETag: p1.ETag}, {Number: 7, ETag: p2.ETag}}, storage.CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := s.OpenObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if fmt.Sprint(o.Parts()) != "[{1 4} {7 4}]" {
		t.Fatalf("parts %v", o.Parts())
	}
	for off := int64(0); off <= 8; off++ {
		for n := int64(0); off+n <= 8; n++ {
			b, err := io.ReadAll(o.Reader(off, n))
			if err != nil || !bytes.Equal(b, []byte("01234567"[off:off+n])) {
				t.Fatalf("Reader(%d,%d) = %q, %v", off, n, b, err)
			}
		}
	}
}

func crc32b64(s string) string {
	h := checksum.New("crc32")
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Regression tests for the review's findings.
func TestReviewRegressions(t *testing.T) {
	s, _ := newStore(t) // bucket "b" owned by p1
	ctx := context.Background()

	// A write of another project into an existing bucket is refused at
	// commit, even when it raced the bucket's creation.
	if _, err := s.PutObject(ctx, "b", "k", strings.NewReader("x"), storage.PutOptions{Size: 1, Owner: "p2", CreateBucketFor: "p2"}); !errors.Is(err, storage.ErrNotOwner) {
		t.Fatalf("other project's PUT: %v", err)
	}
	if _, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{Owner: "p2"}); !errors.Is(err, storage.ErrNotOwner) {
		t.Fatalf("other project's upload: %v", err)
	}
	// A conditional write that is refused creates no bucket.
	if _, err := s.PutObject(ctx, "ghost", "k", strings.NewReader("x"), storage.PutOptions{Size: 1, CreateBucketFor: "p1", Conditions: storage.Conditions{IfMatch: "0123"}}); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("If-Match into a missing bucket: %v", err)
	}
	if _, err := s.Bucket(ctx, "ghost"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatal("a refused conditional write created the bucket")
	}
	// Part numbers outside 1..10000 never reach the index.
	up, _ := s.CreateUpload(ctx, "b", "mp", storage.UploadOptions{Owner: "p1"})
	p1 := putPart(t, s, "mp", up.ID, 1, "aaaa")
	if _, err := s.PutPart(ctx, "b", "mp", up.ID, 1<<32+1, strings.NewReader("x"), storage.PartOptions{Size: 1}); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("part number 2^32+1: %v", err)
	}
	if _, err := s.CompleteUpload(ctx, "b", "mp", up.ID, []storage.CompletedPart{{Number: 1, ETag: p1.ETag}, {Number: 1<<32 + 1, ETag: p1.ETag}}, storage.CompleteOptions{}); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("complete naming part 2^32+1: %v", err)
	}
	// ListParts with a limit of 0 answers, truncated, without panicking.
	if l, err := s.ListParts(ctx, "b", "mp", up.ID, 0, 0); err != nil || len(l.Parts) != 0 || !l.Truncated {
		t.Fatalf("ListParts limit 0: %+v %v", l, err)
	}
}

func TestCopyDropsCompositeChecksums(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "src", storage.UploadOptions{ChecksumAlgorithm: "crc32", ChecksumType: "COMPOSITE"})
	sums := map[string]string{"crc32": crc32b64("abc")}
	p, err := s.PutPart(ctx, "b", "src", up.ID, 1, strings.NewReader("abc"), storage.PartOptions{Size: 3, LateChecksums: func() map[string]string { return sums }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteUpload(ctx, "b", "src", up.ID, []storage.CompletedPart{{Number: 1, ETag: p.ETag}}, storage.CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := s.CopyObject(ctx, storage.ObjectRef{Bucket: "b", Key: "src"}, storage.ObjectRef{Bucket: "b", Key: "dst"}, storage.CopyOptions{})
	if err != nil || len(info.Checksums) != 0 {
		t.Fatalf("copy of a composite-checksum object: %+v %v", info.Checksums, err)
	}
}

// TestFinishedUploadsAnswerRetries: a Complete or Abort repeated after it
// succeeded gets the first answer, from a record written in the commit that
// finished the upload (so a restart keeps it), until CollectUploads forgets
// it.
func TestFinishedUploadsAnswerRetries(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	complete := func(s *Store, key, id string, parts ...storage.Part) (storage.ObjectInfo, error) {
		var cps []storage.CompletedPart
		for _, p := range parts {
			cps = append(cps, storage.CompletedPart{Number: p.Number, ETag: p.ETag, Checksums: p.Checksums})
		}
		return s.CompleteUpload(ctx, "b", key, id, cps, storage.CompleteOptions{})
	}
	up, _ := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	p1 := putPart(t, s, "k", up.ID, 1, "one")
	p2 := putPart(t, s, "k", up.ID, 2, "two")
	first, err := complete(s, "k", up.ID, p1)
	if err != nil {
		t.Fatal(err)
	}
	// A restart in between: the record is durable with the object.
	s.Close()
	s = openStore(t, dir)
	t.Cleanup(func() { s.Close() })
	again, err := complete(s, "k", up.ID, p1)
	if err != nil || again.ETag != first.ETag || !again.LastModified.Equal(first.LastModified) || again.Size != 3 {
		t.Fatalf("retried completion = %+v, %v; want %+v", again, err, first)
	}
	for name, retry := range map[string]func() error{
		"other parts":      func() error { _, err := complete(s, "k", up.ID, p2); return err },
		"more parts":       func() error { _, err := complete(s, "k", up.ID, p1, p2); return err },
		"other key":        func() error { _, err := complete(s, "k2", up.ID, p1); return err },
		"bad id":           func() error { _, err := complete(s, "k", "zz", p1); return err },
		"abort, other key": func() error { return s.AbortUpload(ctx, "b", "k2", up.ID) },
	} {
		if err := retry(); !errors.Is(err, storage.ErrNoSuchUpload) {
			t.Errorf("%s: %v, want ErrNoSuchUpload", name, err)
		}
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatalf("abort after completion: %v", err)
	}
	if got := read(t, s, "b", "k"); got != "one" {
		t.Fatalf("object after the abort: %q", got)
	}
	// Once the key holds another object the completion is not repeated.
	if _, err := put(t, s, "k", "newer", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := complete(s, "k", up.ID, p1); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("retry after an overwrite: %v", err)
	}
	if got := read(t, s, "b", "k"); got != "newer" {
		t.Fatalf("object after the refused retry: %q", got)
	}

	// An aborted upload: aborting again succeeds, completing does not.
	ab, _ := s.CreateUpload(ctx, "b", "a", storage.UploadOptions{})
	pa := putPart(t, s, "a", ab.ID, 1, "x")
	for i := 0; i < 2; i++ {
		if err := s.AbortUpload(ctx, "b", "a", ab.ID); err != nil {
			t.Fatalf("abort %d: %v", i+1, err)
		}
	}
	if _, err := complete(s, "a", ab.ID, pa); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("complete after abort: %v", err)
	}

	// CollectUploads forgets what finished before its cutoff.
	if _, err := s.CollectUploads(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "a", ab.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("abort once forgotten: %v", err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("abort of a completion once forgotten: %v", err)
	}
}

// TestForgetDoneInBatches: more finished uploads than one commit takes are
// all forgotten, and DeleteBucket drops its bucket's records.
func TestForgetDoneInBatches(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < maxBatch+3; i++ {
		up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, up.ID)
	}
	keep, _ := s.CreateUpload(ctx, "b", "kept", storage.UploadOptions{})
	cutoff := time.Now()
	if err := s.AbortUpload(ctx, "b", "kept", keep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CollectUploads(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ids[0], ids[maxBatch], ids[len(ids)-1]} {
		if err := s.AbortUpload(ctx, "b", "k", id); !errors.Is(err, storage.ErrNoSuchUpload) {
			t.Fatalf("upload %s not forgotten: %v", id, err)
		}
	}
	if err := s.AbortUpload(ctx, "b", "kept", keep.ID); err != nil {
		t.Fatalf("upload finished after the cutoff forgotten: %v", err)
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "b", "p1"); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "kept", keep.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("record outlived its bucket: %v", err)
	}
}

// TestPartsDigest: the digest tells apart lists that differ in any part's
// number, ETag or checksums, and ignores the order of a part's checksums.
func TestPartsDigest(t *testing.T) {
	base := []storage.CompletedPart{{Number: 1, ETag: "e1", Checksums: map[string]string{"crc32": "a", "sha1": "b"}}}
	same := []storage.CompletedPart{{Number: 1, ETag: "e1", Checksums: map[string]string{"sha1": "b", "crc32": "a"}}}
	if partsDigest(base) != partsDigest(same) {
		t.Fatal("checksum order changes the digest")
	}
	for _, other := range [][]storage.CompletedPart{
		{{Number: 2, ETag: "e1", Checksums: base[0].Checksums}},
		{{Number: 1, ETag: "e2", Checksums: base[0].Checksums}},
		{{Number: 1, ETag: "e1", Checksums: map[string]string{"crc32": "a"}}},
		{{Number: 1, ETag: "e1", Checksums: map[string]string{"crc32": "a", "sha1": "c"}}},
		append(append([]storage.CompletedPart{}, base...), storage.CompletedPart{Number: 2, ETag: "e2"}),
		{{Number: 1, ETag: "e1 crc32=a", Checksums: map[string]string{"sha1": "b"}}},
	} {
		if partsDigest(other) == partsDigest(base) {
			t.Errorf("%+v has the digest of %+v", other, base)
		}
	}
}

// TestForgetDoneCutoffIsStrict: an upload that finished exactly at the
// cutoff is kept; CollectUploads forgets what finished before it.
func TestForgetDoneCutoffIsStrict(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatal(err)
	}
	var at int64
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getDone(tx, "b", "k", up.ID)
		if rec != nil {
			at = rec.At
		}
		return err
	})
	if err != nil || at == 0 {
		t.Fatalf("no record: %v", err)
	}
	if _, err := s.CollectUploads(ctx, time.Unix(0, at)); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatalf("record finished at the cutoff forgotten: %v", err)
	}
	if _, err := s.CollectUploads(ctx, time.Unix(0, at+1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("record finished before the cutoff kept: %v", err)
	}
}
