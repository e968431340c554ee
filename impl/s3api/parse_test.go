package s3api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// byteRange is a range a GET serves: length bytes from start.
type byteRange struct{ start, length int64 }

// parseRangeFor is what a GET of an object of size bytes makes of a Range
// header: parsed here, decided by the backends' shared helper. nil is the
// whole object.
func parseRangeFor(header string, size int64) (*byteRange, error) {
	sec, err := storage.SelectSection(storage.ObjectInfo{Size: size}, nil, storage.ReadOptions{Range: parseRange(header)})
	if err != nil {
		e, _ := toAPIError(err)
		return nil, e
	}
	if !sec.Partial {
		return nil, nil
	}
	return &byteRange{sec.Start, sec.Length}, nil
}

// checkPreconditions is what a read's four conditional headers make of an
// object with etag and mod, as S3 error (nil: served).
func checkPreconditions(ifMatch, ifNoneMatch, ims, ius, etag string, mod time.Time) *s3err.Error {
	err := storage.CheckRead(storage.ReadConditions{IfMatch: ifMatch, IfNoneMatch: ifNoneMatch,
		IfModifiedSince: parseHTTPTime(ims), IfUnmodifiedSince: parseHTTPTime(ius)}, etag, mod)
	if err == nil {
		return nil
	}
	e, _ := toAPIError(err)
	return e
}

func TestParseRange(t *testing.T) {
	const size = 10
	type want struct {
		start, length int64
		full          bool // ignored: serve the whole object
		invalid       bool // 416
	}
	cases := []struct {
		header string
		size   int64
		want   want
	}{
		{"", size, want{full: true}},
		{"bytes=0-0", size, want{start: 0, length: 1}},
		{"bytes=2-5", size, want{start: 2, length: 4}},
		{"bytes=3-", size, want{start: 3, length: 7}},
		{"bytes=-3", size, want{start: 7, length: 3}},
		{"bytes=5-999", size, want{start: 5, length: 5}},
		{"bytes=-100", size, want{start: 0, length: 10}},
		{"bytes=9-9", size, want{start: 9, length: 1}},
		{"bytes=10-", size, want{invalid: true}},
		{"bytes=10-20", size, want{invalid: true}},
		{"bytes=-0", size, want{invalid: true}},
		{"bytes=0-", 0, want{invalid: true}},
		{"bytes=0-0", 0, want{invalid: true}},
		{"bytes=-0", 0, want{invalid: true}},
		{"bytes=-1", 0, want{full: true}},
		{"bytes=-100", 0, want{full: true}},
		{"bytes=5-2", size, want{full: true}},
		{"bytes=abc", size, want{full: true}},
		{"bytes=1-2,4-5", size, want{full: true}},
		{"items=0-1", size, want{full: true}},
		{"bytes=-", size, want{full: true}},
		{"bytes=+1-2", size, want{full: true}},
		{"bytes=99999999999999999999-", size, want{full: true}},           // 20 digits overflow: ignored
		{"bytes=0-9223372036854775807", size, want{start: 0, length: 10}}, // 19 digits still parse
	}
	for _, c := range cases {
		r, err := parseRangeFor(c.header, c.size)
		var got want
		switch {
		case err == s3err.InvalidRange:
			got.invalid = true
		case err != nil:
			t.Fatalf("%q: unexpected error %v", c.header, err)
		case r == nil:
			got.full = true
		default:
			got.start, got.length = r.start, r.length
		}
		if got != c.want {
			t.Errorf("parseRange(%q, %d) = %+v, want %+v", c.header, c.size, got, c.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-5", "bytes=3-", "bytes=5-2", "bytes=1-2,3-4", "bytes=18446744073709551615-"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		r, err := parseRangeFor(header, size)
		if err != nil {
			if err != s3err.InvalidRange {
				t.Fatalf("error %v", err)
			}
			return
		}
		if r != nil && (r.start < 0 || r.length < 1 || r.start+r.length > size) {
			t.Fatalf("parseRange(%q, %d) = %+v: outside the object", header, size, *r)
		}
	})
}

// TestEmptyFirstSegment: GET /s3//bucket/key is refused with 400
// InvalidURI before authentication or any storage call, never routed as
// ListBuckets (gateway-only: S3's answer is not known).
func TestEmptyFirstSegment(t *testing.T) {
	h := New(Options{Prefix: "/s3", Auth: auth.AuthenticatorFunc(func(*http.Request, auth.Target) (*auth.Principal, error) {
		t.Fatal("a request with an empty first path segment reached authentication")
		return nil, nil
	})})
	for _, path := range []string{"/s3//b/k", "/s3//", "/s3//b"} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
			if w.Code != http.StatusBadRequest || (method != http.MethodHead && !strings.Contains(w.Body.String(), "<Code>InvalidURI</Code>")) {
				t.Errorf("%s %s: %d %s, want 400 InvalidURI", method, path, w.Code, w.Body.String())
			}
		}
	}
}

func TestTokens(t *testing.T) {
	h := New(Options{TokenKeys: [][]byte{[]byte("k1"), []byte("k0")}})
	old := New(Options{TokenKeys: [][]byte{[]byte("k0")}})
	for _, last := range []string{"", "a", "a/b/", "日本\x00\xff"} {
		tok := h.encodeToken("bkt", last)
		if got, err := h.decodeToken("bkt", tok); err != nil || got != last {
			t.Fatalf("round trip %q: %q, %v", last, got, err)
		}
		if _, err := h.decodeToken("other", tok); err == nil {
			t.Fatalf("token for bkt accepted for another bucket")
		}
		// A token from before a key rotation still works.
		if got, err := h.decodeToken("bkt", old.encodeToken("bkt", last)); err != nil || got != last {
			t.Fatalf("rotated key: %q, %v", got, err)
		}
		for i := range tok {
			for _, c := range []byte{'A', 'z', '0', '-'} {
				if tok[i] == c {
					continue
				}
				forged := tok[:i] + string(c) + tok[i+1:]
				if got, err := h.decodeToken("bkt", forged); err == nil && got != last {
					t.Fatalf("forged token %q accepted as %q", forged, got)
				}
			}
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	h := New(Options{TokenKeys: [][]byte{[]byte("k")}})
	f.Add(h.encodeToken("b", "key"))
	f.Add("")
	f.Add("!!!")
	valid := h.encodeToken("b", "key")
	f.Add(valid[:3] + "\n" + valid[3:]) // the decoder skips line breaks
	f.Fuzz(func(t *testing.T, tok string) {
		if last, err := h.decodeToken("b", tok); err == nil && h.encodeToken("b", last) != tok {
			t.Fatalf("accepted a token encodeToken would not make: %q", tok)
		}
	})
}

func TestCheckPreconditions(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	same := mod.Format(http.TimeFormat) // sub-second part is dropped
	const etag = "abc"
	cases := []struct {
		ifMatch, ifNoneMatch, ims, ius string
		want                           *s3err.Error
	}{
		{"", "", "", "", nil},
		{`"abc"`, "", "", "", nil},
		{"abc", "", "", "", nil},
		{`"x", "abc"`, "", "", "", nil},
		{"*", "", "", "", nil},
		{`"x"`, "", "", "", s3err.PreconditionFailed},
		{"", `"abc"`, "", "", s3err.NotModified},
		{"", `W/"abc"`, "", "", s3err.NotModified},
		{"", "*", "", "", s3err.NotModified},
		{"", `"x"`, "", "", nil},
		{"", "", after, "", s3err.NotModified},
		{"", "", same, "", s3err.NotModified},
		{"", "", before, "", nil},
		{"", "", "", before, s3err.PreconditionFailed},
		{"", "", "", same, nil},
		{"", "", "", after, nil},
		{"", "", "", "not a date", nil},
		// If-Match wins over If-Unmodified-Since, If-None-Match over
		// If-Modified-Since.
		{`"abc"`, "", "", before, nil},
		{"", `"x"`, after, "", nil},
		{"", `"abc"`, before, "", s3err.NotModified},
		{`"x"`, `"abc"`, "", "", s3err.PreconditionFailed},
	}
	for _, c := range cases {
		if got := checkPreconditions(c.ifMatch, c.ifNoneMatch, c.ims, c.ius, etag, mod); got != c.want {
			t.Errorf("%+v: got %v, want %v", c, got, c.want)
		}
	}
}

func FuzzParseDeleteRequest(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key></Key></Object><Object><Key>&lt;</Key><VersionId>x</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete/>`))
	f.Add([]byte(`<Delete><Object><Key>k</Key><ETag>"e"</ETag><Size>1</Size><LastModifiedTime>x</LastModifiedTime></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseDeleteRequest(body)
		if err != nil {
			if err != s3err.MalformedXML {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(req.Objects) < 1 || len(req.Objects) > maxDeleteKeys {
			t.Fatalf("%d objects accepted", len(req.Objects))
		}
		for _, o := range req.Objects {
			if o.Key == nil {
				t.Fatal("object without key accepted")
			}
		}
	})
}

func TestParseCopySource(t *testing.T) {
	cases := []struct {
		in, bucket, key string
		bad             bool
	}{
		{"b/k", "b", "k", false},
		{"/b/k", "b", "k", false},
		{"b/a%2Fb%20c", "b", "a/b c", false},
		{"b/%3F?versionId=null", "b", "?", false},
		{"b/k+plus", "b", "k+plus", false},
		{"b", "", "", true},
		{"b/", "", "", true},
		{"/", "", "", true},
		{"b/%zz", "", "", true},
		{"b/k?versionId=3", "", "", true},
	}
	for _, c := range cases {
		ref, err := parseCopySource(c.in)
		if (err != nil) != c.bad || ref.Bucket != c.bucket || ref.Key != c.key {
			t.Errorf("parseCopySource(%q) = %+v, %v", c.in, ref, err)
		}
	}
}

func FuzzParseCopySource(f *testing.F) {
	f.Add("b/k")
	f.Add("/b/a%2F?versionId=x")
	f.Fuzz(func(t *testing.T, v string) {
		ref, err := parseCopySource(v)
		if err == nil && (ref.Bucket == "" || ref.Key == "") {
			t.Fatalf("%q accepted with an empty bucket or key", v)
		}
	})
}

func TestReadSmallBody(t *testing.T) {
	for _, tc := range []struct {
		size    int
		declare bool // send Content-Length, else a body of unknown length
		ok      bool
	}{
		{maxSmallBody, true, true},
		{maxSmallBody, false, true},
		{maxSmallBody + 1, true, false},
		{maxSmallBody + 1, false, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", tc.size)))
		if !tc.declare {
			r.ContentLength = -1
		}
		body, err := readSmallBody(r)
		if tc.ok && (err != nil || len(body) != tc.size) {
			t.Errorf("%d bytes (declared %v): %d bytes, %v; want all of it", tc.size, tc.declare, len(body), err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%d bytes (declared %v): accepted, want MalformedXML", tc.size, tc.declare)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 10000}, {-1, 10000}, {1, 1}, {10000, 10000}, {10001, 10000}} {
		if got := New(Options{MaxParts: tc.in}).opts.MaxParts; got != tc.want {
			t.Errorf("MaxParts %d: got %d, want %d", tc.in, got, tc.want)
		}
	}
	h := New(Options{})
	if h.log == nil {
		t.Error("no logger by default")
	}
	if h.opts.Region != "us-east-1" || len(h.opts.TokenKeys) != 1 || len(h.opts.TokenKeys[0]) != 32 {
		t.Errorf("defaults: region %q, %d token keys", h.opts.Region, len(h.opts.TokenKeys))
	}
	if New(Options{Region: "eu-west-1"}).opts.Region != "eu-west-1" {
		t.Error("an explicit region was replaced")
	}
}

// TestBodySize: a write's length comes from x-amz-decoded-content-length
// for an aws-chunked payload (framed by Content-Length or chunked), else
// from Content-Length; plain chunked bodies are 501 and bodies of unknown
// length (no header at all, or HTTP/2 without content-length) 411.
func TestBodySize(t *testing.T) {
	const streaming = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	for _, c := range []struct {
		name          string
		contentLength string // "" for no header (HTTP/2), "-" for none at all (HTTP/1.1)
		chunked       bool
		sha, decoded  string
		want          int64
		code          string
	}{
		{"content-length", "5", false, "UNSIGNED-PAYLOAD", "", 5, ""},
		{"content-length 0", "0", false, "", "", 0, ""},
		{"decoded length ignored without streaming", "5", false, "UNSIGNED-PAYLOAD", "3", 5, ""},
		{"no length", "-", false, "UNSIGNED-PAYLOAD", "", 0, "MissingContentLength"},
		{"no length over HTTP/2", "", false, "UNSIGNED-PAYLOAD", "", 0, "MissingContentLength"},
		{"chunked", "", true, "UNSIGNED-PAYLOAD", "", 0, "NotImplemented"},
		{"chunked with a decoded length but no streaming payload", "", true, "UNSIGNED-PAYLOAD", "5", 0, "NotImplemented"},
		{"streaming, chunked", "", true, streaming, "5", 5, ""},
		{"streaming, content-length", "40", false, streaming, "5", 5, ""},
		{"streaming, no decoded length", "40", false, streaming, "", 0, "MissingContentLength"},
		{"streaming, chunked, no decoded length", "", true, streaming, "", 0, "MissingContentLength"},
		{"streaming, decoded length not a number", "40", false, streaming, "five", 0, "MissingContentLength"},
		{"streaming, signed decoded length", "40", false, streaming, "+5", 0, "MissingContentLength"},
		{"streaming, negative decoded length", "40", false, streaming, "-5", 0, "MissingContentLength"},
	} {
		r := httptest.NewRequest(http.MethodPut, "/s3/b/k", strings.NewReader("x"))
		r.Header.Del("Content-Length")
		r.ContentLength = -1
		switch c.contentLength {
		case "":
		case "-":
			r.ContentLength = 0 // what net/http reports for HTTP/1.1
		default:
			r.Header.Set("Content-Length", c.contentLength)
			fmt.Sscan(c.contentLength, &r.ContentLength)
		}
		if c.chunked {
			r.TransferEncoding = []string{"chunked"}
		}
		if c.sha != "" {
			r.Header.Set("X-Amz-Content-Sha256", c.sha)
		}
		if c.decoded != "" {
			r.Header.Set("X-Amz-Decoded-Content-Length", c.decoded)
		}
		n, err := bodySize(r)
		e, _ := s3err.As(err)
		switch {
		case c.code == "" && (err != nil || n != c.want):
			t.Errorf("%s: %d, %v; want %d", c.name, n, err, c.want)
		case c.code != "" && (e == nil || e.Code != c.code):
			t.Errorf("%s: %d, %v; want %s", c.name, n, err, c.code)
		case c.code == "NotImplemented" && (len(e.Details) != 1 || e.Details[0] != s3err.Detail{Name: "Header", Value: "Transfer-Encoding"}):
			t.Errorf("%s: details %v, want Header Transfer-Encoding", c.name, e.Details)
		}
	}
}

func TestContentMD5(t *testing.T) {
	valid := "rL0Y20xC+Fzt72VPzMSk2A=="
	for _, c := range []struct {
		values []string // nil: no header
		ok     bool
	}{
		{nil, true},
		{[]string{valid}, true},
		{[]string{""}, false},
		{[]string{"invalid"}, false},
		{[]string{"YWJyYWNhZGFicmE="}, false},
	} {
		hdr := http.Header{}
		if c.values != nil {
			hdr["Content-Md5"] = c.values
		}
		sum, err := contentMD5(hdr)
		if c.ok {
			if err != nil || (c.values == nil) != (sum == nil) {
				t.Errorf("Content-MD5 %q: %x, %v", c.values, sum, err)
			}
			continue
		}
		e, isS3 := s3err.As(err)
		if !isS3 || e.Code != "InvalidDigest" || e.Message != "The Content-MD5 you specified was invalid." ||
			len(e.Details) != 1 || e.Details[0] != (s3err.Detail{Name: "Content-MD5", Value: c.values[0]}) {
			t.Errorf("Content-MD5 %q: %v %v, want S3's InvalidDigest echoing it", c.values, err, e)
		}
	}
}
