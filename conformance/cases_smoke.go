package conformance

import (
	"net/http"
)

func init() {
	register(
		Case{
			ID: "objects/put-get/roundtrip", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "an object stored with PutObject reads back byte for byte with its ETag",
			Run:  objectsPutGetRoundtrip,
		},
		Case{
			ID: "objects/get/range/suffix", Feature: Objects, Ops: ops("GetObject"),
			Desc: "Range bytes=-n returns the last n bytes with 206 and Content-Range",
			Run:  objectsGetRangeSuffix,
		},
	)
}

func objectsPutGetRoundtrip(t T, e *Env) {
	b := e.NewBucket()
	etag := e.PutString(b, "hello.txt", "hello world")
	eq(t, "ETag", etag, `"5eb63bbbe01eeed093cb22bb8f5acdc3"`)
	eq(t, "body", string(e.Get(b, "hello.txt")), "hello world")
}

func objectsGetRangeSuffix(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "0123456789")
	resp := e.Request(http.MethodGet, b, "k").WithHeader("Range", "bytes=-3").Expect()
	resp.Status(http.StatusPartialContent)
	resp.Header("Content-Range").IsEqual("bytes 7-9/10")
	resp.Body().IsEqual("789")
}
