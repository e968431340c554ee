package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// listingBackend answers listings with a fixed page and records the options
// it was asked for; DeleteObjects records what it was asked to delete.
type listingBackend struct {
	storage.Backend
	page    storage.ListResult
	opts    storage.ListOptions
	deletes []storage.ObjectDelete
	errs    []error
}

func (b *listingBackend) ListObjects(_ context.Context, _ string, opts storage.ListOptions) (storage.ListResult, error) {
	b.opts = opts
	return b.page, nil
}

func (b *listingBackend) HeadBucket(_ context.Context, name string) (storage.Bucket, error) {
	return storage.Bucket{Name: name}, nil
}

// owners is a registry in which project prj owns bucket b.
func owners() tenancy.Registry {
	r := tenancy.NewMemory()
	_, _ = r.Claim(context.Background(), "b", "prj")
	return r
}

func (b *listingBackend) DeleteObjects(_ context.Context, _ string, objs []storage.ObjectDelete) ([]error, error) {
	b.deletes = append(b.deletes, objs...)
	if b.errs != nil {
		return b.errs, nil
	}
	return make([]error, len(objs)), nil
}

func serveAnonymous(be storage.Backend, method, target string, hdr http.Header) *httptest.ResponseRecorder {
	h := New(Options{Backend: be, Owners: owners(), Auth: auth.Anonymous, Prefix: "/s3"})
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestListVersionsNextMarkers: a page ending on a key resumes after that
// key's null version; one ending on a common prefix names no version, and
// the key-marker reaches the store as the position to resume after, with
// the checksums asked for (ObjectVersion shows their algorithm).
func TestListVersionsNextMarkers(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name         string
		page         storage.ListResult
		nextKey, nid string
	}{
		{"ends on a key", storage.ListResult{Objects: []storage.ObjectInfo{{Key: "a", LastModified: mod}}, Truncated: true, Last: "a"}, "a", "null"},
		{"ends on a prefix", storage.ListResult{Objects: []storage.ObjectInfo{{Key: "a", LastModified: mod}}, CommonPrefixes: []string{"b/"}, Truncated: true, Last: "b/"}, "b/", ""},
		{"only a prefix", storage.ListResult{CommonPrefixes: []string{"b/"}, Truncated: true, Last: "b/"}, "b/", ""},
		{"last page", storage.ListResult{Objects: []storage.ObjectInfo{{Key: "a", LastModified: mod}}}, "", ""},
	} {
		be := &listingBackend{page: c.page}
		w := serveAnonymous(be, http.MethodGet, "/s3/b?versions&delimiter=/&max-keys=2&key-marker=0&version-id-marker=null", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.name, w.Code, w.Body)
		}
		var res listVersionsResult
		if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.NextKeyMarker != c.nextKey || res.NextVersionIDMarker != c.nid || res.IsTruncated != c.page.Truncated {
			t.Errorf("%s: next %q/%q truncated %v, want %q/%q", c.name, res.NextKeyMarker, res.NextVersionIDMarker, res.IsTruncated, c.nextKey, c.nid)
		}
		if want := (storage.ListOptions{Delimiter: "/", StartAfter: "0", Limit: 2, Checksums: true}); be.opts != want {
			t.Errorf("%s: store asked %+v, want %+v", c.name, be.opts, want)
		}
		if res.KeyMarker != "0" || res.VersionIDMarker != "null" || res.MaxKeys != 2 || res.Delimiter != "/" {
			t.Errorf("%s: echoed %+v", c.name, res)
		}
	}
}

// TestVersionEntry: an object is its null version, the latest; its
// checksums are named in upper case, in order, with their type.
func TestVersionEntry(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	own := &owner{ID: "p", DisplayName: "p"}
	got := versionEntry(storage.ObjectInfo{Key: "a b", Size: 3, ETag: "e", LastModified: mod,
		Metadata: storage.Metadata{Checksums: map[string]string{"sha1": "x", "crc32": "y"}}, ChecksumType: "FULL_OBJECT"},
		func(s string) string { return url.QueryEscape(s) }, own)
	want := objectVersion{Key: "a+b", VersionID: "null", IsLatest: true, LastModified: "2026-01-02T03:04:05.006Z",
		ETag: `"e"`, Size: 3, Owner: own, StorageClass: "STANDARD", ChecksumAlgorithm: []string{"CRC32", "SHA1"}, ChecksumType: "FULL_OBJECT"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// Without a checksum, neither element (a type alone would be wrong).
	got = versionEntry(storage.ObjectInfo{Key: "k", ChecksumType: "FULL_OBJECT"}, func(s string) string { return s }, nil)
	if got.ChecksumAlgorithm != nil || got.ChecksumType != "" {
		t.Fatalf("no checksum: %+v", got)
	}
}

// TestVersionIDs: only the null version exists; any other id, or an empty
// one, is S3's 400 InvalidArgument naming versionId.
func TestVersionIDs(t *testing.T) {
	for _, c := range []struct {
		query       string
		given       bool
		msg, detail string
	}{
		{"", false, "", ""},
		{"versionId=null", true, "", ""},
		{"versionId=NULL", true, "Invalid version id specified", "NULL"},
		{"versionId=abc", true, "Invalid version id specified", "abc"},
		{"versionId=", true, "Version id cannot be the empty string", ""},
		{"versionId", true, "Version id cannot be the empty string", ""},
	} {
		q, _ := url.ParseQuery(c.query)
		given, err := versionIDGiven(q)
		if given != c.given {
			t.Errorf("%q: given %v", c.query, given)
		}
		if c.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", c.query, err)
			}
			continue
		}
		e, ok := s3err.As(err)
		want := []s3err.Detail{{Name: "ArgumentName", Value: "versionId"}, {Name: "ArgumentValue", Value: c.detail}}
		if !ok || e.Code != "InvalidArgument" || e.Status != http.StatusBadRequest || e.Message != c.msg || !reflect.DeepEqual(e.Details, want) {
			t.Errorf("%q: %+v", c.query, err)
		}
	}
}

// TestDeleteConditions: If-Match reaches the store as the bare ETag; the
// directory-bucket conditions and If-Match with a versionId are refused
// before anything is deleted.
func TestDeleteConditions(t *testing.T) {
	for _, c := range []struct {
		name, query string
		hdr         http.Header
		ifMatch     string
		status      int
		header      string // the <Header> of a 501
	}{
		{"none", "", nil, "", 204, ""},
		{"etag", "", http.Header{"If-Match": {`"abc"`}}, "abc", 204, ""},
		{"weak etag", "", http.Header{"If-Match": {` W/"abc" `}}, "abc", 204, ""},
		{"star", "", http.Header{"If-Match": {"*"}}, "*", 204, ""},
		{"null version", "?versionId=null", nil, "", 204, ""},
		{"size", "", http.Header{"X-Amz-If-Match-Size": {"1"}}, "", 501, "x-amz-if-match-size"},
		{"empty size", "", http.Header{"X-Amz-If-Match-Size": {""}}, "", 501, "x-amz-if-match-size"},
		{"time", "", http.Header{"X-Amz-If-Match-Last-Modified-Time": {"x"}}, "", 501, "x-amz-if-match-last-modified-time"},
		{"version and If-Match", "?versionId=null", http.Header{"If-Match": {"*"}}, "", 501, "If-Match"},
		{"bad version", "?versionId=v1", http.Header{"If-Match": {"*"}}, "", 400, ""},
	} {
		be := &listingBackend{}
		w := serveAnonymous(be, http.MethodDelete, "/s3/b/k"+c.query, c.hdr)
		if w.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, w.Code, w.Body, c.status)
			continue
		}
		if c.status != http.StatusNoContent {
			if len(be.deletes) != 0 {
				t.Errorf("%s: deleted %+v", c.name, be.deletes)
			}
			if c.header != "" {
				var doc struct{ Code, Header string }
				if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Code != "NotImplemented" || doc.Header != c.header {
					t.Errorf("%s: %s", c.name, w.Body)
				}
			}
			continue
		}
		if want := []storage.ObjectDelete{{Key: "k", IfMatch: c.ifMatch}}; !reflect.DeepEqual(be.deletes, want) {
			t.Errorf("%s: deletes %+v, want %+v", c.name, be.deletes, want)
		}
	}
	// The store's verdict is the answer.
	be := &listingBackend{errs: []error{storage.ErrPreconditionFailed}}
	if w := serveAnonymous(be, http.MethodDelete, "/s3/b/k", http.Header{"If-Match": {"x"}}); w.Code != http.StatusPreconditionFailed {
		t.Fatalf("refused condition: %d %s", w.Code, w.Body)
	}
}

// TestDeleteObjectsPerKey: each object's version and conditions decide its
// own entry; the store decides the conditions; a named version is echoed.
func TestDeleteObjectsPerKey(t *testing.T) {
	body := `<Delete>` +
		`<Object><Key>plain</Key></Object>` +
		`<Object><Key>null</Key><VersionId>null</VersionId></Object>` +
		`<Object><Key>etag</Key><ETag>"abc"</ETag></Object>` +
		`<Object><Key>refused</Key><ETag>*</ETag></Object>` +
		`<Object><Key>version</Key><VersionId>v1</VersionId></Object>` +
		`<Object><Key>empty-version</Key><VersionId></VersionId></Object>` +
		`<Object><Key>size</Key><Size>1</Size></Object>` +
		`<Object><Key>time</Key><LastModifiedTime>2015-01-01T00:00:00Z</LastModifiedTime></Object>` +
		`</Delete>`
	be := &listingBackend{errs: []error{nil, nil, nil, storage.ErrPreconditionFailed}}
	h := New(Options{Backend: be, Owners: owners(), Auth: auth.Anonymous, Prefix: "/s3"})
	r := httptest.NewRequest(http.MethodPost, "/s3/b?delete", strings.NewReader(body))
	sum := md5.Sum([]byte(body))
	r.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	want := []storage.ObjectDelete{{Key: "plain"}, {Key: "null"}, {Key: "etag", IfMatch: "abc"}, {Key: "refused", IfMatch: "*"}}
	if !reflect.DeepEqual(be.deletes, want) {
		t.Fatalf("store asked %+v, want %+v", be.deletes, want)
	}
	var res deleteResult
	if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	wantDeleted := []deletedEntry{{Key: "plain"}, {Key: "null", VersionID: "null"}, {Key: "etag"}}
	if !reflect.DeepEqual(res.Deleted, wantDeleted) {
		t.Errorf("deleted %+v, want %+v", res.Deleted, wantDeleted)
	}
	got := map[string]deleteFailure{}
	for _, f := range res.Errors {
		got[f.Key] = f
	}
	for key, w := range map[string]deleteFailure{
		"refused":       {Key: "refused", Code: "PreconditionFailed", Message: s3err.PreconditionFailed.Message},
		"version":       {Key: "version", VersionID: "v1", Code: "NoSuchVersion", Message: "The specified version does not exist."},
		"empty-version": {Key: "empty-version", Code: "NoSuchVersion", Message: "The specified version does not exist."},
		"size":          {Key: "size", Code: "NotImplemented", Message: errDirectoryBucketCondition.Message},
		"time":          {Key: "time", Code: "NotImplemented", Message: errDirectoryBucketCondition.Message},
	} {
		if got[key] != w {
			t.Errorf("%s: %+v, want %+v", key, got[key], w)
		}
	}
	if len(res.Errors) != 5 {
		t.Errorf("%d errors: %+v", len(res.Errors), res.Errors)
	}
}

// TestConditionalDeleteNeedsGet: a delete conditioned on an ETag needs the
// get action as well (S3: s3:GetObject), one on "*" does not.
func TestConditionalDeleteNeedsGet(t *testing.T) {
	deleteOnly := auth.AuthenticatorFunc(func(*http.Request, auth.Target) (*auth.Principal, error) {
		return &auth.Principal{Project: "prj", Actions: []auth.Action{auth.Delete}}, nil
	})
	for _, c := range []struct {
		ifMatch string
		status  int
	}{{"", 204}, {"*", 204}, {`"abc"`, 403}} {
		be := &listingBackend{}
		h := New(Options{Backend: be, Owners: owners(), Auth: deleteOnly, Prefix: "/s3"})
		r := httptest.NewRequest(http.MethodDelete, "/s3/b/k", nil)
		if c.ifMatch != "" {
			r.Header.Set("If-Match", c.ifMatch)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.status || (c.status != 204) != (len(be.deletes) == 0) {
			t.Errorf("If-Match %q: %d, deleted %+v; want %d", c.ifMatch, w.Code, be.deletes, c.status)
		}
	}
	body := `<Delete><Object><Key>star</Key><ETag>*</ETag></Object><Object><Key>etag</Key><ETag>abc</ETag></Object><Object><Key>plain</Key></Object></Delete>`
	be := &listingBackend{}
	h := New(Options{Backend: be, Owners: owners(), Auth: deleteOnly, Prefix: "/s3"})
	r := httptest.NewRequest(http.MethodPost, "/s3/b?delete", strings.NewReader(body))
	sum := md5.Sum([]byte(body))
	r.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var res deleteResult
	if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Key != "etag" || res.Errors[0].Code != "AccessDenied" {
		t.Fatalf("errors %+v", res.Errors)
	}
	if want := []storage.ObjectDelete{{Key: "star", IfMatch: "*"}, {Key: "plain"}}; !reflect.DeepEqual(be.deletes, want) {
		t.Fatalf("deleted %+v, want %+v", be.deletes, want)
	}
}

// TestRouteVersions: GET bucket?versions lists versions; ?versions on any
// other request names nothing the gateway does, and is refused rather than
// served as a plain request.
func TestRouteVersions(t *testing.T) {
	q := url.Values{"versions": {""}}
	if op := route(http.MethodGet, "b", "", q, nil); op != opListVersions {
		t.Fatalf("GET bucket?versions: %s", op.name)
	}
	for _, c := range []struct{ method, key string }{
		{http.MethodGet, "k"}, {http.MethodDelete, "k"}, {http.MethodPut, ""}, {http.MethodDelete, ""},
	} {
		if op := route(c.method, "b", c.key, q, nil); op.fn != nil || op.err.Code != "NotImplemented" {
			t.Errorf("%s key %q ?versions: %s", c.method, c.key, op.name)
		}
	}
}
