package conformance

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// delObjsIDs makes the object list of a DeleteObjects request.
func delObjsIDs(keys ...string) []types.ObjectIdentifier {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	return ids
}

// delObjsRun sends DeleteObjects through the SDK and fails the case on error.
func delObjsRun(t T, e *Env, bucket string, quiet bool, keys ...string) *s3.DeleteObjectsOutput {
	t.Helper()
	in := &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: delObjsIDs(keys...)}}
	if quiet {
		in.Delete.Quiet = aws.Bool(true)
	}
	out, err := e.SDK.DeleteObjects(t.Context(), in)
	mustf(t, err, "DeleteObjects %s", bucket)
	return out
}

// delObjsDeletedKeys returns the keys of the Deleted entries, sorted.
func delObjsDeletedKeys(out *s3.DeleteObjectsOutput) []string {
	keys := make([]string, len(out.Deleted))
	for i, d := range out.Deleted {
		keys[i] = aws.ToString(d.Key)
	}
	sort.Strings(keys)
	return keys
}

// delObjsNoErrors fails the case if DeleteObjects reported per-key errors.
func delObjsNoErrors(t T, out *s3.DeleteObjectsOutput) {
	t.Helper()
	if len(out.Errors) > 0 {
		er := out.Errors[0]
		t.Fatalf("DeleteObjects reported %d errors, first: key %q %s: %s", len(out.Errors),
			aws.ToString(er.Key), aws.ToString(er.Code), aws.ToString(er.Message))
	}
}

// delObjsExists reports whether bucket/key exists, by HeadObject.
func delObjsExists(t T, e *Env, bucket, key string) bool {
	t.Helper()
	_, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return true
	}
	var nf *types.NotFound
	if errors.As(err, &nf) || HTTPStatus(err) == http.StatusNotFound {
		return false
	}
	t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	return false
}

// delObjsRaw posts a raw DeleteObjects body with its Content-MD5 (which S3
// requires on this operation).
func delObjsRaw(e *Env, bucket, body string) *httpexpect.Response {
	sum := md5.Sum([]byte(body))
	return e.Request(http.MethodPost, bucket, "").WithQuery("delete", "").
		WithHeader("Content-MD5", base64.StdEncoding.EncodeToString(sum[:])).
		WithHeader("Content-Type", "application/xml").
		WithBytes([]byte(body)).Expect()
}

func init() {
	delOps := ops("PutObject", "DeleteObjects")
	register(
		Case{
			ID: "objects/delete-objects/several", Feature: Objects, Ops: delOps,
			Desc: "DeleteObjects removes every listed key, reports each as Deleted, and leaves other keys alone",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b", "c/d", "keep", "a/b", "ab")
				out := delObjsRun(t, e, b, false, "a", "b", "c/d")
				delObjsNoErrors(t, out)
				listEqStrings(t, "Deleted keys", delObjsDeletedKeys(out), []string{"a", "b", "c/d"})
				lo := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				listEqStrings(t, "keys left", listKeysOf(lo.Contents), []string{"a/b", "ab", "keep"})
			},
		},
		Case{
			ID: "objects/delete-objects/quiet", Feature: Objects, Ops: delOps,
			Desc: "in Quiet mode DeleteObjects deletes the keys but returns no Deleted entries",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "x", "y", "z")
				out := delObjsRun(t, e, b, true, "x", "y", "missing")
				delObjsNoErrors(t, out)
				eq(t, "number of Deleted entries in quiet mode", len(out.Deleted), 0)
				if delObjsExists(t, e, b, "x") || delObjsExists(t, e, b, "y") {
					t.Fatalf("quiet DeleteObjects left x or y in place")
				}
				if !delObjsExists(t, e, b, "z") {
					t.Fatalf("quiet DeleteObjects removed z, which it was not given")
				}
			},
		},
		Case{
			ID: "objects/delete-objects/missing-keys", Feature: Objects, Ops: delOps,
			Desc: "keys that do not exist are reported as Deleted, not as errors (deletion is idempotent)",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "present")
				out := delObjsRun(t, e, b, false, "present", "never-existed", "also/missing")
				delObjsNoErrors(t, out)
				listEqStrings(t, "Deleted keys", delObjsDeletedKeys(out), []string{"also/missing", "never-existed", "present"})
				out = delObjsRun(t, e, b, false, "present")
				delObjsNoErrors(t, out)
				listEqStrings(t, "Deleted keys on the second delete", delObjsDeletedKeys(out), []string{"present"})
			},
		},
		Case{
			ID: "objects/delete-objects/special-characters", Feature: Objects, Ops: delOps,
			Desc: "keys with a space, unicode, '&', '<', '>' and quotes are deleted and reported back exactly",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				keys := []string{"with space", "ünïcödé/日本", "a&b", "a<b", "c>d", `q"u'o`, "keep&<"}
				listPutKeys(e, b, keys...)
				del := keys[:len(keys)-1]
				out := delObjsRun(t, e, b, false, del...)
				delObjsNoErrors(t, out)
				want := slices.Clone(del)
				sort.Strings(want)
				listEqStrings(t, "Deleted keys", delObjsDeletedKeys(out), want)
				lo := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				listEqStrings(t, "keys left", listKeysOf(lo.Contents), []string{"keep&<"})
			},
		},
		Case{
			ID: "objects/delete-objects/raw-xml-escapes", Feature: Objects, Ops: delOps,
			Desc: "a hand-written Delete body with XML-escaped keys (&amp; &lt;) and no namespace deletes those keys",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "x&y", "x<y", "other")
				resp := delObjsRaw(e, b, `<?xml version="1.0" encoding="UTF-8"?>`+
					`<Delete><Object><Key>x&amp;y</Key></Object><Object><Key>x&lt;y</Key></Object></Delete>`)
				resp.Status(http.StatusOK)
				body := resp.Body().Raw()
				if !strings.Contains(body, "<Deleted>") {
					t.Fatalf("response has no Deleted entries:\n%s", body)
				}
				lo := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				listEqStrings(t, "keys left", listKeysOf(lo.Contents), []string{"other"})
			},
		},
		Case{
			ID: "objects/delete-objects/1000-keys", Feature: Objects, Ops: ops("DeleteObjects"),
			Desc: "a DeleteObjects request with exactly 1000 keys is accepted and reports 1000 Deleted",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				keys := make([]string, 1000)
				for i := range keys {
					keys[i] = fmt.Sprintf("k%04d", i)
				}
				out := delObjsRun(t, e, b, false, keys...)
				delObjsNoErrors(t, out)
				eq(t, "number of Deleted entries", len(out.Deleted), 1000)
			},
		},
		Case{
			ID: "objects/delete-objects/over-1000-keys", Feature: Objects, Ops: delOps,
			Desc: "a DeleteObjects request with 1001 keys is refused whole with 400 MalformedXML",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "k0000")
				keys := make([]string, 1001)
				for i := range keys {
					keys[i] = fmt.Sprintf("k%04d", i)
				}
				_, err := e.SDK.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
					Bucket: aws.String(b), Delete: &types.Delete{Objects: delObjsIDs(keys...)},
				})
				wantCode(t, err, "MalformedXML", http.StatusBadRequest)
				if !delObjsExists(t, e, b, "k0000") {
					t.Fatalf("a refused DeleteObjects still deleted k0000")
				}
			},
		},
		Case{
			ID: "objects/delete-objects/no-objects", Feature: Objects, Ops: delOps,
			Desc: "a Delete element without any Object is refused with 400 MalformedXML",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "k")
				listWantError(t, delObjsRaw(e, b, `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet></Delete>`),
					http.StatusBadRequest, "MalformedXML")
				listWantError(t, delObjsRaw(e, b, `<Delete/>`), http.StatusBadRequest, "MalformedXML")
				if !delObjsExists(t, e, b, "k") {
					t.Fatalf("k is gone after refused DeleteObjects requests")
				}
			},
		},
		Case{
			ID: "objects/delete-objects/malformed-xml", Feature: Objects, Ops: delOps,
			Desc: "a body that is not well-formed XML is refused with 400 MalformedXML and deletes nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "k")
				for _, body := range []string{
					`<Delete><Object><Key>k</Key></Object>`,
					`<Delete><Object><Key>k</Key></Objekt></Delete>`,
					`this is not xml`,
				} {
					listWantError(t, delObjsRaw(e, b, body), http.StatusBadRequest, "MalformedXML")
				}
				if !delObjsExists(t, e, b, "k") {
					t.Fatalf("k is gone after malformed DeleteObjects requests")
				}
			},
		},
		Case{
			ID: "objects/delete-objects/no-such-bucket", Feature: Objects, Ops: ops("DeleteObjects"),
			Desc: "DeleteObjects on a bucket that does not exist fails with 404 NoSuchBucket",
			Run: func(t T, e *Env) {
				_, err := e.SDK.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
					Bucket: aws.String(e.BucketName()), Delete: &types.Delete{Objects: delObjsIDs("k")},
				})
				wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
			},
		},
	)
}
