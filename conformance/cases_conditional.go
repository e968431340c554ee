package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Conditional reads (GetObject, HeadObject). S3 evaluates them as RFC 9110
// does: If-Match (else If-Unmodified-Since) may fail the request with 412;
// then If-None-Match (else If-Modified-Since) may answer 304. The AWS
// GetObject reference states the two mixed combinations explicitly:
// If-Match true + If-Unmodified-Since false gives 200, and If-None-Match
// false + If-Modified-Since true gives 304.
//
// Dates are built from the object's Last-Modified (one-second resolution),
// never from the local clock. If-Modified-Since dates in the future are
// ignored by S3 (scality/cloudserver's AWS-compatibility tests skip that
// case "because real AWS does not provide error as expected"), so a "not
// modified since" date after the object's mtime is Last-Modified+1s, used
// only once the server's clock has passed it (the case sleeps first).
// Matching of If-Match lists, "*", and unquoted ETags follows
// scality/cloudserver tests/functional/aws-node-sdk/test/object/get.js,
// which run against AWS.

const condContent = "conditional body"

type condCase struct {
	name    string
	desc    string
	headers func(etag string, lm time.Time) map[string]string
	// sleep: the case uses Last-Modified+1s as a past date.
	sleep bool
	want  int
	// head: also register the case for HeadObject.
	head bool
}

func init() {
	unquote := func(etag string) string { return strings.Trim(etag, `"`) }
	cases := []condCase{
		{
			name: "if-match/current", desc: "If-Match with the current ETag", want: http.StatusOK,
			headers: func(etag string, _ time.Time) map[string]string { return map[string]string{"If-Match": etag} },
		},
		{
			name: "if-match/wrong", desc: "If-Match with another ETag", want: http.StatusPreconditionFailed, head: true,
			headers: func(string, time.Time) map[string]string { return map[string]string{"If-Match": wrongETag} },
		},
		{
			name: "if-match/star", desc: "If-Match: * on an existing object", want: http.StatusOK,
			headers: func(string, time.Time) map[string]string { return map[string]string{"If-Match": "*"} },
		},
		{
			name: "if-match/list", desc: "If-Match listing another ETag and then the current one", want: http.StatusOK,
			headers: func(etag string, _ time.Time) map[string]string {
				return map[string]string{"If-Match": wrongETag + ", " + etag}
			},
		},
		{
			name: "if-match/unquoted", desc: "If-Match with the current ETag without its quotes", want: http.StatusOK,
			headers: func(etag string, _ time.Time) map[string]string {
				return map[string]string{"If-Match": unquote(etag)}
			},
		},
		{
			name: "if-none-match/current", desc: "If-None-Match with the current ETag", want: http.StatusNotModified, head: true,
			headers: func(etag string, _ time.Time) map[string]string { return map[string]string{"If-None-Match": etag} },
		},
		{
			name: "if-none-match/wrong", desc: "If-None-Match with another ETag", want: http.StatusOK,
			headers: func(string, time.Time) map[string]string { return map[string]string{"If-None-Match": wrongETag} },
		},
		{
			name: "if-none-match/list", desc: "If-None-Match listing another ETag and then the current one", want: http.StatusNotModified,
			headers: func(etag string, _ time.Time) map[string]string {
				return map[string]string{"If-None-Match": wrongETag + ", " + etag}
			},
		},
		{
			name: "if-none-match/unquoted", desc: "If-None-Match with the current ETag without its quotes", want: http.StatusNotModified,
			headers: func(etag string, _ time.Time) map[string]string {
				return map[string]string{"If-None-Match": unquote(etag)}
			},
		},
		{
			name: "if-modified-since/equal", desc: "If-Modified-Since equal to Last-Modified", want: http.StatusNotModified, head: true,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Modified-Since": httpDate(lm)}
			},
		},
		{
			name: "if-modified-since/after", desc: "If-Modified-Since a second after Last-Modified (and in the past)", want: http.StatusNotModified,
			sleep: true,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Modified-Since": httpDate(lm.Add(time.Second))}
			},
		},
		{
			name: "if-modified-since/before", desc: "If-Modified-Since an hour before Last-Modified", want: http.StatusOK,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Modified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "if-unmodified-since/before", desc: "If-Unmodified-Since an hour before Last-Modified", want: http.StatusPreconditionFailed, head: true,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Unmodified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "if-unmodified-since/equal", desc: "If-Unmodified-Since equal to Last-Modified", want: http.StatusOK,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Unmodified-Since": httpDate(lm)}
			},
		},
		{
			name: "if-unmodified-since/after", desc: "If-Unmodified-Since an hour after Last-Modified", want: http.StatusOK,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Unmodified-Since": httpDate(lm.Add(time.Hour))}
			},
		},
		{
			name: "combined/if-match-true-if-unmodified-since-false",
			desc: "If-Match true with If-Unmodified-Since false (AWS documents 200)", want: http.StatusOK,
			headers: func(etag string, lm time.Time) map[string]string {
				return map[string]string{"If-Match": etag, "If-Unmodified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "combined/if-none-match-false-if-modified-since-true",
			desc: "If-None-Match false (ETag matches) with If-Modified-Since true (AWS documents 304)", want: http.StatusNotModified,
			headers: func(etag string, lm time.Time) map[string]string {
				return map[string]string{"If-None-Match": etag, "If-Modified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "combined/if-match-false-if-modified-since-true",
			desc: "If-Match false with If-Modified-Since true", want: http.StatusPreconditionFailed,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-Match": wrongETag, "If-Modified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "combined/if-none-match-true-if-unmodified-since-false",
			desc: "If-None-Match true (ETag differs) with If-Unmodified-Since false", want: http.StatusPreconditionFailed,
			headers: func(_ string, lm time.Time) map[string]string {
				return map[string]string{"If-None-Match": wrongETag, "If-Unmodified-Since": httpDate(lm.Add(-time.Hour))}
			},
		},
		{
			name: "combined/if-none-match-false-if-unmodified-since-true",
			desc: "If-None-Match false (ETag matches) with If-Unmodified-Since true", want: http.StatusNotModified,
			headers: func(etag string, lm time.Time) map[string]string {
				return map[string]string{"If-None-Match": etag, "If-Unmodified-Since": httpDate(lm.Add(time.Hour))}
			},
		},
	}
	for _, c := range cases {
		methods := []string{http.MethodGet}
		if c.head {
			methods = append(methods, http.MethodHead)
		}
		for _, method := range methods {
			op, verb := "GetObject", "get"
			if method == http.MethodHead {
				op, verb = "HeadObject", "head"
			}
			register(Case{
				ID: "objects/conditional/" + verb + "/" + c.name, Feature: Objects, Ops: ops(op),
				Desc: fmt.Sprintf("%s with %s answers %d", op, c.desc, c.want),
				Run:  objectsConditional(c, method),
			})
		}
	}

	register(
		Case{
			ID: "objects/conditional/get/sdk/if-none-match-not-modified", Feature: Objects, Ops: ops("GetObject"),
			Desc: "GetObject through the SDK with IfNoneMatch set to the current ETag fails with HTTP 304",
			Run:  objectsConditionalGetSdkIfNoneMatchNotModified,
		},
		Case{
			ID: "objects/conditional/get/sdk/if-match-precondition-failed", Feature: Objects, Ops: ops("GetObject"),
			Desc: "GetObject through the SDK with a wrong IfMatch fails with PreconditionFailed (412)",
			Run:  objectsConditionalGetSdkIfMatchPreconditionFailed,
		},
		Case{
			ID: "objects/conditional/get/after-overwrite", Feature: Objects, Ops: ops("PutObject", "GetObject"),
			Desc: "after an overwrite, If-Match with the old ETag answers 412 and If-None-Match with it answers 200 with the new body",
			Run:  objectsConditionalGetAfterOverwrite,
		},
	)
}

// objectsConditional makes the objects/conditional/<get|head>/* case of
// one condition and method.
func objectsConditional(c condCase, method string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		etag := e.PutString(b, "k", condContent)
		lm := lastModified(t, e, b, "k")
		if c.sleep {
			awaitServerPast()
		}
		req := e.Request(method, b, "k")
		for k, v := range c.headers(etag, lm) {
			req = req.WithHeader(k, v)
		}
		resp := req.Expect()
		switch c.want {
		case http.StatusOK:
			resp.Status(http.StatusOK)
			resp.Header("ETag").IsEqual(etag)
			wantContentLength(t, resp, len(condContent))
			if method == http.MethodGet {
				resp.Body().IsEqual(condContent)
			}
		case http.StatusNotModified:
			resp.Status(http.StatusNotModified)
			resp.Header("ETag").IsEqual(etag)
			resp.Body().IsEmpty()
		case http.StatusPreconditionFailed:
			if method == http.MethodGet {
				wantError(t, resp, http.StatusPreconditionFailed, "PreconditionFailed")
			} else {
				resp.Status(http.StatusPreconditionFailed)
				resp.Body().IsEmpty()
			}
		default:
			t.Fatalf("case table: unexpected want %d", c.want)
		}
	}
}

func objectsConditionalGetSdkIfNoneMatchNotModified(t T, e *Env) {
	b := e.NewBucket()
	etag := e.PutString(b, "k", condContent)
	_, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), IfNoneMatch: aws.String(etag),
	})
	if err == nil {
		t.Fatalf("GetObject with a matching IfNoneMatch succeeded, want HTTP 304")
	}
	eq(t, "HTTP status", HTTPStatus(err), http.StatusNotModified)
}

func objectsConditionalGetSdkIfMatchPreconditionFailed(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", condContent)
	_, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), IfMatch: aws.String(wrongETag),
	})
	wantCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
}

func objectsConditionalGetAfterOverwrite(t T, e *Env) {
	b := e.NewBucket()
	old := e.PutString(b, "k", "first version")
	cur := e.PutString(b, "k", "second version")
	if old == cur {
		t.Fatalf("two different bodies got the same ETag %s", old)
	}
	wantError(t, e.Request(http.MethodGet, b, "k").WithHeader("If-Match", old).Expect(),
		http.StatusPreconditionFailed, "PreconditionFailed")
	resp := e.Request(http.MethodGet, b, "k").WithHeader("If-None-Match", old).Expect()
	resp.Status(http.StatusOK)
	resp.Header("ETag").IsEqual(cur)
	resp.Body().IsEqual("second version")
}
