package conformance

import (
	"bytes"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Cases for headers S3 stores or reports with an object besides its bytes:
// the server-side encryption every object gets, and the website redirect
// location.
//
// Since January 5, 2023 S3 encrypts every new object with SSE-S3 and says so
// in x-amz-server-side-encryption: AES256 on the operations that write or
// read it ("Using server-side encryption with Amazon S3 managed keys": the
// status "is available ... as an additional Amazon S3 API response header";
// each operation's API reference lists the header in its response). A
// request may ask for AES256 explicitly; another method name is 400
// InvalidArgument "The encryption method specified is not supported" naming
// the header (aws/aws-sdk-cpp#1771 quotes the document for an empty value;
// thoughtbot/paperclip#2243 and logstash-plugins/logstash-output-s3#118 the
// message for ":aes256" and "true").

const objSSEUnsupported = "The encryption method specified is not supported"

func init() {
	register(
		Case{
			ID: "objects/sse/default-aes256", Feature: Objects,
			Ops:  ops("PutObject", "GetObject", "HeadObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"),
			Desc: "objects written without asking for encryption are reported encrypted with AES256 (SSE-S3) by PutObject, GetObject, HeadObject, CopyObject and each multipart step",
			Run:  objectsSseDefaultAes256,
		},
		Case{
			ID: "objects/sse/aes256-requested", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "PutObject with x-amz-server-side-encryption: AES256 succeeds and reports AES256, as HeadObject does",
			Run:  objectsSseAes256Requested,
		},
		Case{
			ID: "objects/sse/unknown-method", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "PutObject with x-amz-server-side-encryption naming no method S3 has (AES512, empty) answers 400 InvalidArgument naming the header and stores nothing",
			Run:  objectsSseUnknownMethod,
		},
	)

	// x-amz-website-redirect-location is stored with the object and returned
	// by GetObject and HeadObject (their API references); its value must
	// start with "/", "http://" or "https://", else 400
	// InvalidRedirectLocation (laurilehmijoki/s3_website#99 and
	// aws/aws-cli#1130 quote S3's answer). "It is unique to each object and
	// is not copied when using the x-amz-metadata-directive header. To copy
	// the value, you must specify x-amz-website-redirect-location in the
	// request header" (the CopyObject API reference).
	register(
		Case{
			ID: "objects/metadata/website-redirect-location", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "x-amz-website-redirect-location given on PutObject is returned by GetObject and HeadObject",
			Run:  objectsMetadataWebsiteRedirectLocation,
		},
		Case{
			ID: "objects/metadata/website-redirect-location-invalid", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "an x-amz-website-redirect-location not starting with /, http:// or https:// answers 400 InvalidRedirectLocation and stores nothing",
			Run:  objectsMetadataWebsiteRedirectLocationInvalid,
		},
		Case{
			ID: "objects/copy/website-redirect-location-not-copied", Feature: Objects, Ops: ops("CopyObject", "HeadObject"),
			Desc: "CopyObject with either metadata directive does not copy the source's website redirect location, and sets the one given with the copy",
			Run:  objectsCopyWebsiteRedirectLocationNotCopied,
		},
	)
}

func objectsSseDefaultAes256(t T, e *Env) {
	b := e.NewBucket()
	ctx := t.Context()
	aes := types.ServerSideEncryptionAes256
	put, err := e.SDK.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader([]byte("plain"))})
	mustf(t, err, "PutObject")
	eq(t, "PutObject ServerSideEncryption", put.ServerSideEncryption, aes)
	get, err := e.SDK.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "GetObject")
	get.Body.Close()
	eq(t, "GetObject ServerSideEncryption", get.ServerSideEncryption, aes)
	eq(t, "HeadObject ServerSideEncryption", headObject(t, e, b, "k").ServerSideEncryption, aes)
	cp, err := e.SDK.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/k")})
	mustf(t, err, "CopyObject")
	eq(t, "CopyObject ServerSideEncryption", cp.ServerSideEncryption, aes)
	up, err := e.SDK.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	mustf(t, err, "CreateMultipartUpload")
	eq(t, "CreateMultipartUpload ServerSideEncryption", up.ServerSideEncryption, aes)
	part, err := e.SDK.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("the only part"))})
	mustf(t, err, "UploadPart")
	eq(t, "UploadPart ServerSideEncryption", part.ServerSideEncryption, aes)
	done, err := e.SDK.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	mustf(t, err, "CompleteMultipartUpload")
	eq(t, "CompleteMultipartUpload ServerSideEncryption", done.ServerSideEncryption, aes)
}

func objectsSseAes256Requested(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-server-side-encryption", "AES256").WithBytes([]byte("sse-s3")).Expect()
	wantPutStored(t, e, resp, b, "k", []byte("sse-s3"))
	eq(t, "PutObject x-amz-server-side-encryption", header(resp, "x-amz-server-side-encryption"), "AES256")
	eq(t, "HeadObject ServerSideEncryption", headObject(t, e, b, "k").ServerSideEncryption, types.ServerSideEncryptionAes256)
}

func objectsSseUnknownMethod(t T, e *Env) {
	b := e.NewBucket()
	for _, v := range []string{"AES512", ""} {
		resp := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-server-side-encryption", v).WithBytes([]byte("x")).Expect()
		doc := wantError(t, resp, http.StatusBadRequest, "InvalidArgument")
		eq(t, "error <Message>", doc.Message, objSSEUnsupported)
		wantElem(t, doc, "ArgumentName", "x-amz-server-side-encryption")
		wantElem(t, doc, "ArgumentValue", v)
	}
	wantAbsent(t, e, b, "k")
}

func objectsMetadataWebsiteRedirectLocation(t T, e *Env) {
	b := e.NewBucket()
	for key, loc := range map[string]string{"local": "/other/page.html", "remote": "https://example.com/x?y=1"} {
		resp := e.Request(http.MethodPut, b, key).WithHeader("x-amz-website-redirect-location", loc).WithBytes([]byte("redirect")).Expect()
		wantStatus(t, resp, http.StatusOK)
		eq(t, "HeadObject WebsiteRedirectLocation", aws.ToString(headObject(t, e, b, key).WebsiteRedirectLocation), loc)
		get := e.Request(http.MethodGet, b, key).Expect()
		wantBody(t, get, http.StatusOK, "redirect")
		eq(t, "GetObject x-amz-website-redirect-location", header(get, "x-amz-website-redirect-location"), loc)
	}
}

func objectsMetadataWebsiteRedirectLocationInvalid(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-website-redirect-location", "page.html").WithBytes([]byte("x")).Expect()
	doc := wantError(t, resp, http.StatusBadRequest, "InvalidRedirectLocation")
	eq(t, "error <Message>", doc.Message, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
	wantAbsent(t, e, b, "k")
}

func objectsCopyWebsiteRedirectLocationNotCopied(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPut, b, "src").WithHeader("x-amz-website-redirect-location", "/from-source").WithBytes([]byte("source")).Expect()
	wantStatus(t, resp, http.StatusOK)
	redirect := func(key string) string {
		return aws.ToString(headObject(t, e, b, key).WebsiteRedirectLocation)
	}
	for _, directive := range []string{"COPY", "REPLACE"} {
		copyRequest(e, b, "plain-"+directive, b+"/src").WithHeader("x-amz-metadata-directive", directive).Expect().Status(http.StatusOK)
		eq(t, directive+" copy's redirect location", redirect("plain-"+directive), "")
		copyRequest(e, b, "given-"+directive, b+"/src").WithHeader("x-amz-metadata-directive", directive).
			WithHeader("x-amz-website-redirect-location", "/given").Expect().Status(http.StatusOK)
		eq(t, directive+" copy's redirect location, given", redirect("given-"+directive), "/given")
	}
	// Changing only the redirect location makes a copy onto
	// itself legal (S3's InvalidRequest for a self-copy names it
	// among the attributes that may change).
	copyRequest(e, b, "src", b+"/src").WithHeader("x-amz-website-redirect-location", "/changed").Expect().Status(http.StatusOK)
	eq(t, "self-copy's redirect location", redirect("src"), "/changed")
	eq(t, "self-copy's bytes", string(e.Get(b, "src")), "source")
}
