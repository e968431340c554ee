package conformance

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
)

// Cases for single-object PutObject, GetObject, HeadObject and DeleteObject:
// ETags, Content-MD5, conditional writes, stored metadata, response
// overrides and body-size limits.

// emptyMD5 is the MD5 of zero bytes, the ETag of an empty object.
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

// objETag returns the ETag S3 gives a single-part object: its quoted hex MD5.
func objETag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// objContentMD5 returns the Content-MD5 header value for body.
func objContentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// objS3Error is the XML body of an S3 error response.
type objS3Error struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	Key     string   `xml:"Key"`
}

// objWantError fails the case unless a raw response has the given status and
// S3 error code in its XML body, and returns the parsed error.
func objWantError(t T, resp *httpexpect.Response, status int, code string) objS3Error {
	t.Helper()
	body := resp.Body().Raw()
	if got := resp.Raw().StatusCode; got != status {
		t.Fatalf("HTTP status = %d, want %d with %s (body: %q)", got, status, code, body)
	}
	var e objS3Error
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not an S3 <Error> document: %v (body: %q)", err, body)
	}
	eq(t, "error <Code>", e.Code, code)
	return e
}

// objHeader returns a response header.
func objHeader(resp *httpexpect.Response, name string) string {
	return resp.Raw().Header.Get(name)
}

// objWantAbsent fails the case unless HeadObject answers 404 for the key.
func objWantAbsent(t T, e *Env, bucket, key string) {
	t.Helper()
	_, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		t.Fatalf("HeadObject %q succeeded: the object exists, want 404", key)
	}
	if got := HTTPStatus(err); got != http.StatusNotFound {
		t.Fatalf("HeadObject %q: HTTP status %d, want 404 (error: %v)", key, got, err)
	}
}

// objWantContent fails the case unless the object reads back as want with
// the matching ETag.
func objWantContent(t T, e *Env, bucket, key string, want []byte) {
	t.Helper()
	out, err := e.SDK.GetObject(e.ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	mustf(t, err, "GetObject %q", key)
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	mustf(t, err, "read GetObject body %q", key)
	if !bytes.Equal(got, want) {
		t.Fatalf("GetObject %q body = %q, want %q", key, objShort(got), objShort(want))
	}
	eq(t, "GetObject ETag", aws.ToString(out.ETag), objETag(want))
}

func objShort(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%s… (%d bytes)", b[:64], len(b))
	}
	return string(b)
}

// objMeta looks a user-metadata name up case-insensitively.
func objMeta(m map[string]string, name string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// objStoredHeader is a standard header S3 stores with an object and replays
// on GET and HEAD. Dates compare as times, the rest byte for byte.
type objStoredHeader struct {
	name, value string
	date        bool
}

var objStoredHeaders = []objStoredHeader{
	{name: "Content-Type", value: "text/plain; charset=utf-8"},
	{name: "Cache-Control", value: "max-age=3600, must-revalidate"},
	{name: "Content-Disposition", value: `attachment; filename="report 2024.txt"`},
	{name: "Content-Encoding", value: "gzip"},
	{name: "Content-Language", value: "de-DE"},
	{name: "Expires", value: "Thu, 01 Dec 2094 16:00:00 GMT", date: true},
}

// objHeaderEqual fails the case unless header h of resp holds want.
func objHeaderEqual(t T, what string, resp *httpexpect.Response, name, want string, date bool) {
	t.Helper()
	got := objHeader(resp, name)
	if !date {
		eq(t, what+" "+name, got, want)
		return
	}
	gt, err := http.ParseTime(got)
	if err != nil {
		t.Fatalf("%s %s = %q: not an HTTP date: %v", what, name, got, err)
	}
	wt, _ := http.ParseTime(want)
	if !gt.Equal(wt) {
		t.Fatalf("%s %s = %q, want %q", what, name, got, want)
	}
}

// objResponseOverride is a GET query parameter that replaces a header.
type objResponseOverride struct {
	param, header, stored, override string
	date                            bool
}

var objResponseOverrides = []objResponseOverride{
	{"response-content-type", "Content-Type", "text/plain", "application/x-override", false},
	{"response-content-language", "Content-Language", "en-US", "fr-CA", false},
	{"response-expires", "Expires", "Thu, 01 Dec 2094 16:00:00 GMT", "Wed, 21 Oct 2099 07:28:00 GMT", true},
	{"response-cache-control", "Cache-Control", "max-age=60", "no-store", false},
	{"response-content-disposition", "Content-Disposition", "inline", `attachment; filename="override.bin"`, false},
	{"response-content-encoding", "Content-Encoding", "gzip", "deflate", false},
}

// objPatternReader yields n bytes without holding them in memory.
type objPatternReader struct{ n int64 }

func (r *objPatternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = 'z'
	}
	r.n -= int64(len(p))
	return len(p), nil
}

var objStreamSigner = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// objPutStreamed sends a PutObject of n generated bytes signed with
// UNSIGNED-PAYLOAD (the body is never held in memory), optionally asking for
// 100-continue first.
func objPutStreamed(t T, e *Env, bucket, key string, n int64, expectContinue bool) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx(), http.MethodPut, e.URL(bucket, key), io.NopCloser(&objPatternReader{n: n}))
	mustf(t, err, "build request")
	req.ContentLength = n
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if expectContinue {
		req.Header.Set("Expect", "100-continue")
	}
	creds := aws.Credentials{AccessKeyID: e.Target.Full.AccessKey, SecretAccessKey: e.Target.Full.SecretKey}
	mustf(t, objStreamSigner.SignHTTP(e.ctx(), creds, req, "UNSIGNED-PAYLOAD", "s3", e.Target.Region, time.Now().UTC()), "sign request")
	return httpClient().Do(req)
}

// objTooLarge is the shared body of the oversized-PUT cases.
func objTooLarge(expectContinue bool) func(t T, e *Env) {
	return func(t T, e *Env) {
		max := e.Target.MaxBodyBytes
		if max <= 0 {
			t.Skipf("target declares no max_body_bytes: the size limit to exceed is unknown")
		}
		b := e.NewBucket()
		resp, err := objPutStreamed(t, e, b, "too-large", max+1, expectContinue)
		if err != nil {
			t.Fatalf("PUT of %d bytes (limit %d): no response received: %v", max+1, max, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("PUT of %d bytes (limit %d): HTTP status = %d, want 400 EntityTooLarge (body: %q)", max+1, max, resp.StatusCode, body)
		}
		var se objS3Error
		if err := xml.Unmarshal(body, &se); err != nil {
			t.Fatalf("error body is not an S3 <Error> document: %v (body: %q)", err, body)
		}
		eq(t, "error <Code>", se.Code, "EntityTooLarge")
		objWantAbsent(t, e, b, "too-large")
	}
}

func init() {
	var cases []Case

	// ---- PutObject: ETags, empty bodies, overwrites ----
	cases = append(cases,
		Case{
			ID: "objects/put/etag-is-quoted-md5", Feature: Objects, Ops: ops("PutObject", "HeadObject", "ListObjectsV2"),
			Desc: "a single-part object's ETag is the quoted lower-case hex MD5 of its bytes, in the PUT, HEAD and listing responses",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				bin := make([]byte, 256*1024+7)
				for i := range bin {
					bin[i] = byte(i*31 + i>>8)
				}
				bodies := map[string][]byte{"text": []byte("The quick brown fox"), "binary": bin, "one-byte": {0}}
				for k, body := range bodies {
					eq(t, "SDK PutObject ETag of "+k, e.Put(b, k, body), objETag(body))
				}
				raw := []byte("raw request body")
				resp := e.Request(http.MethodPut, b, "raw").WithBytes(raw).Expect()
				resp.Status(http.StatusOK)
				eq(t, "raw PUT ETag", objHeader(resp, "ETag"), objETag(raw))
				bodies["raw"] = raw
				for k, body := range bodies {
					head, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
					mustf(t, err, "HeadObject %s", k)
					eq(t, "HeadObject ETag of "+k, aws.ToString(head.ETag), objETag(body))
				}
				out, err := e.SDK.ListObjectsV2(e.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				mustf(t, err, "ListObjectsV2")
				eq(t, "listed objects", len(out.Contents), len(bodies))
				for _, o := range out.Contents {
					body := bodies[aws.ToString(o.Key)]
					eq(t, "listed ETag of "+aws.ToString(o.Key), aws.ToString(o.ETag), objETag(body))
					eq(t, "listed Size of "+aws.ToString(o.Key), aws.ToInt64(o.Size), int64(len(body)))
				}
			},
		},
		Case{
			ID: "objects/put/empty-body", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject", "ListObjectsV2"),
			Desc: "a PUT with no body stores a 0-byte object whose ETag is the MD5 of nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodPut, b, "empty").Expect()
				resp.Status(http.StatusOK)
				eq(t, "PUT ETag", objHeader(resp, "ETag"), `"`+emptyMD5+`"`)
				eq(t, "SDK PutObject ETag", e.Put(b, "empty-sdk", nil), `"`+emptyMD5+`"`)
				for _, k := range []string{"empty", "empty-sdk"} {
					head := e.Request(http.MethodHead, b, k).Expect()
					head.Status(http.StatusOK)
					eq(t, "HEAD Content-Length", objHeader(head, "Content-Length"), "0")
					eq(t, "HEAD ETag", objHeader(head, "ETag"), `"`+emptyMD5+`"`)
					get := e.Request(http.MethodGet, b, k).Expect()
					get.Status(http.StatusOK)
					get.Body().IsEqual("")
					eq(t, "GET Content-Length", objHeader(get, "Content-Length"), "0")
				}
				out, err := e.SDK.ListObjectsV2(e.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				mustf(t, err, "ListObjectsV2")
				eq(t, "listed objects", len(out.Contents), 2)
				for _, o := range out.Contents {
					eq(t, "listed Size", aws.ToInt64(o.Size), int64(0))
					eq(t, "listed ETag", aws.ToString(o.ETag), `"`+emptyMD5+`"`)
				}
			},
		},
		Case{
			ID: "objects/put/overwrite", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject", "ListObjectsV2"),
			Desc: "a second PUT to a key replaces the content, size and ETag; the key is listed once",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				first, second := []byte("first version, longer than the second"), []byte("second")
				e.Put(b, "k", first)
				eq(t, "overwrite ETag", e.Put(b, "k", second), objETag(second))
				objWantContent(t, e, b, "k", second)
				head, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
				mustf(t, err, "HeadObject")
				eq(t, "HeadObject ContentLength", aws.ToInt64(head.ContentLength), int64(len(second)))
				out, err := e.SDK.ListObjectsV2(e.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				mustf(t, err, "ListObjectsV2")
				eq(t, "listed objects", len(out.Contents), 1)
				eq(t, "listed Size", aws.ToInt64(out.Contents[0].Size), int64(len(second)))
				eq(t, "listed ETag", aws.ToString(out.Contents[0].ETag), objETag(second))
			},
		},
	)

	// ---- PutObject: Content-MD5 ----
	cases = append(cases,
		Case{
			ID: "objects/put/content-md5/correct", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT whose Content-MD5 matches the body succeeds and stores it",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				body := []byte("checked by Content-MD5")
				resp := e.Request(http.MethodPut, b, "k").WithHeader("Content-MD5", objContentMD5(body)).WithBytes(body).Expect()
				resp.Status(http.StatusOK)
				eq(t, "PUT ETag", objHeader(resp, "ETag"), objETag(body))
				objWantContent(t, e, b, "k", body)
			},
		},
		Case{
			ID: "objects/put/content-md5/mismatch-creates-nothing", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "a PUT whose Content-MD5 is well-formed but wrong fails 400 BadDigest and stores nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("Content-MD5", objContentMD5([]byte("other bytes"))).WithBytes([]byte("actual bytes")).Expect()
				objWantError(t, resp, http.StatusBadRequest, "BadDigest")
				objWantAbsent(t, e, b, "k")
			},
		},
		Case{
			ID: "objects/put/content-md5/mismatch-keeps-previous", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT with a wrong Content-MD5 over an existing key fails 400 BadDigest and leaves the old object intact",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				old := []byte("the original")
				e.Put(b, "k", old)
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("Content-MD5", objContentMD5([]byte("not the body"))).WithBytes([]byte("a replacement")).Expect()
				objWantError(t, resp, http.StatusBadRequest, "BadDigest")
				objWantContent(t, e, b, "k", old)
			},
		},
	)
	for _, c := range []struct{ name, value, why string }{
		{"not-base64", "AWS HAHAHA", "is not base64"},
		{"wrong-length", "YWJyYWNhZGFicmE=", "decodes to 11 bytes, not 16"},
		{"hex-not-base64", strings.Repeat("0", 32), "is hex, which decodes to 24 bytes"},
	} {
		cases = append(cases, Case{
			ID: "objects/put/content-md5/malformed/" + c.name, Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "a PUT whose Content-MD5 " + c.why + " fails 400 InvalidDigest and stores nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodPut, b, "k").WithHeader("Content-MD5", c.value).WithBytes([]byte("bar")).Expect()
				objWantError(t, resp, http.StatusBadRequest, "InvalidDigest")
				objWantAbsent(t, e, b, "k")
			},
		})
	}

	// ---- PutObject: conditional writes ----
	cases = append(cases,
		Case{
			ID: "objects/put/if-none-match/missing-key", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT with If-None-Match: * to a key that does not exist succeeds",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				body := []byte("created once")
				resp := e.Request(http.MethodPut, b, "k").WithHeader("If-None-Match", "*").WithBytes(body).Expect()
				resp.Status(http.StatusOK)
				eq(t, "PUT ETag", objHeader(resp, "ETag"), objETag(body))
				objWantContent(t, e, b, "k", body)
			},
		},
		Case{
			ID: "objects/put/if-none-match/existing-key", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT with If-None-Match: * to an existing key fails 412 PreconditionFailed and the old content stays",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				old := []byte("already here")
				e.Put(b, "k", old)
				resp := e.Request(http.MethodPut, b, "k").WithHeader("If-None-Match", "*").WithBytes([]byte("intruder")).Expect()
				objWantError(t, resp, http.StatusPreconditionFailed, "PreconditionFailed")
				objWantContent(t, e, b, "k", old)
			},
		},
		Case{
			ID: "objects/put/if-match/current-etag", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT with If-Match naming the current ETag replaces the object",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				etag := e.PutString(b, "k", "version 1")
				next := []byte("version 2")
				resp := e.Request(http.MethodPut, b, "k").WithHeader("If-Match", etag).WithBytes(next).Expect()
				resp.Status(http.StatusOK)
				eq(t, "PUT ETag", objHeader(resp, "ETag"), objETag(next))
				objWantContent(t, e, b, "k", next)
			},
		},
		Case{
			ID: "objects/put/if-match/wrong-etag", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "a PUT with If-Match naming another ETag fails 412 PreconditionFailed and the content is unchanged",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				old := []byte("version 1")
				e.Put(b, "k", old)
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("If-Match", objETag([]byte("some other version"))).WithBytes([]byte("version 2")).Expect()
				objWantError(t, resp, http.StatusPreconditionFailed, "PreconditionFailed")
				objWantContent(t, e, b, "k", old)
			},
		},
		Case{
			// AWS user guide, "Conditional write behavior": an If-Match write
			// to a key with no current object fails 404 NoSuchKey (measured
			// on AWS in minio/minio#21526).
			ID: "objects/put/if-match/missing-key", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "a PUT with If-Match to a key that does not exist fails 404 NoSuchKey and creates nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("If-Match", objETag([]byte("anything"))).WithBytes([]byte("new")).Expect()
				objWantError(t, resp, http.StatusNotFound, "NoSuchKey")
				objWantAbsent(t, e, b, "k")
			},
		},
	)

	// ---- PutObject: body size limit ----
	cases = append(cases,
		Case{
			ID: "objects/put/too-large/expect-continue", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "a PUT declaring Content-Length one byte over the target's limit, with Expect: 100-continue, fails 400 EntityTooLarge and stores nothing",
			Run:  objTooLarge(true),
		},
		Case{
			ID: "objects/put/too-large/streamed", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "a streamed PUT one byte over the target's limit fails 400 EntityTooLarge and stores nothing",
			Run:  objTooLarge(false),
		},
	)

	// ---- Metadata ----
	cases = append(cases,
		Case{
			ID: "objects/metadata/user/roundtrip", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "x-amz-meta-* names and values set on PUT come back on GET and HEAD (names case-insensitively, values exactly)",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				meta := map[string]string{"color": "blue", "Mixed-Case-Name": "Value With Spaces", "empty-ish": "-"}
				_, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
					Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"), Metadata: meta,
				})
				mustf(t, err, "PutObject")
				check := func(op string, got map[string]string) {
					t.Helper()
					eq(t, op+" metadata entries", len(got), len(meta))
					for k, want := range meta {
						v, ok := objMeta(got, k)
						if !ok {
							t.Fatalf("%s metadata lacks %q (got %v)", op, k, got)
						}
						eq(t, op+" metadata "+k, v, want)
					}
				}
				get, err := e.SDK.GetObject(e.ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
				mustf(t, err, "GetObject")
				get.Body.Close()
				check("GetObject", get.Metadata)
				head, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
				mustf(t, err, "HeadObject")
				check("HeadObject", head.Metadata)
				// Raw: the headers themselves.
				for _, m := range []string{http.MethodGet, http.MethodHead} {
					resp := e.Request(m, b, "k").Expect()
					resp.Status(http.StatusOK)
					for k, want := range meta {
						eq(t, m+" x-amz-meta-"+k, objHeader(resp, "x-amz-meta-"+k), want)
					}
				}
			},
		},
		Case{
			ID: "objects/metadata/user/raw-headers", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "x-amz-meta-* headers sent on a raw PUT in any letter case are returned on HEAD with their values",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.Request(http.MethodPut, b, "k").
					WithHeader("X-Amz-Meta-Project", "apollo").
					WithHeader("x-amz-meta-UPPER", "Shouting").
					WithBytes([]byte("x")).Expect().Status(http.StatusOK)
				resp := e.Request(http.MethodHead, b, "k").Expect()
				resp.Status(http.StatusOK)
				eq(t, "x-amz-meta-project", objHeader(resp, "x-amz-meta-project"), "apollo")
				eq(t, "x-amz-meta-upper", objHeader(resp, "x-amz-meta-upper"), "Shouting")
			},
		},
		Case{
			ID: "objects/metadata/user/replaced-on-overwrite", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "overwriting an object replaces its user metadata: names not sent again are gone",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				_, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
					Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("1"),
					Metadata: map[string]string{"old": "1", "kept": "a"},
				})
				mustf(t, err, "first PutObject")
				_, err = e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
					Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("2"),
					Metadata: map[string]string{"kept": "b"},
				})
				mustf(t, err, "second PutObject")
				head, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
				mustf(t, err, "HeadObject")
				if _, ok := objMeta(head.Metadata, "old"); ok {
					t.Fatalf("metadata %q survived an overwrite that did not send it (got %v)", "old", head.Metadata)
				}
				v, _ := objMeta(head.Metadata, "kept")
				eq(t, "metadata kept", v, "b")
			},
		},
		Case{
			ID: "objects/metadata/user/under-limit", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "user metadata just under 2 KB (names plus values) is accepted and returned whole",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				val := strings.Repeat("v", 2000) // "big" + 2000 bytes < 2048
				_, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
					Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"),
					Metadata: map[string]string{"big": val},
				})
				mustf(t, err, "PutObject with 2003 bytes of metadata")
				head, err := e.SDK.HeadObject(e.ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
				mustf(t, err, "HeadObject")
				v, _ := objMeta(head.Metadata, "big")
				eq(t, "metadata big", v, val)
			},
		},
		Case{
			ID: "objects/metadata/user/too-large", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "user metadata over 2 KB fails 400 MetadataTooLarge and stores nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				// 3000 bytes: well past 2 KB however names are counted, and
				// well inside S3's 8 KB limit on a PUT's headers.
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("x-amz-meta-big", strings.Repeat("m", 3000)).WithBytes([]byte("x")).Expect()
				objWantError(t, resp, http.StatusBadRequest, "MetadataTooLarge")
				objWantAbsent(t, e, b, "k")
			},
		},
		Case{
			ID: "objects/metadata/default-content-type", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "an object stored without a Content-Type is served as binary/octet-stream",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				// A raw request with a body and no Content-Type header (the
				// SDK would send application/octet-stream).
				e.Request(http.MethodPut, b, "k").WithBytes([]byte("no type")).Expect().Status(http.StatusOK)
				for _, m := range []string{http.MethodGet, http.MethodHead} {
					resp := e.Request(m, b, "k").Expect()
					resp.Status(http.StatusOK)
					eq(t, m+" Content-Type", objHeader(resp, "Content-Type"), "binary/octet-stream")
				}
			},
		},
	)
	for _, h := range objStoredHeaders {
		cases = append(cases, Case{
			ID: "objects/metadata/stored/" + slug(h.name), Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: h.name + " sent on PUT is stored and replayed on GET and HEAD",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.Request(http.MethodPut, b, "k").WithHeader(h.name, h.value).WithBytes([]byte("payload")).Expect().Status(http.StatusOK)
				for _, m := range []string{http.MethodGet, http.MethodHead} {
					resp := e.Request(m, b, "k").Expect()
					resp.Status(http.StatusOK)
					objHeaderEqual(t, m, resp, h.name, h.value, h.date)
				}
			},
		})
	}

	// ---- GetObject / HeadObject ----
	cases = append(cases,
		Case{
			ID: "objects/get/missing-key", Feature: Objects, Ops: ops("GetObject"),
			Desc: "GET of a missing key fails 404 NoSuchKey and the error names the key",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.PutString(b, "present", "x")
				resp := e.Request(http.MethodGet, b, "absent/key.txt").Expect()
				se := objWantError(t, resp, http.StatusNotFound, "NoSuchKey")
				eq(t, "error <Key>", se.Key, "absent/key.txt")
				_, err := e.SDK.GetObject(e.ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("absent/key.txt")})
				wantCode(t, err, "NoSuchKey", http.StatusNotFound)
			},
		},
		Case{
			ID: "objects/get/headers", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "GET returns ETag, Last-Modified, Content-Length, Content-Type and Accept-Ranges: bytes",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				body := []byte("0123456789abcdef")
				e.Request(http.MethodPut, b, "k").WithHeader("Content-Type", "text/csv").WithBytes(body).Expect().Status(http.StatusOK)
				resp := e.Request(http.MethodGet, b, "k").Expect()
				resp.Status(http.StatusOK)
				resp.Body().IsEqual(string(body))
				eq(t, "ETag", objHeader(resp, "ETag"), objETag(body))
				eq(t, "Content-Length", objHeader(resp, "Content-Length"), strconv.Itoa(len(body)))
				eq(t, "Content-Type", objHeader(resp, "Content-Type"), "text/csv")
				eq(t, "Accept-Ranges", objHeader(resp, "Accept-Ranges"), "bytes")
				if _, err := http.ParseTime(objHeader(resp, "Last-Modified")); err != nil {
					t.Fatalf("Last-Modified %q is not an HTTP date: %v", objHeader(resp, "Last-Modified"), err)
				}
			},
		},
		Case{
			ID: "objects/get/last-modified", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "Last-Modified of a just-written object is an HTTP date not after the response's Date and within 5 minutes of it",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.PutString(b, "k", "timed")
				for _, m := range []string{http.MethodGet, http.MethodHead} {
					resp := e.Request(m, b, "k").Expect()
					resp.Status(http.StatusOK)
					lm, err := http.ParseTime(objHeader(resp, "Last-Modified"))
					if err != nil {
						t.Fatalf("%s Last-Modified %q is not an HTTP date: %v", m, objHeader(resp, "Last-Modified"), err)
					}
					date, err := http.ParseTime(objHeader(resp, "Date"))
					if err != nil {
						t.Fatalf("%s Date %q is not an HTTP date: %v", m, objHeader(resp, "Date"), err)
					}
					// One second of slack: the two stamps may come from
					// different machines' clocks, each cut to the second.
					if lm.After(date.Add(time.Second)) {
						t.Fatalf("%s Last-Modified %v is after the response Date %v", m, lm, date)
					}
					if date.Sub(lm) > 5*time.Minute {
						t.Fatalf("%s Last-Modified %v is more than 5 minutes before the response Date %v for an object just written", m, lm, date)
					}
				}
			},
		},
		Case{
			ID: "objects/head/same-headers-as-get", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "HEAD returns the same object headers as GET (including Content-Length) and no body",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				body := []byte("some bytes for HEAD to describe")
				e.Request(http.MethodPut, b, "k").
					WithHeader("Content-Type", "application/json").
					WithHeader("Cache-Control", "no-cache").
					WithHeader("Content-Disposition", "inline").
					WithHeader("Content-Language", "en").
					WithHeader("x-amz-meta-owner", "alice").
					WithBytes(body).Expect().Status(http.StatusOK)
				get := e.Request(http.MethodGet, b, "k").Expect()
				get.Status(http.StatusOK)
				head := e.Request(http.MethodHead, b, "k").Expect()
				head.Status(http.StatusOK)
				for _, h := range []string{"ETag", "Last-Modified", "Content-Length", "Content-Type", "Accept-Ranges",
					"Cache-Control", "Content-Disposition", "Content-Language", "x-amz-meta-owner"} {
					g := objHeader(get, h)
					if g == "" {
						t.Fatalf("GET lacks %s", h)
					}
					eq(t, "HEAD "+h+" (GET has "+g+")", objHeader(head, h), g)
				}
				eq(t, "HEAD Content-Length", objHeader(head, "Content-Length"), strconv.Itoa(len(body)))
				head.Body().IsEqual("")
			},
		},
		Case{
			ID: "objects/head/missing-key", Feature: Objects, Ops: ops("HeadObject"),
			Desc: "HEAD of a missing key answers 404 with an empty body",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodHead, b, "absent").Expect()
				resp.Status(http.StatusNotFound)
				resp.Body().IsEqual("")
				objWantAbsent(t, e, b, "absent")
			},
		},
	)
	for _, o := range objResponseOverrides {
		cases = append(cases, Case{
			ID: "objects/get/response-override/" + strings.TrimPrefix(o.param, "response-"), Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "GET with " + o.param + " returns that value as " + o.header + " and leaves the stored value unchanged",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.Request(http.MethodPut, b, "k").WithHeader(o.header, o.stored).WithBytes([]byte("overridden")).Expect().Status(http.StatusOK)
				resp := e.Request(http.MethodGet, b, "k").WithQuery(o.param, o.override).Expect()
				resp.Status(http.StatusOK)
				resp.Body().IsEqual("overridden")
				objHeaderEqual(t, "GET?"+o.param, resp, o.header, o.override, o.date)
				plain := e.Request(http.MethodGet, b, "k").Expect()
				plain.Status(http.StatusOK)
				objHeaderEqual(t, "later plain GET", plain, o.header, o.stored, o.date)
			},
		})
	}

	// ---- DeleteObject ----
	cases = append(cases,
		Case{
			ID: "objects/delete/existing", Feature: Objects, Ops: ops("DeleteObject", "GetObject", "HeadObject", "ListObjectsV2"),
			Desc: "DELETE of an existing object answers 204; the key then reads 404 NoSuchKey and is not listed",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.PutString(b, "doomed", "bye")
				resp := e.Request(http.MethodDelete, b, "doomed").Expect()
				resp.Status(http.StatusNoContent)
				get := e.Request(http.MethodGet, b, "doomed").Expect()
				objWantError(t, get, http.StatusNotFound, "NoSuchKey")
				objWantAbsent(t, e, b, "doomed")
				out, err := e.SDK.ListObjectsV2(e.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				mustf(t, err, "ListObjectsV2")
				eq(t, "listed objects after delete", len(out.Contents), 0)
			},
		},
		Case{
			ID: "objects/delete/missing-key", Feature: Objects, Ops: ops("DeleteObject"),
			Desc: "DELETE of a key that never existed, or was already deleted, answers 204",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.Request(http.MethodDelete, b, "never-was").Expect().Status(http.StatusNoContent)
				_, err := e.SDK.DeleteObject(e.ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("never-was-sdk")})
				mustf(t, err, "SDK DeleteObject of a missing key")
				e.PutString(b, "twice", "x")
				e.Request(http.MethodDelete, b, "twice").Expect().Status(http.StatusNoContent)
				e.Request(http.MethodDelete, b, "twice").Expect().Status(http.StatusNoContent)
			},
		},
		Case{
			ID: "objects/delete/prefix-siblings-untouched", Feature: Objects, Ops: ops("DeleteObject", "GetObject", "ListObjectsV2"),
			Desc: "deleting a key leaves keys it is a prefix of, and keys that are its prefix, untouched",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				keys := []string{"a", "a/", "a/b", "ab", "a b", "a.txt", "dir/a"}
				for _, k := range keys {
					e.PutString(b, k, "content of "+k)
				}
				e.Request(http.MethodDelete, b, "a").Expect().Status(http.StatusNoContent)
				e.Request(http.MethodDelete, b, "dir").Expect().Status(http.StatusNoContent)
				out, err := e.SDK.ListObjectsV2(e.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				mustf(t, err, "ListObjectsV2")
				var got []string
				for _, o := range out.Contents {
					got = append(got, aws.ToString(o.Key))
				}
				want := append([]string(nil), keys[1:]...)
				sort.Strings(want)
				eq(t, "remaining keys", strings.Join(got, " | "), strings.Join(want, " | "))
				for _, k := range want {
					objWantContent(t, e, b, k, []byte("content of "+k))
				}
			},
		},
	)

	register(cases...)
}
