package conformance

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// The helpers the case files share: checks of raw responses (S3 error
// documents, headers), of what a bucket holds, and the small computations
// (ETags, Content-MD5, HTTP dates) several cases need. Each fails the case
// through t at the first difference; none retries or relaxes a check.

// ---- S3 error documents ----

// errorDoc is the XML document of an S3 error response. Fields an error
// does not carry are "".
type errorDoc struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	RequestID  string   `xml:"RequestId"`
	BucketName string   `xml:"BucketName"`
	Key        string   `xml:"Key"`
	// Extra holds the other elements, by which some codes name an argument
	// or a limit (ArgumentName, Header, Chunk).
	Extra []errorElem `xml:",any"`
}

// errorElem is one extra element of an error document.
type errorElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// elem returns the text of the extra element name, "" when absent.
func (d errorDoc) elem(name string) string {
	for _, x := range d.Extra {
		if x.XMLName.Local == name {
			return x.Value
		}
	}
	return ""
}

// wantElem fails the case unless the error document has the extra element
// name with text want.
func wantElem(t T, doc errorDoc, name, want string) {
	t.Helper()
	eq(t, "error <"+name+">", doc.elem(name), want)
}

// decodeError reads body as an S3 <Error> document, failing the case when it
// is not one.
func decodeError(t T, body string) errorDoc {
	t.Helper()
	var doc errorDoc
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("body is not an S3 <Error> document: %v\nbody: %s", err, quoteIfString(body))
	}
	return doc
}

// parseError reads a raw response's body as an S3 <Error> document, whatever
// its status.
func parseError(t T, resp *httpexpect.Response) errorDoc {
	t.Helper()
	return decodeError(t, resp.Body().Raw())
}

// wantError fails the case unless resp has the HTTP status and an S3 <Error>
// document with the error code; it returns the document for further checks.
func wantError(t T, resp *httpexpect.Response, status int, code string) errorDoc {
	t.Helper()
	if got := resp.Raw().StatusCode; got != status {
		t.Fatalf("HTTP status = %d, want %d %s\nbody: %s", got, status, code, quoteIfString(resp.Body().Raw()))
	}
	doc := parseError(t, resp)
	eq(t, "error <Code>", doc.Code, code)
	return doc
}

// ---- Raw responses ----

// header returns a response header, "" when it is absent.
func header(resp *httpexpect.Response, name string) string {
	return resp.Raw().Header.Get(name)
}

// wantStatus fails the case unless a raw response has the HTTP status,
// showing the body (an S3 error document, usually) when it has not.
func wantStatus(t T, resp *httpexpect.Response, status int) {
	t.Helper()
	if got := resp.Raw().StatusCode; got != status {
		t.Fatalf("HTTP status = %d, want %d\nbody: %s", got, status, quoteIfString(resp.Body().Raw()))
	}
}

// wantBody fails the case unless a raw response has the HTTP status and
// exactly the body.
func wantBody(t T, resp *httpexpect.Response, status int, body string) {
	t.Helper()
	wantStatus(t, resp, status)
	resp.Body().IsEqual(body)
}

// wantPutStored fails the case unless resp, of a raw PutObject of body to
// bucket/key, is 200 with the ETag of body, and the object reads back as
// body.
func wantPutStored(t T, e *Env, resp *httpexpect.Response, bucket, key string, body []byte) {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	eq(t, "PutObject ETag", header(resp, "ETag"), md5ETag(body))
	eq(t, "stored body", string(e.Get(bucket, key)), string(body))
}

// decodeXML reads a raw response's body into doc, failing the case when it
// is not the XML document named what.
func decodeXML(t T, resp *httpexpect.Response, what string, doc any) {
	t.Helper()
	body := resp.Body().Raw()
	if err := xml.Unmarshal([]byte(body), doc); err != nil {
		t.Fatalf("body is not a %s document: %v\nbody: %s", what, err, quoteIfString(body))
	}
}

// wantContentLength fails the case unless resp declared Content-Length n.
func wantContentLength(t T, resp *httpexpect.Response, n int) {
	t.Helper()
	eq(t, "Content-Length", resp.Raw().ContentLength, int64(n))
}

// ---- Computed values ----

// wrongETag is a well-formed ETag that no object in the suite has.
const wrongETag = `"00000000000000000000000000000000"`

// md5ETag returns the ETag S3 gives a single-part object: the quoted
// lower-case hex MD5 of its bytes.
func md5ETag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// contentMD5 returns the Content-MD5 header value for body: its base64 MD5.
func contentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// httpDate formats tm as an HTTP date (RFC 9110 IMF-fixdate, in GMT).
func httpDate(tm time.Time) string { return tm.UTC().Format(http.TimeFormat) }

// ---- Objects and buckets ----

// headObject runs HeadObject through the SDK and fails the case on error.
func headObject(t T, e *Env, bucket, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	mustf(t, err, "HeadObject %s/%s", bucket, key)
	return out
}

// getObject runs GetObject through the SDK, with a Range header unless rng
// is "", and returns the output and the whole body; it fails the case on
// error.
func getObject(t T, e *Env, bucket, key, rng string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := e.SDK.GetObject(t.Context(), in)
	mustf(t, err, "GetObject %s/%s (Range %q)", bucket, key, rng)
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	mustf(t, err, "read GetObject body %s/%s", bucket, key)
	return out, body
}

// wantTypeAndMetadata fails the case unless HeadObject of bucket/key
// reports the Content-Type and exactly the user metadata meta.
func wantTypeAndMetadata(t T, e *Env, bucket, key, contentType string, meta map[string]string) {
	t.Helper()
	out := headObject(t, e, bucket, key)
	eq(t, "Content-Type", aws.ToString(out.ContentType), contentType)
	if len(out.Metadata) != len(meta) {
		t.Fatalf("metadata = %v, want %v", out.Metadata, meta)
	}
	for k, v := range meta {
		eq(t, "metadata "+k, out.Metadata[k], v)
	}
}

// lastModified returns an object's Last-Modified as HeadObject reports it.
func lastModified(t T, e *Env, bucket, key string) time.Time {
	t.Helper()
	out := headObject(t, e, bucket, key)
	if out.LastModified == nil {
		t.Fatalf("HeadObject %s/%s: no Last-Modified", bucket, key)
	}
	return out.LastModified.UTC()
}

// awaitServerPast sleeps until a time more than a second after the
// Last-Modified of an object written before the call has certainly passed on
// the server: two seconds of elapsed time suffice whatever the offset
// between the clocks.
func awaitServerPast() { time.Sleep(2100 * time.Millisecond) }

// objectExists reports whether HeadObject finds bucket/key (true) or answers
// 404 (false); any other outcome fails the case.
func objectExists(t T, e *Env, bucket, key string) bool {
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

// wantAbsent fails the case unless HeadObject of bucket/key answers 404.
func wantAbsent(t T, e *Env, bucket, key string) {
	t.Helper()
	_, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		t.Fatalf("HeadObject %s/%s succeeded: the object exists, want 404", bucket, key)
	}
	if got := HTTPStatus(err); got != http.StatusNotFound {
		t.Fatalf("HeadObject %s/%s: HTTP status %d, want 404 (error: %v)", bucket, key, got, err)
	}
}

// bucketExists reports whether a raw HeadBucket finds the bucket (200) or
// not (404); any other status fails the case.
func bucketExists(t T, e *Env, bucket string) bool {
	t.Helper()
	resp := e.Request(http.MethodHead, bucket, "").Expect()
	switch st := resp.Raw().StatusCode; st {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	default:
		t.Fatalf("HeadBucket %s: status %d, want 200 or 404", bucket, st)
		return false
	}
}

// putKeys stores a one-byte object under each key, concurrently.
func putKeys(e *Env, bucket string, keys ...string) {
	e.T.Helper()
	e.PutMany(bucket, len(keys), func(i int) string { return keys[i] },
		func(i int) []byte { return []byte("x") })
}

// numberedKeys returns the n keys fmt.Sprintf(format, i) for i from 0.
func numberedKeys(format string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(format, i)
	}
	return keys
}

// ---- Listings ----

// listV2 runs ListObjectsV2 through the SDK and fails the case on error.
func listV2(t T, e *Env, in *s3.ListObjectsV2Input) *s3.ListObjectsV2Output {
	t.Helper()
	out, err := e.SDK.ListObjectsV2(t.Context(), in)
	mustf(t, err, "ListObjectsV2 %s", aws.ToString(in.Bucket))
	return out
}

// listedKeys returns the keys of one ListObjectsV2 page of the whole bucket
// (no prefix, delimiter or max-keys), in the order listed.
func listedKeys(t T, e *Env, bucket string) []string {
	t.Helper()
	return keysOf(listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}).Contents)
}

// keysOf returns the keys of listed objects, in order.
func keysOf(objs []types.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = aws.ToString(o.Key)
	}
	return out
}

// prefixesOf returns the common prefixes of a listing, in order.
func prefixesOf(cps []types.CommonPrefix) []string {
	out := make([]string, len(cps))
	for i, c := range cps {
		out[i] = aws.ToString(c.Prefix)
	}
	return out
}

// wantStrings fails the case unless got holds exactly want, in order (nil
// and empty are alike).
func wantStrings(t T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries %q, want %d entries %q", what, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: entry %d = %q, want %q (got %q, want %q)", what, i, got[i], want[i], got, want)
		}
	}
}
