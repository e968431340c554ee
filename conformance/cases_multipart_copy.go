package conformance

import (
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// UploadPartCopy: a part copied from an object, whole or by range.
//
// What the cases rely on, from the AWS API reference and from servers that
// measured real S3:
//   - UploadPartCopy with an x-amz-copy-source-range beyond the source is
//     400 InvalidArgument "Range specified is not valid for source object of
//     size: N" (versitygw#610 and s3fs#321 quote S3).

func init() {
	register(
		Case{
			ID: "multipart/upload-part-copy/whole-object", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "CompleteMultipartUpload", "GetObject"),
			Desc: "UploadPartCopy of a whole small object makes it a part, with its MD5 as the part's ETag; the completed object is the concatenation",
			Run:  multipartUploadPartCopyWholeObject,
		},
		Case{
			ID: "multipart/upload-part-copy/range", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "CompleteMultipartUpload", "GetObject"),
			Desc: "UploadPartCopy with x-amz-copy-source-range copies exactly those bytes: two ranges of one source complete into their concatenation",
			Run:  multipartUploadPartCopyRange,
		},
		Case{
			ID: "multipart/upload-part-copy/range-beyond-source", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "ListParts"),
			Desc: "UploadPartCopy with a copy-source range that ends past the source answers 400 InvalidArgument and adds no part",
			Run:  multipartUploadPartCopyRangeBeyondSource,
		},
		Case{
			ID: "multipart/upload-part-copy/range-boundaries", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "ListParts"),
			Desc: "x-amz-copy-source-range is inclusive at both ends: a one-byte range and one ending at the source's last byte copy exactly, one ending a byte past it answers 400 InvalidArgument",
			Run:  multipartUploadPartCopyRangeBoundaries,
		},
	)
}

func multipartUploadPartCopyWholeObject(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(20, 3000)
	e.Put(b, "src", src)
	first := mpData(21, mpMinPart)
	id := mpCreate(t, e, b, "dst")
	e1 := mpUploadPart(t, e, b, "dst", id, 1, first)
	e2 := mpCopyPart(t, e, b, "dst", id, 2, b+"/src", "")
	eq(t, "CopyPartResult ETag", e2, md5ETag(src))
	out := mpComplete(t, e, b, "dst", id, mpCompleted(e1, e2))
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(first, src))
	mpWantBytes(t, "body", e.Get(b, "dst"), mpConcat(first, src))
}

func multipartUploadPartCopyRange(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(22, mpMinPart+1000)
	e.Put(b, "src", src)
	id := mpCreate(t, e, b, "dst")
	var etags []string
	ranges := []struct{ first, last int }{{1000, 1000 + mpMinPart - 1}, {0, 999}}
	for i, r := range ranges {
		et := mpCopyPart(t, e, b, "dst", id, int32(i+1), b+"/src", fmt.Sprintf("bytes=%d-%d", r.first, r.last))
		eq(t, fmt.Sprintf("part %d ETag", i+1), et, md5ETag(src[r.first:r.last+1]))
		etags = append(etags, et)
	}
	mpComplete(t, e, b, "dst", id, mpCompleted(etags...))
	mpWantBytes(t, "body", e.Get(b, "dst"), mpConcat(src[1000:1000+mpMinPart], src[:1000]))
}

func multipartUploadPartCopyRangeBeyondSource(t T, e *Env) {
	b := e.NewBucket()
	e.Put(b, "src", mpData(23, 1000))
	id := mpCreate(t, e, b, "dst")
	_, err := mpCopyPartErr(t, e, b, "dst", id, 1, b+"/src", "bytes=500-5000")
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
	eq(t, "parts after the refused copy", len(mpPartsListed(t, e, b, "dst", id)), 0)
}

func multipartUploadPartCopyRangeBoundaries(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(24, 1000)
	e.Put(b, "src", src)
	id := mpCreate(t, e, b, "dst")
	eq(t, "ETag of bytes=999-999", mpCopyPart(t, e, b, "dst", id, 1, b+"/src", "bytes=999-999"), md5ETag(src[999:]))
	eq(t, "ETag of bytes=0-999", mpCopyPart(t, e, b, "dst", id, 2, b+"/src", "bytes=0-999"), md5ETag(src))
	_, err := mpCopyPartErr(t, e, b, "dst", id, 3, b+"/src", "bytes=0-1000")
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
	eq(t, "parts listed", len(mpPartsListed(t, e, b, "dst", id)), 2)
}
