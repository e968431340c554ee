package storagetest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// uploadDiff describes how got differs from want, an upload as
// CreateUpload returned it.
func uploadDiff(got, want storage.Upload) string {
	var d []string
	if got.Bucket != want.Bucket || got.Key != want.Key || got.ID != want.ID {
		d = append(d, fmt.Sprintf("upload %s/%s#%s, want %s/%s#%s", got.Bucket, got.Key, got.ID, want.Bucket, want.Key, want.ID))
	}
	if !sameSecond(got.Initiated, want.Initiated) || got.Initiated.IsZero() {
		d = append(d, fmt.Sprintf("Initiated %v, want %v", got.Initiated, want.Initiated))
	}
	if got.ChecksumAlgorithm != want.ChecksumAlgorithm || got.ChecksumType != want.ChecksumType {
		d = append(d, fmt.Sprintf("checksum %s %s, want %s %s", got.ChecksumAlgorithm, got.ChecksumType, want.ChecksumAlgorithm, want.ChecksumType))
	}
	return strings.Join(d, "; ")
}

// partDiff describes how got differs from want, a part as PutPart returned
// it.
func partDiff(got, want storage.Part) string {
	if got.Number != want.Number || got.Size != want.Size || got.ETag != want.ETag ||
		!sameMap(got.Checksums, want.Checksums) || !sameSecond(got.LastModified, want.LastModified) || got.LastModified.IsZero() {
		return fmt.Sprintf("part %+v, want %+v", got, want)
	}
	return ""
}

// parts lists every part of an upload, one at a time so that paging is
// exercised too.
func (e *env) parts(up storage.Upload) []storage.Part {
	e.t.Helper()
	var out []storage.Part
	after := 0
	for range 10001 {
		l, err := e.b.ListParts(e.ctx, bucket, up.Key, up.ID, after, 1)
		if err != nil {
			e.t.Fatalf("ListParts(%q, after %d): %v", up.Key, after, err)
		}
		out = append(out, l.Parts...)
		if !l.Truncated {
			return out
		}
		after = l.Next
	}
	e.t.Fatal("ListParts does not end")
	return nil
}

// testMultipartLifecycle: create, parts (replaced, listed), completion, and
// the object it makes.
func testMultipartLifecycle(e *env) {
	t := e.t
	meta := storage.Metadata{ContentType: "text/x", Headers: map[string]string{"Content-Language": "en"}, User: map[string]string{"m": "v"}}
	up := e.upload("k", storage.UploadOptions{Metadata: meta})
	if up.Bucket != bucket || up.Key != "k" || up.ID == "" || up.Initiated.IsZero() {
		t.Fatalf("CreateUpload = %+v", up)
	}
	got, err := e.b.GetUpload(e.ctx, bucket, "k", up.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := uploadDiff(got, up); d != "" || got.Metadata.ContentType != meta.ContentType || !sameMap(got.Metadata.User, meta.User) || !sameMap(got.Metadata.Headers, meta.Headers) {
		t.Errorf("GetUpload = %+v: %s; want %+v", got, d, up)
	}
	if again := e.upload("k", storage.UploadOptions{}); again.ID == up.ID {
		t.Errorf("two uploads of one key share the id %s", up.ID)
	}

	p1 := e.part(up, 1, "aaaa", storage.PartOptions{})
	e.part(up, 2, "old", storage.PartOptions{})
	p2 := e.part(up, 2, "bb", storage.PartOptions{}) // replaces the first part 2
	p3 := e.part(up, 3, "unused", storage.PartOptions{})
	for i, c := range []struct {
		p    storage.Part
		body string
		n    int
	}{{p1, "aaaa", 1}, {p2, "bb", 2}, {p3, "unused", 3}} {
		if c.p.Number != c.n || c.p.Size != int64(len(c.body)) || c.p.ETag != md5hex(c.body) || c.p.LastModified.IsZero() {
			t.Errorf("PutPart %d = %+v, want %d bytes, ETag %s", i+1, c.p, len(c.body), md5hex(c.body))
		}
	}
	e.absent("k")
	listed := e.parts(up)
	if len(listed) != 3 {
		t.Fatalf("ListParts: %+v, want 3 parts", listed)
	}
	for i, want := range []storage.Part{p1, p2, p3} {
		if d := partDiff(listed[i], want); d != "" {
			t.Errorf("ListParts entry %d: %s", i, d)
		}
	}
	l, err := e.b.ListParts(e.ctx, bucket, "k", up.ID, 0, 2)
	if err != nil || len(l.Parts) != 2 || !l.Truncated || l.Next != 2 {
		t.Errorf("ListParts page of 2 = %+v, %v; want parts 1 and 2, truncated, next 2", l, err)
	}
	l, err = e.b.ListParts(e.ctx, bucket, "k", up.ID, 1, 100)
	if err != nil || len(l.Parts) != 2 || l.Parts[0].Number != 2 || l.Truncated {
		t.Errorf("ListParts after 1 = %+v, %v; want parts 2 and 3", l, err)
	}

	use, bodies := []storage.Part{p1, p2}, []string{"aaaa", "bb"}
	if e.limits.CompleteNeedsEveryPart {
		if _, err := e.tryComplete(up, storage.CompleteOptions{MinPartSize: 2}, p1, p2); !errors.Is(err, storage.ErrInvalidPart) {
			t.Fatalf("completion leaving out part 3 (declared unsupported): %v, want ErrInvalidPart", err)
		}
		e.absent("k")
		use, bodies = append(use, p3), append(bodies, "unused")
	}
	info := e.complete(up, storage.CompleteOptions{MinPartSize: 2}, use...)
	want := storage.ObjectInfo{Key: "k", Size: int64(len(strings.Join(bodies, ""))), ETag: multipartETag(bodies...),
		LastModified: info.LastModified, Metadata: meta, PartsCount: len(use)}
	if d := infoDiff(info, want, true); d != "" {
		t.Errorf("CompleteUpload: %s", d)
	}
	if got := e.get("k"); got != strings.Join(bodies, "") {
		t.Errorf("read %q", got)
	}
	e.agree("k", info)
	if _, err := e.b.GetUpload(e.ctx, bucket, "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("GetUpload after completion: %v, want ErrNoSuchUpload", err)
	}
	if _, err := e.b.ListParts(e.ctx, bucket, "k", up.ID, 0, 10); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("ListParts after completion: %v, want ErrNoSuchUpload", err)
	}
	if _, err := e.tryPart(up, 4, "late", storage.PartOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("PutPart after completion: %v, want ErrNoSuchUpload", err)
	}
	if slices.Contains(e.uploadIDs(), up.ID) {
		t.Error("ListUploads lists a completed upload")
	}
}

// testCompleteRefusals: a completion refused for any reason leaves the
// upload as it was, ready to be completed.
func testCompleteRefusals(e *env) {
	t := e.t
	e.put("exists", "previous", storage.PutOptions{})
	up := e.upload("k", storage.UploadOptions{})
	p1 := e.part(up, 1, "aaaa", storage.PartOptions{})
	p2 := e.part(up, 2, "bbbb", storage.PartOptions{})
	p3 := e.part(up, 3, "c", storage.PartOptions{})
	small := storage.CompleteOptions{MinPartSize: 4}
	var checked storage.ObjectInfo
	for _, c := range []struct {
		name  string
		opts  storage.CompleteOptions
		parts []storage.Part
		want  error
	}{
		{"out of order", small, []storage.Part{p2, p1}, storage.ErrInvalidPartOrder},
		{"repeated part", small, []storage.Part{p1, p1}, storage.ErrInvalidPartOrder},
		{"wrong ETag", small, []storage.Part{p1, {Number: 2, ETag: md5hex("other")}}, storage.ErrInvalidPart},
		{"part not uploaded", small, []storage.Part{p1, {Number: 9, ETag: p1.ETag}}, storage.ErrInvalidPart},
		{"wrong checksum", small, []storage.Part{p1, {Number: 2, ETag: p2.ETag, Checksums: map[string]string{"crc32": sum("crc32", "other")}}}, storage.ErrInvalidPart},
		{"small part before the last, all uploaded", storage.CompleteOptions{MinPartSize: 5}, []storage.Part{p1, p2}, storage.ErrEntityTooSmall},
		{"check refuses", storage.CompleteOptions{Check: func(i storage.ObjectInfo) error { checked = i; return errRefused }}, []storage.Part{p1, p2, p3}, errRefused},
	} {
		if _, err := e.tryComplete(up, c.opts, c.parts...); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if checked.Size != 9 || checked.ETag != multipartETag("aaaa", "bbbb", "c") {
		t.Errorf("Check saw %+v, want the assembled object", checked)
	}
	// Conditions on the key, decided with the completion.
	onExisting := e.upload("exists", storage.UploadOptions{})
	pe := e.part(onExisting, 1, "new", storage.PartOptions{})
	for _, c := range []struct {
		up   storage.Upload
		part storage.Part
		cond storage.Conditions
		want error
	}{
		{onExisting, pe, storage.Conditions{IfNoneMatch: true}, storage.ErrPreconditionFailed},
		{onExisting, pe, storage.Conditions{IfMatch: md5hex("other")}, storage.ErrPreconditionFailed},
		{up, p1, storage.Conditions{IfMatch: "*"}, storage.ErrNoSuchKey},
		{up, p1, storage.Conditions{IfMatch: md5hex("aaaa")}, storage.ErrNoSuchKey},
	} {
		if _, err := e.tryComplete(c.up, storage.CompleteOptions{Conditions: c.cond}, c.part); !errors.Is(err, c.want) {
			t.Errorf("CompleteUpload of %q with %+v: %v, want %v", c.up.Key, c.cond, err, c.want)
		}
	}
	if _, err := e.b.GetUpload(e.ctx, bucket, "exists", onExisting.ID); err != nil {
		t.Errorf("the upload went with its refused completion: %v", err)
	}
	if got := e.get("exists"); got != "previous" {
		t.Errorf("a refused completion replaced the object with %q", got)
	}
	e.absent("k")
	if got, err := e.b.GetUpload(e.ctx, bucket, "k", up.ID); err != nil || got.ID != up.ID {
		t.Fatalf("GetUpload after the refusals: %+v, %v", got, err)
	}
	listed := e.parts(up)
	if len(listed) != 3 {
		t.Fatalf("parts after the refusals: %+v", listed)
	}
	for i, want := range []storage.Part{p1, p2, p3} {
		if d := partDiff(listed[i], want); d != "" {
			t.Errorf("part %d after the refusals: %s", i+1, d)
		}
	}
	info := e.complete(up, storage.CompleteOptions{MinPartSize: 4, Conditions: storage.Conditions{IfNoneMatch: true}}, p1, p2, p3)
	if info.ETag != multipartETag("aaaa", "bbbb", "c") || e.get("k") != "aaaabbbbc" {
		t.Errorf("completion after the refusals: %+v, read %q", info, e.get("k"))
	}
	// The last part may be small; a single part is the last.
	single := e.upload("single", storage.UploadOptions{})
	ps := e.part(single, 1, "x", storage.PartOptions{})
	if _, err := e.tryComplete(single, storage.CompleteOptions{MinPartSize: 4}, ps); err != nil {
		t.Errorf("a single small part: %v", err)
	}
}

// testCompleteRetries: a completion repeated with the same parts gets the
// same object while it is the key's; an abort after completion succeeds and
// changes nothing.
func testCompleteRetries(e *env) {
	t := e.t
	up := e.upload("k", storage.UploadOptions{})
	p1 := e.part(up, 1, "one", storage.PartOptions{})
	p2 := e.part(up, 2, "two", storage.PartOptions{})
	// A retry with other parts, and one with more parts, than the
	// completion's.
	used, other, more, body := []storage.Part{p1}, []storage.Part{p2}, []storage.Part{p1, p2}, "one"
	if e.limits.CompleteNeedsEveryPart {
		used, more, body = []storage.Part{p1, p2}, []storage.Part{p1}, "onetwo" // more: fewer, then
	}
	first := e.complete(up, storage.CompleteOptions{}, used...)
	again, err := e.tryComplete(up, storage.CompleteOptions{}, used...)
	if err != nil {
		t.Fatalf("retried completion: %v", err)
	}
	if again.ETag != first.ETag || again.Size != first.Size || !sameSecond(again.LastModified, first.LastModified) {
		t.Errorf("retried completion = %+v, want %+v", again, first)
	}
	for name, retry := range map[string]func() error{
		"other parts": func() error { _, err := e.tryComplete(up, storage.CompleteOptions{}, other...); return err },
		"more parts":  func() error { _, err := e.tryComplete(up, storage.CompleteOptions{}, more...); return err },
		"other key": func() error {
			_, err := e.b.CompleteUpload(e.ctx, bucket, "k2", up.ID, completed(p1), storage.CompleteOptions{})
			return err
		},
		"abort, other key": func() error { return e.b.AbortUpload(e.ctx, bucket, "k2", up.ID) },
	} {
		if err := retry(); !errors.Is(err, storage.ErrNoSuchUpload) {
			t.Errorf("%s: %v, want ErrNoSuchUpload", name, err)
		}
	}
	if err := e.b.AbortUpload(e.ctx, bucket, "k", up.ID); err != nil {
		t.Errorf("abort after completion: %v", err)
	}
	if got := e.get("k"); got != body {
		t.Errorf("object after the abort: %q", got)
	}
	e.agree("k", first)
	// Once the key holds another object the completion is not repeated.
	e.put("k", "newer", storage.PutOptions{})
	if _, err := e.tryComplete(up, storage.CompleteOptions{}, used...); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("retry after an overwrite: %v, want ErrNoSuchUpload", err)
	}
	if got := e.get("k"); got != "newer" {
		t.Errorf("object after the refused retry: %q", got)
	}
}

// testAbort: aborting drops the upload and its parts, and is idempotent.
func testAbort(e *env) {
	t := e.t
	up := e.upload("k", storage.UploadOptions{})
	p := e.part(up, 1, "x", storage.PartOptions{})
	for i := range 2 {
		if err := e.b.AbortUpload(e.ctx, bucket, "k", up.ID); err != nil {
			t.Errorf("abort %d: %v", i+1, err)
		}
	}
	if _, err := e.b.GetUpload(e.ctx, bucket, "k", up.ID); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("GetUpload after abort: %v", err)
	}
	if _, err := e.tryPart(up, 2, "y", storage.PartOptions{}); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("PutPart after abort: %v", err)
	}
	if _, err := e.b.ListParts(e.ctx, bucket, "k", up.ID, 0, 10); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("ListParts after abort: %v", err)
	}
	if _, err := e.tryComplete(up, storage.CompleteOptions{}, p); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("CompleteUpload after abort: %v", err)
	}
	if err := e.b.AbortUpload(e.ctx, bucket, "k", "no-such-upload"); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Errorf("abort of an unknown upload: %v, want ErrNoSuchUpload", err)
	}
	if ids := e.uploadIDs(); len(ids) != 0 {
		t.Errorf("uploads after abort: %q", ids)
	}
	e.absent("k")
}

// testUploadBoundToKey: an upload named with another key, another bucket or
// a made-up id is ErrNoSuchUpload everywhere.
func testUploadBoundToKey(e *env) {
	if err := e.b.CreateBucket(e.ctx, "other"); err != nil {
		e.t.Fatal(err)
	}
	up := e.upload("k", storage.UploadOptions{})
	p := e.part(up, 1, "x", storage.PartOptions{})
	e.put("src", "source", storage.PutOptions{})
	for _, where := range []struct{ bucket, key, id string }{
		{bucket, "k2", up.ID},
		{bucket, "K", up.ID},
		{"other", "k", up.ID},
		{bucket, "k", "no-such-upload"},
		{bucket, "k", ""},
	} {
		b, ctx, name := e.b, e.ctx, fmt.Sprintf("%s/%s#%s", where.bucket, where.key, where.id)
		ops := map[string]func() error{
			"GetUpload": func() error { _, err := b.GetUpload(ctx, where.bucket, where.key, where.id); return err },
			"PutPart": func() error {
				_, err := b.PutPart(ctx, where.bucket, where.key, where.id, 2, strings.NewReader("y"), storage.PartOptions{Size: 1})
				return err
			},
			"CopyPart": func() error {
				_, err := b.CopyPart(ctx, storage.ObjectRef{Bucket: bucket, Key: "src"}, where.bucket, where.key, where.id, 2, storage.CopyPartOptions{})
				return err
			},
			"ListParts": func() error { _, err := b.ListParts(ctx, where.bucket, where.key, where.id, 0, 10); return err },
			"CompleteUpload": func() error {
				_, err := b.CompleteUpload(ctx, where.bucket, where.key, where.id, completed(p), storage.CompleteOptions{})
				return err
			},
			"AbortUpload": func() error { return b.AbortUpload(ctx, where.bucket, where.key, where.id) },
		}
		for op, fn := range ops {
			if err := fn(); !errors.Is(err, storage.ErrNoSuchUpload) {
				e.t.Errorf("%s of %s: %v, want ErrNoSuchUpload", op, name, err)
			}
		}
	}
	// Nothing reached the upload.
	if listed := e.parts(up); len(listed) != 1 || partDiff(listed[0], p) != "" {
		e.t.Errorf("parts %+v, want only %+v", listed, p)
	}
	e.absent("k")
	e.absent("k2")
}

// testFailedParts: a part whose body is refused leaves the upload as it
// was, including a part it would have replaced.
func testFailedParts(e *env) {
	const body = "new part"
	n := int64(len(body))
	for _, c := range []struct {
		name string
		body func() io.Reader
		opts storage.PartOptions
		want error
	}{
		{"Content-MD5 mismatch", nil, storage.PartOptions{Size: n, ContentMD5: md5raw("other")}, storage.ErrBadDigest},
		{"longer than MaxSize", nil, storage.PartOptions{Size: -1, MaxSize: 3}, storage.ErrTooLarge},
		{"declared longer than MaxSize", nil, storage.PartOptions{Size: n, MaxSize: 3}, storage.ErrTooLarge},
		{"shorter than declared", nil, storage.PartOptions{Size: n + 5}, storage.ErrIncompleteBody},
		{"error midway", func() io.Reader { return &failingBody{data: []byte(body[:3]), chunk: 2} }, storage.PartOptions{Size: n}, errBody},
		{"error instead of EOF", func() io.Reader { return &failingBody{data: []byte(body), chunk: 3} }, storage.PartOptions{Size: n}, errBody},
		{"error instead of EOF, size unknown", func() io.Reader { return &failingBody{data: []byte(body), chunk: 3} }, storage.PartOptions{Size: -1}, errBody},
		{"error with the last bytes", func() io.Reader { return &failingBody{data: []byte(body), chunk: 3, together: true} }, storage.PartOptions{Size: n}, errBody},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			up := e.upload("k", storage.UploadOptions{})
			old := e.part(up, 1, "old part", storage.PartOptions{})
			for _, number := range []int{1, 2} {
				r := io.Reader(strings.NewReader(body))
				if c.body != nil {
					r = c.body()
				}
				p, err := e.b.PutPart(e.ctx, bucket, "k", up.ID, number, r, c.opts)
				if err == nil || !errors.Is(err, c.want) {
					t.Errorf("PutPart %d = %+v, %v; want %v", number, p, err, c.want)
				}
			}
			if listed := e.parts(up); len(listed) != 1 || partDiff(listed[0], old) != "" {
				t.Errorf("parts after the refused writes: %+v, want only %+v", listed, old)
			}
			e.complete(up, storage.CompleteOptions{}, old)
			if got := e.get("k"); got != "old part" {
				t.Errorf("completed with the old part: read %q", got)
			}
		})
	}
}

// testMultipartChecksums: parts keep their checksums, and completion
// combines them as the upload's type asks.
func testMultipartChecksums(e *env) {
	bodies := []string{"hello ", "multipart ", "world"}
	whole := strings.Join(bodies, "")
	for _, c := range []struct {
		alg, typ, want string
	}{
		{"crc32", "COMPOSITE", composite("crc32", bodies...)},
		{"crc32", "FULL_OBJECT", sum("crc32", whole)},
		{"crc32c", "FULL_OBJECT", sum("crc32c", whole)},
		{"crc64nvme", "FULL_OBJECT", sum("crc64nvme", whole)},
		{"sha256", "COMPOSITE", composite("sha256", bodies...)},
	} {
		e.t.Run(c.alg+" "+c.typ, func(t *testing.T) {
			e := e.at(t)
			key := c.alg + "-" + c.typ
			up := e.upload(key, storage.UploadOptions{ChecksumAlgorithm: c.alg, ChecksumType: c.typ})
			got, err := e.b.GetUpload(e.ctx, bucket, key, up.ID)
			if err != nil || got.ChecksumAlgorithm != c.alg || got.ChecksumType != c.typ {
				t.Errorf("GetUpload = %+v, %v; want %s %s", got, err, c.alg, c.typ)
			}
			var parts []storage.Part
			for i, body := range bodies {
				sums := map[string]string{c.alg: sum(c.alg, body)}
				p := e.part(up, i+1, body, storage.PartOptions{LateChecksums: func() map[string]string { return sums }})
				if !sameMap(p.Checksums, sums) {
					t.Errorf("part %d checksums %v, want %v", i+1, p.Checksums, sums)
				}
				parts = append(parts, p)
			}
			for i, p := range e.parts(up) {
				if d := partDiff(p, parts[i]); d != "" {
					t.Errorf("ListParts: %s", d)
				}
			}
			info := e.complete(up, storage.CompleteOptions{}, parts...)
			want := storage.ObjectInfo{Key: key, Size: int64(len(whole)), ETag: multipartETag(bodies...), LastModified: info.LastModified,
				Metadata: storage.Metadata{Checksums: map[string]string{c.alg: c.want}}, ChecksumType: c.typ, PartsCount: 3}
			if d := infoDiff(info, want, true); d != "" {
				t.Errorf("CompleteUpload: %s", d)
			}
			e.agree(key, info)
		})
	}
}

// testDefaultChecksum: for an upload created without an algorithm, the
// parts' default CRC64NVMEs are combined into the object's full-object
// checksum, answered by the completion only, never listed with the parts.
func testDefaultChecksum(e *env) {
	t := e.t
	bodies := []string{"first part ", "second part ", "third"}
	whole := strings.Join(bodies, "")
	up := e.upload("k", storage.UploadOptions{})
	var parts []storage.Part
	for i, body := range bodies {
		def := sum(checksum.Default, body)
		p := e.part(up, i+1, body, storage.PartOptions{DefaultChecksum: func() string { return def }})
		if len(p.Checksums) != 0 {
			t.Errorf("part %d lists checksums %v", i+1, p.Checksums)
		}
		parts = append(parts, p)
	}
	for _, p := range e.parts(up) {
		if len(p.Checksums) != 0 {
			t.Errorf("ListParts: part %d lists checksums %v", p.Number, p.Checksums)
		}
	}
	var checked storage.ObjectInfo
	info := e.complete(up, storage.CompleteOptions{Check: func(i storage.ObjectInfo) error { checked = i; return nil }}, parts...)
	want := map[string]string{checksum.Default: sum(checksum.Default, whole)}
	if !sameMap(info.Checksums, want) || info.ChecksumType != "FULL_OBJECT" {
		t.Errorf("CompleteUpload's checksums %v (%s), want %v (FULL_OBJECT)", info.Checksums, info.ChecksumType, want)
	}
	if checked.Size != int64(len(whole)) {
		t.Errorf("Check saw %+v", checked)
	}
	// Kept by nobody: HEAD, GET and listings answer no checksum.
	stored := info
	stored.Checksums, stored.ChecksumType = nil, ""
	e.agree("k", stored)

	// One part without a default: no combined checksum.
	up = e.upload("partial", storage.UploadOptions{})
	def := sum(checksum.Default, "with")
	pa := e.part(up, 1, "with", storage.PartOptions{DefaultChecksum: func() string { return def }})
	pb := e.part(up, 2, "without", storage.PartOptions{})
	if info := e.complete(up, storage.CompleteOptions{}, pa, pb); len(info.Checksums) != 0 {
		t.Errorf("completion with a part lacking its default: checksums %v", info.Checksums)
	}
}

// testCopyPart: a part copied from an object, whole or ranged, with the
// checksums the upload asks for, and the refusals of its source check.
func testCopyPart(e *env) {
	src := e.put("src", "0123456789", storage.PutOptions{})
	mp := e.multipart("mpsrc", storage.UploadOptions{}, "abc", "defg")
	ref := func(key string) storage.ObjectRef { return storage.ObjectRef{Bucket: bucket, Key: key} }
	ranged := func(first, last int64) storage.CopyPartOptions {
		return storage.CopyPartOptions{Ranged: true, First: first, Last: last}
	}
	for _, c := range []struct {
		alg, typ string
	}{{"", ""}, {"crc32", "COMPOSITE"}, {"crc32c", "FULL_OBJECT"}, {"sha1", "COMPOSITE"}} {
		e.t.Run("checksum "+c.alg, func(t *testing.T) {
			e := e.at(t)
			key := "dst-" + c.alg
			up := e.upload(key, storage.UploadOptions{ChecksumAlgorithm: c.alg, ChecksumType: c.typ})
			var parts []storage.Part
			var bodies []string
			for i, cp := range []struct {
				src  string
				opts storage.CopyPartOptions
				body string
			}{
				{"src", storage.CopyPartOptions{}, "0123456789"},
				{"src", ranged(2, 5), "2345"},
				{"mpsrc", ranged(1, 5), "bcdef"},
				{"mpsrc", storage.CopyPartOptions{}, "abcdefg"},
			} {
				var seen storage.ObjectInfo
				cp.opts.SourceCheck = func(i storage.ObjectInfo) error { seen = i; return nil }
				p, err := e.b.CopyPart(e.ctx, ref(cp.src), bucket, key, up.ID, i+1, cp.opts)
				if err != nil {
					t.Fatalf("CopyPart %d: %v", i+1, err)
				}
				want := storage.Part{Number: i + 1, Size: int64(len(cp.body)), ETag: md5hex(cp.body), LastModified: p.LastModified}
				if c.alg != "" {
					want.Checksums = map[string]string{c.alg: sum(c.alg, cp.body)}
				}
				if d := partDiff(p, want); d != "" {
					t.Errorf("CopyPart %d: %s", i+1, d)
				}
				if seen.Key != cp.src || (cp.src == "src" && seen.ETag != src.ETag) || (cp.src == "mpsrc" && seen.ETag != mp.ETag) {
					t.Errorf("SourceCheck %d saw %+v", i+1, seen)
				}
				parts = append(parts, p)
				bodies = append(bodies, cp.body)
			}
			for i, p := range e.parts(up) {
				if d := partDiff(p, parts[i]); d != "" {
					t.Errorf("ListParts: %s", d)
				}
			}
			info := e.complete(up, storage.CompleteOptions{}, parts...)
			whole := strings.Join(bodies, "")
			if got := e.get(key); got != whole {
				t.Errorf("read %q, want %q", got, whole)
			}
			var want map[string]string
			switch c.typ {
			case "":
				// Copied parts carry their default CRC64NVME like uploaded ones.
				want = map[string]string{checksum.Default: sum(checksum.Default, whole)}
			case "COMPOSITE":
				want = map[string]string{c.alg: composite(c.alg, bodies...)}
			default:
				want = map[string]string{c.alg: sum(c.alg, whole)}
			}
			if !sameMap(info.Checksums, want) {
				t.Errorf("completion's checksums %v, want %v", info.Checksums, want)
			}
		})
	}
	e.t.Run("refusals", func(t *testing.T) {
		e := e.at(t)
		up := e.upload("k", storage.UploadOptions{})
		old := e.part(up, 1, "old part", storage.PartOptions{})
		for _, number := range []int{1, 2} {
			_, err := e.b.CopyPart(e.ctx, ref("src"), bucket, "k", up.ID, number, storage.CopyPartOptions{SourceCheck: func(storage.ObjectInfo) error { return errRefused }})
			if !errors.Is(err, errRefused) {
				t.Errorf("CopyPart %d refused by its SourceCheck: %v", number, err)
			}
		}
		if _, err := e.b.CopyPart(e.ctx, ref("nope"), bucket, "k", up.ID, 2, storage.CopyPartOptions{}); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("CopyPart of a missing key: %v, want ErrNoSuchKey", err)
		}
		if listed := e.parts(up); len(listed) != 1 || partDiff(listed[0], old) != "" {
			t.Errorf("parts after refused copies: %+v, want only %+v", listed, old)
		}
		// A copied part replaces an uploaded one.
		p, err := e.b.CopyPart(e.ctx, ref("src"), bucket, "k", up.ID, 1, ranged(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if listed := e.parts(up); len(listed) != 1 || partDiff(listed[0], p) != "" || p.ETag != md5hex("0") {
			t.Errorf("parts after a copied replacement: %+v, want only %+v", listed, p)
		}
	})
}

// testListUploads: uploads in progress list by key in byte order, then
// initiation, with prefixes, delimiters and markers.
func testListUploads(e *env) {
	t := e.t
	type entry = string // key#id, or a common prefix
	var ids = map[string][]string{}
	for _, k := range []string{"b", "a/2", "é", "a-b", "c/x/y", "b", "a/1"} {
		up := e.upload(k, storage.UploadOptions{})
		ids[k] = append(ids[k], up.ID)
		time.Sleep(2 * time.Millisecond) // distinct initiation times
	}
	// An upload completed or aborted is not listed.
	done := e.upload("done", storage.UploadOptions{})
	if err := e.b.AbortUpload(e.ctx, bucket, "done", done.ID); err != nil {
		t.Fatal(err)
	}
	id := func(k string, i int) entry { return k + "#" + ids[k][i] }
	all := []entry{id("a-b", 0), id("a/1", 0), id("a/2", 0), id("b", 0), id("b", 1), id("c/x/y", 0), id("é", 0)}
	list := func(opts storage.ListUploadsOptions) ([]entry, storage.UploadList) {
		t.Helper()
		l, err := e.b.ListUploads(e.ctx, bucket, opts)
		if err != nil {
			t.Fatalf("ListUploads(%+v): %v", opts, err)
		}
		// Merge uploads and prefixes in listing order: no key listed
		// as an upload starts with a listed prefix.
		var out []entry
		ups, cps := l.Uploads, l.CommonPrefixes
		for len(ups) > 0 || len(cps) > 0 {
			if len(cps) == 0 || (len(ups) > 0 && ups[0].Key < cps[0]) {
				u := ups[0]
				if u.Bucket != bucket || u.Initiated.IsZero() {
					t.Errorf("listed upload %+v", u)
				}
				out = append(out, u.Key+"#"+u.ID)
				ups = ups[1:]
				continue
			}
			out = append(out, cps[0])
			cps = cps[1:]
		}
		return out, l
	}
	type luo = storage.ListUploadsOptions
	for _, c := range []struct {
		name string
		opts luo
		want []entry
	}{
		{"all", luo{Limit: 100}, all},
		{"prefix", luo{Prefix: "a/", Limit: 100}, all[1:3]},
		{"delimiter", luo{Delimiter: "/", Limit: 100}, []entry{id("a-b", 0), "a/", id("b", 0), id("b", 1), "c/", id("é", 0)}},
		{"prefix and delimiter", luo{Prefix: "c/", Delimiter: "/", Limit: 100}, []entry{"c/x/"}},
		{"key marker", luo{KeyMarker: "b", Limit: 100}, all[5:]},
		{"key marker between keys", luo{KeyMarker: "a/10", Limit: 100}, all[2:]},
		{"key and upload id markers", luo{KeyMarker: "b", IDMarker: ids["b"][0], Limit: 100}, all[4:]},
		{"key marker on a common prefix", luo{KeyMarker: "a/", Delimiter: "/", Limit: 100}, []entry{id("b", 0), id("b", 1), "c/", id("é", 0)}},
		{"key marker before the prefix", luo{Prefix: "c/", KeyMarker: "a", Limit: 100}, all[5:6]},
		{"key marker inside the prefix", luo{Prefix: "a/", KeyMarker: "a/1", Limit: 100}, all[2:3]},
		{"key marker beyond the prefix", luo{Prefix: "a/", KeyMarker: "b", Limit: 100}, nil},
	} {
		if got, _ := list(c.opts); !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	// Paging with the markers each page returns visits every entry once.
	for _, base := range []luo{{}, {Delimiter: "/"}, {Prefix: "a"}} {
		want, _ := list(luo{Prefix: base.Prefix, Delimiter: base.Delimiter, Limit: 100})
		for limit := 1; limit <= len(want)+1; limit++ {
			opts := base
			opts.Limit = limit
			var got []entry
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("%+v: paging does not end", opts)
				}
				page, l := list(opts)
				if len(page) > limit {
					t.Fatalf("%+v: page of %d", opts, len(page))
				}
				got = append(got, page...)
				if !l.Truncated {
					break
				}
				if l.NextKey == "" {
					t.Fatalf("%+v: truncated page without NextKey", opts)
				}
				opts.KeyMarker, opts.IDMarker = l.NextKey, l.NextID
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v paged by %d:\n got %q\nwant %q", base, limit, got, want)
			}
		}
	}
}
