package mem_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
)

var ctx = context.Background()

func newStore(t *testing.T) *mem.Store {
	t.Helper()
	s := mem.New()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *mem.Store, key, body string) storage.ObjectInfo {
	t.Helper()
	info, err := s.PutObject(ctx, "b", key, strings.NewReader(body), storage.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

// read returns an object's selected bytes, or the error that refused them.
func read(s *mem.Store, key string, opts storage.ReadOptions) (string, error) {
	o, err := s.OpenObject(ctx, "b", key, opts)
	if err != nil {
		return "", err
	}
	defer o.Close()
	var buf bytes.Buffer
	_, err = o.WriteTo(&buf)
	return buf.String(), err
}

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// TestWritesCommitOnlyCleanBodies: a write whose body fails, in any way,
// leaves the key as it was; LateChecksums is asked only after the body ended.
func TestWritesCommitOnlyCleanBodies(t *testing.T) {
	errSig := errors.New("signature mismatch at the end")
	md5Of := func(s string) []byte { sum := md5.Sum([]byte(s)); return sum[:] }
	for _, tc := range []struct {
		name string
		body io.Reader
		opts storage.PutOptions
		want error // nil: the write commits "new"
	}{
		{"clean", strings.NewReader("new"), storage.PutOptions{Size: 3}, nil},
		{"unknown size", strings.NewReader("new"), storage.PutOptions{Size: -1, MaxSize: 3}, nil},
		{"content-md5", strings.NewReader("new"), storage.PutOptions{Size: 3, ContentMD5: md5Of("new")}, nil},
		{"error at the end", io.MultiReader(strings.NewReader("new"), iotest.ErrReader(errSig)), storage.PutOptions{Size: 3}, errSig},
		{"short", strings.NewReader("ne"), storage.PutOptions{Size: 3}, storage.ErrIncompleteBody},
		{"cut off", io.MultiReader(strings.NewReader("ne"), iotest.ErrReader(io.ErrUnexpectedEOF)), storage.PutOptions{Size: -1}, storage.ErrIncompleteBody},
		{"longer than declared", strings.NewReader("newer"), storage.PutOptions{Size: 3}, storage.ErrIncompleteBody},
		{"declared too large", strings.NewReader("new"), storage.PutOptions{Size: 3, MaxSize: 2}, storage.ErrTooLarge},
		{"declared too large, body short", strings.NewReader("new"), storage.PutOptions{Size: 10, MaxSize: 5}, storage.ErrTooLarge},
		{"grows too large", strings.NewReader("new"), storage.PutOptions{Size: -1, MaxSize: 2}, storage.ErrTooLarge},
		{"bad content-md5", strings.NewReader("new"), storage.PutOptions{Size: 3, ContentMD5: md5Of("old")}, storage.ErrBadDigest},
		{"if-none-match", strings.NewReader("new"), storage.PutOptions{Size: 3, Conditions: storage.Conditions{IfNoneMatch: true}}, storage.ErrPreconditionFailed},
		{"if-match other", strings.NewReader("new"), storage.PutOptions{Size: 3, Conditions: storage.Conditions{IfMatch: md5hex("x")}}, storage.ErrPreconditionFailed},
		{"if-match", strings.NewReader("new"), storage.PutOptions{Size: 3, Conditions: storage.Conditions{IfMatch: md5hex("old")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			put(t, s, "k", "old")
			var ended bool
			body := &eofSpy{r: tc.body, ended: &ended}
			tc.opts.LateChecksums = func() map[string]string {
				if !ended {
					t.Error("LateChecksums called before the body ended")
				}
				return map[string]string{"crc32": "late"}
			}
			info, err := s.PutObject(ctx, "b", "k", body, tc.opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("PutObject: %v, want %v", err, tc.want)
			}
			want := "old"
			if tc.want == nil {
				want = "new"
				if info.ETag != md5hex("new") || info.Size != 3 || info.Checksums["crc32"] != "late" || info.ChecksumType != "FULL_OBJECT" {
					t.Errorf("info = %+v", info)
				}
			}
			if got, err := read(s, "k", storage.ReadOptions{}); got != want || err != nil {
				t.Errorf("object = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// eofSpy records that its reader has returned io.EOF.
type eofSpy struct {
	r     io.Reader
	ended *bool
}

func (e *eofSpy) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		*e.ended = true
	}
	return n, err
}

func TestMissing(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"put", func() error {
			_, err := s.PutObject(ctx, "nb", "k", strings.NewReader(""), storage.PutOptions{})
			return err
		}, storage.ErrNoSuchBucket},
		{"open", func() error { _, err := s.OpenObject(ctx, "b", "k", storage.ReadOptions{}); return err }, storage.ErrNoSuchKey},
		{"list", func() error { _, err := s.ListObjects(ctx, "nb", storage.ListOptions{}); return err }, storage.ErrNoSuchBucket},
		{"uploads", func() error { _, err := s.ListUploads(ctx, "nb", storage.ListUploadsOptions{}); return err }, storage.ErrNoSuchBucket},
		{"upload", func() error { _, err := s.CreateUpload(ctx, "nb", "k", storage.UploadOptions{}); return err }, storage.ErrNoSuchBucket},
		{"parts", func() error { _, err := s.ListParts(ctx, "b", "k", "nope", 0, 10); return err }, storage.ErrNoSuchUpload},
		{"abort", func() error { return s.AbortUpload(ctx, "nb", "k", "nope") }, storage.ErrNoSuchUpload},
		{"create", func() error { return s.CreateBucket(ctx, "b") }, storage.ErrBucketExists},
		{"delete", func() error { return s.DeleteBucket(ctx, "nb") }, storage.ErrNoSuchBucket},
	} {
		if err := tc.call(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	put(t, s, "k", "x")
	if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, storage.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket of a full bucket: %v", err)
	}
}

func TestReads(t *testing.T) {
	s := newStore(t)
	info := put(t, s, "k", "0123456789")
	up, _ := s.CreateUpload(ctx, "b", "mp", storage.UploadOptions{})
	var list []storage.CompletedPart
	for i, body := range []string{"aaa", "bb", "c"} {
		p, err := s.PutPart(ctx, "b", "mp", up.ID, i+1, strings.NewReader(body), storage.PartOptions{Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, storage.CompletedPart{Number: p.Number, ETag: p.ETag})
	}
	if _, err := s.CompleteUpload(ctx, "b", "mp", up.ID, list, storage.CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rng := func(first, last int64) *storage.RangeSpec { return &storage.RangeSpec{First: first, Last: last} }
	for _, tc := range []struct {
		key  string
		opts storage.ReadOptions
		want string
		err  error
	}{
		{"k", storage.ReadOptions{}, "0123456789", nil},
		{"k", storage.ReadOptions{Range: rng(2, 4)}, "234", nil},
		{"k", storage.ReadOptions{Range: rng(7, -1)}, "789", nil},
		{"k", storage.ReadOptions{Range: &storage.RangeSpec{Suffix: 2, IsSuffix: true}}, "89", nil},
		{"k", storage.ReadOptions{Range: rng(10, 12)}, "", storage.ErrInvalidRange},
		{"k", storage.ReadOptions{PartNumber: 1}, "0123456789", nil},
		{"k", storage.ReadOptions{PartNumber: 2}, "", storage.ErrInvalidPartNumber},
		{"k", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: `"` + info.ETag + `"`}}, "0123456789", nil},
		{"k", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: `"other"`}}, "", storage.ErrPreconditionFailed},
		{"k", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfNoneMatch: "*"}}, "", storage.ErrNotModified},
		{"mp", storage.ReadOptions{}, "aaabbc", nil},
		{"mp", storage.ReadOptions{PartNumber: 2}, "bb", nil},
		{"mp", storage.ReadOptions{Range: rng(2, 3)}, "ab", nil},
		{"mp", storage.ReadOptions{PartNumber: 4}, "", storage.ErrInvalidPartNumber},
	} {
		got, err := read(s, tc.key, tc.opts)
		if got != tc.want || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("read %s %+v = %q, %v; want %q, %v", tc.key, tc.opts, got, err, tc.want, tc.err)
		}
		if _, sec, err := s.StatObject(ctx, "b", tc.key, tc.opts); !errors.Is(err, tc.err) || err == nil && sec.Length != int64(len(tc.want)) {
			t.Errorf("stat %s %+v = %+v, %v", tc.key, tc.opts, sec, err)
		}
	}
}

func TestSnapshotsAndDeletes(t *testing.T) {
	s := newStore(t)
	put(t, s, "k", "first")
	o, err := s.OpenObject(ctx, "b", "k", storage.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "k", "second")
	errs, err := s.DeleteObjects(ctx, "b", []storage.ObjectDelete{
		{Key: "k", IfMatch: md5hex("first")}, {Key: "absent"}, {Key: "absent", IfMatch: "*"},
	})
	if err != nil || !errors.Is(errs[0], storage.ErrPreconditionFailed) || errs[1] != nil || !errors.Is(errs[2], storage.ErrNoSuchKey) {
		t.Fatalf("DeleteObjects = %v, %v", errs, err)
	}
	var buf bytes.Buffer
	if _, err := o.WriteTo(&buf); err != nil || buf.String() != "first" {
		t.Fatalf("snapshot reads %q, %v", buf.String(), err)
	}
	errs, err = s.DeleteObjects(ctx, "b", []storage.ObjectDelete{{Key: "k", IfMatch: md5hex("second")}})
	if err != nil || errs[0] != nil {
		t.Fatalf("DeleteObjects = %v, %v", errs, err)
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("DeleteBucket once empty: %v", err)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	for _, k := range []string{"a", "b/1", "b/2", "c/x/1", "c/y", "d"} {
		put(t, s, k, k)
	}
	for _, tc := range []struct {
		opts storage.ListOptions
		want string // objects, then "|" and common prefixes; "+" when truncated
	}{
		{storage.ListOptions{Limit: 100}, "a b/1 b/2 c/x/1 c/y d|"},
		{storage.ListOptions{Delimiter: "/", Limit: 100}, "a d|b/ c/"},
		{storage.ListOptions{Prefix: "c/", Delimiter: "/", Limit: 100}, "c/y|c/x/"},
		{storage.ListOptions{Delimiter: "/", Limit: 2}, "a|b/+"},
		{storage.ListOptions{Delimiter: "/", StartAfter: "b/1", Limit: 100}, "d|c/"},
		{storage.ListOptions{StartAfter: "b/1", Cursor: "c/y", Limit: 100}, "d|"},
		{storage.ListOptions{Limit: 0}, "|+"},
	} {
		res, err := s.ListObjects(ctx, "b", tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		got := strings.Join(keys, " ") + "|" + strings.Join(res.CommonPrefixes, " ")
		if res.Truncated {
			got += "+"
		}
		if got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.opts, got, tc.want)
		}
	}
	// Paging with the cursor visits every entry once.
	var seen []string
	opts := storage.ListOptions{Delimiter: "/", Limit: 1}
	for range 10 { // more pages than entries: a cursor that does not advance
		res, err := s.ListObjects(ctx, "b", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			seen = append(seen, o.Key)
		}
		seen = append(seen, res.CommonPrefixes...)
		if !res.Truncated {
			break
		}
		opts.Cursor = res.Cursor
	}
	if want := []string{"a", "b/", "c/", "d"}; !slices.Equal(seen, want) {
		t.Errorf("pages: %v, want %v", seen, want)
	}
}

func TestMultipart(t *testing.T) {
	s := newStore(t)
	up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{Metadata: storage.Metadata{ContentType: "text/x"}})
	if err != nil {
		t.Fatal(err)
	}
	partOf := func(n int, body string) storage.CompletedPart {
		t.Helper()
		p, err := s.PutPart(ctx, "b", "k", up.ID, n, strings.NewReader(body), storage.PartOptions{Size: int64(len(body))})
		if err != nil {
			t.Fatalf("part %d: %v", n, err)
		}
		return storage.CompletedPart{Number: n, ETag: p.ETag}
	}
	p1, _, p2 := partOf(1, "aaaa"), partOf(2, "old"), partOf(2, "bb")
	partOf(3, "unused")
	if _, err := s.PutPart(ctx, "b", "other", up.ID, 1, strings.NewReader(""), storage.PartOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("part of an upload named with another key: %v", err)
	}
	if pl, err := s.ListParts(ctx, "b", "k", up.ID, 1, 1); err != nil || len(pl.Parts) != 1 || pl.Parts[0].ETag != md5hex("bb") || !pl.Truncated || pl.Next != 2 {
		t.Errorf("ListParts = %+v, %v", pl, err)
	}
	for _, tc := range []struct {
		list []storage.CompletedPart
		opts storage.CompleteOptions
		want error
	}{
		{[]storage.CompletedPart{p2, p1}, storage.CompleteOptions{}, storage.ErrInvalidPartOrder},
		{[]storage.CompletedPart{p1, {Number: 2, ETag: md5hex("old")}}, storage.CompleteOptions{}, storage.ErrInvalidPart},
		{[]storage.CompletedPart{p1, {Number: 4, ETag: p1.ETag}}, storage.CompleteOptions{}, storage.ErrInvalidPart},
		{[]storage.CompletedPart{p1, p2}, storage.CompleteOptions{MinPartSize: 5}, storage.ErrEntityTooSmall},
		{[]storage.CompletedPart{p1, p2}, storage.CompleteOptions{Check: func(storage.ObjectInfo) error { return storage.ErrTooLarge }}, storage.ErrTooLarge},
		{[]storage.CompletedPart{p1, p2}, storage.CompleteOptions{Conditions: storage.Conditions{IfMatch: "*"}}, storage.ErrNoSuchKey},
	} {
		if _, err := s.CompleteUpload(ctx, "b", "k", up.ID, tc.list, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("complete %v: %v, want %v", tc.list, err, tc.want)
		}
	}
	if _, err := s.GetUpload(ctx, "b", "k", up.ID); err != nil {
		t.Fatalf("a refused completion ended the upload: %v", err)
	}
	list := []storage.CompletedPart{p1, p2}
	info, err := s.CompleteUpload(ctx, "b", "k", up.ID, list, storage.CompleteOptions{MinPartSize: 4})
	raw1, _ := hex.DecodeString(md5hex("aaaa"))
	raw2, _ := hex.DecodeString(md5hex("bb"))
	wantETag := md5hex(string(raw1)+string(raw2)) + "-2"
	if err != nil || info.ETag != wantETag || info.Size != 6 || info.PartsCount != 2 || info.ContentType != "text/x" {
		t.Fatalf("complete = %+v, %v; want ETag %s", info, err, wantETag)
	}
	if got, _ := read(s, "k", storage.ReadOptions{}); got != "aaaabb" {
		t.Fatalf("object = %q", got)
	}
	// Retries get the first answer while the object is the key's.
	again, err := s.CompleteUpload(ctx, "b", "k", up.ID, list, storage.CompleteOptions{})
	if err != nil || again.ETag != info.ETag || !again.LastModified.Equal(info.LastModified) {
		t.Errorf("retried completion = %+v, %v", again, err)
	}
	if _, err := s.CompleteUpload(ctx, "b", "k", up.ID, list[:1], storage.CompleteOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("retry with other parts: %v", err)
	}
	if err := s.AbortUpload(ctx, "b", "k", up.ID); err != nil {
		t.Errorf("abort after completion: %v", err)
	}
	if err := s.AbortUpload(ctx, "b", "other", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("abort after completion, named with another key: %v", err)
	}
	if _, err := s.CompleteUpload(ctx, "b", "other", up.ID, list, storage.CompleteOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("retried completion named with another key: %v", err)
	}
	put(t, s, "k", "newer")
	if _, err := s.CompleteUpload(ctx, "b", "k", up.ID, list, storage.CompleteOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("retry after an overwrite: %v", err)
	}
	ab, _ := s.CreateUpload(ctx, "b", "a", storage.UploadOptions{})
	for i := range 2 {
		if err := s.AbortUpload(ctx, "b", "a", ab.ID); err != nil {
			t.Errorf("abort %d: %v", i+1, err)
		}
	}
	if _, err := s.GetUpload(ctx, "b", "a", ab.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("aborted upload: %v", err)
	}
}

// TestMultipartChecksums: a COMPOSITE upload's object carries the checksum
// of its parts' checksums, and an upload without an algorithm answers the
// whole object's CRC64NVME, whether its parts were uploaded or copied.
func TestMultipartChecksums(t *testing.T) {
	s := newStore(t)
	put(t, s, "src", "xxhello worldxx")
	sum := func(alg, data string) string {
		h := checksum.New(alg)
		h.Write([]byte(data))
		return base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	for _, tc := range []struct {
		alg, typ string
		wantAlg  string
		want     func(parts []string) string
	}{
		{"crc32", "COMPOSITE", "crc32", func(parts []string) string {
			var sums []string
			for _, p := range parts {
				sums = append(sums, sum("crc32", p))
			}
			v, _ := checksum.Composite("crc32", sums)
			return v
		}},
		{"crc32c", "FULL_OBJECT", "crc32c", func(parts []string) string { return sum("crc32c", strings.Join(parts, "")) }},
		{"", "", checksum.Default, func(parts []string) string { return sum(checksum.Default, strings.Join(parts, "")) }},
	} {
		t.Run(tc.alg+tc.typ, func(t *testing.T) {
			up, err := s.CreateUpload(ctx, "b", "k", storage.UploadOptions{ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			var exps []checksum.Expectation
			if tc.alg != "" {
				exps = []checksum.Expectation{{Alg: tc.alg}}
			}
			opts := storage.PartOptions{Size: 5}
			body := storage.PartChecksums(strings.NewReader("hello"), up, exps, &opts)
			p1, err := s.PutPart(ctx, "b", "k", up.ID, 1, body, opts)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := s.CopyPart(ctx, storage.ObjectRef{Bucket: "b", Key: "src"}, "b", "k", up.ID, 2,
				storage.CopyPartOptions{Ranged: true, First: 7, Last: 12})
			if err != nil || p2.Size != 6 || p2.ETag != md5hex(" world") {
				t.Fatalf("CopyPart = %+v, %v", p2, err)
			}
			_, err = s.CopyPart(ctx, storage.ObjectRef{Bucket: "b", Key: "src"}, "b", "k", up.ID, 3,
				storage.CopyPartOptions{Ranged: true, First: 10, Last: 20})
			if re := (*storage.RangeError)(nil); !errors.As(err, &re) || re.Size != 15 {
				t.Errorf("CopyPart of a range past the source, unchecked: %v", err)
			}
			list := []storage.CompletedPart{
				{Number: 1, ETag: p1.ETag, Checksums: p1.Checksums},
				{Number: 2, ETag: p2.ETag, Checksums: p2.Checksums},
			}
			info, err := s.CompleteUpload(ctx, "b", "k", up.ID, list, storage.CompleteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want([]string{"hello", " world"})
			wantType := cmp.Or(tc.typ, "FULL_OBJECT")
			if info.Checksums[tc.wantAlg] != want || len(info.Checksums) != 1 || info.ChecksumType != wantType {
				t.Errorf("checksums %v %s, want %s %s %s", info.Checksums, info.ChecksumType, tc.wantAlg, want, wantType)
			}
			stored, _, _ := s.StatObject(ctx, "b", "k", storage.ReadOptions{})
			if tc.alg == "" && len(stored.Checksums) != 0 {
				t.Errorf("the default checksum was kept: %v", stored.Checksums)
			}
		})
	}
}

func TestListUploads(t *testing.T) {
	s := newStore(t)
	ids := map[string][]string{}
	for _, k := range []string{"a", "a", "d/1", "d/2", "e"} {
		up, err := s.CreateUpload(ctx, "b", k, storage.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = append(ids[k], up.ID)
	}
	for _, tc := range []struct {
		opts storage.ListUploadsOptions
		want string
	}{
		{storage.ListUploadsOptions{Limit: 10}, "a a d/1 d/2 e|"},
		{storage.ListUploadsOptions{Delimiter: "/", Limit: 10}, "a a e|d/"},
		{storage.ListUploadsOptions{Delimiter: "/", Limit: 2}, "a a|+a " + ids["a"][1]},
		{storage.ListUploadsOptions{KeyMarker: "a", IDMarker: ids["a"][0], Limit: 10}, "a d/1 d/2 e|"},
		{storage.ListUploadsOptions{KeyMarker: "a", Delimiter: "/", Limit: 1}, "|d/+d/ "},
		{storage.ListUploadsOptions{KeyMarker: "d/", Delimiter: "/", Limit: 10}, "e|"},
	} {
		l, err := s.ListUploads(ctx, "b", tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i, u := range l.Uploads {
			keys = append(keys, u.Key)
			if i > 0 && u.Key == l.Uploads[i-1].Key && u.ID < l.Uploads[i-1].ID {
				t.Errorf("uploads of %s not by age", u.Key)
			}
		}
		got := strings.Join(keys, " ") + "|" + strings.Join(l.CommonPrefixes, " ")
		if l.Truncated {
			got += fmt.Sprintf("+%s %s", l.NextKey, l.NextID)
		}
		if got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.opts, got, tc.want)
		}
	}
}

// TestConcurrentUse is for the race detector.
func TestConcurrentUse(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i%2)
			for j := range 50 {
				body := fmt.Sprint(j)
				if _, err := s.PutObject(ctx, "b", key, strings.NewReader(body), storage.PutOptions{Size: int64(len(body))}); err != nil {
					t.Error(err)
				}
				if _, err := read(s, key, storage.ReadOptions{}); err != nil {
					t.Error(err)
				}
				if _, err := s.ListObjects(ctx, "b", storage.ListOptions{Limit: 10}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
