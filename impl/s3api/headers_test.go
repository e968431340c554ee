package s3api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/tenancy"
)

// TestUnsupportedHeaders checks each header a write may carry: accepted,
// refused with S3's answer where S3 refuses it, or 501 naming it.
func TestUnsupportedHeaders(t *testing.T) {
	const (
		ok      = ""
		lock    = "lock"
		ssearg  = "sse-arg"
		sseCAlg = "x-amz-server-side-encryption-customer-algorithm"
	)
	type check struct {
		name string
		fn   func(http.Header) error
	}
	write := check{"write", objectWriteHeaders}
	cp := check{"copy", copyHeaders}
	part := check{"part", partHeaders}
	partCopy := check{"part copy", partCopyHeaders}
	bucket := check{"bucket", createBucketHeaders}
	for _, c := range []struct {
		checks  []check
		headers map[string]string
		want    string // ok, lock, ssearg, or the header 501 names
	}{
		{[]check{write, cp, part, partCopy, bucket}, nil, ok},
		{[]check{write, cp}, map[string]string{"x-amz-object-lock-mode": "GOVERNANCE"}, lock},
		{[]check{write, cp}, map[string]string{"x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"}, lock},
		{[]check{write, cp}, map[string]string{"x-amz-object-lock-legal-hold": "OFF"}, lock},
		{[]check{write, cp}, map[string]string{"x-amz-tagging": "a=1"}, "x-amz-tagging"},
		{[]check{write, cp}, map[string]string{"x-amz-tagging": ""}, ok},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption": "AES256"}, ok},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption": "aws:kms"}, "x-amz-server-side-encryption"},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption": "aws:kms:dsse"}, "x-amz-server-side-encryption"},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption": "aes256"}, ssearg},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption": ""}, ssearg},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption-aws-kms-key-id": "k"}, "x-amz-server-side-encryption-aws-kms-key-id"},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption-context": "e30="}, "x-amz-server-side-encryption-context"},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption-bucket-key-enabled": "True"}, "x-amz-server-side-encryption-bucket-key-enabled"},
		{[]check{write, cp}, map[string]string{"x-amz-server-side-encryption-bucket-key-enabled": "false"}, ok},
		{[]check{write, cp, part, partCopy}, map[string]string{"x-amz-server-side-encryption-customer-algorithm": "AES256"}, sseCAlg},
		{[]check{write, cp, part, partCopy}, map[string]string{"x-amz-server-side-encryption-customer-key": "a2V5"}, "x-amz-server-side-encryption-customer-key"},
		{[]check{write, cp, part, partCopy}, map[string]string{"x-amz-server-side-encryption-customer-key-MD5": "bWQ1"}, "x-amz-server-side-encryption-customer-key-md5"},
		{[]check{write, part}, map[string]string{"x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256"}, ok},
		{[]check{cp, partCopy}, map[string]string{"x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256"}, "x-amz-copy-source-server-side-encryption-customer-algorithm"},
		{[]check{cp, partCopy}, map[string]string{"x-amz-copy-source-server-side-encryption-customer-key-MD5": "bWQ1"}, "x-amz-copy-source-server-side-encryption-customer-key-md5"},
		{[]check{part, partCopy, bucket}, map[string]string{"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-tagging": "a=1", "x-amz-server-side-encryption": "aws:kms"}, ok},
		{[]check{bucket}, map[string]string{"x-amz-bucket-object-lock-enabled": "TRUE"}, "x-amz-bucket-object-lock-enabled"},
		{[]check{bucket}, map[string]string{"x-amz-bucket-object-lock-enabled": "false"}, ok},
	} {
		hdr := http.Header{}
		for k, v := range c.headers {
			hdr.Set(k, v)
		}
		for _, ch := range c.checks {
			err := ch.fn(hdr)
			e, _ := s3err.As(err)
			switch c.want {
			case ok:
				if err != nil {
					t.Errorf("%s %v: %v, want accepted", ch.name, c.headers, err)
				}
			case lock:
				if e != errMissingObjectLock {
					t.Errorf("%s %v: %v, want %v", ch.name, c.headers, err, errMissingObjectLock)
				}
			case ssearg:
				v := hdr.Get(sseHeader)
				if e == nil || e.Code != "InvalidArgument" || e.Message != "The encryption method specified is not supported" ||
					len(e.Details) != 2 || e.Details[0] != (s3err.Detail{Name: "ArgumentName", Value: "x-amz-server-side-encryption"}) ||
					e.Details[1] != (s3err.Detail{Name: "ArgumentValue", Value: v}) {
					t.Errorf("%s %v: %v %+v, want S3's InvalidArgument for the method", ch.name, c.headers, err, e)
				}
			default:
				if e == nil || e.Code != "NotImplemented" || e.Status != http.StatusNotImplemented ||
					e.Message != "A header you provided implies functionality that is not implemented" ||
					len(e.Details) != 1 || e.Details[0] != (s3err.Detail{Name: "Header", Value: c.want}) {
					t.Errorf("%s %v: %v %+v, want 501 naming %s", ch.name, c.headers, err, e, c.want)
				}
			}
		}
	}
	if errMissingObjectLock.Code != "InvalidRequest" || errMissingObjectLock.Message != "Bucket is missing ObjectLockConfiguration" || len(errSSEMethod.Details) != 0 {
		t.Errorf("shared errors changed: %+v %+v", errMissingObjectLock, errSSEMethod)
	}
}

func TestRedirectLocation(t *testing.T) {
	for v, ok := range map[string]bool{
		"": true, "/": true, "/a/b.html": true, "http://example.com": true, "https://example.com/x": true,
		"a.html": false, "ftp://x": false, "HTTP://example.com": false, " /a": false, "http:/x": false,
	} {
		if err := checkRedirect(v); (err == nil) != ok {
			t.Errorf("checkRedirect(%q) = %v, want ok %v", v, err, ok)
		} else if err != nil {
			if e, _ := s3err.As(err); e.Code != "InvalidRedirectLocation" || e.Status != http.StatusBadRequest {
				t.Errorf("checkRedirect(%q) = %v", v, err)
			}
		}
	}
	if _, err := parseMetadata(http.Header{"X-Amz-Website-Redirect-Location": {"page.html"}}); err != errRedirectLocation {
		t.Errorf("parseMetadata with a bad redirect: %v", err)
	}
	m, err := parseMetadata(http.Header{"X-Amz-Website-Redirect-Location": {"/page.html"}})
	if err != nil || m.Headers[redirectHeader] != "/page.html" {
		t.Errorf("parseMetadata with a redirect: %+v %v", m, err)
	}

	src := storage.Metadata{ContentType: "text/plain", Headers: map[string]string{redirectHeader: "/old", "Cache-Control": "no-cache"},
		User: map[string]string{"a": "b"}, Checksums: map[string]string{"crc32": "AAAAAA=="}}
	got := copiedMetadata(src, "")
	if _, has := got.Headers[redirectHeader]; has || got.Headers["Cache-Control"] != "no-cache" || got.ContentType != "text/plain" ||
		got.User["a"] != "b" || got.Checksums["crc32"] != "AAAAAA==" {
		t.Errorf("copiedMetadata without a redirect: %+v", got)
	}
	got = copiedMetadata(src, "/new")
	if got.Headers[redirectHeader] != "/new" {
		t.Errorf("copiedMetadata with a redirect: %+v", got)
	}
	if src.Headers[redirectHeader] != "/old" {
		t.Errorf("copiedMetadata changed the source's headers: %+v", src.Headers)
	}
	if got := copiedMetadata(storage.Metadata{}, "/new"); got.Headers[redirectHeader] != "/new" || len(got.Headers) != 1 {
		t.Errorf("copiedMetadata of a source without headers: %+v", got)
	}
	if got := copiedMetadata(storage.Metadata{}, ""); len(got.Headers) != 0 {
		t.Errorf("copiedMetadata of nothing: %+v", got)
	}
}

// The SSE-S3 report is part of a successful answer only: an error document
// does not describe an object.
func TestSSEHeaderOnlyOnSuccess(t *testing.T) {
	for _, c := range []struct {
		size   int64
		status int
	}{{1 << 20, http.StatusOK}, {6 << 30, http.StatusBadRequest}} {
		h := New(Options{Backend: &bigSource{size: c.size, partSize: -1}, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 30})
		r := httptest.NewRequest(http.MethodPut, "/s3/dst/k", nil)
		r.Header.Set("X-Amz-Copy-Source", "/src/big")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		want := ""
		if c.status == http.StatusOK {
			want = "AES256"
		}
		if w.Code != c.status || w.Header().Get(sseHeader) != want {
			t.Errorf("copy of %d bytes: %d, x-amz-server-side-encryption %q; want %d, %q", c.size, w.Code, w.Header().Get(sseHeader), c.status, want)
		}
	}
	// A refused header is answered before anything else, without the report.
	h := New(Options{Backend: &bigSource{size: 1, partSize: -1}, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 30})
	r := httptest.NewRequest(http.MethodPut, "/s3/dst/k", nil)
	r.Header.Set("X-Amz-Copy-Source", "/src/big")
	r.Header.Set("X-Amz-Tagging", "a=1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotImplemented || w.Header().Get(sseHeader) != "" || !strings.Contains(w.Body.String(), "<Header>x-amz-tagging</Header>") {
		t.Errorf("copy with tags: %d %q %s", w.Code, w.Header().Get(sseHeader), w.Body)
	}
}

// Tags in CreateBucketConfiguration are refused; an empty Tags element asks
// for nothing and is accepted, as is a bucket without Object Lock.
func TestCreateBucketRefusals(t *testing.T) {
	for _, c := range []struct {
		body, lock string
		status     int
	}{
		{`<CreateBucketConfiguration><Tags><Tag><Key>a</Key><Value>1</Value></Tag></Tags></CreateBucketConfiguration>`, "", http.StatusNotImplemented},
		{`<CreateBucketConfiguration><Tags></Tags></CreateBucketConfiguration>`, "", http.StatusOK},
		// us-east-1 refuses its own name as a constraint (cases_location.go).
		{`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`, "", http.StatusBadRequest},
		{"", "true", http.StatusNotImplemented},
		{"", "false", http.StatusOK},
	} {
		be := mem.New()
		h := New(Options{Backend: be, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 20})
		r := httptest.NewRequest(http.MethodPut, "/s3/new-bucket", strings.NewReader(c.body))
		if c.lock != "" {
			r.Header.Set("X-Amz-Bucket-Object-Lock-Enabled", c.lock)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		_, err := be.HeadBucket(context.Background(), "new-bucket")
		if created := err == nil; w.Code != c.status || created != (c.status == http.StatusOK) {
			t.Errorf("%q, lock %q: %d %s, created %v; want %d", c.body, c.lock, w.Code, w.Body, created, c.status)
		}
	}
}
