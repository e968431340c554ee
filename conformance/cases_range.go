package conformance

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gavv/httpexpect/v2"
)

// Range reads on GET (and HEAD). What S3 does, beyond RFC 9110:
//   - a satisfiable single range answers 206 with Content-Range and the
//     bytes; an end past the object is clamped, a suffix longer than the
//     object is the whole object;
//   - a range that starts at or past the end, and the suffix "-0", answer
//     416 InvalidRange; so do they on an empty object, where every range
//     with a first byte (bytes=0-, bytes=0-0) starts past the end;
//   - a suffix range of an empty object (bytes=-N, N > 0) is not refused:
//     200 with the empty body, as for a suffix longer than the object;
//   - a Range header S3 cannot parse as one byte range (end before start,
//     non-numeric, several ranges) is ignored: 200 and the whole object.
//
// Evidence: localstack/localstack#9076 (curl against AWS: bytes=15-1 returns
// the whole object), getmoto/moto#6778 (range rules "thoroughly tested
// against AWS", with tests for bytes=1-0, bytes=0-1,3-4, bytes=-, bytes=-0);
// for empty objects minio/minio-java#636, minio/minio#6557 and #17713 (AWS
// answers InvalidRange for bytes=0-), scality/cloudserver#528 and #675 (a
// "COMPAT" fix measured against AWS: InvalidRange for bytes=1-2, bytes=N-
// and bytes=-0 on an empty object, the empty object for any other Range),
// apache/arrow-rs-object-store#846 (2026: "For a zero-byte object, AWS S3
// responds with HTTP/1.1 200 OK Content-Length: 0" to a suffix range) and
// floci-io/floci#1141 (Trino's S3 file-system test reads an empty object's
// tail with bytes=-N and expects success).

// rangeContent is the 10-byte object most range cases read.
const rangeContent = "0123456789"

// rangeGet sends a GET of bucket/key with a Range header.
func rangeGet(e *Env, bucket, key, rng string) *httpexpect.Response {
	return e.Request(http.MethodGet, bucket, key).WithHeader("Range", rng).Expect()
}

func init() {
	type partial struct {
		name, rng, contentRange, body string
	}
	for _, c := range []partial{
		{"first-byte", "bytes=0-0", "bytes 0-0/10", "0"},
		{"last-byte", "bytes=9-9", "bytes 9-9/10", "9"},
		{"middle", "bytes=2-5", "bytes 2-5/10", "2345"},
		{"open-ended", "bytes=3-", "bytes 3-9/10", "3456789"},
		{"from-zero-open-ended", "bytes=0-", "bytes 0-9/10", rangeContent},
		{"suffix-3", "bytes=-3", "bytes 7-9/10", "789"},
		{"end-beyond-size-clamped", "bytes=5-999", "bytes 5-9/10", "56789"},
		{"suffix-longer-than-size", "bytes=-100", "bytes 0-9/10", rangeContent},
	} {
		register(Case{
			ID: "objects/range/get/" + c.name, Feature: Objects, Ops: ops("GetObject"),
			Desc: fmt.Sprintf("Range %s on a 10-byte object answers 206, Content-Range %q, Content-Length %d and those bytes",
				c.rng, c.contentRange, len(c.body)),
			Run: objectsRangeGet(c.rng, c.contentRange, c.body),
		})
	}

	type unsatisfiable struct{ name, rng string }
	for _, c := range []unsatisfiable{
		{"start-equals-size", "bytes=10-"},
		{"start-beyond-size", "bytes=100-200"},
		{"suffix-zero", "bytes=-0"},
	} {
		register(Case{
			ID: "objects/range/get/unsatisfiable/" + c.name, Feature: Objects, Ops: ops("GetObject"),
			Desc: fmt.Sprintf("Range %s on a 10-byte object answers 416 InvalidRange", c.rng),
			Run:  objectsRangeGetUnsatisfiable(c.rng),
		})
	}

	for _, rng := range []string{"bytes=0-", "bytes=0-0", "bytes=1-2", "bytes=-0"} {
		register(Case{
			ID: "objects/range/get/empty-object/" + slug(rng), Feature: Objects, Ops: ops("GetObject"),
			Desc: fmt.Sprintf("Range %s on a 0-byte object answers 416 InvalidRange (no byte of it exists)", rng),
			Run:  objectsRangeGetEmptyObject(rng),
		})
	}

	register(Case{
		ID: "objects/range/get/empty-object/suffix", Feature: Objects, Ops: ops("GetObject", "HeadObject"),
		Desc: "a suffix Range (bytes=-1, bytes=-100) on a 0-byte object answers 200 with the empty body and no Content-Range, on GET and HEAD",
		Run:  objectsRangeGetEmptyObjectSuffix,
	})

	// A failing If-Match wins over the Range, satisfiable or not.
	for _, c := range []struct{ id, rng, desc string }{
		{"if-match-failure", "bytes=2-5", "Range with an If-Match naming another ETag answers 412 PreconditionFailed, not the range"},
		{"if-match-failure-unsatisfiable", "bytes=100-200", "a failing If-Match is reported as 412 even when the Range is also unsatisfiable"},
	} {
		register(Case{
			ID: "objects/range/get/" + c.id, Feature: Objects, Ops: ops("GetObject"), Desc: c.desc,
			Run: objectsRangeGetIfMatchFailure(c.rng),
		})
	}

	type ignored struct{ name, rng string }
	for _, c := range []ignored{
		{"end-before-start", "bytes=5-2"},
		{"non-numeric", "bytes=abc"},
		{"multiple-ranges", "bytes=0-1,3-4"},
		{"bare-dash", "bytes=-"},
	} {
		register(Case{
			ID: "objects/range/get/ignored/" + c.name, Feature: Objects, Ops: ops("GetObject"),
			Desc: fmt.Sprintf("a Range header S3 cannot use (%s) is ignored: 200 with the whole object and no Content-Range", c.rng),
			Run:  objectsRangeGetIgnored(c.rng),
		})
	}

	register(
		Case{
			ID: "objects/range/get/no-range-accept-ranges", Feature: Objects, Ops: ops("GetObject"),
			Desc: "a GET without Range answers 200 with Accept-Ranges: bytes, the full Content-Length and no Content-Range",
			Run:  objectsRangeGetNoRangeAcceptRanges,
		},
		Case{
			ID: "objects/range/get/if-match-success", Feature: Objects, Ops: ops("GetObject"),
			Desc: "Range with an If-Match naming the current ETag answers 206 with the range",
			Run:  objectsRangeGetIfMatchSuccess,
		},
		Case{
			ID: "objects/range/head/satisfiable", Feature: Objects, Ops: ops("HeadObject"),
			Desc: "HeadObject with a satisfiable Range answers 206 with the range's Content-Range and Content-Length",
			Run:  objectsRangeHeadSatisfiable,
		},
		Case{
			ID: "objects/range/head/unsatisfiable", Feature: Objects, Ops: ops("HeadObject"),
			Desc: "HeadObject with an unsatisfiable Range answers 416",
			Run:  objectsRangeHeadUnsatisfiable,
		},
		Case{
			ID: "objects/range/sdk/get-object", Feature: Objects, Ops: ops("GetObject"),
			Desc: "GetObject through the SDK with Range bytes=2-5 returns ContentRange, ContentLength 4 and the bytes",
			Run:  objectsRangeSdkGetObject,
		},
		Case{
			ID: "objects/range/get/large-object-offsets", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "ranges at many offsets of a 1 MiB pseudo-random object return exactly those bytes, byte for byte",
			Run:  objectsRangeGetLargeObjectOffsets,
		},
	)
}

// objectsRangeGet makes the objects/range/get/* case of a satisfiable
// range rng of rangeContent: 206 with contentRange and body.
func objectsRangeGet(rng, contentRange, body string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		etag := e.PutString(b, "k", rangeContent)
		resp := rangeGet(e, b, "k", rng)
		resp.Status(http.StatusPartialContent)
		resp.Header("Content-Range").IsEqual(contentRange)
		resp.Header("Accept-Ranges").IsEqual("bytes")
		resp.Header("ETag").IsEqual(etag)
		wantContentLength(t, resp, len(body))
		resp.Body().IsEqual(body)
	}
}

// objectsRangeGetUnsatisfiable makes the objects/range/get/unsatisfiable/*
// case of one range.
func objectsRangeGetUnsatisfiable(rng string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, "k", rangeContent)
		wantError(t, rangeGet(e, b, "k", rng), http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
}

// objectsRangeGetEmptyObject makes the objects/range/get/empty-object/*
// case of one range with a first byte.
func objectsRangeGetEmptyObject(rng string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, "empty", "")
		wantError(t, rangeGet(e, b, "empty", rng), http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
}

func objectsRangeGetEmptyObjectSuffix(t T, e *Env) {
	b := e.NewBucket()
	etag := e.PutString(b, "empty", "")
	for _, rng := range []string{"bytes=-1", "bytes=-100"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp := e.Request(method, b, "empty").WithHeader("Range", rng).Expect()
			wantStatus(t, resp, http.StatusOK)
			resp.Header("Content-Range").IsEmpty()
			resp.Header("ETag").IsEqual(etag)
			wantContentLength(t, resp, 0)
			resp.Body().IsEmpty()
		}
	}
}

// objectsRangeGetIfMatchFailure makes the objects/range/get/if-match-failure*
// cases: a GET of range rng with a failing If-Match.
func objectsRangeGetIfMatchFailure(rng string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, "k", rangeContent)
		resp := e.Request(http.MethodGet, b, "k").WithHeader("Range", rng).WithHeader("If-Match", wrongETag).Expect()
		wantError(t, resp, http.StatusPreconditionFailed, "PreconditionFailed")
	}
}

// objectsRangeGetIgnored makes the objects/range/get/ignored/* case of one
// Range header S3 ignores.
func objectsRangeGetIgnored(rng string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		e.PutString(b, "k", rangeContent)
		resp := rangeGet(e, b, "k", rng)
		resp.Status(http.StatusOK)
		resp.Header("Content-Range").IsEmpty()
		wantContentLength(t, resp, len(rangeContent))
		resp.Body().IsEqual(rangeContent)
	}
}

func objectsRangeGetNoRangeAcceptRanges(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", rangeContent)
	resp := e.Request(http.MethodGet, b, "k").Expect()
	resp.Status(http.StatusOK)
	resp.Header("Accept-Ranges").IsEqual("bytes")
	resp.Header("Content-Range").IsEmpty()
	wantContentLength(t, resp, len(rangeContent))
	resp.Body().IsEqual(rangeContent)
}

func objectsRangeGetIfMatchSuccess(t T, e *Env) {
	b := e.NewBucket()
	etag := e.PutString(b, "k", rangeContent)
	resp := e.Request(http.MethodGet, b, "k").
		WithHeader("Range", "bytes=2-5").WithHeader("If-Match", etag).Expect()
	resp.Status(http.StatusPartialContent)
	resp.Header("Content-Range").IsEqual("bytes 2-5/10")
	resp.Body().IsEqual("2345")
}

func objectsRangeHeadSatisfiable(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", rangeContent)
	resp := e.Request(http.MethodHead, b, "k").WithHeader("Range", "bytes=2-5").Expect()
	resp.Status(http.StatusPartialContent)
	resp.Header("Content-Range").IsEqual("bytes 2-5/10")
	wantContentLength(t, resp, 4)
}

func objectsRangeHeadUnsatisfiable(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", rangeContent)
	resp := e.Request(http.MethodHead, b, "k").WithHeader("Range", "bytes=10-").Expect()
	resp.Status(http.StatusRequestedRangeNotSatisfiable)
}

func objectsRangeSdkGetObject(t T, e *Env) {
	b := e.NewBucket()
	etag := e.PutString(b, "k", rangeContent)
	out, body := getObject(t, e, b, "k", "bytes=2-5")
	eq(t, "ContentRange", aws.ToString(out.ContentRange), "bytes 2-5/10")
	eq(t, "ContentLength", aws.ToInt64(out.ContentLength), int64(4))
	eq(t, "AcceptRanges", aws.ToString(out.AcceptRanges), "bytes")
	eq(t, "ETag", aws.ToString(out.ETag), etag)
	eq(t, "body", string(body), "2345")
}

func objectsRangeGetLargeObjectOffsets(t T, e *Env) {
	const size = 1 << 20
	if m := e.Target.MaxBodyBytes; m > 0 && m < size {
		t.Skipf("target accepts bodies of at most %d bytes; case needs %d", m, size)
	}
	data := make([]byte, size)
	rand.New(rand.NewSource(20240601)).Read(data)
	b := e.NewBucket()
	e.Put(b, "big", data)
	type span struct {
		rng        string
		start, end int // inclusive
	}
	spans := []span{
		{"bytes=0-0", 0, 0},
		{"bytes=0-65535", 0, 65535},
		{"bytes=65535-65536", 65535, 65536},
		{"bytes=4095-12288", 4095, 12288},
		{"bytes=524287-524288", 524287, 524288},
		{"bytes=333333-777777", 333333, 777777},
		{"bytes=1048575-1048575", size - 1, size - 1},
		{"bytes=1000000-", 1000000, size - 1},
		{"bytes=-12345", size - 12345, size - 1},
		{"bytes=1048000-2000000", 1048000, size - 1},
	}
	for _, s := range spans {
		resp := rangeGet(e, b, "big", s.rng)
		resp.Status(http.StatusPartialContent)
		resp.Header("Content-Range").IsEqual(fmt.Sprintf("bytes %d-%d/%d", s.start, s.end, size))
		wantContentLength(t, resp, s.end-s.start+1)
		got := []byte(resp.Body().Raw())
		want := data[s.start : s.end+1]
		if !bytes.Equal(got, want) {
			t.Fatalf("Range %s: body differs from the object's bytes %d-%d (got %d bytes, want %d)",
				s.rng, s.start, s.end, len(got), len(want))
		}
	}
	// The SDK path too, at an unaligned offset.
	out, got := getObject(t, e, b, "big", "bytes=123457-223456")
	eq(t, "ContentRange", aws.ToString(out.ContentRange), "bytes 123457-223456/"+strconv.Itoa(size))
	if !bytes.Equal(got, data[123457:223457]) {
		t.Fatalf("SDK range body differs from the object's bytes 123457-223456 (got %d bytes)", len(got))
	}
}
