package conformance

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// CopyObject. From the AWS CopyObject reference: x-amz-copy-source is
// "bucket/key" (URL-encoded); the metadata directive is COPY (default) or
// REPLACE and "values other than COPY or REPLACE result in an immediate
// 400-based error response"; with COPY, user metadata in the request is
// ignored; copying an object onto itself needs REPLACE (else 400
// InvalidRequest); the x-amz-copy-source-if-* headers fail the copy with 412,
// with the documented exceptions that if-match true + if-unmodified-since
// false copies, and if-none-match false + if-modified-since true fails.
// What code S3 gives an unknown directive, and what it answers to a copy
// source without a key, no capture of S3 shows (servers copying AWS, MinIO
// and localstack, say 400 InvalidArgument): those cases check only a 400
// and a 4xx error document, and that nothing is created.

// copyResult is the body of a successful CopyObject.
type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// The source object the copy cases store: its bytes, Content-Type and user
// metadata.
const (
	copyBody = "copy me, byte for byte"
	copyType = "text/x-source"
)

var copyMeta = map[string]string{"color": "blue", "size": "small"}

// copyRequest starts a raw CopyObject of source (the x-amz-copy-source value,
// already encoded) to bucket/key.
func copyRequest(e *Env, bucket, key, source string) *httpexpect.Request {
	return e.Request(http.MethodPut, bucket, key).WithHeader("x-amz-copy-source", source)
}

// copyPutSource stores the source object with a content type and user
// metadata and returns its ETag.
func copyPutSource(t T, e *Env, bucket, key string) string {
	t.Helper()
	out, err := e.SDK.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(copyBody),
		ContentType: aws.String(copyType), Metadata: copyMeta,
	})
	mustf(t, err, "PutObject %s/%s", bucket, key)
	return aws.ToString(out.ETag)
}

// copyInput is a plain SDK CopyObject of source ("bucket/key") to bucket/key.
func copyInput(bucket, key, source string) *s3.CopyObjectInput {
	return &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), CopySource: aws.String(source)}
}

// copyReplaceInput is an SDK CopyObject with the REPLACE directive, giving
// the copy contentType and the user metadata meta.
func copyReplaceInput(bucket, key, source, contentType string, meta map[string]string) *s3.CopyObjectInput {
	in := copyInput(bucket, key, source)
	in.MetadataDirective = types.MetadataDirectiveReplace
	in.ContentType = aws.String(contentType)
	in.Metadata = meta
	return in
}

// copyWantRefused fails the case unless resp is an S3 error document with
// one of the statuses.
func copyWantRefused(t T, resp *httpexpect.Response, statuses ...int) {
	t.Helper()
	st := resp.Raw().StatusCode
	if !slices.Contains(statuses, st) {
		t.Fatalf("HTTP status = %d, want one of %v\nbody: %s", st, statuses, quoteIfString(resp.Body().Raw()))
	}
	if doc := parseError(t, resp); doc.Code == "" {
		t.Fatalf("the refusal's error document has no <Code>: %s", quoteIfString(resp.Body().Raw()))
	}
}

// copyObject runs CopyObject through the SDK and fails the case on error.
func copyObject(t T, e *Env, in *s3.CopyObjectInput) *s3.CopyObjectOutput {
	t.Helper()
	out, err := e.SDK.CopyObject(t.Context(), in)
	mustf(t, err, "CopyObject %s to %s/%s", aws.ToString(in.CopySource), aws.ToString(in.Bucket), aws.ToString(in.Key))
	return out
}

// copyCond is one x-amz-copy-source-if-* header: the name after
// "x-amz-copy-source-" and its value, from the source's ETag and
// Last-Modified.
type copyCond struct {
	name  string
	value func(etag string, lm time.Time) string
}

// The values of copyCond headers: the source's ETag, another one, and the
// source's Last-Modified moved by d.
func copySourceETag(etag string, _ time.Time) string { return etag }
func copyOtherETag(string, time.Time) string         { return wrongETag }
func copyLastModified(d time.Duration) func(string, time.Time) string {
	return func(_ string, lm time.Time) string { return httpDate(lm.Add(d)) }
}

func init() {
	register(
		Case{
			ID: "objects/copy/sdk/bytes-and-etag", Feature: Objects, Ops: ops("CopyObject", "GetObject"),
			Desc: "CopyObject copies the bytes; CopyObjectResult has the source's ETag (simple upload) and a LastModified",
			Run:  objectsCopySdkBytesAndEtag,
		},
		Case{
			ID: "objects/copy/raw/result-xml", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "a raw CopyObject answers 200 with a CopyObjectResult XML body holding the ETag and an ISO 8601 LastModified",
			Run:  objectsCopyRawResultXml,
		},
		Case{
			ID: "objects/copy/metadata/copy-by-default", Feature: Objects, Ops: ops("CopyObject", "HeadObject"),
			Desc: "without a metadata directive, the copy keeps the source's Content-Type and user metadata",
			Run:  objectsCopyMetadataCopyByDefault,
		},
		Case{
			ID: "objects/copy/metadata/copy-ignores-request-metadata", Feature: Objects, Ops: ops("CopyObject", "HeadObject"),
			Desc: "with the COPY directive, user metadata sent with the request is ignored and the source's is kept",
			Run:  objectsCopyMetadataCopyIgnoresRequestMetadata,
		},
		Case{
			ID: "objects/copy/metadata/replace", Feature: Objects, Ops: ops("CopyObject", "HeadObject"),
			Desc: "with the REPLACE directive, the copy has exactly the request's Content-Type and user metadata",
			Run:  objectsCopyMetadataReplace,
		},
		Case{
			ID: "objects/copy/self/without-replace", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "copying an object onto itself without REPLACE fails with 400 InvalidRequest and leaves it unchanged",
			Run:  objectsCopySelfWithoutReplace,
		},
		Case{
			ID: "objects/copy/self/with-replace", Feature: Objects, Ops: ops("CopyObject", "HeadObject"),
			Desc: "copying an object onto itself with REPLACE succeeds and replaces its metadata, keeping its bytes and ETag",
			Run:  objectsCopySelfWithReplace,
		},
		Case{
			ID: "objects/copy/missing-source-key", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "copying a key that does not exist fails with 404 NoSuchKey and creates nothing",
			Run:  objectsCopyMissingSourceKey,
		},
		Case{
			ID: "objects/copy/missing-source-bucket", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "copying from a bucket that does not exist fails with 404 NoSuchBucket",
			Run:  objectsCopyMissingSourceBucket,
		},
		Case{
			ID: "objects/copy/cross-bucket", Feature: Objects, Ops: ops("CopyObject", "GetObject"),
			Desc: "CopyObject copies an object into another bucket with its bytes, ETag and metadata",
			Run:  objectsCopyCrossBucket,
		},
		Case{
			ID: "objects/copy/overwrites-destination", Feature: Objects, Ops: ops("CopyObject", "GetObject"),
			Desc: "CopyObject replaces an existing destination object, bytes, ETag and metadata",
			Run:  objectsCopyOverwritesDestination,
		},
		Case{
			ID: "objects/copy/source/plus-is-not-space", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "a %2B in x-amz-copy-source names a key with '+', not the key with a space",
			Run:  objectsCopySourcePlusIsNotSpace,
		},
		Case{
			ID: "objects/copy/source/no-key", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "an x-amz-copy-source naming only a bucket is refused with a 4xx error and creates nothing",
			Run:  objectsCopySourceNoKey,
		},
		Case{
			ID: "objects/copy/metadata/unknown-directive", Feature: Objects, Ops: ops("CopyObject"),
			Desc: "an x-amz-metadata-directive other than COPY or REPLACE fails with a 400 error and creates nothing",
			Run:  objectsCopyMetadataUnknownDirective,
		},
	)

	// Both forms of x-amz-copy-source: /bucket/key and bucket/key.
	for _, c := range []struct{ id, slash, desc string }{
		{"leading-slash", "/", "x-amz-copy-source of the form /bucket/key (leading slash) is accepted"},
		{"no-leading-slash", "", "x-amz-copy-source of the form bucket/key (no leading slash) is accepted"},
	} {
		register(Case{
			ID: "objects/copy/source/" + c.id, Feature: Objects, Ops: ops("CopyObject"), Desc: c.desc,
			Run: objectsCopySource(c.slash),
		})
	}

	// Keys whose names need encoding in x-amz-copy-source.
	for _, c := range []struct{ name, key string }{
		{"space", "with space"},
		{"percent", "100% sure"},
		{"question-mark", "what?really"},
		{"unicode", "caf\u00e9/\u00fcber-\u65e5\u672c"},
		{"mixed", "dir one/a b+c%d?e=f&g#h"},
	} {
		register(Case{
			ID: "objects/copy/source/encoded-key/" + c.name, Feature: Objects, Ops: ops("CopyObject"),
			Desc: fmt.Sprintf("a source key %q, URL-encoded in x-amz-copy-source, is copied", c.key),
			Run:  objectsCopySourceEncodedKey(c.name, c.key),
		})
	}

	// x-amz-copy-source-if-* preconditions.
	for _, c := range []struct {
		name  string
		conds []copyCond
		sleep bool // wait until the source's Last-Modified is past
		ok    bool
	}{
		{"if-match/match", []copyCond{{"if-match", copySourceETag}}, false, true},
		{"if-match/mismatch", []copyCond{{"if-match", copyOtherETag}}, false, false},
		{"if-none-match/match", []copyCond{{"if-none-match", copySourceETag}}, false, false},
		{"if-none-match/mismatch", []copyCond{{"if-none-match", copyOtherETag}}, false, true},
		{"if-unmodified-since/before", []copyCond{{"if-unmodified-since", copyLastModified(-time.Hour)}}, false, false},
		{"if-unmodified-since/after", []copyCond{{"if-unmodified-since", copyLastModified(time.Hour)}}, false, true},
		{"if-modified-since/after", []copyCond{{"if-modified-since", copyLastModified(time.Second)}}, true, false},
		{"if-modified-since/before", []copyCond{{"if-modified-since", copyLastModified(-time.Hour)}}, false, true},
		{"combined/if-match-true-if-unmodified-since-false",
			[]copyCond{{"if-match", copySourceETag}, {"if-unmodified-since", copyLastModified(-time.Hour)}}, false, true},
		{"combined/if-none-match-false-if-modified-since-true",
			[]copyCond{{"if-none-match", copySourceETag}, {"if-modified-since", copyLastModified(-time.Hour)}}, false, false},
	} {
		outcome := "copies (200)"
		if !c.ok {
			outcome = "fails with 412 PreconditionFailed and creates nothing"
		}
		register(Case{
			ID: "objects/copy/conditional/" + c.name, Feature: Objects, Ops: ops("CopyObject"),
			Desc: fmt.Sprintf("CopyObject with x-amz-copy-source %s %s", c.name, outcome),
			Run:  objectsCopyConditional(c.conds, c.sleep, c.ok),
		})
	}
}

func objectsCopySdkBytesAndEtag(t T, e *Env) {
	b := e.NewBucket()
	srcETag := copyPutSource(t, e, b, "src")
	out := copyObject(t, e, copyInput(b, "dst", b+"/src"))
	if out.CopyObjectResult == nil {
		t.Fatalf("CopyObject returned no CopyObjectResult")
	}
	eq(t, "CopyObjectResult.ETag", aws.ToString(out.CopyObjectResult.ETag), srcETag)
	if out.CopyObjectResult.LastModified == nil || out.CopyObjectResult.LastModified.IsZero() {
		t.Fatalf("CopyObjectResult.LastModified is missing")
	}
	eq(t, "copied body", string(e.Get(b, "dst")), copyBody)
	eq(t, "source body", string(e.Get(b, "src")), copyBody)
	eq(t, "destination ETag", aws.ToString(headObject(t, e, b, "dst").ETag), srcETag)
}

func objectsCopyRawResultXml(t T, e *Env) {
	b := e.NewBucket()
	srcETag := copyPutSource(t, e, b, "src")
	resp := copyRequest(e, b, "dst", b+"/src").Expect()
	resp.Status(http.StatusOK)
	var res copyResult
	decodeXML(t, resp, "CopyObjectResult", &res)
	eq(t, "ETag", res.ETag, srcETag)
	if _, err := time.Parse(time.RFC3339, res.LastModified); err != nil {
		t.Fatalf("LastModified %q is not ISO 8601: %v", res.LastModified, err)
	}
	eq(t, "copied body", string(e.Get(b, "dst")), copyBody)
}

func objectsCopyMetadataCopyByDefault(t T, e *Env) {
	b := e.NewBucket()
	copyPutSource(t, e, b, "src")
	copyObject(t, e, copyInput(b, "dst", b+"/src"))
	wantTypeAndMetadata(t, e, b, "dst", copyType, copyMeta)
}

func objectsCopyMetadataCopyIgnoresRequestMetadata(t T, e *Env) {
	b := e.NewBucket()
	copyPutSource(t, e, b, "src")
	copyRequest(e, b, "dst", b+"/src").
		WithHeader("x-amz-metadata-directive", "COPY").
		WithHeader("x-amz-meta-color", "red").
		Expect().Status(http.StatusOK)
	wantTypeAndMetadata(t, e, b, "dst", copyType, copyMeta)
}

func objectsCopyMetadataReplace(t T, e *Env) {
	b := e.NewBucket()
	copyPutSource(t, e, b, "src")
	copyObject(t, e, copyReplaceInput(b, "dst", b+"/src", "text/x-replaced", map[string]string{"shape": "round"}))
	wantTypeAndMetadata(t, e, b, "dst", "text/x-replaced", map[string]string{"shape": "round"})
	eq(t, "copied body", string(e.Get(b, "dst")), copyBody)
	// The source is untouched.
	wantTypeAndMetadata(t, e, b, "src", copyType, copyMeta)
}

func objectsCopySelfWithoutReplace(t T, e *Env) {
	b := e.NewBucket()
	copyPutSource(t, e, b, "k")
	_, err := e.SDK.CopyObject(t.Context(), copyInput(b, "k", b+"/k"))
	wantCode(t, err, "InvalidRequest", http.StatusBadRequest)
	wantTypeAndMetadata(t, e, b, "k", copyType, copyMeta)
}

func objectsCopySelfWithReplace(t T, e *Env) {
	b := e.NewBucket()
	etag := copyPutSource(t, e, b, "k")
	out := copyObject(t, e, copyReplaceInput(b, "k", b+"/k", "text/x-updated", map[string]string{"color": "green"}))
	eq(t, "CopyObjectResult.ETag", aws.ToString(out.CopyObjectResult.ETag), etag)
	wantTypeAndMetadata(t, e, b, "k", "text/x-updated", map[string]string{"color": "green"})
	eq(t, "body", string(e.Get(b, "k")), copyBody)
}

func objectsCopyMissingSourceKey(t T, e *Env) {
	b := e.NewBucket()
	_, err := e.SDK.CopyObject(t.Context(), copyInput(b, "dst", b+"/nope"))
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)
	wantAbsent(t, e, b, "dst")
}

func objectsCopyMissingSourceBucket(t T, e *Env) {
	b := e.NewBucket()
	_, err := e.SDK.CopyObject(t.Context(), copyInput(b, "dst", e.BucketName()+"/k"))
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
	wantAbsent(t, e, b, "dst")
}

func objectsCopyCrossBucket(t T, e *Env) {
	src, dst := e.NewBucket(), e.NewBucket()
	etag := copyPutSource(t, e, src, "dir/obj")
	out := copyObject(t, e, copyInput(dst, "other/name", src+"/dir/obj"))
	eq(t, "CopyObjectResult.ETag", aws.ToString(out.CopyObjectResult.ETag), etag)
	eq(t, "copied body", string(e.Get(dst, "other/name")), copyBody)
	wantTypeAndMetadata(t, e, dst, "other/name", copyType, copyMeta)
	eq(t, "source body", string(e.Get(src, "dir/obj")), copyBody)
}

func objectsCopyOverwritesDestination(t T, e *Env) {
	b := e.NewBucket()
	etag := copyPutSource(t, e, b, "src")
	_, err := e.SDK.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("dst"), Body: strings.NewReader("old destination, longer than the source body"),
		ContentType: aws.String("text/x-old"), Metadata: map[string]string{"old": "yes"},
	})
	mustf(t, err, "PutObject destination")
	copyObject(t, e, copyInput(b, "dst", b+"/src"))
	eq(t, "destination body", string(e.Get(b, "dst")), copyBody)
	eq(t, "destination ETag", aws.ToString(headObject(t, e, b, "dst").ETag), etag)
	wantTypeAndMetadata(t, e, b, "dst", copyType, copyMeta)
}

func objectsCopySourcePlusIsNotSpace(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "a+b", "plus")
	e.PutString(b, "a b", "space")
	copyRequest(e, b, "dst-plus", b+"/a%2Bb").Expect().Status(http.StatusOK)
	eq(t, "copy of a%2Bb", string(e.Get(b, "dst-plus")), "plus")
	copyRequest(e, b, "dst-space", b+"/a%20b").Expect().Status(http.StatusOK)
	eq(t, "copy of a%20b", string(e.Get(b, "dst-space")), "space")
}

func objectsCopySourceNoKey(t T, e *Env) {
	b := e.NewBucket()
	copyWantRefused(t, copyRequest(e, b, "dst", b).Expect(), http.StatusBadRequest, http.StatusNotFound)
	wantAbsent(t, e, b, "dst")
}

func objectsCopyMetadataUnknownDirective(t T, e *Env) {
	b := e.NewBucket()
	copyPutSource(t, e, b, "src")
	resp := copyRequest(e, b, "dst", b+"/src").WithHeader("x-amz-metadata-directive", "MOVE").Expect()
	copyWantRefused(t, resp, http.StatusBadRequest)
	wantAbsent(t, e, b, "dst")
}

// objectsCopySource makes the objects/copy/source/* case of a copy source
// that starts with slash ("/" or "") and then bucket/key.
func objectsCopySource(slash string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		copyPutSource(t, e, b, "dir/src")
		copyRequest(e, b, "dst", slash+b+"/dir/src").Expect().Status(http.StatusOK)
		eq(t, "copied body", string(e.Get(b, "dst")), copyBody)
	}
}

// objectsCopySourceEncodedKey makes the objects/copy/source/encoded-key/*
// case of one key, named name.
func objectsCopySourceEncodedKey(name, key string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, key, "special "+name)
		resp := copyRequest(e, b, "dst", b+"/"+escapeKey(key)).Expect()
		resp.Status(http.StatusOK)
		eq(t, "copied body", string(e.Get(b, "dst")), "special "+name)
		// And the reverse: a copy to that key reads back under it.
		copyRequest(e, b, key+".copy", b+"/dst").Expect().Status(http.StatusOK)
		eq(t, "copy to the special key", string(e.Get(b, key+".copy")), "special "+name)
	}
}

// objectsCopyConditional makes the objects/copy/conditional/* case of a
// copy with conds, after waiting for the source's Last-Modified to pass when
// sleep is set, that copies when ok and is refused otherwise.
func objectsCopyConditional(conds []copyCond, sleep, ok bool) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		etag := copyPutSource(t, e, b, "src")
		lm := lastModified(t, e, b, "src")
		if sleep {
			awaitServerPast()
		}
		req := copyRequest(e, b, "dst", b+"/src")
		for _, h := range conds {
			req = req.WithHeader("x-amz-copy-source-"+h.name, h.value(etag, lm))
		}
		resp := req.Expect()
		if ok {
			resp.Status(http.StatusOK)
			eq(t, "copied body", string(e.Get(b, "dst")), copyBody)
			return
		}
		wantError(t, resp, http.StatusPreconditionFailed, "PreconditionFailed")
		wantAbsent(t, e, b, "dst")
	}
}

// Checksums of copies. CopyObject's x-amz-checksum-algorithm (API
// reference): "When you copy an object, if the source object has a
// checksum, that checksum value will be copied to the new object by default.
// If the CopyObject request does not include this x-amz-checksum-algorithm
// header, the checksum algorithm will be copied from the source object to
// the destination object (if it's present on the source object). You can
// optionally specify a different checksum algorithm to use with the
// x-amz-checksum-algorithm header. Unrecognized or unsupported values will
// respond with the HTTP status code 400 Bad Request." CopyObjectResult
// carries the copy's checksum and type; its ChecksumCRC64NVME "is present if
// the object being copied was uploaded with the CRC64NVME checksum
// algorithm, or if the object was uploaded without a checksum (and Amazon S3
// added the default checksum, CRC64NVME, to the uploaded object)".
func init() {
	register(
		Case{
			ID: "objects/copy/checksum/kept", Feature: Checksums, Ops: ops("PutObject", "CopyObject", "HeadObject"),
			Desc: "CopyObject without x-amz-checksum-algorithm gives the copy the source's checksum (SHA256, XXHASH3), in CopyObjectResult and on HeadObject in checksum mode",
			Run:  objectsCopyChecksumKept,
		},
		Case{
			ID: "objects/copy/checksum/default", Feature: Checksums, Ops: ops("PutObject", "CopyObject", "HeadObject"),
			Desc: "the copy of an object uploaded without a checksum has the source's default CRC64NVME, in CopyObjectResult and on HeadObject",
			Run:  objectsCopyChecksumDefault,
		},
		Case{
			ID: "objects/copy/checksum/new-algorithm", Feature: Checksums, Ops: ops("PutObject", "CopyObject", "HeadObject"),
			Desc: "CopyObject with x-amz-checksum-algorithm (SHA512, XXHASH128) gives the copy a checksum of that algorithm over its bytes, in place of the source's CRC32",
			Run:  objectsCopyChecksumNewAlgorithm,
		},
		Case{
			ID: "objects/copy/checksum/unknown-algorithm", Feature: Checksums, Ops: ops("CopyObject"),
			Desc: "CopyObject with an x-amz-checksum-algorithm S3 does not know (CRC16) is refused with 400 and creates nothing",
			Run:  objectsCopyChecksumUnknownAlgorithm,
		},
		Case{
			ID: "multipart/upload-part-copy/checksum", Feature: Multipart, Ops: ops("CreateMultipartUpload", "UploadPartCopy"),
			Desc: "UploadPartCopy into an upload created with an algorithm (SHA256, XXHASH64) answers the copied range's checksum of that algorithm",
			Run:  multipartUploadPartCopyChecksum,
		},
	)
}

func objectsCopyChecksumKept(t T, e *Env) {
	b := e.NewBucket()
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmXxhash3} {
		name := string(alg)
		cksPut(t, e, b, "src", alg)
		want := cksValue(name, cksData)
		out := copyObject(t, e, copyInput(b, "dst", b+"/src"))
		if out.CopyObjectResult == nil {
			t.Fatalf("CopyObject returned no CopyObjectResult")
		}
		eq(t, "CopyObjectResult Checksum"+name, cksOf(name, out.CopyObjectResult), want)
		eq(t, "CopyObjectResult ChecksumType", out.CopyObjectResult.ChecksumType, types.ChecksumTypeFullObject)
		head := e.Request(http.MethodHead, b, "dst").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
		wantStatus(t, head, http.StatusOK)
		cksWantOnly(t, "HeadObject of the copy", head, cksHeader(name), want)
	}
}

func objectsCopyChecksumDefault(t T, e *Env) {
	b := e.NewBucket()
	wantStatus(t, e.Request(http.MethodPut, b, "src").WithBytes(cksData).Expect(), http.StatusOK)
	want := cksValue("CRC64NVME", cksData)
	out := copyObject(t, e, copyInput(b, "dst", b+"/src"))
	eq(t, "CopyObjectResult ChecksumCRC64NVME", aws.ToString(out.CopyObjectResult.ChecksumCRC64NVME), want)
	head := e.Request(http.MethodHead, b, "dst").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantStatus(t, head, http.StatusOK)
	cksWantOnly(t, "HeadObject of the copy", head, "x-amz-checksum-crc64nvme", want)
}

func objectsCopyChecksumNewAlgorithm(t T, e *Env) {
	b := e.NewBucket()
	cksPut(t, e, b, "src", types.ChecksumAlgorithmCrc32)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmSha512, types.ChecksumAlgorithmXxhash128} {
		name := string(alg)
		in := copyInput(b, "dst-"+strings.ToLower(name), b+"/src")
		in.ChecksumAlgorithm = alg
		out := copyObject(t, e, in)
		want := cksValue(name, cksData)
		eq(t, "CopyObjectResult Checksum"+name, cksOf(name, out.CopyObjectResult), want)
		head := e.Request(http.MethodHead, b, "dst-"+strings.ToLower(name)).WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
		wantStatus(t, head, http.StatusOK)
		cksWantOnly(t, "HeadObject of the copy", head, cksHeader(name), want)
	}
}

func objectsCopyChecksumUnknownAlgorithm(t T, e *Env) {
	// The reference gives the status only; the code is not checked.
	b := e.NewBucket()
	e.PutString(b, "src", copyBody)
	resp := copyRequest(e, b, "dst", b+"/src").WithHeader("x-amz-checksum-algorithm", "CRC16").Expect()
	wantStatus(t, resp, http.StatusBadRequest)
	parseError(t, resp)
	wantAbsent(t, e, b, "dst")
}

func multipartUploadPartCopyChecksum(t T, e *Env) {
	// CopyPartResult's ChecksumSHA256 "specifies the Base64
	// encoded, 256-bit SHA256 checksum of the part" (UploadPartCopy,
	// API reference); the part's algorithm is the upload's.
	b := e.NewBucket()
	src := mpData(70, 3000)
	e.Put(b, "src", src)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmXxhash64} {
		id := mpCreate(t, e, b, "dst", mpWithChecksum(alg, ""))
		cp, err := mpCopyPartErr(t, e, b, "dst", id, 1, b+"/src", "bytes=100-1099")
		mustf(t, err, "UploadPartCopy")
		eq(t, "CopyPartResult Checksum"+string(alg), cksOf(string(alg), cp.CopyPartResult), cksValue(string(alg), src[100:1100]))
	}
}
