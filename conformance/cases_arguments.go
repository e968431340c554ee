package conformance

import (
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Requests whose arguments S3 refuses before doing anything: inconsistent
// checksum settings of a multipart upload, list limits that are not numbers. Each must leave
// nothing behind. Sent raw, since the SDK validates some of them itself.
func init() {
	// CreateMultipartUpload checksum settings S3 refuses with 400
	// InvalidRequest: a type alone, an unknown algorithm or type, and the
	// combinations S3 does not support. FULL_OBJECT is for the CRCs only:
	// "For full object checksums, you can use CRC-64/NVME (CRC64NVME), CRC-32
	// (CRC32), or CRC-32C (CRC32C) checksum algorithms in S3 ... This type of
	// validation isn't available for other algorithms, such as SHA and MD5"
	// (S3 User Guide, "Checking object integrity"); CRC64NVME is FULL_OBJECT
	// only ("The CRC64NVME checksum is always a full object checksum",
	// CompleteMultipartUpload, API reference). MD5 is an S3 algorithm since
	// April 2026, so the unknown one is CRC16.
	for _, c := range []struct{ id, alg, typ string }{
		{"type-without-algorithm", "", "COMPOSITE"},
		{"unknown-algorithm", "CRC16", ""},
		{"unknown-type", "CRC32", "PARTIAL"},
		{"full-object-sha1", "SHA1", "FULL_OBJECT"},
		{"full-object-sha256", "SHA256", "FULL_OBJECT"},
		{"full-object-sha512", "SHA512", "FULL_OBJECT"},
		{"full-object-md5", "MD5", "FULL_OBJECT"},
		{"full-object-xxhash64", "XXHASH64", "FULL_OBJECT"},
		{"full-object-xxhash3", "XXHASH3", "FULL_OBJECT"},
		{"full-object-xxhash128", "XXHASH128", "FULL_OBJECT"},
		{"composite-crc64nvme", "CRC64NVME", "COMPOSITE"},
	} {
		register(Case{
			ID: "multipart/create/checksum/" + c.id, Feature: Multipart, Ops: ops("CreateMultipartUpload", "ListMultipartUploads"),
			Desc: fmt.Sprintf("CreateMultipartUpload with x-amz-checksum-algorithm %q and x-amz-checksum-type %q fails with 400 InvalidRequest and starts no upload", c.alg, c.typ),
			Run:  multipartCreateChecksum(c.alg, c.typ),
		})
	}

	register(Case{
		ID: "multipart/upload-part/checksum-other-algorithm", Feature: Multipart, Ops: ops("UploadPart", "ListParts"),
		Desc: "UploadPart with a (correct) x-amz-checksum-sha256 to an upload created for CRC32 fails with 400 InvalidRequest and records no part",
		Run:  multipartUploadPartChecksumOtherAlgorithm,
	})

	for _, v := range []string{"-1", "ten"} {
		register(Case{
			ID: "multipart/list-parts/max-parts-invalid/" + slug(v), Feature: Multipart, Ops: ops("ListParts"),
			Desc: "ListParts with max-parts=" + v + " fails with 400 InvalidArgument",
			Run:  multipartListPartsMaxPartsInvalid(v),
		})
		register(Case{
			ID: "multipart/list-uploads/max-uploads-invalid/" + slug(v), Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads with max-uploads=" + v + " fails with 400 InvalidArgument",
			Run:  multipartListUploadsMaxUploadsInvalid(v),
		})
	}

}

// multipartCreateChecksum makes the multipart/create/checksum/* case of
// one refused algorithm and type ("" leaves the header out).
func multipartCreateChecksum(alg, typ string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		req := e.Request(http.MethodPost, b, "k").WithQuery("uploads", "")
		if alg != "" {
			req = req.WithHeader("x-amz-checksum-algorithm", alg)
		}
		if typ != "" {
			req = req.WithHeader("x-amz-checksum-type", typ)
		}
		wantError(t, req.Expect(), http.StatusBadRequest, "InvalidRequest")
		out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		eq(t, "uploads after the refused create", len(out.Uploads), 0)
	}
}

func multipartUploadPartChecksumOtherAlgorithm(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, ""))
	body := []byte("a part checksummed with the wrong algorithm")
	resp := mpRawUploadPart(e, b, "k", id, "1").
		WithHeader("x-amz-checksum-sha256", cksValue("SHA256", body)).WithBytes(body).Expect()
	wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
	eq(t, "parts after the refused upload", len(mpPartsListed(t, e, b, "k", id)), 0)
}

// multipartListPartsMaxPartsInvalid makes the case of one invalid max-parts.
func multipartListPartsMaxPartsInvalid(v string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		resp := e.Request(http.MethodGet, b, "k").WithQuery("uploadId", id).WithQuery("max-parts", v).Expect()
		wantError(t, resp, http.StatusBadRequest, "InvalidArgument")
	}
}

// multipartListUploadsMaxUploadsInvalid makes the case of one invalid
// max-uploads.
func multipartListUploadsMaxUploadsInvalid(v string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		resp := e.Request(http.MethodGet, b, "").WithQuery("uploads", "").WithQuery("max-uploads", v).Expect()
		wantError(t, resp, http.StatusBadRequest, "InvalidArgument")
	}
}
