package conformance

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Retried multipart requests. A client whose Complete or Abort timed out
// retries it; S3 answers the retry as it answered the first request, for a
// while. The evidence is openstack/swift test/s3api/test_mpu.py, a suite run
// against AWS: a repeated complete "gets 200"
// (test_create_upload_complete_complete), abort after complete "gets 204"
// even once the object is deleted (test_create_upload_complete_abort,
// test_create_upload_complete_delete_abort), a complete after the completed
// object was deleted gets 404 NoSuchUpload
// (test_create_upload_complete_delete_complete), as does a complete after an
// abort (test_create_upload_abort_complete). The repeated complete is also
// measured in adobe/S3Mock#2586 and minio/minio#13318 ("succeeds with S3").
// How long S3 keeps answering so is not documented.

func init() {
	mpOps := ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
	register(
		Case{
			ID: "multipart/complete/retry", Feature: Multipart, Ops: append(mpOps, "GetObject"),
			Desc: "a CompleteMultipartUpload repeated with the same parts after it succeeded answers 200 with the same ETag, Location, Bucket and Key, and the object is unchanged",
			Run:  multipartCompleteRetry,
		},
		Case{
			ID: "multipart/complete/retry-raw", Feature: Multipart, Ops: mpOps,
			Desc: "a raw CompleteMultipartUpload repeated after it succeeded answers 200 with a CompleteMultipartUploadResult carrying the same ETag",
			Run:  multipartCompleteRetryRaw,
		},
		Case{
			ID: "multipart/complete/retry-other-parts", Feature: Multipart, Ops: append(mpOps, "GetObject"),
			Desc: "a CompleteMultipartUpload repeated with other parts after it succeeded is refused with a 4xx and leaves the object as first completed",
			Run:  multipartCompleteRetryOtherParts,
		},
		Case{
			ID: "multipart/complete/retry-after-delete", Feature: Multipart, Ops: append(mpOps, "DeleteObject", "HeadObject"),
			Desc: "a CompleteMultipartUpload repeated after the completed object was deleted answers 404 NoSuchUpload and creates nothing",
			Run:  multipartCompleteRetryAfterDelete,
		},
		Case{
			ID: "multipart/abort/after-complete", Feature: Multipart, Ops: append(mpOps, "AbortMultipartUpload", "DeleteObject", "GetObject"),
			Desc: "AbortMultipartUpload of an upload already completed answers 204 and leaves the object; so it does once the object is deleted",
			Run:  multipartAbortAfterComplete,
		},
		Case{
			ID: "multipart/abort/unknown-id", Feature: Multipart, Ops: ops("CreateMultipartUpload", "AbortMultipartUpload"),
			Desc: "AbortMultipartUpload of an upload id that never existed answers 404 NoSuchUpload",
			Run:  multipartAbortUnknownId,
		},
	)
}

func multipartCompleteRetry(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	parts := mpCompleted(mpUploadAll(t, e, b, "k", id, []byte("only part"))...)
	first := mpComplete(t, e, b, "k", id, parts)
	again := mpComplete(t, e, b, "k", id, parts)
	eq(t, "ETag", aws.ToString(again.ETag), aws.ToString(first.ETag))
	eq(t, "Location", aws.ToString(again.Location), aws.ToString(first.Location))
	eq(t, "Bucket", aws.ToString(again.Bucket), b)
	eq(t, "Key", aws.ToString(again.Key), "k")
	eq(t, "ETag of the parts' MD5s", aws.ToString(again.ETag), mpETag([]byte("only part")))
	eq(t, "object", string(e.Get(b, "k")), "only part")
}

func multipartCompleteRetryRaw(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	body := mpCompleteXML(mpUploadAll(t, e, b, "k", id, []byte("p1"))...)
	var docs [2]struct {
		Bucket, Key, ETag string
	}
	for i := range docs {
		resp := mpRawComplete(e, b, "k", id, body)
		wantStatus(t, resp, http.StatusOK)
		decodeXML(t, resp, "CompleteMultipartUploadResult", &docs[i])
	}
	eq(t, "retried result", docs[1], docs[0])
	eq(t, "ETag", docs[0].ETag, mpETag([]byte("p1")))
}

func multipartCompleteRetryOtherParts(t T, e *Env) {
	// What S3 answers is not documented nor captured; it cannot
	// make another object of an upload that is no longer in
	// progress.
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("part one"), []byte("part two"))
	mpComplete(t, e, b, "k", id, mpCompleted(etags[0]))
	_, err := mpCompleteErr(t, e, b, "k", id, []types.CompletedPart{mpPart(2, etags[1])})
	if st := HTTPStatus(err); st < 400 || st > 499 {
		t.Fatalf("retried Complete with other parts: status %d (error %v), want a 4xx", st, err)
	}
	eq(t, "object", string(e.Get(b, "k")), "part one")
}

func multipartCompleteRetryAfterDelete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	parts := mpCompleted(mpUploadAll(t, e, b, "k", id, []byte("gone"))...)
	mpComplete(t, e, b, "k", id, parts)
	_, err := e.SDK.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "DeleteObject")
	_, err = mpCompleteErr(t, e, b, "k", id, parts)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	wantAbsent(t, e, b, "k")
}

func multipartAbortAfterComplete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	mpComplete(t, e, b, "k", id, mpCompleted(mpUploadAll(t, e, b, "k", id, []byte("stays"))...))
	wantStatus(t, e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect(), http.StatusNoContent)
	eq(t, "object after the abort", string(e.Get(b, "k")), "stays")
	_, err := e.SDK.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "DeleteObject")
	wantStatus(t, e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect(), http.StatusNoContent)
}

func multipartAbortUnknownId(t T, e *Env) {
	// swift test_mpu.py test_abort_bogus_id: the id of a live
	// upload with a character appended.
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	wantCode(t, mpAbortErr(t, e, b, "k", id+"x"), "NoSuchUpload", http.StatusNotFound)
}
