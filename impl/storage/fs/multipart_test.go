package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

func completeParts(s *Store, key, id string, parts ...storage.Part) (storage.ObjectInfo, error) {
	var cps []storage.CompletedPart
	for _, p := range parts {
		cps = append(cps, storage.CompletedPart{Number: p.Number, ETag: p.ETag, Checksums: p.Checksums})
	}
	return s.CompleteUpload(context.Background(), "b", key, id, cps, storage.CompleteOptions{})
}

func partFiles(t *testing.T, dir string) int {
	return len(files(t, filepath.Join(dir, "data", "multipart", "blobs")))
}

// TestPartFiles: a part is a file of the multipart root; a replaced or
// unused part's file goes, and completion keeps the rest as the object's
// bytes until the object is replaced.
func TestPartFiles(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p1 := putPart(t, s, "k", up.ID, 1, "aaaa")
	putPart(t, s, "k", up.ID, 2, "old")
	p2 := putPart(t, s, "k", up.ID, 2, "bb") // replaces the first part 2
	putPart(t, s, "k", up.ID, 3, "unused")
	if _, err := s.PutPart(ctx, "b", "k", up.ID, 4, &endError{strings.NewReader("bad"), errors.New("boom")}, storage.PartOptions{Size: 3}); err == nil {
		t.Fatal("a failing part was stored")
	}
	if n := partFiles(t, dir); n != 3 {
		t.Fatalf("%d part files, want 3 (a re-uploaded part replaces the old, a failed one leaves none)", n)
	}
	if tmp := files(t, filepath.Join(dir, "data", "multipart", "tmp")); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
	if _, err := completeParts(s, "k", up.ID, p1, p2); err != nil {
		t.Fatal(err)
	}
	if n := partFiles(t, dir); n != 2 {
		t.Fatalf("%d part files after completion, want 2 (the unused part must go)", n)
	}
	if got := read(t, s, "b", "k"); got != "aaaabb" {
		t.Fatalf("read %q", got)
	}
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
	if n := partFiles(t, dir); n != 0 {
		t.Fatalf("%d part files after abort", n)
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

// TestMultipartObjectParts: a multipart object's parts keep the numbers
// they were uploaded with, gaps included, and read across their files.
func TestMultipartObjectParts(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	p1 := putPart(t, s, "k", up.ID, 1, "0123")
	p2 := putPart(t, s, "k", up.ID, 7, "4567")
	if _, err := completeParts(s, "k", up.ID, p1, p2); err != nil {
		t.Fatal(err)
	}
	o, err := s.open("b", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if got := fmt.Sprint(o.rec.parts()); got != "[{1 4} {7 4}]" {
		t.Fatalf("parts %v", got)
	}
	for off := int64(0); off <= 8; off++ {
		for n := int64(0); off+n <= 8; n++ {
			b, err := io.ReadAll(o.rangeReader(off, n))
			if err != nil || string(b) != "01234567"[off:off+n] {
				t.Fatalf("rangeReader(%d,%d) = %q, %v", off, n, b, err)
			}
		}
	}
}

// TestListUploadsEscapesKeys: keys holding NUL bytes, which the index
// escapes to keep key and upload id apart, list in key order.
func TestListUploadsEscapesKeys(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var want []string
	for _, k := range []string{"\x00odd", "a", "a\x00", "a\x00\x00b", "a\x01", "b"} {
		up, err := s.CreateUpload(ctx, "b", k, storage.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, k+"#"+up.ID)
	}
	for size := 1; size <= len(want)+1; size++ {
		var got []string
		opts := storage.ListUploadsOptions{Limit: size}
		for i := 0; ; i++ {
			if i > len(want) {
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
	for _, c := range []struct {
		marker string
		want   int // uploads after it
	}{{"a", 4}, {"a\x00", 3}, {"\x00", 6}, {"\x00odd", 5}} {
		l, err := s.ListUploads(ctx, "b", storage.ListUploadsOptions{KeyMarker: c.marker, Limit: 100})
		if err != nil || len(l.Uploads) != c.want {
			t.Errorf("after key %q: %d uploads, %v; want %d", c.marker, len(l.Uploads), err, c.want)
		}
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

// TestPartNumberBounds: part numbers outside 1..10000 never reach the
// index (its keys hold 32 bits), and ListParts with a limit of 0 answers.
func TestPartNumberBounds(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "mp", storage.UploadOptions{})
	p1 := putPart(t, s, "mp", up.ID, 1, "aaaa")
	for _, n := range []int{0, -1, 10001, 1<<32 + 1} {
		if _, err := s.PutPart(ctx, "b", "mp", up.ID, n, strings.NewReader("x"), storage.PartOptions{Size: 1}); !errors.Is(err, storage.ErrInvalidPart) {
			t.Errorf("part number %d: %v", n, err)
		}
		if _, err := s.CompleteUpload(ctx, "b", "mp", up.ID, []storage.CompletedPart{{Number: 1, ETag: p1.ETag}, {Number: n, ETag: p1.ETag}}, storage.CompleteOptions{}); err == nil {
			t.Errorf("complete naming part %d succeeded", n)
		}
	}
	if l, err := s.ListParts(ctx, "b", "mp", up.ID, 0, 0); err != nil || len(l.Parts) != 0 || !l.Truncated {
		t.Fatalf("ListParts limit 0: %+v %v", l, err)
	}
}

// TestFinishedUploadsSurviveRestart: the record that answers a repeated
// Complete or Abort is written in the commit that finished the upload, so
// a restart keeps it, until CollectUploads forgets it.
func TestFinishedUploadsSurviveRestart(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	up, _ := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{})
	p1 := putPart(t, s, "k", up.ID, 1, "one")
	first, err := completeParts(s, "k", up.ID, p1)
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := s.CreateUpload(ctx, "b", "a", storage.UploadOptions{})
	if err := s.AbortUpload(ctx, "b", "a", ab.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir)
	t.Cleanup(func() { s.Close() })
	again, err := completeParts(s, "k", up.ID, p1)
	if err != nil || again.ETag != first.ETag || !again.LastModified.Equal(first.LastModified) {
		t.Fatalf("retried completion after a restart = %+v, %v; want %+v", again, err, first)
	}
	if err := s.AbortUpload(ctx, "b", "a", ab.ID); err != nil {
		t.Fatalf("repeated abort after a restart: %v", err)
	}
	if _, err := s.CollectUploads(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortUpload(ctx, "b", "a", ab.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("abort once forgotten: %v", err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("abort of a completion once forgotten: %v", err)
	}
	if _, err := completeParts(s, "k", up.ID, p1); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("completion once forgotten: %v", err)
	}
	if got := read(t, s, "b", "k"); got != "one" {
		t.Fatalf("object after forgetting: %q", got)
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
	if err := s.CreateBucket(ctx, "b"); err != nil {
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
