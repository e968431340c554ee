package conformance

import (
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object metadata: user metadata (x-amz-meta-*) and the standard headers S3
// stores with an object and replays on GET and HEAD.

func init() {
	register(
		Case{
			ID: "objects/metadata/user/roundtrip", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "x-amz-meta-* names and values set on PUT come back on GET and HEAD (names case-insensitively, values exactly)",
			Run:  objectsMetadataUserRoundtrip,
		},
		Case{
			ID: "objects/metadata/user/raw-headers", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "x-amz-meta-* headers sent on a raw PUT in any letter case are returned on HEAD with their values",
			Run:  objectsMetadataUserRawHeaders,
		},
		Case{
			ID: "objects/metadata/user/replaced-on-overwrite", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "overwriting an object replaces its user metadata: names not sent again are gone",
			Run:  objectsMetadataUserReplacedOnOverwrite,
		},
		Case{
			ID: "objects/metadata/user/under-limit", Feature: Objects, Ops: ops("PutObject", "HeadObject"),
			Desc: "user metadata just under 2 KB (names plus values) is accepted and returned whole",
			Run:  objectsMetadataUserUnderLimit,
		},
		Case{
			ID: "objects/metadata/default-content-type", Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "an object stored without a Content-Type is served as binary/octet-stream",
			Run:  objectsMetadataDefaultContentType,
		},
	)
	for _, h := range objStoredHeaders {
		register(Case{
			ID: "objects/metadata/stored/" + slug(h.name), Feature: Objects, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: h.name + " sent on PUT is stored and replayed on GET and HEAD",
			Run:  objectsMetadataStored(h),
		})
	}
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

func objectsMetadataUserRoundtrip(t T, e *Env) {
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
	get, _ := getObject(t, e, b, "k", "")
	check("GetObject", get.Metadata)
	check("HeadObject", headObject(t, e, b, "k").Metadata)
	// Raw: the headers themselves.
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		resp := e.Request(m, b, "k").Expect()
		resp.Status(http.StatusOK)
		for k, want := range meta {
			eq(t, m+" x-amz-meta-"+k, header(resp, "x-amz-meta-"+k), want)
		}
	}
}

func objectsMetadataUserRawHeaders(t T, e *Env) {
	b := e.NewBucket()
	e.Request(http.MethodPut, b, "k").
		WithHeader("X-Amz-Meta-Project", "apollo").
		WithHeader("x-amz-meta-UPPER", "Shouting").
		WithBytes([]byte("x")).Expect().Status(http.StatusOK)
	resp := e.Request(http.MethodHead, b, "k").Expect()
	resp.Status(http.StatusOK)
	eq(t, "x-amz-meta-project", header(resp, "x-amz-meta-project"), "apollo")
	eq(t, "x-amz-meta-upper", header(resp, "x-amz-meta-upper"), "Shouting")
}

func objectsMetadataUserReplacedOnOverwrite(t T, e *Env) {
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
	head := headObject(t, e, b, "k")
	if _, ok := objMeta(head.Metadata, "old"); ok {
		t.Fatalf("metadata %q survived an overwrite that did not send it (got %v)", "old", head.Metadata)
	}
	v, _ := objMeta(head.Metadata, "kept")
	eq(t, "metadata kept", v, "b")
}

func objectsMetadataUserUnderLimit(t T, e *Env) {
	b := e.NewBucket()
	val := strings.Repeat("v", 2000) // "big" + 2000 bytes < 2048
	_, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"big": val},
	})
	mustf(t, err, "PutObject with 2003 bytes of metadata")
	head := headObject(t, e, b, "k")
	v, _ := objMeta(head.Metadata, "big")
	eq(t, "metadata big", v, val)
}

func objectsMetadataDefaultContentType(t T, e *Env) {
	b := e.NewBucket()
	// A raw request with a body and no Content-Type header (the
	// SDK would send application/octet-stream).
	e.Request(http.MethodPut, b, "k").WithBytes([]byte("no type")).Expect().Status(http.StatusOK)
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		resp := e.Request(m, b, "k").Expect()
		resp.Status(http.StatusOK)
		eq(t, m+" Content-Type", header(resp, "Content-Type"), "binary/octet-stream")
	}
}

// objectsMetadataStored makes the objects/metadata/stored/* case of one
// header.
func objectsMetadataStored(h objStoredHeader) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.Request(http.MethodPut, b, "k").WithHeader(h.name, h.value).WithBytes([]byte("payload")).Expect().Status(http.StatusOK)
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			resp := e.Request(m, b, "k").Expect()
			resp.Status(http.StatusOK)
			objHeaderEqual(t, m, resp, h.name, h.value, h.date)
		}
	}
}
