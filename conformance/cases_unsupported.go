package conformance

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// Cases for request headers that ask for more than storing bytes: object
// lock, tags, server-side encryption with KMS or customer keys, bucket
// configuration at creation. S3 honours each; a server may lack the feature,
// but it must then refuse the request with an error and leave nothing
// behind, never answer 200 and quietly drop what was asked. Each case
// accepts either outcome and checks it: honoured, the effect is visible the
// way S3 shows it; refused, nothing was stored.
//
// Where S3 itself refuses (object lock on a bucket created without it, an
// unknown encryption method) the case asserts S3's answer.

// unsupWantRefusedOrHonoured fails the case unless resp is an S3 error
// document (any 4xx or 5xx) and gone() reports that nothing was stored, or
// a 2xx and honoured() finds the request's effect.
func unsupWantRefusedOrHonoured(t T, resp *httpexpect.Response, gone func() bool, honoured func()) {
	t.Helper()
	if st := resp.Raw().StatusCode; st >= 200 && st < 300 {
		honoured()
		return
	} else if st < 400 {
		t.Fatalf("HTTP status %d: neither honoured (2xx) nor refused (4xx, 5xx)", st)
	}
	doc := parseError(t, resp)
	if doc.Code == "" {
		t.Fatalf("refusal without an S3 error code: %s", quoteIfString(resp.Body().Raw()))
	}
	if !gone() {
		t.Fatalf("refused with %s, but something was stored", doc.Code)
	}
}

// unsupMissingObjectLock is S3's answer to object-lock headers on a write
// to a bucket created without Object Lock: versity/versitygw#1751 (2026)
// quotes it for PutObject, CopyObject and CreateMultipartUpload, whose
// wording differs from the other object-lock operations'.
const unsupMissingObjectLock = "Bucket is missing ObjectLockConfiguration"

// unsupSSECHeaders returns SSE-C headers for a fresh 256-bit key.
func unsupSSECHeaders(prefix string) map[string]string {
	key := []byte(strings.Repeat("k", 32))
	sum := md5.Sum(key)
	return map[string]string{
		prefix + "-algorithm": "AES256",
		prefix + "-key":       base64.StdEncoding.EncodeToString(key),
		prefix + "-key-MD5":   base64.StdEncoding.EncodeToString(sum[:]),
	}
}

func init() {
	lockHeaders := []struct {
		name    string
		headers map[string]string
	}{
		{"retention", map[string]string{
			"x-amz-object-lock-mode":              "GOVERNANCE",
			"x-amz-object-lock-retain-until-date": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
		}},
		{"legal-hold", map[string]string{"x-amz-object-lock-legal-hold": "ON"}},
	}
	for _, lh := range lockHeaders {
		register(Case{
			ID: "objects/object-lock/" + lh.name + "-without-lock", Feature: Objects,
			Ops:  ops("PutObject", "CopyObject", "CreateMultipartUpload", "ListMultipartUploads"),
			Desc: "PutObject, CopyObject and CreateMultipartUpload with object-lock " + lh.name + " headers to a bucket created without Object Lock answer 400 InvalidRequest \"" + unsupMissingObjectLock + "\" and write nothing",
			Run:  objectsObjectLockWithoutLock(lh.headers),
		})
	}

	register(
		Case{
			ID: "objects/put/tagging-refused-or-kept", Feature: Objects, Ops: ops("PutObject", "CopyObject", "GetObject"),
			Desc: "PutObject with x-amz-tagging, and CopyObject replacing the tags, either keep the tags (GetObject counts them in x-amz-tagging-count) or are refused and store nothing, never stored without them",
			Run:  objectsPutTaggingRefusedOrKept,
		},
		Case{
			ID: "objects/put/sse-kms-refused-or-applied", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "PutObject asking for SSE-KMS (aws:kms, aws:kms:dsse) either applies it (the PUT and HEAD answer x-amz-server-side-encryption with that method) or is refused and stores nothing",
			Run:  objectsPutSseKmsRefusedOrApplied,
		},
		Case{
			ID: "objects/put/sse-c-refused-or-applied", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "PutObject with a customer key (SSE-C) either applies it (the PUT echoes the algorithm and a HEAD without the key is refused with 400) or is refused and stores nothing",
			Run:  objectsPutSseCRefusedOrApplied,
		},
		Case{
			ID: "buckets/create/object-lock-enabled-refused-or-applied", Feature: Buckets, Ops: ops("CreateBucket", "GetObjectLockConfiguration", "HeadBucket"),
			Desc: "CreateBucket with x-amz-bucket-object-lock-enabled: true either creates a bucket with Object Lock enabled or is refused and creates no bucket",
			Run:  bucketsCreateObjectLockEnabledRefusedOrApplied,
		},
		Case{
			ID: "buckets/create/tags-refused-or-applied", Feature: Buckets, Ops: ops("CreateBucket", "GetBucketTagging", "HeadBucket"),
			Desc: "CreateBucket whose CreateBucketConfiguration has Tags either creates the bucket with those tags or is refused and creates no bucket",
			Run:  bucketsCreateTagsRefusedOrApplied,
		},
	)
}

// objectsObjectLockWithoutLock makes the objects/object-lock/*-without-lock
// case of one set of object-lock headers.
func objectsObjectLockWithoutLock(headers map[string]string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, "src", "source")
		put := e.Request(http.MethodPut, b, "k").WithBytes([]byte("locked?"))
		cp := copyRequest(e, b, "copy", b+"/src")
		mp := e.Request(http.MethodPost, b, "mp").WithQuery("uploads", "")
		for _, req := range []*httpexpect.Request{put, cp, mp} {
			for k, v := range headers {
				req.WithHeader(k, v)
			}
			doc := wantError(t, req.Expect(), http.StatusBadRequest, "InvalidRequest")
			eq(t, "error <Message>", doc.Message, unsupMissingObjectLock)
		}
		wantAbsent(t, e, b, "k")
		wantAbsent(t, e, b, "copy")
		out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		eq(t, "uploads after the refused create", len(out.Uploads), 0)
	}
}

func objectsPutTaggingRefusedOrKept(t T, e *Env) {
	// x-amz-tagging-count is GetObject's report of the tags
	// (the GetObject API reference).
	b := e.NewBucket()
	e.PutString(b, "src", "source")
	tagCount := func(key string, want int32) func() {
		return func() {
			out, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
			mustf(t, err, "GetObject %s", key)
			out.Body.Close()
			eq(t, "x-amz-tagging-count of "+key, aws.ToInt32(out.TagCount), want)
		}
	}
	unsupWantRefusedOrHonoured(t,
		e.Request(http.MethodPut, b, "k").WithHeader("x-amz-tagging", "a=1&b=2").WithBytes([]byte("tagged")).Expect(),
		func() bool { return !objectExists(t, e, b, "k") }, tagCount("k", 2))
	unsupWantRefusedOrHonoured(t,
		copyRequest(e, b, "copy", b+"/src").WithHeader("x-amz-tagging-directive", "REPLACE").
			WithHeader("x-amz-tagging", "c=3").Expect(),
		func() bool { return !objectExists(t, e, b, "copy") }, tagCount("copy", 1))
}

func objectsPutSseKmsRefusedOrApplied(t T, e *Env) {
	// S3 echoes the method on PutObject and HeadObject (the
	// PutObject and HeadObject API references).
	b := e.NewBucket()
	for _, method := range []string{"aws:kms", "aws:kms:dsse"} {
		key := slug(method)
		resp := e.Request(http.MethodPut, b, key).WithHeader("x-amz-server-side-encryption", method).
			WithBytes([]byte("encrypted?")).Expect()
		unsupWantRefusedOrHonoured(t, resp, func() bool { return !objectExists(t, e, b, key) }, func() {
			eq(t, "PutObject x-amz-server-side-encryption", header(resp, "x-amz-server-side-encryption"), method)
			eq(t, "HeadObject ServerSideEncryption", string(headObject(t, e, b, key).ServerSideEncryption), method)
		})
	}
}

func objectsPutSseCRefusedOrApplied(t T, e *Env) {
	// The echo: PutObject API reference; a HEAD without the key
	// is 400 (HeadObject API reference: "you must use the
	// following headers"). Over plain HTTP S3 refuses SSE-C
	// outright, which the refused branch covers.
	b := e.NewBucket()
	req := e.Request(http.MethodPut, b, "k").WithBytes([]byte("encrypted?"))
	for k, v := range unsupSSECHeaders("x-amz-server-side-encryption-customer") {
		req.WithHeader(k, v)
	}
	resp := req.Expect()
	unsupWantRefusedOrHonoured(t, resp, func() bool { return !objectExists(t, e, b, "k") }, func() {
		eq(t, "PutObject x-amz-server-side-encryption-customer-algorithm", header(resp, "x-amz-server-side-encryption-customer-algorithm"), "AES256")
		wantStatus(t, e.Request(http.MethodHead, b, "k").Expect(), http.StatusBadRequest)
	})
}

func bucketsCreateObjectLockEnabledRefusedOrApplied(t T, e *Env) {
	name := e.BucketName()
	bktRemoveIfCreated(e, name)
	resp := e.Request(http.MethodPut, name, "").WithHeader("x-amz-bucket-object-lock-enabled", "true").Expect()
	unsupWantRefusedOrHonoured(t, resp, func() bool { return !bucketExists(t, e, name) }, func() {
		out, err := e.SDK.GetObjectLockConfiguration(t.Context(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(name)})
		mustf(t, err, "GetObjectLockConfiguration")
		if out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
			t.Fatalf("bucket created without Object Lock: %+v", out.ObjectLockConfiguration)
		}
	})
}

func bucketsCreateTagsRefusedOrApplied(t T, e *Env) {
	// Tags in CreateBucketConfiguration: the CreateBucket API
	// reference (aws s3 mb --tags).
	name := e.BucketName()
	bktRemoveIfCreated(e, name)
	body := `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Tags><Tag><Key>team</Key><Value>storage</Value></Tag></Tags></CreateBucketConfiguration>`
	resp := e.Request(http.MethodPut, name, "").WithHeader("Content-Type", "application/xml").WithBytes([]byte(body)).Expect()
	unsupWantRefusedOrHonoured(t, resp, func() bool { return !bucketExists(t, e, name) }, func() {
		out, err := e.SDK.GetBucketTagging(t.Context(), &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
		mustf(t, err, "GetBucketTagging")
		if len(out.TagSet) != 1 || aws.ToString(out.TagSet[0].Key) != "team" || aws.ToString(out.TagSet[0].Value) != "storage" {
			t.Fatalf("bucket tags = %+v, want team=storage", out.TagSet)
		}
	})
}
