package conformance

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CompleteMultipartUpload: the rules S3 enforces at completion, its answer,
// x-amz-mp-object-size and conditional completion.
//
// What the cases rely on, from the AWS API reference and from servers that
// measured real S3:
//   - Every part but the last must be at least 5 MiB, else Complete answers
//     400 EntityTooSmall; parts must be listed in ascending order, else 400
//     InvalidPartOrder, which S3 also answers for a part listed twice
//     (scality/cloudserver's AWS-compatible functional suite, case
//     [3, 3, 1000]); a part that was not uploaded, or an ETag or part
//     checksum that does not match it, is 400 InvalidPart (versitygw's
//     integration suite, run against S3); a Complete body without parts is
//     400 MalformedXML (ceph/s3-tests test_multipart_upload_empty).
//   - CompleteMultipartUpload honours If-None-Match: * with 412
//     PreconditionFailed when the key exists; only a 409 conflict ends the
//     upload (the AWS reference tells a client to re-initiate after a 409,
//     not after a 412).

func init() {
	register(
		Case{
			ID: "multipart/complete/single-small-part", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "an upload of one part smaller than 5 MiB completes; its ETag is the multipart ETag with -1",
			Run:  multipartCompleteSingleSmallPart,
		},
		Case{
			ID: "multipart/complete/min-part-size-boundary", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "a first part of exactly 5 MiB (5242880 bytes) followed by a 1-byte last part completes",
			Run:  multipartCompleteMinPartSizeBoundary,
		},
		Case{
			ID: "multipart/complete/unlisted-parts-discarded", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "parts uploaded but not listed in Complete are not in the object: its size is that of the listed parts",
			Run:  multipartCompleteUnlistedPartsDiscarded,
		},
		Case{
			ID: "multipart/complete/gaps-in-part-numbers", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "part numbers need not be consecutive (without part checksums): parts 2, 5 and 9 make an object of their bytes in that order",
			Run:  multipartCompleteGapsInPartNumbers,
		},
		Case{
			ID: "multipart/complete/response", Feature: Multipart, Ops: ops("CompleteMultipartUpload"),
			Desc: "a raw Complete answers 200 with a CompleteMultipartUploadResult naming the bucket, the key, a Location and the multipart ETag",
			Run:  multipartCompleteResponse,
		},
	)

	// Completions S3 refuses with 400, creating nothing.
	for _, c := range []struct {
		name, desc, code string
		ops              []string
		parts            func() [][]byte // uploaded as parts 1..N
		list             func(etags []string) []types.CompletedPart
	}{
		{"entity-too-small", "Complete with a part of 5 MiB minus one byte that is not the last answers 400 EntityTooSmall and creates nothing",
			"EntityTooSmall", ops("UploadPart", "CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(3, mpMinPart-1), []byte("last")} },
			func(et []string) []types.CompletedPart { return mpCompleted(et...) }},
		{"out-of-order", "Complete listing part 2 before part 1 (both of 5 MiB, so only the order is wrong) answers 400 InvalidPartOrder",
			"InvalidPartOrder", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(4, mpMinPart), mpData(14, mpMinPart)} },
			func(et []string) []types.CompletedPart {
				return []types.CompletedPart{mpPart(2, et[1]), mpPart(1, et[0])}
			}},
		{"duplicate-part", "Complete listing the same part number twice answers 400 InvalidPartOrder",
			"InvalidPartOrder", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(5, mpMinPart), []byte("last")} },
			func(et []string) []types.CompletedPart {
				return []types.CompletedPart{mpPart(1, et[0]), mpPart(1, et[0]), mpPart(2, et[1])}
			}},
		{"wrong-etag", "Complete naming an uploaded part with an ETag that is not its own answers 400 InvalidPart",
			"InvalidPart", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(6, mpMinPart), []byte("last")} },
			func(et []string) []types.CompletedPart { return mpCompleted(et[0], wrongETag) }},
		{"part-not-uploaded", "Complete naming a part number that was never uploaded answers 400 InvalidPart",
			"InvalidPart", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(8, mpMinPart)} },
			func(et []string) []types.CompletedPart { return mpCompleted(et[0], md5ETag([]byte("never uploaded"))) }},
	} {
		register(Case{
			ID: "multipart/complete/" + c.name, Feature: Multipart, Ops: c.ops, Desc: c.desc,
			Run: multipartCompleteRefused(c.code, c.parts, c.list),
		})
	}

	// Complete bodies S3 refuses with 400 MalformedXML, creating nothing.
	for _, c := range []struct {
		name, desc string
		body       func(etags []string) string
	}{
		{"empty-part-list", "Complete whose body lists no parts answers 400 MalformedXML",
			func([]string) string { return mpCompleteXML() }},
		{"malformed-xml", "Complete whose body is not well-formed XML answers 400 MalformedXML",
			func(et []string) string {
				return `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + et[0] + `</ETag>`
			}},
	} {
		register(Case{
			ID: "multipart/complete/" + c.name, Feature: Multipart, Ops: ops("CompleteMultipartUpload"), Desc: c.desc,
			Run: multipartCompleteMalformed(c.body),
		})
	}

	register(
		Case{
			ID: "multipart/complete/mp-object-size", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListParts", "GetObject"),
			Desc: "Complete with an x-amz-mp-object-size other than the parts' total gives 400 InvalidRequest, creates nothing and keeps the upload; with the total it completes",
			Run:  multipartCompleteMpObjectSize,
		},
	)

	// Conditional completion.
	register(
		Case{
			ID: "multipart/conditional/if-none-match-key-exists", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "ListParts", "DeleteObject", "GetObject"),
			Desc: "Complete with If-None-Match: * onto an existing key answers 412 PreconditionFailed, leaves the object and the upload as they were, and the upload completes once the key is free",
			Run:  multipartConditionalIfNoneMatchKeyExists,
		},
		Case{
			ID: "multipart/conditional/if-none-match-key-absent", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "GetObject"),
			Desc: "Complete with If-None-Match: * onto a free key succeeds",
			Run:  multipartConditionalIfNoneMatchKeyAbsent,
		},
	)
}

func multipartCompleteSingleSmallPart(t T, e *Env) {
	b := e.NewBucket()
	p := []byte("a single part of a few bytes")
	eq(t, "ETag", mpPut(t, e, b, "k", p), mpETag(p))
	eq(t, "body", string(e.Get(b, "k")), string(p))
}

func multipartCompleteMinPartSizeBoundary(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(2, mpMinPart), {'!'}}
	eq(t, "ETag", mpPut(t, e, b, "k", parts...), mpETag(parts...))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartCompleteUnlistedPartsDiscarded(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(11, mpMinPart), []byte("second"), []byte("third, never listed")}
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, parts...)
	out := mpComplete(t, e, b, "k", id, mpCompleted(etags[:2]...))
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(parts[:2]...))
	eq(t, "Content-Length", aws.ToInt64(headObject(t, e, b, "k").ContentLength), int64(mpMinPart+len("second")))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts[:2]...))
}

func multipartCompleteGapsInPartNumbers(t T, e *Env) {
	b := e.NewBucket()
	// A client that adds no checksums: S3 wants consecutive
	// numbers only of parts that carry one.
	plain := e.SDKAs(e.Target.Full, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	id := mpCreate(t, e, b, "k")
	nums := []int32{2, 5, 9}
	parts := [][]byte{mpData(12, mpMinPart), mpData(13, mpMinPart), []byte("ninth")}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := plain.UploadPart(t.Context(), &s3.UploadPartInput{
			Bucket: aws.String(b), Key: aws.String("k"), UploadId: aws.String(id),
			PartNumber: aws.Int32(nums[i]), Body: bytes.NewReader(p),
		})
		mustf(t, err, "UploadPart %d", nums[i])
		done = append(done, mpPart(nums[i], aws.ToString(out.ETag)))
	}
	out := mpComplete(t, e, b, "k", id, done)
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(parts...))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartCompleteResponse(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(24, mpMinPart), []byte("end")}
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, parts...)
	resp := mpRawComplete(e, b, "k", id, mpCompleteXML(etags...))
	wantStatus(t, resp, http.StatusOK)
	var doc struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}
	decodeXML(t, resp, "CompleteMultipartUploadResult", &doc)
	eq(t, "Bucket", doc.Bucket, b)
	eq(t, "Key", doc.Key, "k")
	eq(t, "ETag", doc.ETag, mpETag(parts...))
	if doc.Location == "" {
		t.Fatalf("no Location in %s", resp.Body().Raw())
	}
	// An absolute URL in the scheme the client used: a TLS
	// endpoint must not hand out an http:// Location.
	loc, err := url.Parse(doc.Location)
	ep, _ := url.Parse(e.Target.Endpoint)
	if err != nil || !loc.IsAbs() || loc.Scheme != ep.Scheme {
		t.Fatalf("Location %q is not an absolute %s URL", doc.Location, ep.Scheme)
	}
}

// multipartCompleteRefused makes the multipart/complete/* case of a
// Complete that S3 refuses with 400 code: it uploads parts() as parts 1..N
// and completes with the list made from their ETags.
func multipartCompleteRefused(code string, parts func() [][]byte, list func(etags []string) []types.CompletedPart) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		etags := mpUploadAll(t, e, b, "k", id, parts()...)
		_, err := mpCompleteErr(t, e, b, "k", id, list(etags))
		wantCode(t, err, code, http.StatusBadRequest)
		wantAbsent(t, e, b, "k")
	}
}

// multipartCompleteMalformed makes the multipart/complete/* case of a
// Complete body, made from the parts' ETags, that S3 refuses as
// MalformedXML.
func multipartCompleteMalformed(body func(etags []string) string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		etags := mpUploadAll(t, e, b, "k", id, []byte("a part"))
		wantError(t, mpRawComplete(e, b, "k", id, body(etags)), http.StatusBadRequest, "MalformedXML")
		wantAbsent(t, e, b, "k")
	}
}

func multipartCompleteMpObjectSize(t T, e *Env) {
	// CompleteMultipartUpload x-amz-mp-object-size (API
	// reference): "If there's a mismatch between the specified
	// object size value and the actual object size value, it
	// results in an HTTP 400 InvalidRequest error."
	b := e.NewBucket()
	parts := [][]byte{mpData(66, mpMinPart), []byte("tail")}
	id := mpCreate(t, e, b, "k")
	in := mpCompleteInput(b, "k", id, mpCompleted(mpUploadAll(t, e, b, "k", id, parts...)...))
	total := int64(len(mpConcat(parts...)))
	in.MpuObjectSize = aws.Int64(total + 1)
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "InvalidRequest", http.StatusBadRequest)
	wantAbsent(t, e, b, "k")
	eq(t, "parts after the refused Complete", len(mpPartsListed(t, e, b, "k", id)), 2)
	in.MpuObjectSize = aws.Int64(total)
	_, err = e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with the right x-amz-mp-object-size")
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartConditionalIfNoneMatchKeyExists(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "already here")
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("from the upload"))
	in := mpCompleteInput(b, "k", id, mpCompleted(etags...))
	in.IfNoneMatch = aws.String("*")
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	eq(t, "body of the existing object", string(e.Get(b, "k")), "already here")
	eq(t, "parts after the 412", len(mpPartsListed(t, e, b, "k", id)), 1)

	_, err = e.SDK.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "DeleteObject")
	_, err = e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with If-None-Match: * once the key is free")
	eq(t, "body", string(e.Get(b, "k")), "from the upload")
}

func multipartConditionalIfNoneMatchKeyAbsent(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("first writer"))
	in := mpCompleteInput(b, "k", id, mpCompleted(etags...))
	in.IfNoneMatch = aws.String("*")
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with If-None-Match: *")
	eq(t, "body", string(e.Get(b, "k")), "first writer")
}
