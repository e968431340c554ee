package conformance

import (
	"bytes"
	"encoding/xml"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
)

// The multipart lifecycle: CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload and AbortMultipartUpload end to end, the SDK's
// transfer manager, and upload ids that do not exist or belong to another
// key, bucket or project.
//
// What the cases rely on, from the AWS API reference and from servers that
// measured real S3:
//   - A multipart object's ETag is the hex MD5 of the concatenated binary MD5s
//     of its parts, then "-" and the number of parts, quoted.
//   - An upload id unknown to the bucket and key is 404 NoSuchUpload for
//     UploadPart, ListParts, Complete and Abort; Abort answers 204.

func init() {
	register(
		Case{
			ID: "multipart/lifecycle/roundtrip", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject", "HeadObject"),
			Desc: "an object completed from three parts reads back as their concatenation, with S3's multipart ETag from Complete, GetObject and HeadObject",
			Run:  multipartLifecycleRoundtrip,
		},
		Case{
			ID: "multipart/lifecycle/metadata-and-content-type", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "CompleteMultipartUpload", "HeadObject"),
			Desc: "the Content-Type and user metadata given to CreateMultipartUpload are the completed object's",
			Run:  multipartLifecycleMetadataAndContentType,
		},
		Case{
			ID: "multipart/lifecycle/invisible-until-complete", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "HeadObject", "ListObjectsV2", "CompleteMultipartUpload"),
			Desc: "an upload with parts is no object until completed: HeadObject answers 404 and ListObjectsV2 does not list the key; after Complete both find it",
			Run:  multipartLifecycleInvisibleUntilComplete,
		},
		Case{
			ID: "multipart/lifecycle/upload-gone-after-complete", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "ListMultipartUploads", "ListParts"),
			Desc: "a completed upload is no longer listed by ListMultipartUploads, and ListParts on it answers 404 NoSuchUpload",
			Run:  multipartLifecycleUploadGoneAfterComplete,
		},
		Case{
			ID: "multipart/lifecycle/replaces-existing-object", Feature: Multipart,
			Ops:  ops("PutObject", "CompleteMultipartUpload", "GetObject"),
			Desc: "completing an upload onto an existing key replaces the object",
			Run:  multipartLifecycleReplacesExistingObject,
		},
		Case{
			ID: "multipart/upload-id/other-key", Feature: Multipart,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload"),
			Desc: "an upload id used with a key other than its own answers 404 NoSuchUpload for UploadPart, ListParts, Complete and Abort, and the upload is unharmed",
			Run:  multipartUploadIdOtherKey,
		},
		Case{
			ID: "multipart/abort/then-no-such-upload", Feature: Multipart,
			Ops:  ops("AbortMultipartUpload", "ListParts", "UploadPart", "CompleteMultipartUpload", "ListMultipartUploads"),
			Desc: "AbortMultipartUpload answers 204; afterwards the upload is not listed, creates no object, ListParts, UploadPart and Complete answer 404 NoSuchUpload, and a repeated Abort answers 204 again",
			Run:  multipartAbortThenNoSuchUpload,
		},
		Case{
			ID: "multipart/tenancy/other-project", Feature: Tenancy,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload", "ListMultipartUploads"),
			Desc: "another project's credentials using an upload id in this project's bucket get 403 AccessDenied for UploadPart, ListParts, Complete, Abort and ListMultipartUploads, and the upload is unharmed",
			Run:  multipartTenancyOtherProject,
		},
		Case{
			ID: "multipart/create/response", Feature: Multipart, Ops: ops("CreateMultipartUpload"),
			Desc: "POST ?uploads answers 200 with an InitiateMultipartUploadResult naming the bucket, the key and a non-empty UploadId",
			Run:  multipartCreateResponse,
		},
	)

	// An upload id the bucket never issued.
	for _, c := range mpUploadIDCalls {
		register(Case{
			ID: "multipart/unknown-upload/" + slug(c.op), Feature: Multipart, Ops: ops(c.op),
			Desc: c.op + " with an upload id the bucket never issued answers 404 NoSuchUpload",
			Run:  multipartUnknownUpload(c),
		})
	}

	// A bucket that does not exist is reported before the upload: S3
	// resolves the bucket first, as for GetObject (buckets/missing/*).
	// versity/versitygw's integration suite, run against S3, expects
	// NoSuchBucket for UploadPart, UploadPartCopy and AbortMultipartUpload
	// (UploadPart_non_existing_bucket, UploadPartCopy_non_existing_bucket,
	// AbortMultipartUpload_non_existing_bucket); ListParts and
	// CompleteMultipartUpload address the upload the same way.
	for _, c := range append(mpUploadIDCalls, mpUploadIDCall{"UploadPartCopy", func(t T, e *Env, b string) error {
		src := e.NewBucket()
		e.PutString(src, "src", "source")
		_, err := mpCopyPartErr(t, e, b, "k", mpNoUpload, 1, src+"/src", "")
		return err
	}}) {
		register(Case{
			ID: "multipart/missing-bucket/" + slug(c.op), Feature: Multipart, Ops: ops(c.op),
			Desc: c.op + " in a bucket that does not exist answers 404 NoSuchBucket, not NoSuchUpload, and creates no bucket",
			Run:  multipartMissingBucket(c),
		})
	}

	register(
		Case{
			ID: "multipart/manager/upload", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "the SDK's upload manager (feature/s3/manager) sends 26 MiB in 5 MiB parts, 4 at a time; the object reads back byte for byte with the multipart ETag of six parts",
			Run:  multipartManagerUpload,
		},
		Case{
			ID: "multipart/manager/download", Feature: Multipart, Ops: ops("GetObject"),
			Desc: "the SDK's download manager reads a multipart object back with concurrent 4 MiB ranged GETs that cross part boundaries, byte for byte",
			Run:  multipartManagerDownload,
		},
	)
}

func multipartLifecycleRoundtrip(t T, e *Env) {
	b := e.NewBucket()
	parts := mpThreeParts()
	id := mpCreate(t, e, b, "big.bin")
	etags := mpUploadAll(t, e, b, "big.bin", id, parts...)
	out := mpComplete(t, e, b, "big.bin", id, mpCompleted(etags...))
	want := mpETag(parts...)
	eq(t, "CompleteMultipartUpload ETag", aws.ToString(out.ETag), want)
	eq(t, "CompleteMultipartUpload Bucket", aws.ToString(out.Bucket), b)
	eq(t, "CompleteMultipartUpload Key", aws.ToString(out.Key), "big.bin")
	got, body := getObject(t, e, b, "big.bin", "")
	mpWantBytes(t, "GetObject body", body, mpConcat(parts...))
	eq(t, "GetObject ETag", aws.ToString(got.ETag), want)
	head := headObject(t, e, b, "big.bin")
	eq(t, "HeadObject ETag", aws.ToString(head.ETag), want)
	eq(t, "HeadObject Content-Length", aws.ToInt64(head.ContentLength), int64(len(mpConcat(parts...))))
}

func multipartLifecycleMetadataAndContentType(t T, e *Env) {
	b := e.NewBucket()
	meta := map[string]string{"origin": "multipart", "run": "conformance"}
	id := mpCreate(t, e, b, "doc.txt", func(in *s3.CreateMultipartUploadInput) {
		in.ContentType = aws.String("text/x-multipart-case")
		in.Metadata = meta
	})
	etags := mpUploadAll(t, e, b, "doc.txt", id, []byte("tiny single part"))
	mpComplete(t, e, b, "doc.txt", id, mpCompleted(etags...))
	wantTypeAndMetadata(t, e, b, "doc.txt", "text/x-multipart-case", meta)
}

func multipartLifecycleInvisibleUntilComplete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "pending")
	etags := mpUploadAll(t, e, b, "pending", id, mpData(1, mpMinPart), []byte("tail"))
	wantAbsent(t, e, b, "pending")
	wantStrings(t, "keys listed before Complete", listedKeys(t, e, b), nil)
	mpComplete(t, e, b, "pending", id, mpCompleted(etags...))
	if !objectExists(t, e, b, "pending") {
		t.Fatalf("HeadObject after Complete: 404")
	}
	wantStrings(t, "keys listed after Complete", listedKeys(t, e, b), []string{"pending"})
}

func multipartLifecycleUploadGoneAfterComplete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("only part"))
	if !mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads does not list the upload in progress")
	}
	mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	if mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads still lists the completed upload")
	}
	_, err := mpListPartsErr(t, e, b, "k", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
}

func multipartLifecycleReplacesExistingObject(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "the old object")
	mpPut(t, e, b, "k", []byte("the new object"))
	eq(t, "body", string(e.Get(b, "k")), "the new object")
}

func multipartUploadIdOtherKey(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "mine")
	etags := mpUploadAll(t, e, b, "mine", id, []byte("part one"))
	_, err := mpUploadPartErr(t, e, b, "theirs", id, 2, []byte("x"))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpListPartsErr(t, e, b, "theirs", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpCompleteErr(t, e, b, "theirs", id, mpCompleted(etags...))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	wantCode(t, mpAbortErr(t, e, b, "theirs", id), "NoSuchUpload", http.StatusNotFound)
	wantAbsent(t, e, b, "theirs")
	mpComplete(t, e, b, "mine", id, mpCompleted(etags...))
	eq(t, "body", string(e.Get(b, "mine")), "part one")
}

func multipartAbortThenNoSuchUpload(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("doomed"))
	resp := e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect()
	wantStatus(t, resp, http.StatusNoContent)

	_, err := mpListPartsErr(t, e, b, "k", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpUploadPartErr(t, e, b, "k", id, 2, []byte("late"))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpCompleteErr(t, e, b, "k", id, mpCompleted(etags...))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	// A repeated abort succeeds: openstack/swift
	// test/s3api/test_mpu.py test_create_upload_abort_abort
	// ("repeated abort gets 204"), a suite run against AWS.
	again := e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect()
	wantStatus(t, again, http.StatusNoContent)
	if mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads still lists the aborted upload")
	}
	wantAbsent(t, e, b, "k")
}

func multipartTenancyOtherProject(t T, e *Env) {
	other := e.Target.Other
	tenNeed(t, e, "other-project", other)
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("ours"))

	for _, req := range []*httpexpect.Request{
		e.RequestAs(other, http.MethodPut, b, "k").WithQuery("partNumber", "1").WithQuery("uploadId", id).
			WithBytes([]byte("theirs")), // UploadPart
		e.RequestAs(other, http.MethodGet, b, "k").WithQuery("uploadId", id), // ListParts
		e.RequestAs(other, http.MethodPost, b, "k").WithQuery("uploadId", id).
			WithText(mpCompleteXML(etags...)), // CompleteMultipartUpload
		e.RequestAs(other, http.MethodDelete, b, "k").WithQuery("uploadId", id), // AbortMultipartUpload
		e.RequestAs(other, http.MethodGet, b, "").WithQuery("uploads", ""),      // ListMultipartUploads
	} {
		wantError(t, req.Expect(), http.StatusForbidden, "AccessDenied")
	}

	lp := mpPartsListed(t, e, b, "k", id)
	if len(lp) != 1 || aws.ToString(lp[0].ETag) != etags[0] {
		t.Fatalf("ListParts after the other project's attempts: %d parts, want only part 1 %s", len(lp), etags[0])
	}
	mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	eq(t, "body", string(e.Get(b, "k")), "ours")
}

func multipartCreateResponse(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPost, b, "dir/new.bin").WithQuery("uploads", "").Expect()
	wantStatus(t, resp, http.StatusOK)
	var doc struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}
	decodeXML(t, resp, "InitiateMultipartUploadResult", &doc)
	if doc.UploadID != "" {
		mpAbortAtEnd(t, e, b, "dir/new.bin", doc.UploadID)
	}
	eq(t, "Bucket", doc.Bucket, b)
	eq(t, "Key", doc.Key, "dir/new.bin")
	if doc.UploadID == "" {
		t.Fatalf("no UploadId in %s", resp.Body().Raw())
	}
}

// multipartUnknownUpload makes the multipart/unknown-upload/* case of one
// operation.
func multipartUnknownUpload(c mpUploadIDCall) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		wantCode(t, c.call(t, e, b), "NoSuchUpload", http.StatusNotFound)
		wantAbsent(t, e, b, "k")
	}
}

// multipartMissingBucket makes the multipart/missing-bucket/* case of one
// operation.
func multipartMissingBucket(c mpUploadIDCall) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.BucketName()
		e.CleanupBucket(b)
		wantCode(t, c.call(t, e, b), "NoSuchBucket", http.StatusNotFound)
		eq(t, "bucket exists afterwards", bucketExists(t, e, b), false)
	}
}

func multipartManagerUpload(t T, e *Env) {
	b := e.NewBucket()
	data := mpData(30, 26*mpMiB)
	up := manager.NewUploader(e.SDK, func(u *manager.Uploader) {
		u.PartSize = mpMinPart
		u.Concurrency = 4
		u.LeavePartsOnError = false
	})
	out, err := up.Upload(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("managed.bin"), Body: bytes.NewReader(data),
	})
	mustf(t, err, "manager Upload")
	var parts [][]byte
	for off := 0; off < len(data); off += mpMinPart {
		parts = append(parts, data[off:min(off+mpMinPart, len(data))])
	}
	want := mpETag(parts...)
	eq(t, "Upload ETag", aws.ToString(out.ETag), want)
	eq(t, "HeadObject ETag", aws.ToString(headObject(t, e, b, "managed.bin").ETag), want)
	mpWantBytes(t, "body", e.Get(b, "managed.bin"), data)
}

func multipartManagerDownload(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(31, mpMinPart), mpData(32, mpMinPart), mpData(33, 3*mpMiB)}
	mpPut(t, e, b, "k", parts...)
	want := mpConcat(parts...)
	d := manager.NewDownloader(e.SDK, func(d *manager.Downloader) {
		d.PartSize = 4 * mpMiB
		d.Concurrency = 4
	})
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(want)))
	n, err := d.Download(t.Context(), buf, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "manager Download")
	eq(t, "bytes downloaded", n, int64(len(want)))
	mpWantBytes(t, "downloaded body", buf.Bytes(), want)
}

// mpUploadIDCall is an operation on an upload id that does not exist
// (mpNoUpload), for the cases that check which error answers it.
type mpUploadIDCall struct {
	op   string
	call func(t T, e *Env, bucket string) error
}

var mpUploadIDCalls = []mpUploadIDCall{
	{"UploadPart", func(t T, e *Env, b string) error {
		_, err := mpUploadPartErr(t, e, b, "k", mpNoUpload, 1, []byte("x"))
		return err
	}},
	{"ListParts", func(t T, e *Env, b string) error {
		_, err := mpListPartsErr(t, e, b, "k", mpNoUpload)
		return err
	}},
	{"CompleteMultipartUpload", func(t T, e *Env, b string) error {
		_, err := mpCompleteErr(t, e, b, "k", mpNoUpload, mpCompleted(md5ETag([]byte("x"))))
		return err
	}},
	{"AbortMultipartUpload", func(t T, e *Env, b string) error {
		return mpAbortErr(t, e, b, "k", mpNoUpload)
	}},
}
