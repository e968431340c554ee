package conformance

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
)

// Cases for how a write's body is delimited. S3 needs its length up front:
// Content-Length, or for an aws-chunked body x-amz-decoded-content-length
// (cases_streaming.go). It refuses plain Transfer-Encoding: chunked with
// 501 NotImplemented naming the header (Automattic/knox#43 and
// chilts/awssum#30, whole answers from Server: AmazonS3 to a PutObject and
// an UploadPart; JuliaWeb/HTTP.jl#98; ikod/dlang-requests#64 and
// irods/irods_resource_plugin_s3#2301 with UNSIGNED-PAYLOAD), and a body
// sent with neither header with 411 MissingContentLength
// (openstack/swift test/s3api/test_input_errors.py, run against AWS:
// test_no_md5_good_sha_no_content_length).

const framingNotImplemented = "A header you provided implies functionality that is not implemented"

// framingChunked sends a PUT of body to bucket/key with query (for a part)
// signed with payload ("" for its SHA-256), as Transfer-Encoding: chunked.
func framingChunked(t T, e *Env, bucket, key, query string, body []byte, payload string) *httpexpect.Response {
	t.Helper()
	req := sigv4Request(t, e, http.MethodPut, bucket, key, query, nil)
	req.ContentLength = -1 // net/http then sends the body chunked
	sigv4Sign(t, e, req, body, sigv4Opts{payload: payload})
	req.Body = io.NopCloser(bytes.NewReader(body))
	return sigv4Send(t, e, req)
}

// wantChunkedRefused fails the case unless resp is S3's refusal of a plain
// chunked body.
func wantChunkedRefused(t T, resp *httpexpect.Response) {
	t.Helper()
	doc := wantError(t, resp, http.StatusNotImplemented, "NotImplemented")
	eq(t, "error <Message>", doc.Message, framingNotImplemented)
	wantElem(t, doc, "Header", "Transfer-Encoding")
}

// framingBody is the body the framing cases send.
var framingBody = []byte("a body of a length the server is not told")

func init() {
	register(
		Case{
			ID: "objects/put/transfer-encoding-chunked", Feature: Objects, Ops: ops("PutObject"),
			Desc: "a PUT sent with Transfer-Encoding: chunked (not aws-chunked), signed or UNSIGNED-PAYLOAD, gives 501 NotImplemented naming the header and stores nothing",
			Run:  objectsPutTransferEncodingChunked,
		},
		Case{
			ID: "multipart/upload-part/transfer-encoding-chunked", Feature: Multipart, Ops: ops("CreateMultipartUpload", "UploadPart", "ListParts"),
			Desc: "an UploadPart sent with Transfer-Encoding: chunked (not aws-chunked) gives 501 NotImplemented naming the header and stores no part",
			Run:  multipartUploadPartTransferEncodingChunked,
		},
		Case{
			ID: "objects/put/no-content-length", Feature: Objects, Ops: ops("PutObject"),
			Desc: "a PUT with a body but neither Content-Length nor Transfer-Encoding gives 411 MissingContentLength and stores nothing",
			Run:  objectsPutNoContentLength,
		},
	)
}

func objectsPutTransferEncodingChunked(t T, e *Env) {
	b := e.NewBucket()
	for _, payload := range []string{"", "UNSIGNED-PAYLOAD"} {
		wantChunkedRefused(t, framingChunked(t, e, b, "k", "", framingBody, payload))
	}
	wantAbsent(t, e, b, "k")
}

func multipartUploadPartTransferEncodingChunked(t T, e *Env) {
	b := e.NewBucket()
	up, err := e.SDK.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "CreateMultipartUpload")
	id := aws.ToString(up.UploadId)
	t.Cleanup(func() {
		_, _ = e.SDK.AbortMultipartUpload(t.Context(), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId})
	})
	wantChunkedRefused(t, framingChunked(t, e, b, "k", "partNumber=1&uploadId="+escapeKey(id), framingBody, "UNSIGNED-PAYLOAD"))
	parts, err := e.SDK.ListParts(t.Context(), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId})
	mustf(t, err, "ListParts")
	eq(t, "parts stored", len(parts.Parts), 0)
}

func objectsPutNoContentLength(t T, e *Env) {
	b := e.NewBucket()
	req := sigv4Request(t, e, http.MethodPut, b, "k", "", nil)
	sigv4Sign(t, e, req, framingBody, sigv4Opts{})
	doc := wantError(t, rawSend(t, e, req, framingBody), http.StatusLengthRequired, "MissingContentLength")
	eq(t, "error <Message>", doc.Message, "You must provide the Content-Length HTTP header.")
	wantAbsent(t, e, b, "k")
}
