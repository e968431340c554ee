package storagetest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/storage"
)

// testBuckets: create, head, delete, and the refusals the API layer maps to
// BucketAlreadyOwnedByYou (after tenancy), NoSuchBucket and
// BucketNotEmpty.
func testBuckets(e *env) {
	t, b, ctx := e.t, e.b, e.ctx
	if err := b.CreateBucket(ctx, bucket); !errors.Is(err, storage.ErrBucketExists) {
		t.Errorf("CreateBucket of an existing bucket: %v, want ErrBucketExists", err)
	}
	if got, err := b.HeadBucket(ctx, bucket); err != nil || got.Name != bucket {
		t.Errorf("HeadBucket = %+v, %v; want the bucket", got, err)
	}
	if _, err := b.HeadBucket(ctx, "missing"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("HeadBucket of a missing bucket: %v, want ErrNoSuchBucket", err)
	}
	if err := b.CreateBucket(ctx, "other"); err != nil {
		t.Fatalf("CreateBucket(other): %v", err)
	}
	e.put("k", "v", storage.PutOptions{})
	if err := b.DeleteBucket(ctx, bucket); !errors.Is(err, storage.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket of a bucket with an object: %v, want ErrBucketNotEmpty", err)
	}
	if got := e.get("k"); got != "v" {
		t.Errorf("object after the refused DeleteBucket: %q", got)
	}
	if _, err := b.DeleteObjects(ctx, bucket, []storage.ObjectDelete{{Key: "k"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket of an empty bucket: %v", err)
	}
	if _, err := b.HeadBucket(ctx, bucket); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("HeadBucket after DeleteBucket: %v, want ErrNoSuchBucket", err)
	}
	if err := b.DeleteBucket(ctx, bucket); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("DeleteBucket of a missing bucket: %v, want ErrNoSuchBucket", err)
	}
	if _, err := b.HeadBucket(ctx, "other"); err != nil {
		t.Errorf("DeleteBucket removed another bucket: %v", err)
	}
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatalf("CreateBucket after DeleteBucket: %v", err)
	}
	if keys := e.keys(); len(keys) != 0 {
		t.Errorf("a re-created bucket holds %q", keys)
	}
}

// testDeleteBucketDropsUploads: uploads in progress do not keep a bucket
// from being deleted, and do not survive it.
func testDeleteBucketDropsUploads(e *env) {
	t, b, ctx := e.t, e.b, e.ctx
	up := e.upload("k", storage.UploadOptions{})
	p := e.part(up, 1, "part", storage.PartOptions{})
	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket with an upload in progress: %v", err)
	}
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetUpload(ctx, bucket, "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("GetUpload after the bucket was deleted and re-created: %v, want ErrNoSuchUpload", err)
	}
	if ids := e.uploadIDs(); len(ids) != 0 {
		t.Errorf("uploads survived their bucket: %q", ids)
	}
	if _, err := e.tryComplete(up, storage.CompleteOptions{}, p); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("CompleteUpload after the bucket was deleted: %v, want ErrNoSuchUpload", err)
	}
	if _, err := e.tryPart(up, 2, "x", storage.PartOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("PutPart after the bucket was deleted: %v, want ErrNoSuchUpload", err)
	}
	e.absent("k")
}

// testMissingBucket: every operation naming a missing bucket is
// ErrNoSuchBucket.
func testMissingBucket(e *env) {
	b, ctx := e.b, e.ctx
	e.put("k", "v", storage.PutOptions{})
	const m = "missing"
	here := storage.ObjectRef{Bucket: bucket, Key: "k"}
	there := storage.ObjectRef{Bucket: m, Key: "k"}
	ops := map[string]func() error{
		"PutObject": func() error {
			_, err := b.PutObject(ctx, m, "k", strings.NewReader("v"), storage.PutOptions{Size: 1})
			return err
		},
		"PutObject If-None-Match": func() error {
			_, err := b.PutObject(ctx, m, "k", strings.NewReader("v"), storage.PutOptions{Size: 1, Conditions: storage.Conditions{IfNoneMatch: true}})
			return err
		},
		"OpenObject": func() error {
			o, err := b.OpenObject(ctx, m, "k", storage.ReadOptions{})
			if err == nil {
				o.Close()
			}
			return err
		},
		"StatObject": func() error {
			_, _, err := b.StatObject(ctx, m, "k", storage.ReadOptions{})
			return err
		},
		"DeleteObjects": func() error {
			_, err := b.DeleteObjects(ctx, m, []storage.ObjectDelete{{Key: "k"}})
			return err
		},
		"ListObjects": func() error {
			_, err := b.ListObjects(ctx, m, storage.ListOptions{Limit: 10})
			return err
		},
		"CopyObject from": func() error {
			_, err := b.CopyObject(ctx, there, storage.ObjectRef{Bucket: bucket, Key: "copy"}, storage.CopyOptions{})
			return err
		},
		"CopyObject to": func() error {
			_, err := b.CopyObject(ctx, here, there, storage.CopyOptions{})
			return err
		},
		"CreateUpload": func() error {
			_, err := b.CreateUpload(ctx, m, "k", storage.UploadOptions{})
			return err
		},
		"ListUploads": func() error {
			_, err := b.ListUploads(ctx, m, storage.ListUploadsOptions{Limit: 10})
			return err
		},
		"DeleteBucket": func() error { return b.DeleteBucket(ctx, m) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, storage.ErrNoSuchBucket) {
			e.t.Errorf("%s in a missing bucket: %v, want ErrNoSuchBucket", name, err)
		}
	}
	if _, err := b.HeadBucket(ctx, m); !errors.Is(err, storage.ErrNoSuchBucket) {
		e.t.Errorf("an operation created the missing bucket: HeadBucket = %v", err)
	}
}

// testConcurrentCreateBucket: of concurrent creations of one name, one
// succeeds.
func testConcurrentCreateBucket(e *env) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = e.b.CreateBucket(e.ctx, "race") })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrBucketExists):
			e.t.Errorf("concurrent CreateBucket: %v, want nil or ErrBucketExists", err)
		}
	}
	if won != 1 {
		e.t.Errorf("%d concurrent CreateBucket calls succeeded, want 1", won)
	}
}

// eofWatch records whether its body was read to a clean end.
type eofWatch struct {
	r   io.Reader
	eof bool
}

func (w *eofWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err == io.EOF {
		w.eof = true
	}
	return n, err
}

// testPutGet: what is written reads back, with the info every other method
// reports, whatever the key, size or metadata.
func testPutGet(e *env) {
	big := strings.Repeat("0123456789abcdef", 20<<10) // 320 KiB: more than one read
	meta := storage.Metadata{
		ContentType: "text/plain",
		Headers:     map[string]string{"Cache-Control": "no-cache", "Content-Disposition": "attachment"},
		User:        map[string]string{"a": "b", "long-name": "a value with spaces"},
	}
	for _, c := range []struct {
		name, key, body string
		opts            storage.PutOptions
	}{
		{"metadata", "k", "hello", storage.PutOptions{Metadata: meta}},
		{"empty", "empty", "", storage.PutOptions{}},
		{"unknown size", "unsized", "no length given", storage.PutOptions{Size: -1}},
		{"large", "large", big, storage.PutOptions{}},
		{"large of unknown size", "large-unsized", big, storage.PutOptions{Size: -1}},
		{"MaxSize exactly", "max", "12345", storage.PutOptions{MaxSize: 5}},
		{"Content-MD5", "md5", "digest", storage.PutOptions{ContentMD5: md5raw("digest")}},
		{"nested key", "dir/sub/key", "x", storage.PutOptions{}},
		{"key ending in a slash", "dir/", "", storage.PutOptions{}},
		{"key with spaces and unicode", "ünï cödé ✓", "x", storage.PutOptions{}},
		{"stored checksums", "sums", "x", storage.PutOptions{Metadata: storage.Metadata{Checksums: map[string]string{"crc32": sum("crc32", "x")}}}},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			before := time.Now()
			info := e.put(c.key, c.body, c.opts)
			if info.Key != c.key || info.Size != int64(len(c.body)) || info.ETag != md5hex(c.body) || info.PartsCount != 0 {
				t.Errorf("PutObject = %+v; want key %q, %d bytes, ETag %s, no parts", info, c.key, len(c.body), md5hex(c.body))
			}
			if d := info.LastModified.Sub(before); d < -time.Second || d > time.Minute {
				t.Errorf("LastModified %v, written at %v", info.LastModified, before)
			}
			want := info
			want.Metadata = c.opts.Metadata
			want.ChecksumType = ""
			if len(c.opts.Checksums) > 0 {
				want.ChecksumType = "FULL_OBJECT"
			}
			if d := infoDiff(info, want, true); d != "" {
				t.Errorf("PutObject's info: %s", d)
			}
			if got := e.get(c.key); got != c.body {
				t.Errorf("read %d bytes %.20q, want %d bytes %.20q", len(got), got, len(c.body), c.body)
			}
			e.agree(c.key, info)
		})
	}

	e.t.Run("late checksums", func(t *testing.T) {
		e := e.at(t)
		body := &eofWatch{r: strings.NewReader("late")}
		sums := map[string]string{"crc64nvme": sum("crc64nvme", "late")}
		info, err := e.b.PutObject(e.ctx, bucket, "late", body, storage.PutOptions{Size: 4, LateChecksums: func() map[string]string {
			if !body.eof {
				t.Error("LateChecksums called before the body was read to its end")
			}
			return sums
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !sameMap(info.Checksums, sums) || info.ChecksumType != "FULL_OBJECT" {
			t.Errorf("PutObject's checksums %v (%s), want %v (FULL_OBJECT)", info.Checksums, info.ChecksumType, sums)
		}
		e.agree("late", info)
	})

	e.t.Run("overwrite replaces bytes and metadata", func(t *testing.T) {
		e := e.at(t)
		e.put("o", "first", storage.PutOptions{Metadata: meta})
		info := e.put("o", "second", storage.PutOptions{})
		if got := e.get("o"); got != "second" {
			t.Errorf("after overwrite read %q", got)
		}
		if info.ETag != md5hex("second") {
			t.Errorf("ETag %s, want %s", info.ETag, md5hex("second"))
		}
		e.agree("o", info)
		if st := e.stat("o"); st.ContentType != "" || len(st.User) != 0 || len(st.Headers) != 0 {
			t.Errorf("overwrite kept the old metadata: %+v", st.Metadata)
		}
	})
}

// testSnapshots: an open object reads what it was opened on.
func testSnapshots(e *env) {
	t := e.t
	open := func(key string, opts storage.ReadOptions) storage.Object {
		t.Helper()
		o, err := e.b.OpenObject(e.ctx, bucket, key, opts)
		if err != nil {
			t.Fatalf("OpenObject(%q): %v", key, err)
		}
		t.Cleanup(func() { o.Close() })
		return o
	}
	first := e.put("k", "first", storage.PutOptions{})
	whole := open("k", storage.ReadOptions{})
	ranged := open("k", storage.ReadOptions{Range: &storage.RangeSpec{First: 1, Last: 3}})
	e.put("k", "second version", storage.PutOptions{})
	if got := e.read(whole); got != "first" {
		t.Errorf("snapshot read after overwrite: %q, want first", got)
	}
	if whole.Info().ETag != first.ETag || whole.Info().Size != 5 {
		t.Errorf("snapshot info after overwrite: %+v, want %+v", whole.Info(), first)
	}
	if got := e.read(ranged); got != "irs" {
		t.Errorf("ranged snapshot read after overwrite: %q, want irs", got)
	}

	deleted := open("k", storage.ReadOptions{})
	if _, err := e.b.DeleteObjects(e.ctx, bucket, []storage.ObjectDelete{{Key: "k"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.read(deleted); got != "second version" {
		t.Errorf("snapshot read after delete: %q", got)
	}

	e.multipart("m", storage.UploadOptions{}, "aaa", "bbb")
	part := open("m", storage.ReadOptions{PartNumber: 2})
	mp := open("m", storage.ReadOptions{})
	e.put("m", "replaced", storage.PutOptions{})
	if got := e.read(part); got != "bbb" {
		t.Errorf("part snapshot after overwrite: %q", got)
	}
	if got := e.read(mp); got != "aaabbb" {
		t.Errorf("multipart snapshot after overwrite: %q", got)
	}
}

// testFailedPuts: a write refused for any reason, above all a body whose
// verification fails at its very end, leaves the key as it was.
func testFailedPuts(e *env) {
	const body = "the new body"
	n := int64(len(body))
	other := md5raw("other")
	for _, c := range []struct {
		name string
		body func() io.Reader
		opts storage.PutOptions
		want error // besides a failure, nil for any
		// onlyExisting: the refusal needs an object at the key.
		onlyExisting bool
	}{
		{"Content-MD5 mismatch", nil, storage.PutOptions{Size: n, ContentMD5: other}, storage.ErrBadDigest, false},
		{"longer than MaxSize, size unknown", nil, storage.PutOptions{Size: -1, MaxSize: 5}, storage.ErrTooLarge, false},
		{"longer than MaxSize, size declared", nil, storage.PutOptions{Size: n, MaxSize: 5}, storage.ErrTooLarge, false},
		{"shorter than declared", nil, storage.PutOptions{Size: n + 10}, storage.ErrIncompleteBody, false},
		{"error midway", func() io.Reader { return &failingBody{data: []byte(body[:5]), chunk: 2} }, storage.PutOptions{Size: n}, errBody, false},
		{"error instead of EOF, size declared", func() io.Reader { return &failingBody{data: []byte(body), chunk: 4} }, storage.PutOptions{Size: n}, errBody, false},
		{"error instead of EOF, size unknown", func() io.Reader { return &failingBody{data: []byte(body), chunk: 4} }, storage.PutOptions{Size: -1}, errBody, false},
		{"error with the last bytes", func() io.Reader { return &failingBody{data: []byte(body), chunk: 5, together: true} }, storage.PutOptions{Size: n}, errBody, false},
		{"error in one read with every byte", func() io.Reader { return &failingBody{data: []byte(body), chunk: len(body), together: true} }, storage.PutOptions{Size: n}, errBody, false},
		{"error at the end of an empty body", func() io.Reader { return &failingBody{} }, storage.PutOptions{Size: 0}, errBody, false},
		{"error at the end of a large body", func() io.Reader {
			return &failingBody{data: []byte(strings.Repeat("x", 300<<10)), chunk: 64 << 10}
		}, storage.PutOptions{Size: 300 << 10}, errBody, false},
		{"If-None-Match on an existing key", nil, storage.PutOptions{Size: n, Conditions: storage.Conditions{IfNoneMatch: true}}, storage.ErrPreconditionFailed, true},
		{"If-Match of another ETag", nil, storage.PutOptions{Size: n, Conditions: storage.Conditions{IfMatch: md5hex("other")}}, storage.ErrPreconditionFailed, true},
		{"If-Match on a missing key", nil, storage.PutOptions{Size: n, Conditions: storage.Conditions{IfMatch: "*"}}, storage.ErrNoSuchKey, false},
	} {
		for _, existing := range []bool{true, false} {
			if c.onlyExisting && !existing {
				continue
			}
			if c.want == storage.ErrNoSuchKey && existing {
				continue
			}
			name := c.name + ", new key"
			if existing {
				name = c.name + ", over an object"
			}
			e.t.Run(name, func(t *testing.T) {
				e := e.at(t)
				key := fmt.Sprintf("k%d", len(e.keys()))
				var old storage.ObjectInfo
				if existing {
					old = e.put(key, "old", storage.PutOptions{Metadata: storage.Metadata{User: map[string]string{"v": "old"}}})
				}
				before := e.keys()
				r := io.Reader(strings.NewReader(body))
				if c.body != nil {
					r = c.body()
				}
				info, err := e.b.PutObject(e.ctx, bucket, key, r, c.opts)
				if err == nil || !errors.Is(err, c.want) {
					t.Fatalf("PutObject = %+v, %v; want %v", info, err, c.want)
				}
				if existing {
					if got := e.get(key); got != "old" {
						t.Errorf("the refused write changed the object to %q", got)
					}
					e.agree(key, old)
				} else {
					e.absent(key)
				}
				if after := e.keys(); strings.Join(after, "\n") != strings.Join(before, "\n") {
					t.Errorf("keys %q after the refused write, %q before", after, before)
				}
			})
		}
	}
}

// testConditionalWrites: If-None-Match and If-Match are decided with the
// write.
func testConditionalWrites(e *env) {
	t := e.t
	cond := func(c storage.Conditions) storage.PutOptions { return storage.PutOptions{Conditions: c} }
	v1 := e.put("k", "v1", cond(storage.Conditions{IfNoneMatch: true}))
	steps := []struct {
		key, body string
		c         storage.Conditions
		want      error
	}{
		{"k", "v2", storage.Conditions{IfNoneMatch: true}, storage.ErrPreconditionFailed},
		{"k", "v2", storage.Conditions{IfMatch: md5hex("nope")}, storage.ErrPreconditionFailed},
		{"k", "v2", storage.Conditions{IfMatch: v1.ETag}, nil},
		{"k", "v3", storage.Conditions{IfMatch: v1.ETag}, storage.ErrPreconditionFailed},
		{"k", "v3", storage.Conditions{IfMatch: "*"}, nil},
		{"missing", "v", storage.Conditions{IfMatch: v1.ETag}, storage.ErrNoSuchKey},
		{"missing", "v", storage.Conditions{IfMatch: "*"}, storage.ErrNoSuchKey},
	}
	for _, s := range steps {
		if _, err := e.tryPut(s.key, s.body, cond(s.c)); !is(err, s.want) {
			t.Errorf("PutObject(%q, %q, %+v): %v, want %v", s.key, s.body, s.c, err, s.want)
		}
	}
	if got := e.get("k"); got != "v3" {
		t.Errorf("read %q, want v3", got)
	}
	e.absent("missing")
	// A deleted key is a missing one again.
	if _, err := e.b.DeleteObjects(e.ctx, bucket, []storage.ObjectDelete{{Key: "k"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tryPut("k", "v4", cond(storage.Conditions{IfNoneMatch: true})); err != nil {
		t.Errorf("If-None-Match after delete: %v", err)
	}
}

// testConcurrentConditionalPuts: of concurrent If-None-Match writes of one
// key, exactly one succeeds and its body is the object.
func testConcurrentConditionalPuts(e *env) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.tryPut("k", fmt.Sprintf("writer %d", i), storage.PutOptions{Conditions: storage.Conditions{IfNoneMatch: true}})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			e.t.Errorf("writers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, storage.ErrPreconditionFailed):
			e.t.Errorf("writer %d: %v, want nil or ErrPreconditionFailed", i, err)
		}
	}
	if winner < 0 {
		e.t.Fatal("no conditional writer succeeded")
	}
	if got, want := e.get("k"), fmt.Sprintf("writer %d", winner); got != want {
		e.t.Errorf("object %q, want the winner's %q", got, want)
	}
}

// testDeletes: each object's If-Match is decided in the delete, for that
// object alone; a missing key without a condition is not an error.
func testDeletes(e *env) {
	t := e.t
	infos := map[string]storage.ObjectInfo{}
	for _, k := range []string{"match", "star", "mismatch", "plain"} {
		infos[k] = e.put(k, "body of "+k, storage.PutOptions{})
	}
	errs, err := e.b.DeleteObjects(e.ctx, bucket, []storage.ObjectDelete{
		{Key: "match", IfMatch: infos["match"].ETag},
		{Key: "star", IfMatch: "*"},
		{Key: "mismatch", IfMatch: infos["match"].ETag},
		{Key: "absent", IfMatch: "*"},
		{Key: "absent"},
		{Key: "plain"},
		{Key: "absent, with an ETag", IfMatch: infos["match"].ETag},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, nil, storage.ErrPreconditionFailed, storage.ErrNoSuchKey, nil, nil, storage.ErrNoSuchKey}
	if len(errs) != len(want) {
		t.Fatalf("DeleteObjects returned %d results for %d objects", len(errs), len(want))
	}
	for i, w := range want {
		if !is(errs[i], w) {
			t.Errorf("object %d: %v, want %v", i, errs[i], w)
		}
	}
	for _, k := range []string{"match", "star", "plain"} {
		e.absent(k)
	}
	if got := e.get("mismatch"); got != "body of mismatch" {
		t.Errorf("mismatch: %q", got)
	}
	if errs, err := e.b.DeleteObjects(e.ctx, bucket, []storage.ObjectDelete{{Key: "never"}, {Key: "was"}}); err != nil || len(errs) != 2 || errs[0] != nil || errs[1] != nil {
		t.Errorf("DeleteObjects of missing keys = %v, %v; want success", errs, err)
	}
	if keys := e.keys(); strings.Join(keys, ",") != "mismatch" {
		t.Errorf("keys after the deletes: %q", keys)
	}
}

var errRefused = errors.New("storagetest: refused by the caller")

// testCopy: CopyObject keeps or replaces metadata, asks the caller before
// copying, computes a checksum on request and honours the destination's
// conditions.
func testCopy(e *env) {
	srcMeta := storage.Metadata{
		ContentType: "text/src",
		Headers:     map[string]string{"Cache-Control": "max-age=1"},
		User:        map[string]string{"a": "b"},
		Checksums:   map[string]string{"crc32": sum("crc32", "copy me")},
	}
	src := e.put("src", "copy me", storage.PutOptions{Metadata: srcMeta})
	ref := func(key string) storage.ObjectRef { return storage.ObjectRef{Bucket: bucket, Key: key} }
	copyTo := func(t *testing.T, key string, opts storage.CopyOptions) (storage.ObjectInfo, error) {
		return e.b.CopyObject(t.Context(), ref("src"), ref(key), opts)
	}
	check := func(t *testing.T, e *env, key string, info storage.ObjectInfo, meta storage.Metadata) {
		t.Helper()
		want := storage.ObjectInfo{Key: key, Size: 7, ETag: md5hex("copy me"), LastModified: info.LastModified, Metadata: meta}
		if len(meta.Checksums) > 0 {
			want.ChecksumType = "FULL_OBJECT"
		}
		if d := infoDiff(info, want, true); d != "" {
			t.Errorf("CopyObject's info: %s", d)
		}
		if got := e.get(key); got != "copy me" {
			t.Errorf("copy reads %q", got)
		}
		e.agree(key, info)
	}

	e.t.Run("metadata copied", func(t *testing.T) {
		e := e.at(t)
		info, err := copyTo(t, "copied", storage.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, e, "copied", info, srcMeta)
	})
	e.t.Run("metadata replaced", func(t *testing.T) {
		e := e.at(t)
		repl := storage.Metadata{ContentType: "text/new", User: map[string]string{"c": "d"}}
		info, err := copyTo(t, "replaced", storage.CopyOptions{Metadata: &repl})
		if err != nil {
			t.Fatal(err)
		}
		// The bytes are the source's, and so is their checksum.
		repl.Checksums = srcMeta.Checksums
		check(t, e, "replaced", info, repl)
	})
	e.t.Run("onto itself, metadata replaced", func(t *testing.T) {
		e := e.at(t)
		e.put("self", "copy me", storage.PutOptions{Metadata: srcMeta})
		repl := storage.Metadata{ContentType: "text/self"}
		info, err := e.b.CopyObject(t.Context(), ref("self"), ref("self"), storage.CopyOptions{Metadata: &repl})
		if err != nil {
			t.Fatal(err)
		}
		repl.Checksums = srcMeta.Checksums
		check(t, e, "self", info, repl)
	})
	e.t.Run("source check refuses", func(t *testing.T) {
		e := e.at(t)
		prev := e.put("kept", "previous", storage.PutOptions{})
		for _, key := range []string{"kept", "none"} {
			var seen storage.ObjectInfo
			_, err := copyTo(t, key, storage.CopyOptions{SourceCheck: func(i storage.ObjectInfo) error { seen = i; return errRefused }})
			if !errors.Is(err, errRefused) {
				t.Errorf("CopyObject to %q refused by SourceCheck: %v, want its error", key, err)
			}
			if seen.ETag != src.ETag || seen.Size != src.Size {
				t.Errorf("SourceCheck saw %+v, want the source %+v", seen, src)
			}
		}
		if got := e.get("kept"); got != "previous" {
			t.Errorf("a refused copy replaced the destination with %q", got)
		}
		e.agree("kept", prev)
		e.absent("none")
	})
	e.t.Run("checksum computed", func(t *testing.T) {
		e := e.at(t)
		var seen storage.ObjectInfo
		info, err := copyTo(t, "summed", storage.CopyOptions{Checksum: func(i storage.ObjectInfo) string { seen = i; return "sha256" }})
		if err != nil {
			t.Fatal(err)
		}
		if seen.ETag != src.ETag {
			t.Errorf("Checksum saw %+v, want the source", seen)
		}
		meta := srcMeta
		meta.Checksums = map[string]string{"sha256": sum("sha256", "copy me")}
		check(t, e, "summed", info, meta)
		info, err = copyTo(t, "unsummed", storage.CopyOptions{Checksum: func(storage.ObjectInfo) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		check(t, e, "unsummed", info, srcMeta)
	})
	e.t.Run("destination conditions", func(t *testing.T) {
		e := e.at(t)
		dst := e.put("dst", "destination", storage.PutOptions{})
		cond := func(c storage.Conditions) storage.CopyOptions { return storage.CopyOptions{Conditions: c} }
		if _, err := copyTo(t, "dst", cond(storage.Conditions{IfNoneMatch: true})); !errors.Is(err, storage.ErrPreconditionFailed) {
			t.Errorf("If-None-Match on an existing destination: %v", err)
		}
		if _, err := copyTo(t, "dst", cond(storage.Conditions{IfMatch: src.ETag})); !errors.Is(err, storage.ErrPreconditionFailed) {
			t.Errorf("If-Match of another ETag: %v", err)
		}
		if _, err := copyTo(t, "nodst", cond(storage.Conditions{IfMatch: "*"})); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("If-Match on a missing destination: %v", err)
		}
		e.absent("nodst")
		if got := e.get("dst"); got != "destination" {
			t.Errorf("refused copies changed the destination to %q", got)
		}
		e.agree("dst", dst)
		info, err := copyTo(t, "dst", cond(storage.Conditions{IfMatch: dst.ETag}))
		if err != nil {
			t.Fatalf("If-Match of the destination's ETag: %v", err)
		}
		check(t, e, "dst", info, srcMeta)
		if _, err := copyTo(t, "fresh", cond(storage.Conditions{IfNoneMatch: true})); err != nil {
			t.Errorf("If-None-Match on a missing destination: %v", err)
		}
	})
	e.t.Run("missing source", func(t *testing.T) {
		if _, err := e.b.CopyObject(t.Context(), ref("nope"), ref("x"), storage.CopyOptions{}); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("CopyObject of a missing key: %v, want ErrNoSuchKey", err)
		}
		e.at(t).absent("x")
	})
	e.t.Run("multipart source", func(t *testing.T) {
		e := e.at(t)
		for _, c := range []struct {
			typ  string
			sums map[string]string
		}{
			{"", nil},
			{"COMPOSITE", nil}, // a checksum of the parts' checksums does not describe one piece
			{"FULL_OBJECT", map[string]string{"crc32": sum("crc32", "abcdef")}},
		} {
			opts := storage.UploadOptions{Metadata: storage.Metadata{ContentType: "text/mp"}}
			if c.typ != "" {
				opts.ChecksumAlgorithm, opts.ChecksumType = "crc32", c.typ
			}
			e.multipart("mp", opts, "abc", "def")
			info, err := e.b.CopyObject(t.Context(), ref("mp"), ref("mpcopy"), storage.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := storage.ObjectInfo{Key: "mpcopy", Size: 6, ETag: md5hex("abcdef"), LastModified: info.LastModified,
				Metadata: storage.Metadata{ContentType: "text/mp", Checksums: c.sums}}
			if c.sums != nil {
				want.ChecksumType = "FULL_OBJECT"
			}
			if d := infoDiff(info, want, true); d != "" {
				t.Errorf("copy of a multipart object with %q checksums: %s", c.typ, d)
			}
			if got := e.get("mpcopy"); got != "abcdef" {
				t.Errorf("copy reads %q", got)
			}
			e.agree("mpcopy", info)
		}
	})
}
