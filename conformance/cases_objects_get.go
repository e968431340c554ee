package conformance

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// GetObject and HeadObject of a single object: missing keys, the response
// headers, and the response-* query parameters that override them.

func init() {
	register(
		Case{
			ID: "objects/get/missing-key", Feature: Objects, Ops: ops("GetObject"),
			Desc: "GET of a missing key fails 404 NoSuchKey and the error names the key",
			Run:  objectsGetMissingKey,
		},
		Case{
			ID: "objects/get/headers", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "GET returns ETag, Last-Modified, Content-Length, Content-Type and Accept-Ranges: bytes",
			Run:  objectsGetHeaders,
		},
		Case{
			ID: "objects/get/last-modified", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "Last-Modified of a just-written object is an HTTP date not after the response's Date and within 5 minutes of it",
			Run:  objectsGetLastModified,
		},
		Case{
			ID: "objects/head/same-headers-as-get", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "HEAD returns the same object headers as GET (including Content-Length) and no body",
			Run:  objectsHeadSameHeadersAsGet,
		},
		Case{
			ID: "objects/head/missing-key", Feature: Objects, Ops: ops("HeadObject"),
			Desc: "HEAD of a missing key answers 404 with an empty body",
			Run:  objectsHeadMissingKey,
		},
	)
	for _, o := range objResponseOverrides {
		register(Case{
			ID: "objects/get/response-override/" + strings.TrimPrefix(o.param, "response-"), Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "GET with " + o.param + " returns that value as " + o.header + " and leaves the stored value unchanged",
			Run:  objectsGetResponseOverride(o),
		})
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

func objectsGetMissingKey(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "present", "x")
	resp := e.Request(http.MethodGet, b, "absent/key.txt").Expect()
	se := wantError(t, resp, http.StatusNotFound, "NoSuchKey")
	eq(t, "error <Key>", se.Key, "absent/key.txt")
	_, err := e.SDK.GetObject(e.ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("absent/key.txt")})
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)
}

func objectsGetHeaders(t T, e *Env) {
	b := e.NewBucket()
	body := []byte("0123456789abcdef")
	e.Request(http.MethodPut, b, "k").WithHeader("Content-Type", "text/csv").WithBytes(body).Expect().Status(http.StatusOK)
	resp := e.Request(http.MethodGet, b, "k").Expect()
	resp.Status(http.StatusOK)
	resp.Body().IsEqual(string(body))
	eq(t, "ETag", header(resp, "ETag"), md5ETag(body))
	eq(t, "Content-Length", header(resp, "Content-Length"), strconv.Itoa(len(body)))
	eq(t, "Content-Type", header(resp, "Content-Type"), "text/csv")
	eq(t, "Accept-Ranges", header(resp, "Accept-Ranges"), "bytes")
	if _, err := http.ParseTime(header(resp, "Last-Modified")); err != nil {
		t.Fatalf("Last-Modified %q is not an HTTP date: %v", header(resp, "Last-Modified"), err)
	}
}

func objectsGetLastModified(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "timed")
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		resp := e.Request(m, b, "k").Expect()
		resp.Status(http.StatusOK)
		lm, err := http.ParseTime(header(resp, "Last-Modified"))
		if err != nil {
			t.Fatalf("%s Last-Modified %q is not an HTTP date: %v", m, header(resp, "Last-Modified"), err)
		}
		date, err := http.ParseTime(header(resp, "Date"))
		if err != nil {
			t.Fatalf("%s Date %q is not an HTTP date: %v", m, header(resp, "Date"), err)
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
}

func objectsHeadSameHeadersAsGet(t T, e *Env) {
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
		g := header(get, h)
		if g == "" {
			t.Fatalf("GET lacks %s", h)
		}
		eq(t, "HEAD "+h+" (GET has "+g+")", header(head, h), g)
	}
	eq(t, "HEAD Content-Length", header(head, "Content-Length"), strconv.Itoa(len(body)))
	head.Body().IsEqual("")
}

func objectsHeadMissingKey(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodHead, b, "absent").Expect()
	resp.Status(http.StatusNotFound)
	resp.Body().IsEqual("")
	wantAbsent(t, e, b, "absent")
}

// objectsGetResponseOverride makes the objects/get/response-override/*
// case of one query parameter.
func objectsGetResponseOverride(o objResponseOverride) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.Request(http.MethodPut, b, "k").WithHeader(o.header, o.stored).WithBytes([]byte("overridden")).Expect().Status(http.StatusOK)
		resp := e.Request(http.MethodGet, b, "k").WithQuery(o.param, o.override).Expect()
		resp.Status(http.StatusOK)
		resp.Body().IsEqual("overridden")
		objHeaderEqual(t, "GET?"+o.param, resp, o.header, o.override, o.date)
		plain := e.Request(http.MethodGet, b, "k").Expect()
		plain.Status(http.StatusOK)
		objHeaderEqual(t, "later plain GET", plain, o.header, o.stored, o.date)
	}
}
