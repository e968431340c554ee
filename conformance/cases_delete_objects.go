package conformance

import (
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

// delObjsRun sends DeleteObjects through the SDK and fails the case on an
// error, of the request or of any key.
func delObjsRun(t T, e *Env, bucket string, quiet bool, keys ...string) *s3.DeleteObjectsOutput {
	t.Helper()
	in := &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: delObjsIDs(keys...)}}
	if quiet {
		in.Delete.Quiet = aws.Bool(true)
	}
	out, err := e.SDK.DeleteObjects(t.Context(), in)
	mustf(t, err, "DeleteObjects %s", bucket)
	if len(out.Errors) > 0 {
		er := out.Errors[0]
		t.Fatalf("DeleteObjects reported %d errors, first: key %q %s: %s", len(out.Errors),
			aws.ToString(er.Key), aws.ToString(er.Code), aws.ToString(er.Message))
	}
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

// delObjsRaw posts a raw DeleteObjects body with its Content-MD5 (which S3
// requires on this operation).
func delObjsRaw(e *Env, bucket, body string) *httpexpect.Response {
	return e.Request(http.MethodPost, bucket, "").WithQuery("delete", "").
		WithHeader("Content-MD5", contentMD5([]byte(body))).
		WithHeader("Content-Type", "application/xml").
		WithBytes([]byte(body)).Expect()
}

// delObjsSigned posts a raw DeleteObjects body signed in the Authorization
// header with payload hash payload ("" for the body's SHA-256) and the
// headers hdr (name, value pairs), and no Content-MD5 unless hdr has one.
func delObjsSigned(t T, e *Env, bucket string, body []byte, payload string, hdr ...string) *httpexpect.Response {
	t.Helper()
	req := sigv4Request(t, e, http.MethodPost, bucket, "", "delete=", body)
	req.Header.Set("Content-Type", "application/xml")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	sigv4Sign(t, e, req, body, sigv4Opts{payload: payload})
	return sigv4Send(t, e, req)
}

// delObjsBody is a Delete document naming the keys.
func delObjsBody(keys ...string) []byte {
	var b strings.Builder
	b.WriteString(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, k := range keys {
		b.WriteString("<Object><Key>" + k + "</Key></Object>")
	}
	b.WriteString("</Delete>")
	return []byte(b.String())
}

// S3 requires DeleteObjects to carry Content-MD5 or an x-amz-checksum-*
// value (x-amz-content-sha256 does not count), and checks the one it gets:
// openstack/swift test/s3api/test_input_errors.py, a suite run against AWS
// (test_no_md5_good_sha_no_crc_header_multi_delete,
// test_no_md5_unsigned_no_crc_header_multi_delete,
// test_no_md5_unsigned_good_crc_header_multi_delete,
// test_no_md5_unsigned_bad_crc_header_multi_delete).
const delObjsMissingDigest = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"

func init() {
	delOps := ops("PutObject", "DeleteObjects")
	register(
		Case{
			ID: "objects/delete-objects/no-content-md5", Feature: Objects, Ops: delOps,
			Desc: "DeleteObjects without Content-MD5 or an x-amz-checksum-* value (payload signed or UNSIGNED-PAYLOAD) gives 400 InvalidRequest and deletes nothing",
			Run:  objectsDeleteObjectsNoContentMd5,
		},
	)
	for _, a := range cksAlgorithms {
		register(Case{
			ID: "checksums/" + strings.ToLower(a.name) + "/delete-objects", Feature: Checksums, Ops: delOps,
			Desc: "DeleteObjects with " + cksHeader(a.name) + " and no Content-MD5 deletes the keys",
			Run:  checksumsDeleteObjects(a),
		})
	}
	register(
		Case{
			ID: "checksums/crc32/delete-objects-mismatch", Feature: Checksums, Ops: delOps,
			Desc: "DeleteObjects whose x-amz-checksum-crc32 does not match the body gives 400 BadDigest naming CRC32 and deletes nothing",
			Run:  checksumsCrc32DeleteObjectsMismatch,
		},
	)
	register(
		Case{
			ID: "objects/delete-objects/quiet", Feature: Objects, Ops: delOps,
			Desc: "in Quiet mode DeleteObjects deletes the keys but returns no Deleted entries",
			Run:  objectsDeleteObjectsQuiet,
		},
		Case{
			ID: "objects/delete-objects/missing-keys", Feature: Objects, Ops: delOps,
			Desc: "keys that do not exist are reported as Deleted, not as errors (deletion is idempotent)",
			Run:  objectsDeleteObjectsMissingKeys,
		},
		Case{
			ID: "objects/delete-objects/raw-xml-escapes", Feature: Objects, Ops: delOps,
			Desc: "a hand-written Delete body with XML-escaped keys (&amp; &lt;) and no namespace deletes those keys",
			Run:  objectsDeleteObjectsRawXmlEscapes,
		},
		Case{
			ID: "objects/delete-objects/1000-keys", Feature: Objects, Ops: ops("DeleteObjects"),
			Desc: "a DeleteObjects request with exactly 1000 keys is accepted and reports 1000 Deleted",
			Run:  objectsDeleteObjects1000Keys,
		},
		Case{
			ID: "objects/delete-objects/over-1000-keys", Feature: Objects, Ops: delOps,
			Desc: "a DeleteObjects request with 1001 keys is refused whole with 400 MalformedXML",
			Run:  objectsDeleteObjectsOver1000Keys,
		},
		Case{
			ID: "objects/delete-objects/no-such-bucket", Feature: Objects, Ops: ops("DeleteObjects"),
			Desc: "DeleteObjects on a bucket that does not exist fails with 404 NoSuchBucket",
			Run:  objectsDeleteObjectsNoSuchBucket,
		},
	)

	// DeleteObjects of del among put: exactly del is reported Deleted (sorted
	// here) and exactly left is still listed.
	for _, c := range []struct {
		id, desc       string
		put, del, left []string
	}{
		{
			"several", "DeleteObjects removes every listed key, reports each as Deleted, and leaves other keys alone",
			[]string{"a", "b", "c/d", "keep", "a/b", "ab"}, []string{"a", "b", "c/d"}, []string{"a/b", "ab", "keep"},
		},
		{
			"special-characters", "keys with a space, unicode, '&', '<', '>' and quotes are deleted and reported back exactly",
			[]string{"with space", "ünïcödé/日本", "a&b", "a<b", "c>d", `q"u'o`, "keep&<"},
			[]string{"with space", "ünïcödé/日本", "a&b", "a<b", "c>d", `q"u'o`}, []string{"keep&<"},
		},
	} {
		register(Case{
			ID: "objects/delete-objects/" + c.id, Feature: Objects, Ops: delOps, Desc: c.desc,
			Run: objectsDeleteObjectsDeleted(c.put, c.del, c.left),
		})
	}

	// Bodies DeleteObjects must refuse whole with 400 MalformedXML.
	for _, c := range []struct {
		id, desc, after string
		bodies          []string
	}{
		{
			"no-objects", "a Delete element without any Object is refused with 400 MalformedXML", "refused",
			[]string{`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet></Delete>`, `<Delete/>`},
		},
		{
			"malformed-xml", "a body that is not well-formed XML is refused with 400 MalformedXML and deletes nothing", "malformed",
			[]string{`<Delete><Object><Key>k</Key></Object>`, `<Delete><Object><Key>k</Key></Objekt></Delete>`, `this is not xml`},
		},
	} {
		register(Case{
			ID: "objects/delete-objects/" + c.id, Feature: Objects, Ops: delOps, Desc: c.desc,
			Run: objectsDeleteObjectsRefused(c.after, c.bodies),
		})
	}
}

func objectsDeleteObjectsNoContentMd5(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "k")
	for _, payload := range []string{"", "UNSIGNED-PAYLOAD"} {
		resp := delObjsSigned(t, e, b, delObjsBody("k"), payload)
		doc := wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
		eq(t, "error <Message>", doc.Message, delObjsMissingDigest)
	}
	eq(t, "k still exists", objectExists(t, e, b, "k"), true)
}

// checksumsDeleteObjects makes the checksums/<algorithm>/delete-objects
// case of one algorithm.
func checksumsDeleteObjects(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		putKeys(e, b, "a", "b", "keep")
		body := delObjsBody("a", "b")
		resp := delObjsSigned(t, e, b, body, "UNSIGNED-PAYLOAD", cksHeader(a.name), cksValue(a.name, body))
		wantStatus(t, resp, http.StatusOK)
		wantStrings(t, "keys left", listedKeys(t, e, b), []string{"keep"})
	}
}

func checksumsCrc32DeleteObjectsMismatch(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "k")
	for _, payload := range []string{"", "UNSIGNED-PAYLOAD"} {
		resp := delObjsSigned(t, e, b, delObjsBody("k"), payload, "x-amz-checksum-crc32", cksValue("CRC32", []byte("not the body")))
		doc := wantError(t, resp, http.StatusBadRequest, "BadDigest")
		eq(t, "error <Message>", doc.Message, "The CRC32 you specified did not match the calculated checksum.")
	}
	eq(t, "k still exists", objectExists(t, e, b, "k"), true)
}

func objectsDeleteObjectsQuiet(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "x", "y", "z")
	out := delObjsRun(t, e, b, true, "x", "y", "missing")
	eq(t, "number of Deleted entries in quiet mode", len(out.Deleted), 0)
	if objectExists(t, e, b, "x") || objectExists(t, e, b, "y") {
		t.Fatalf("quiet DeleteObjects left x or y in place")
	}
	if !objectExists(t, e, b, "z") {
		t.Fatalf("quiet DeleteObjects removed z, which it was not given")
	}
}

func objectsDeleteObjectsMissingKeys(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "present")
	out := delObjsRun(t, e, b, false, "present", "never-existed", "also/missing")
	wantStrings(t, "Deleted keys", delObjsDeletedKeys(out), []string{"also/missing", "never-existed", "present"})
	out = delObjsRun(t, e, b, false, "present")
	wantStrings(t, "Deleted keys on the second delete", delObjsDeletedKeys(out), []string{"present"})
}

func objectsDeleteObjectsRawXmlEscapes(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "x&y", "x<y", "other")
	resp := delObjsRaw(e, b, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<Delete><Object><Key>x&amp;y</Key></Object><Object><Key>x&lt;y</Key></Object></Delete>`)
	resp.Status(http.StatusOK)
	body := resp.Body().Raw()
	if !strings.Contains(body, "<Deleted>") {
		t.Fatalf("response has no Deleted entries:\n%s", body)
	}
	wantStrings(t, "keys left", listedKeys(t, e, b), []string{"other"})
}

func objectsDeleteObjects1000Keys(t T, e *Env) {
	out := delObjsRun(t, e, e.NewBucket(), false, numberedKeys("k%04d", 1000)...)
	eq(t, "number of Deleted entries", len(out.Deleted), 1000)
}

func objectsDeleteObjectsOver1000Keys(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "k0000")
	_, err := e.SDK.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
		Bucket: aws.String(b), Delete: &types.Delete{Objects: delObjsIDs(numberedKeys("k%04d", 1001)...)},
	})
	wantCode(t, err, "MalformedXML", http.StatusBadRequest)
	if !objectExists(t, e, b, "k0000") {
		t.Fatalf("a refused DeleteObjects still deleted k0000")
	}
}

func objectsDeleteObjectsNoSuchBucket(t T, e *Env) {
	_, err := e.SDK.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
		Bucket: aws.String(e.BucketName()), Delete: &types.Delete{Objects: delObjsIDs("k")},
	})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
}

// objectsDeleteObjectsDeleted makes the objects/delete-objects/* case that
// stores put, deletes del and finds left.
func objectsDeleteObjectsDeleted(put, del, left []string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		putKeys(e, b, put...)
		out := delObjsRun(t, e, b, false, del...)
		want := slices.Clone(del)
		sort.Strings(want)
		wantStrings(t, "Deleted keys", delObjsDeletedKeys(out), want)
		wantStrings(t, "keys left", listedKeys(t, e, b), left)
	}
}

// objectsDeleteObjectsRefused makes the objects/delete-objects/* case of
// bodies refused with 400 MalformedXML (after describes them in a failure).
func objectsDeleteObjectsRefused(after string, bodies []string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		putKeys(e, b, "k")
		for _, body := range bodies {
			wantError(t, delObjsRaw(e, b, body), http.StatusBadRequest, "MalformedXML")
		}
		if !objectExists(t, e, b, "k") {
			t.Fatalf("k is gone after %s DeleteObjects requests", after)
		}
	}
}
