package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/tenancy"
)

// Handler-level tests over the in-memory backend: the API layer's own
// decisions (ownership, auto-creation, what a read passes down, how errors
// are named) without files, fsyncs or a network. The conformance suite
// covers the same ground end to end.

// testAPI is a Handler over a fresh in-memory backend and registry. The
// principal is the project named by the X-Test-Project header.
type testAPI struct {
	h      *Handler
	store  *mem.Store
	owners *tenancy.Memory
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	a := &testAPI{store: mem.New(), owners: tenancy.NewMemory()}
	a.h = New(Options{
		Backend: a.store, Owners: a.owners, Prefix: "/s3", MaxBodyBytes: 1 << 20, AutoCreateBuckets: true,
		Auth: auth.AuthenticatorFunc(func(r *http.Request, _ auth.Target) (*auth.Principal, error) {
			return &auth.Principal{Project: r.Header.Get("X-Test-Project"), Method: "sigv4"}, nil
		}),
	})
	return a
}

// do serves one request as project, with the given headers ("Name: value").
func (a *testAPI) do(project, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("X-Test-Project", project)
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

func want(t *testing.T, what string, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status || (code != "" && !strings.Contains(w.Body.String(), "<Code>"+code+"</Code>")) {
		t.Fatalf("%s: %d %s, want %d %s", what, w.Code, w.Body, status, code)
	}
}

// A first write to a missing bucket claims it for the writer's project and
// makes it before the body is read; a write that then fails removes both,
// and another project's bucket refuses the write.
func TestAutoCreateClaimsThenWrites(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	want(t, "first write", a.do("p", "PUT", "/s3/auto/k", "hello"), 200, "")
	if c, err := a.owners.Owner(ctx, "auto"); err != nil || c.Owner != "p" {
		t.Fatalf("claim after the write: %+v, %v", c, err)
	}
	if _, err := a.store.HeadBucket(ctx, "auto"); err != nil {
		t.Fatalf("bucket after the write: %v", err)
	}

	wrong := md5.Sum([]byte("something else"))
	w := a.do("p", "PUT", "/s3/refused/k", "hello", "Content-MD5: "+base64.StdEncoding.EncodeToString(wrong[:]))
	want(t, "write with a wrong Content-MD5", w, 400, "BadDigest")
	if _, err := a.owners.Owner(ctx, "refused"); !errors.Is(err, tenancy.ErrUnclaimed) {
		t.Fatalf("a refused write left a claim: %v", err)
	}
	if _, err := a.store.HeadBucket(ctx, "refused"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Fatalf("a refused write left a bucket: %v", err)
	}

	want(t, "write by another project", a.do("q", "PUT", "/s3/auto/k2", "x"), 403, "AccessDenied")
	want(t, "read by another project", a.do("q", "GET", "/s3/auto/k", ""), 403, "AccessDenied")
	want(t, "create by another project", a.do("q", "PUT", "/s3/auto", ""), 409, "BucketAlreadyExists")
	want(t, "create again by its owner", a.do("p", "PUT", "/s3/auto", ""), 409, "BucketAlreadyOwnedByYou")
}

// DeleteBucket releases the name: another project may then claim it.
func TestDeleteBucketReleasesTheName(t *testing.T) {
	a := newTestAPI(t)
	want(t, "create", a.do("p", "PUT", "/s3/name", ""), 200, "")
	want(t, "delete", a.do("p", "DELETE", "/s3/name", ""), 204, "")
	want(t, "create by another project", a.do("q", "PUT", "/s3/name", ""), 200, "")
	if c, err := a.owners.Owner(context.Background(), "name"); err != nil || c.Owner != "q" {
		t.Fatalf("claim: %+v, %v", c, err)
	}
}

// A claim whose bucket is missing (a crash between the two steps of a
// create) is completed by its owner's CreateBucket.
func TestCreateBucketCompletesAnOrphanClaim(t *testing.T) {
	a := newTestAPI(t)
	if _, err := a.owners.Claim(context.Background(), "half", "p"); err != nil {
		t.Fatal(err)
	}
	want(t, "create by another project", a.do("q", "PUT", "/s3/half", ""), 409, "BucketAlreadyExists")
	want(t, "create by the claimant", a.do("p", "PUT", "/s3/half", ""), 200, "")
	want(t, "head", a.do("p", "HEAD", "/s3/half", ""), 200, "")
}

// ListBuckets shows the caller's project's buckets only, in pages.
func TestListBucketsByOwner(t *testing.T) {
	a := newTestAPI(t)
	for _, b := range []string{"p-1", "p-2", "p-3"} {
		want(t, "create "+b, a.do("p", "PUT", "/s3/"+b, ""), 200, "")
	}
	want(t, "create q-1", a.do("q", "PUT", "/s3/q-1", ""), 200, "")
	var names []string
	token := ""
	for page := 0; page < 5; page++ {
		target := "/s3/?max-buckets=2"
		if token != "" {
			target += "&continuation-token=" + token
		}
		w := a.do("p", "GET", target, "")
		want(t, "list", w, 200, "")
		var res listAllMyBucketsResult
		if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		for _, b := range res.Buckets {
			names = append(names, b.Name)
		}
		if token = res.ContinuationToken; token == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "p-1,p-2,p-3" {
		t.Fatalf("listed %s, want p-1,p-2,p-3", got)
	}
}

// A read's conditions, range and part number reach the backend in one call,
// and its refusals come back as S3's answers with their headers.
func TestReadsPassTheirOptionsDown(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	want(t, "put", a.do("p", "PUT", "/s3/bkt/obj", "0123456789"), 200, "")
	etag := a.do("p", "HEAD", "/s3/bkt/obj", "").Header().Get("ETag")

	w := a.do("p", "GET", "/s3/bkt/obj", "", "If-None-Match: "+etag)
	want(t, "If-None-Match", w, 304, "")
	if w.Header().Get("ETag") != etag || w.Header().Get("Last-Modified") == "" || w.Body.Len() != 0 {
		t.Fatalf("304 headers %v, body %q", w.Header(), w.Body)
	}
	w = a.do("p", "GET", "/s3/bkt/obj", "", `If-Match: "other"`)
	want(t, "If-Match", w, 412, "PreconditionFailed")
	if w.Header().Get("ETag") != "" {
		t.Fatalf("412 carries ETag %q", w.Header().Get("ETag"))
	}
	w = a.do("p", "GET", "/s3/bkt/obj", "", "Range: bytes=20-")
	want(t, "range past the end", w, 416, "InvalidRange")
	if got := w.Header().Get("Content-Range"); got != "bytes */10" {
		t.Fatalf("416 Content-Range %q", got)
	}
	w = a.do("p", "GET", "/s3/bkt/obj", "", "Range: bytes=-3")
	want(t, "suffix range", w, 206, "")
	if w.Body.String() != "789" || w.Header().Get("Content-Range") != "bytes 7-9/10" {
		t.Fatalf("suffix range: %q, %q", w.Body, w.Header().Get("Content-Range"))
	}

	// A multipart object made at the backend (small parts: the backend
	// leaves the 5 MiB minimum to the API layer).
	up, err := a.store.CreateUpload(ctx, "bkt", "mp", storage.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []storage.CompletedPart
	for n, body := range []string{"aaaa", "bbbbbb", "cc"} {
		p, err := a.store.PutPart(ctx, "bkt", "mp", up.ID, n+1, strings.NewReader(body), storage.PartOptions{Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, storage.CompletedPart{Number: n + 1, ETag: p.ETag})
	}
	if _, err := a.store.CompleteUpload(ctx, "bkt", "mp", up.ID, parts, storage.CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "HEAD"} {
		w = a.do("p", method, "/s3/bkt/mp?partNumber=2", "")
		want(t, method+" part 2", w, 206, "")
		if w.Header().Get("Content-Range") != "bytes 4-9/12" || w.Header().Get("X-Amz-Mp-Parts-Count") != "3" || w.Header().Get("Content-Length") != "6" {
			t.Fatalf("%s part 2 headers: %v", method, w.Header())
		}
		if method == "GET" && w.Body.String() != "bbbbbb" {
			t.Fatalf("part 2 body %q", w.Body)
		}
	}
	want(t, "part 4", a.do("p", "GET", "/s3/bkt/mp?partNumber=4", ""), 416, "InvalidPartNumber")
	want(t, "part and range", a.do("p", "GET", "/s3/bkt/mp?partNumber=1", "", "Range: bytes=0-1"), 400, "InvalidRequest")
}

// UploadPartCopy is the backend's copy: the range reaches it, and a range
// outside the source is refused before a byte moves.
func TestUploadPartCopyRange(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	src := bytes.Repeat([]byte("0123456789"), 10)
	want(t, "put source", a.do("p", "PUT", "/s3/bkt/src", string(src)), 200, "")
	up, err := a.store.CreateUpload(ctx, "bkt", "dst", storage.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("/s3/bkt/dst?partNumber=1&uploadId=%s", up.ID)
	want(t, "copy part", a.do("p", "PUT", target, "", "X-Amz-Copy-Source: /bkt/src", "X-Amz-Copy-Source-Range: bytes=10-29"), 200, "")
	list, err := a.store.ListParts(ctx, "bkt", "dst", up.ID, 0, 10)
	if err != nil || len(list.Parts) != 1 || list.Parts[0].Size != 20 {
		t.Fatalf("parts after the copy: %+v, %v", list, err)
	}
	sum := md5.Sum(src[10:30])
	if list.Parts[0].ETag != fmt.Sprintf("%x", sum) {
		t.Fatalf("part ETag %s, want the MD5 of bytes 10-29", list.Parts[0].ETag)
	}
	w := a.do("p", "PUT", target, "", "X-Amz-Copy-Source: /bkt/src", "X-Amz-Copy-Source-Range: bytes=90-100")
	want(t, "range past the source", w, 400, "InvalidArgument")
	if !strings.Contains(w.Body.String(), "source object of size: 100") {
		t.Fatalf("message: %s", w.Body)
	}
	w = a.do("p", "PUT", target, "", "X-Amz-Copy-Source: /bkt/missing")
	want(t, "missing source", w, 404, "NoSuchKey")
	if !strings.Contains(w.Body.String(), "<Key>missing</Key>") {
		t.Fatalf("the error names the request's key, not the source's: %s", w.Body)
	}
}

// A continuation token carries the backend's cursor, and a listing resumed
// after a common prefix does not repeat it.
func TestListResumesFromTheBackendCursor(t *testing.T) {
	a := newTestAPI(t)
	for _, k := range []string{"a", "d/1", "d/2", "d/3", "e", "f/1", "g"} {
		want(t, "put "+k, a.do("p", "PUT", "/s3/bkt/"+k, "x"), 200, "")
	}
	var seen []string
	token := ""
	for page := 0; page < 10; page++ {
		target := "/s3/bkt?list-type=2&delimiter=/&max-keys=1"
		if token != "" {
			target += "&continuation-token=" + token
		}
		w := a.do("p", "GET", target, "")
		want(t, "list", w, 200, "")
		var res listBucketResult
		if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Contents {
			seen = append(seen, o.Key)
		}
		for _, p := range res.CommonPrefixes {
			seen = append(seen, p.Prefix)
		}
		if token = res.NextContinuationToken; token == "" {
			break
		}
	}
	if got := strings.Join(seen, ","); got != "a,d/,e,f/,g" {
		t.Fatalf("pages listed %s, want a,d/,e,f/,g", got)
	}
}
