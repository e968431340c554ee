// Package storagetest checks a storage.Backend against the contract the S3
// API layer relies on, in the manner of testing/fstest.TestFS: a backend's
// own tests call TestBackend with a constructor, and every behaviour below
// runs as a subtest.
//
// The S3 API layer (impl/s3api) parses requests into options, renders
// answers and errors, and trusts the backend for everything decided where
// the bytes are; docs/architecture.md ("The storage contract") and the doc
// comments of package storage state that contract, and this package is its
// executable form. To pass, a backend must:
//
//   - keep buckets as containers: CreateBucket refuses an existing name
//     (ErrBucketExists), DeleteBucket refuses a bucket holding objects
//     (ErrBucketNotEmpty) and drops its uploads in progress, and every
//     operation on a missing bucket is ErrNoSuchBucket;
//   - commit a body only after a clean end (io.EOF with no error before it):
//     a body whose last Read fails, even one that has delivered every
//     declared byte, leaves the previous object, or no object, or the
//     previous part, exactly as it was, and the error it returns wraps the
//     body's error so that the API layer can render it. Content-MD5
//     (ErrBadDigest), MaxSize (ErrTooLarge) and a short body
//     (ErrIncompleteBody) are refused the same way;
//   - describe an object the same way from every method: the info that
//     PutObject, CopyObject and CompleteUpload return is what StatObject,
//     OpenObject and ListObjects report (size, ETag, Last-Modified to the
//     second, checksums and their type; metadata where the method carries
//     it). A single-piece object's ETag is the hex MD5 of its bytes; a
//     multipart object's is the MD5 of its parts' MD5s followed by "-N";
//   - serve reads from snapshots: an open Object reads the bytes it was
//     opened on whatever happens to the key afterwards;
//   - decide ReadOptions as storage.SelectSection does: conditions first
//     (*storage.ConditionError naming the object's validators), then a range
//     (*storage.RangeError naming the size) or a part number
//     (ErrInvalidPartNumber), with StatObject agreeing with OpenObject;
//   - decide write conditions (Conditions, ObjectDelete.IfMatch) atomically
//     with the write, one winner among concurrent conditional writes;
//   - keep multipart uploads bound to their bucket and key, with the part,
//     completion, retry and abort semantics of the Multipart interface:
//     parts keep the checksums they were given, copied parts get the ones
//     the upload asks for, and completion combines them as COMPOSITE or
//     FULL_OBJECT, or the parts' defaults into the CRC64NVME it answers for
//     an upload without an algorithm;
//   - list objects and uploads in byte order, with prefixes, delimiters,
//     StartAfter and markers, and resume a listing from its opaque Cursor
//     visiting every entry exactly once whatever the page size.
//
// Left unchecked, because the API layer does not depend on them: a
// bucket's creation time (ListBuckets answers the tenancy claim's), how
// part numbers with gaps map to GET ?partNumber, and durability across a
// restart, which each backend tests its own way.
//
// Each subtest gets a backend of its own from newBackend, holding one
// bucket the battery creates; subtests run in parallel. Bodies are small
// and CompleteOptions.MinPartSize is set low, so the battery itself takes a
// second or two (against an in-memory backend, with -race).
package storagetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// TestBackend runs the contract's subtests against backends made by
// newBackend, one per subtest. newBackend registers whatever cleanup the
// backend needs with t.Cleanup.
func TestBackend(t *testing.T, newBackend func(t *testing.T) storage.Backend) {
	TestBackendWithLimits(t, newBackend, Limits{})
}

// Limits declares what a backend cannot do because the store beneath it
// cannot. Where one is declared, the battery checks that the backend
// refuses that input cleanly instead of checking S3's behaviour; each is a
// difference from S3 its users must be told about.
type Limits struct {
	// CompleteNeedsEveryPart: the store completes an upload only with
	// every part uploaded to it and cannot remove a part (radosgw 16.2),
	// so a completion leaving one out, which S3 accepts and drops the
	// part, must be refused with ErrInvalidPart and leave the upload
	// as it was.
	CompleteNeedsEveryPart bool
}

// TestBackendWithLimits is TestBackend for a backend with limits.
func TestBackendWithLimits(t *testing.T, newBackend func(t *testing.T) storage.Backend, limits Limits) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, newBackend)
			e.limits = limits
			c.run(e)
		})
	}
}

// cases are the subtests, each run in a bucket of a fresh backend.
var cases = []struct {
	name string
	run  func(e *env)
}{
	{"Buckets", testBuckets},
	{"DeleteBucketDropsUploads", testDeleteBucketDropsUploads},
	{"MissingBucket", testMissingBucket},
	{"ConcurrentCreateBucket", testConcurrentCreateBucket},
	{"PutGet", testPutGet},
	{"Snapshots", testSnapshots},
	{"FailedPutsLeaveNothing", testFailedPuts},
	{"ConditionalWrites", testConditionalWrites},
	{"ConcurrentConditionalPuts", testConcurrentConditionalPuts},
	{"Deletes", testDeletes},
	{"Copy", testCopy},
	{"ReadConditions", testReadConditions},
	{"Ranges", testRanges},
	{"PartNumbers", testPartNumbers},
	{"List", testList},
	{"ListPaging", testListPaging},
	{"ListCursorSurvivesChanges", testListCursorSurvivesChanges},
	{"MultipartLifecycle", testMultipartLifecycle},
	{"CompleteRefusals", testCompleteRefusals},
	{"CompleteRetries", testCompleteRetries},
	{"Abort", testAbort},
	{"UploadBoundToKey", testUploadBoundToKey},
	{"FailedPartsLeaveNothing", testFailedParts},
	{"MultipartChecksums", testMultipartChecksums},
	{"DefaultChecksum", testDefaultChecksum},
	{"CopyPart", testCopyPart},
	{"ListUploads", testListUploads},
	{"BucketConfigs", testBucketConfigs},
}

// bucket is the name of the bucket every subtest starts with.
const bucket = "bucket"

// env is a backend with one bucket, and helpers that fail the test on any
// unexpected error.
type env struct {
	t      *testing.T
	b      storage.Backend
	ctx    context.Context
	limits Limits
}

func newEnv(t *testing.T, newBackend func(*testing.T) storage.Backend) *env {
	t.Helper()
	e := &env{t: t, b: newBackend(t), ctx: t.Context()}
	if err := e.b.CreateBucket(e.ctx, bucket); err != nil {
		t.Fatalf("CreateBucket(%q): %v", bucket, err)
	}
	return e
}

// at returns e reporting to t, for a nested subtest.
func (e *env) at(t *testing.T) *env {
	return &env{t: t, b: e.b, ctx: t.Context()}
}

// tryPut writes body to key; a zero opts.Size means the body's length.
func (e *env) tryPut(key, body string, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if opts.Size == 0 {
		opts.Size = int64(len(body))
	}
	return e.b.PutObject(e.ctx, bucket, key, strings.NewReader(body), opts)
}

func (e *env) put(key, body string, opts storage.PutOptions) storage.ObjectInfo {
	e.t.Helper()
	info, err := e.tryPut(key, body, opts)
	if err != nil {
		e.t.Fatalf("PutObject(%q): %v", key, err)
	}
	return info
}

// get reads a whole object, checking that a read without options selects
// all of it.
func (e *env) get(key string) string {
	e.t.Helper()
	o, err := e.b.OpenObject(e.ctx, bucket, key, storage.ReadOptions{})
	if err != nil {
		e.t.Fatalf("OpenObject(%q): %v", key, err)
	}
	defer o.Close()
	if sec, size := o.Section(), o.Info().Size; sec != (storage.Section{Length: size}) {
		e.t.Errorf("OpenObject(%q) without options: section %+v, want the whole %d bytes", key, sec, size)
	}
	return e.read(o)
}

// read returns the bytes of an open object's section.
func (e *env) read(o storage.Object) string {
	e.t.Helper()
	var buf bytes.Buffer
	n, err := o.WriteTo(&buf)
	if err != nil {
		e.t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) || n != o.Section().Length {
		e.t.Errorf("WriteTo wrote %d bytes, reported %d, section length %d", buf.Len(), n, o.Section().Length)
	}
	return buf.String()
}

func (e *env) stat(key string) storage.ObjectInfo {
	e.t.Helper()
	info, _, err := e.b.StatObject(e.ctx, bucket, key, storage.ReadOptions{})
	if err != nil {
		e.t.Fatalf("StatObject(%q): %v", key, err)
	}
	return info
}

// absent checks that key holds no object.
func (e *env) absent(key string) {
	e.t.Helper()
	if info, _, err := e.b.StatObject(e.ctx, bucket, key, storage.ReadOptions{}); !errors.Is(err, storage.ErrNoSuchKey) {
		e.t.Errorf("StatObject(%q) = %+v, %v; want ErrNoSuchKey", key, info, err)
	}
}

// keys lists every key of the bucket.
func (e *env) keys() []string {
	e.t.Helper()
	res, err := e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Limit: 1000})
	if err != nil {
		e.t.Fatalf("ListObjects: %v", err)
	}
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	return out
}

// listed returns the listing entry of key.
func (e *env) listed(key string) storage.ObjectInfo {
	e.t.Helper()
	res, err := e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Prefix: key, Limit: 1, Checksums: true})
	if err != nil {
		e.t.Fatalf("ListObjects(prefix %q): %v", key, err)
	}
	if len(res.Objects) == 0 || res.Objects[0].Key != key {
		e.t.Fatalf("ListObjects(prefix %q) = %+v: key not listed", key, res.Objects)
	}
	return res.Objects[0]
}

func (e *env) upload(key string, opts storage.UploadOptions) storage.Upload {
	e.t.Helper()
	up, err := e.b.CreateUpload(e.ctx, bucket, key, opts)
	if err != nil {
		e.t.Fatalf("CreateUpload(%q): %v", key, err)
	}
	return up
}

func (e *env) tryPart(up storage.Upload, n int, body string, opts storage.PartOptions) (storage.Part, error) {
	opts.Size = int64(len(body))
	return e.b.PutPart(e.ctx, bucket, up.Key, up.ID, n, strings.NewReader(body), opts)
}

func (e *env) part(up storage.Upload, n int, body string, opts storage.PartOptions) storage.Part {
	e.t.Helper()
	p, err := e.tryPart(up, n, body, opts)
	if err != nil {
		e.t.Fatalf("PutPart(%q, %d): %v", up.Key, n, err)
	}
	return p
}

// completed lists parts as a CompleteMultipartUpload request names them.
func completed(parts ...storage.Part) []storage.CompletedPart {
	out := make([]storage.CompletedPart, len(parts))
	for i, p := range parts {
		out[i] = storage.CompletedPart{Number: p.Number, ETag: p.ETag, Checksums: p.Checksums}
	}
	return out
}

func (e *env) tryComplete(up storage.Upload, opts storage.CompleteOptions, parts ...storage.Part) (storage.ObjectInfo, error) {
	return e.b.CompleteUpload(e.ctx, bucket, up.Key, up.ID, completed(parts...), opts)
}

func (e *env) complete(up storage.Upload, opts storage.CompleteOptions, parts ...storage.Part) storage.ObjectInfo {
	e.t.Helper()
	info, err := e.tryComplete(up, opts, parts...)
	if err != nil {
		e.t.Fatalf("CompleteUpload(%q): %v", up.Key, err)
	}
	return info
}

// multipart makes key a multipart object of the given parts, numbered
// from 1.
func (e *env) multipart(key string, opts storage.UploadOptions, bodies ...string) storage.ObjectInfo {
	e.t.Helper()
	up := e.upload(key, opts)
	var parts []storage.Part
	for i, body := range bodies {
		var popts storage.PartOptions
		if opts.ChecksumAlgorithm != "" {
			sums := map[string]string{opts.ChecksumAlgorithm: sum(opts.ChecksumAlgorithm, body)}
			popts.LateChecksums = func() map[string]string { return sums }
		}
		parts = append(parts, e.part(up, i+1, body, popts))
	}
	return e.complete(up, storage.CompleteOptions{}, parts...)
}

// uploadIDs lists the ids of the uploads in progress of the bucket.
func (e *env) uploadIDs() []string {
	e.t.Helper()
	l, err := e.b.ListUploads(e.ctx, bucket, storage.ListUploadsOptions{Limit: 1000})
	if err != nil {
		e.t.Fatalf("ListUploads: %v", err)
	}
	var out []string
	for _, u := range l.Uploads {
		out = append(out, u.ID)
	}
	return out
}

// md5hex is the ETag of a single-piece object holding s.
func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// md5raw is the Content-MD5 of s.
func md5raw(s string) []byte {
	h := md5.Sum([]byte(s))
	return h[:]
}

// multipartETag is the ETag of a multipart object made of parts.
func multipartETag(parts ...string) string {
	var all []byte
	for _, p := range parts {
		h := md5.Sum([]byte(p))
		all = append(all, h[:]...)
	}
	h := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h[:]), len(parts))
}

// sum is the base64 checksum of s with alg.
func sum(alg, s string) string {
	h := checksum.New(alg)
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// composite is S3's COMPOSITE checksum of parts: the checksum of the
// parts' raw checksums, and their count.
func composite(alg string, parts ...string) string {
	h := checksum.New(alg)
	for _, p := range parts {
		raw := checksum.New(alg)
		raw.Write([]byte(p))
		h.Write(raw.Sum(nil))
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts))
}

// sameSecond compares times at the resolution of HTTP dates, which is
// what the API layer answers and compares conditions at.
func sameSecond(a, b time.Time) bool {
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

// sameMap treats nil and empty maps alike.
func sameMap(a, b map[string]string) bool {
	return len(a) == len(b) && maps.Equal(a, b)
}

// infoDiff describes how got differs from want in what every method
// reports (key, size, ETag, Last-Modified, checksums and their type) and,
// with meta, in the metadata and part count, which listings leave out.
func infoDiff(got, want storage.ObjectInfo, meta bool) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s %v, want %v", field, g, w)) }
	if got.Key != want.Key {
		add("Key", got.Key, want.Key)
	}
	if got.Size != want.Size {
		add("Size", got.Size, want.Size)
	}
	if got.ETag != want.ETag {
		add("ETag", got.ETag, want.ETag)
	}
	if !sameSecond(got.LastModified, want.LastModified) || got.LastModified.IsZero() {
		add("LastModified", got.LastModified, want.LastModified)
	}
	if !sameMap(got.Checksums, want.Checksums) {
		add("Checksums", got.Checksums, want.Checksums)
	}
	if got.ChecksumType != want.ChecksumType {
		add("ChecksumType", got.ChecksumType, want.ChecksumType)
	}
	if meta {
		if got.ContentType != want.ContentType {
			add("ContentType", got.ContentType, want.ContentType)
		}
		if !sameMap(got.Headers, want.Headers) {
			add("Headers", got.Headers, want.Headers)
		}
		if !sameMap(got.User, want.User) {
			add("User", got.User, want.User)
		}
		if got.PartsCount != want.PartsCount {
			add("PartsCount", got.PartsCount, want.PartsCount)
		}
	}
	return strings.Join(d, "; ")
}

// agree checks that StatObject, OpenObject and ListObjects describe key as
// want, the info the write returned.
func (e *env) agree(key string, want storage.ObjectInfo) {
	e.t.Helper()
	if d := infoDiff(e.stat(key), want, true); d != "" {
		e.t.Errorf("StatObject(%q) disagrees with the write: %s", key, d)
	}
	o, err := e.b.OpenObject(e.ctx, bucket, key, storage.ReadOptions{})
	if err != nil {
		e.t.Fatalf("OpenObject(%q): %v", key, err)
	}
	info := o.Info()
	o.Close()
	if d := infoDiff(info, want, true); d != "" {
		e.t.Errorf("OpenObject(%q).Info disagrees with the write: %s", key, d)
	}
	if d := infoDiff(e.listed(key), want, false); d != "" {
		e.t.Errorf("ListObjects entry %q disagrees with the write: %s", key, d)
	}
}

// is reports whether err matches want, nil matching only nil.
func is(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// errBody is what a failing body returns: a checksum, digest or signature
// found wrong by the API layer's verifying readers.
var errBody = errors.New("storagetest: body failed verification")

// failingBody returns data in chunks of chunk bytes and then, instead of
// io.EOF, errBody: with the last chunk when together is set, else on the
// read after it.
type failingBody struct {
	data     []byte
	chunk    int
	together bool
}

func (f *failingBody) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errBody
	}
	n := copy(p, f.data[:min(len(f.data), max(f.chunk, 1))])
	f.data = f.data[n:]
	if f.together && len(f.data) == 0 {
		return n, errBody
	}
	return n, nil
}

// sortedEntries merges a page's keys and common prefixes into listing
// order.
func sortedEntries(res storage.ListResult) []string {
	out := make([]string, 0, len(res.Objects)+len(res.CommonPrefixes))
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	out = append(out, res.CommonPrefixes...)
	slices.Sort(out)
	return out
}
