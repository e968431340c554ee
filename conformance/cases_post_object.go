package conformance

import (
	"bytes"
	"encoding/xml"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// POST Object: browser uploads with a SigV4-signed policy, the form the
// SDK's PresignPostObject (and boto3's generate_presigned_post) produce.
// Evidence beyond the API reference (RESTObjectPOST, sigv4-HTTPPOSTForms,
// sigv4-HTTPPOSTConstructPolicy):
//   - the default answer is 204 with ETag and Location headers
//     (localstack/localstack#3404 quotes S3's); 201 is a PostResponse
//     document; a success_action_redirect is a 303 to it with bucket, key
//     and the quoted etag in the query (the HTTPPOSTForms page;
//     ceph/s3-tests test_post_object_success_redirect_action);
//   - an expired policy is 403 AccessDenied "Invalid according to Policy:
//     Policy expired."; a condition that fails and a field no condition
//     names are 403 AccessDenied "Invalid according to Policy: ..." (S3's
//     answers quoted in boto/boto3#4514 and others; the error table says
//     otherwise, the wire wins);
//   - a body outside content-length-range is 400 EntityTooLarge or
//     EntityTooSmall (LocalStack's recordings against S3; s3-tests);
//   - a form without a file is 400 InvalidArgument "POST requires exactly
//     one file upload per request." (a reproduced S3 answer);
//   - field names are case-insensitive (the sigv4-post-example page) and
//     fields after the file are ignored (RESTObjectPOST: "must be the last
//     field").

func init() {
	post := ops("PostObject", "GetObject")
	register(
		Case{
			ID: "post-object/sdk-form", Feature: PostObject, Ops: post,
			Desc: "a form the SDK's PresignPostObject signs stores the file: 204 with ETag and Location, and GetObject returns the bytes",
			Run:  postObjectSdkForm,
		},
		Case{
			ID: "post-object/status-201", Feature: PostObject, Ops: post,
			Desc: "success_action_status 201 answers a PostResponse document naming the bucket, key and quoted ETag",
			Run:  postObjectStatus201,
		},
		Case{
			ID: "post-object/status-200", Feature: PostObject, Ops: post,
			Desc: "success_action_status 200 answers 200 with an empty body",
			Run:  postObjectStatus200,
		},
		Case{
			ID: "post-object/redirect", Feature: PostObject, Ops: post,
			Desc: "success_action_redirect answers 303 to that URL with bucket, key and the quoted etag added to its query",
			Run:  postObjectRedirect,
		},
		Case{
			ID: "post-object/filename-and-metadata", Feature: PostObject, Ops: ops("PostObject", "HeadObject"),
			Desc: "${filename} in the key becomes the file's name, and Content-Type and x-amz-meta-* fields become the object's",
			Run:  postObjectFilenameAndMetadata,
		},
		Case{
			ID: "post-object/field-names-any-case", Feature: PostObject, Ops: post,
			Desc: "form field names are case-insensitive: POLICY, KEY and x-amz-signature are read as the SDK's policy, key and X-Amz-Signature",
			Run:  postObjectFieldNamesAnyCase,
		},
		Case{
			ID: "post-object/fields-after-file-ignored", Feature: PostObject, Ops: ops("PostObject", "HeadObject"),
			Desc: "a field after the file is ignored, even one no condition names",
			Run:  postObjectFieldsAfterFileIgnored,
		},
		Case{
			ID: "post-object/condition-failed", Feature: PostObject, Ops: post,
			Desc: "a key the policy does not allow is 403 AccessDenied and nothing is stored",
			Run:  postObjectConditionFailed,
		},
		Case{
			ID: "post-object/extra-field", Feature: PostObject, Ops: post,
			Desc: "a field no condition names is 403 AccessDenied and nothing is stored",
			Run:  postObjectExtraField,
		},
		Case{
			ID: "post-object/expired", Feature: PostObject, Ops: post,
			Desc: "a policy past its expiration is 403 AccessDenied and nothing is stored",
			Run:  postObjectExpired,
		},
		Case{
			ID: "post-object/bad-signature", Feature: PostObject, Ops: post,
			Desc: "a policy whose signature does not match is 403 SignatureDoesNotMatch and nothing is stored",
			Run:  postObjectBadSignature,
		},
		Case{
			ID: "post-object/too-large", Feature: PostObject, Ops: post,
			Desc: "a file longer than content-length-range allows is 400 EntityTooLarge and nothing is stored",
			Run:  postObjectTooLarge,
		},
		Case{
			ID: "post-object/too-small", Feature: PostObject, Ops: post,
			Desc: "a file shorter than content-length-range allows is 400 EntityTooSmall and nothing is stored",
			Run:  postObjectTooSmall,
		},
		Case{
			ID: "post-object/checksum", Feature: PostObject, Ops: ops("PostObject", "HeadObject"),
			Desc: "an x-amz-checksum-crc32 field is checked against the file: a wrong one is refused with 400 and stores nothing, a right one is stored and returned with checksum mode",
			Run:  postObjectChecksum,
		},
		Case{
			ID: "post-object/no-file", Feature: PostObject, Ops: post,
			Desc: "a form without a file is 400 InvalidArgument",
			Run:  postObjectNoFile,
		},
	)
}

// postPresign signs a form for key in bucket with the full credentials,
// with conds added to the policy.
func postPresign(t T, e *Env, bucket, key string, expires time.Duration, conds ...any) *s3.PresignedPostRequest {
	t.Helper()
	pc := s3.NewPresignClient(e.SDK)
	req, err := pc.PresignPostObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = expires
			o.Conditions = conds
		})
	mustf(t, err, "PresignPostObject")
	return req
}

// formField is a form field in the order sent.
type formField struct{ name, value string }

// postFields are the presigned form's fields in a fixed order, with extra
// appended.
func postFields(p *s3.PresignedPostRequest, extra ...formField) []formField {
	var out []formField
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.Values {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, formField{name, p.Values[name]})
	}
	return append(out, extra...)
}

// postSend posts a form to the bucket: fields, then the file (unless
// file is nil), then after.
func postSend(e *Env, bucket string, fields []formField, filename string, file []byte, after ...formField) *httpexpect.Response {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = w.WriteField(f.name, f.value)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", filename)
		_, _ = fw.Write(file)
	}
	for _, f := range after {
		_ = w.WriteField(f.name, f.value)
	}
	_ = w.Close()
	return e.Unsigned(http.MethodPost, bucket, "").WithRedirectPolicy(httpexpect.DontFollowRedirects).WithHeader("Content-Type", w.FormDataContentType()).
		WithBytes(buf.Bytes()).Expect()
}

// postNothingStored fails the case if key exists in bucket.
func postNothingStored(t T, e *Env, bucket, key string) {
	t.Helper()
	_, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		t.Fatalf("a refused upload stored %s", key)
	}
}

func postObjectSdkForm(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "up/a b.txt", 10*time.Minute)
	resp := postSend(e, b, postFields(p), "a b.txt", []byte("posted"))
	resp.Status(http.StatusNoContent)
	if resp.Header("ETag").Raw() == "" || resp.Header("Location").Raw() == "" {
		t.Fatalf("204 without ETag or Location: %v", resp.Raw().Header)
	}
	eq(t, "object", string(e.Get(b, "up/a b.txt")), "posted")
	eq(t, "ETag", resp.Header("ETag").Raw(), md5ETag([]byte("posted")))
}

func postObjectStatus201(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute, map[string]string{"success_action_status": "201"})
	resp := postSend(e, b, postFields(p, formField{"success_action_status", "201"}), "k", []byte("created"))
	resp.Status(http.StatusCreated)
	var doc struct {
		XMLName                     xml.Name `xml:"PostResponse"`
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal([]byte(resp.Body().Raw()), &doc); err != nil {
		t.Fatalf("201 body is not a PostResponse: %v: %s", err, resp.Body().Raw())
	}
	eq(t, "Bucket", doc.Bucket, b)
	eq(t, "Key", doc.Key, "k")
	eq(t, "ETag", doc.ETag, md5ETag([]byte("created")))
	if doc.Location == "" {
		t.Fatalf("PostResponse has no Location")
	}
}

func postObjectStatus200(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute, map[string]string{"success_action_status": "200"})
	resp := postSend(e, b, postFields(p, formField{"success_action_status", "200"}), "k", []byte("ok"))
	resp.Status(http.StatusOK)
	resp.Body().IsEmpty()
	eq(t, "object", string(e.Get(b, "k")), "ok")
}

func postObjectRedirect(t T, e *Env) {
	b := e.NewBucket()
	target := "https://app.example/done?from=form"
	p := postPresign(t, e, b, "k", 10*time.Minute, map[string]string{"success_action_redirect": target})
	resp := postSend(e, b, postFields(p, formField{"success_action_redirect", target}), "k", []byte("redirected"))
	resp.Status(http.StatusSeeOther)
	u, err := url.Parse(resp.Header("Location").Raw())
	if err != nil || u.Host != "app.example" || u.Path != "/done" {
		t.Fatalf("Location %q, want a URL at https://app.example/done", resp.Header("Location").Raw())
	}
	q := u.Query()
	eq(t, "from", q.Get("from"), "form")
	eq(t, "bucket", q.Get("bucket"), b)
	eq(t, "key", q.Get("key"), "k")
	eq(t, "etag", q.Get("etag"), md5ETag([]byte("redirected")))
}

func postObjectFilenameAndMetadata(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "uploads/${filename}", 10*time.Minute,
		[]any{"starts-with", "$key", "uploads/"},
		map[string]string{"Content-Type": "text/plain"},
		[]any{"starts-with", "$x-amz-meta-note", ""})
	resp := postSend(e, b, postFields(p, formField{"Content-Type", "text/plain"}, formField{"x-amz-meta-note", "from a form"}),
		"photo.txt", []byte("named"))
	resp.Status(http.StatusNoContent)
	head, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("uploads/photo.txt")})
	mustf(t, err, "HeadObject uploads/photo.txt")
	eq(t, "Content-Type", aws.ToString(head.ContentType), "text/plain")
	eq(t, "x-amz-meta-note", head.Metadata["note"], "from a form")
}

func postObjectFieldNamesAnyCase(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute)
	var fields []formField
	for _, f := range postFields(p) {
		// The SDK writes X-Amz-Signature etc.; any case must do.
		switch strings.ToLower(f.name) {
		case "policy", "key":
			f.name = strings.ToUpper(f.name)
		default:
			f.name = strings.ToLower(f.name)
		}
		fields = append(fields, f)
	}
	postSend(e, b, fields, "k", []byte("cased")).Status(http.StatusNoContent)
	eq(t, "object", string(e.Get(b, "k")), "cased")
}

func postObjectFieldsAfterFileIgnored(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute)
	postSend(e, b, postFields(p), "k", []byte("first"), formField{"x-amz-meta-late", "ignored"}).Status(http.StatusNoContent)
	head, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "HeadObject")
	if _, ok := head.Metadata["late"]; ok {
		t.Fatalf("a field after the file was stored: %v", head.Metadata)
	}
}

func postObjectConditionFailed(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "allowed", 10*time.Minute)
	fields := postFields(p)
	for i := range fields {
		if strings.EqualFold(fields[i].name, "key") {
			fields[i].value = "other"
		}
	}
	wantError(t, postSend(e, b, fields, "k", []byte("x")), http.StatusForbidden, "AccessDenied")
	postNothingStored(t, e, b, "other")
}

func postObjectExtraField(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute)
	wantError(t, postSend(e, b, postFields(p, formField{"x-amz-meta-extra", "not in the policy"}), "k", []byte("x")),
		http.StatusForbidden, "AccessDenied")
	postNothingStored(t, e, b, "k")
}

func postObjectExpired(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", -time.Minute)
	wantError(t, postSend(e, b, postFields(p), "k", []byte("x")), http.StatusForbidden, "AccessDenied")
	postNothingStored(t, e, b, "k")
}

func postObjectBadSignature(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute)
	fields := postFields(p)
	for i := range fields {
		if strings.EqualFold(fields[i].name, "x-amz-signature") {
			sig := []byte(fields[i].value)
			if sig[0] == '0' {
				sig[0] = '1'
			} else {
				sig[0] = '0'
			}
			fields[i].value = string(sig)
		}
	}
	wantError(t, postSend(e, b, fields, "k", []byte("x")), http.StatusForbidden, "SignatureDoesNotMatch")
	postNothingStored(t, e, b, "k")
}

func postObjectTooLarge(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute, []any{"content-length-range", 1, 10})
	wantError(t, postSend(e, b, postFields(p), "k", bytes.Repeat([]byte("x"), 11)), http.StatusBadRequest, "EntityTooLarge")
	postNothingStored(t, e, b, "k")
}

func postObjectTooSmall(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute, []any{"content-length-range", 5, 10})
	wantError(t, postSend(e, b, postFields(p), "k", []byte("x")), http.StatusBadRequest, "EntityTooSmall")
	postNothingStored(t, e, b, "k")
}

func postObjectChecksum(t T, e *Env) {
	// RESTObjectPOST lists x-amz-checksum-* among the form's fields, and
	// S3 stores no object whose checksum does not match ("Checking object
	// integrity"). No capture of S3's answer to a mismatched form field
	// was found, so only a 400 is asserted, not its code (a PUT's is
	// BadDigest).
	b := e.NewBucket()
	body := []byte("checked by a form")
	for _, c := range []struct {
		key, value string
		status     int
	}{
		{"wrong", cksValue("CRC32", []byte("other bytes")), http.StatusBadRequest},
		{"right", cksValue("CRC32", body), http.StatusNoContent},
	} {
		p := postPresign(t, e, b, c.key, 10*time.Minute, map[string]string{"x-amz-checksum-crc32": c.value})
		resp := postSend(e, b, postFields(p, formField{"x-amz-checksum-crc32", c.value}), c.key, body)
		if c.status != http.StatusNoContent {
			resp.Status(c.status)
			postNothingStored(t, e, b, c.key)
			continue
		}
		resp.Status(c.status)
		head, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(c.key), ChecksumMode: types.ChecksumModeEnabled})
		mustf(t, err, "HeadObject")
		eq(t, "ChecksumCRC32", aws.ToString(head.ChecksumCRC32), c.value)
	}
}

func postObjectNoFile(t T, e *Env) {
	b := e.NewBucket()
	p := postPresign(t, e, b, "k", 10*time.Minute)
	wantError(t, postSend(e, b, postFields(p), "", nil), http.StatusBadRequest, "InvalidArgument")
	postNothingStored(t, e, b, "k")
}
