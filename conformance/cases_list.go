package conformance

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// listXML is a ListBucketResult (v1 or v2) as sent on the wire. Pointers
// tell an absent element from an empty one.
type listXML struct {
	Name                  string
	Prefix                *string
	Delimiter             *string
	Marker                *string
	NextMarker            *string
	StartAfter            *string
	ContinuationToken     *string
	NextContinuationToken *string
	KeyCount              *int
	MaxKeys               *int
	IsTruncated           *bool
	EncodingType          *string
	Contents              []listEntryXML `xml:"Contents"`
	CommonPrefixes        []struct {
		Prefix string
	} `xml:"CommonPrefixes"`
}

type listEntryXML struct {
	Key          string
	LastModified string
	ETag         string
	Size         *int64
	StorageClass string
	Owner        *struct {
		ID string `xml:"ID"`
	}
}

func (r listXML) keys() []string {
	out := make([]string, len(r.Contents))
	for i, c := range r.Contents {
		out[i] = c.Key
	}
	return out
}

func (r listXML) prefixes() []string {
	out := make([]string, len(r.CommonPrefixes))
	for i, c := range r.CommonPrefixes {
		out[i] = c.Prefix
	}
	return out
}

// listRequest starts a raw ListObjects request: v2 adds list-type=2; kv are
// further query parameters as name, value pairs.
func listRequest(e *Env, bucket string, v2 bool, kv ...string) *httpexpect.Request {
	r := e.Request(http.MethodGet, bucket, "")
	if v2 {
		r = r.WithQuery("list-type", "2")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r = r.WithQuery(kv[i], kv[i+1])
	}
	return r
}

// listRaw sends a raw listing and decodes its 200 answer.
func listRaw(t T, e *Env, bucket string, v2 bool, kv ...string) listXML {
	t.Helper()
	resp := listRequest(e, bucket, v2, kv...).Expect()
	resp.Status(http.StatusOK)
	var out listXML
	if err := xml.Unmarshal([]byte(resp.Body().Raw()), &out); err != nil {
		t.Fatalf("decode ListBucketResult: %v\n%s", err, resp.Body().Raw())
	}
	return out
}

// listWantError checks that a raw response is an S3 error with the status
// and code.
func listWantError(t T, resp *httpexpect.Response, status int, code string) {
	t.Helper()
	resp.Status(status)
	var er struct {
		Code string `xml:"Code"`
	}
	raw := resp.Body().Raw()
	if err := xml.Unmarshal([]byte(raw), &er); err != nil {
		t.Fatalf("decode error body: %v\n%s", err, raw)
	}
	eq(t, "error Code", er.Code, code)
}

// listEqStrings fails unless got and want hold the same strings in order.
func listEqStrings(t T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func listKeysOf(objs []types.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = aws.ToString(o.Key)
	}
	return out
}

func listPrefixesOf(cps []types.CommonPrefix) []string {
	out := make([]string, len(cps))
	for i, c := range cps {
		out[i] = aws.ToString(c.Prefix)
	}
	return out
}

// listPutKeys stores a small object under each key.
func listPutKeys(e *Env, bucket string, keys ...string) {
	e.T.Helper()
	e.PutMany(bucket, len(keys), func(i int) string { return keys[i] },
		func(i int) []byte { return []byte("x") })
}

// listV2 runs ListObjectsV2 through the SDK and fails the case on error.
func listV2(t T, e *Env, in *s3.ListObjectsV2Input) *s3.ListObjectsV2Output {
	t.Helper()
	out, err := e.SDK.ListObjectsV2(t.Context(), in)
	mustf(t, err, "ListObjectsV2 %s", aws.ToString(in.Bucket))
	return out
}

// listV1 runs ListObjects (v1) through the SDK and fails the case on error.
func listV1(t T, e *Env, in *s3.ListObjectsInput) *s3.ListObjectsOutput {
	t.Helper()
	out, err := e.SDK.ListObjects(t.Context(), in)
	mustf(t, err, "ListObjects %s", aws.ToString(in.Bucket))
	return out
}

// listAlterMiddle changes one character in the middle of s, keeping it a
// different string of the same length.
func listAlterMiddle(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// listDelimiterTree are the keys of the nested-directory cases.
var listDelimiterTree = []string{"a/b/c", "a/d", "e", "f/g"}

func init() {
	v2ops := ops("ListObjectsV2")
	v1ops := ops("ListObjects")
	register(
		Case{
			ID: "list/v2/empty-bucket", Feature: List, Ops: v2ops,
			Desc: "listing an empty bucket returns KeyCount 0, IsTruncated false, no Contents and no CommonPrefixes",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				r := listRaw(t, e, b, true)
				eq(t, "Name", r.Name, b)
				if r.KeyCount == nil {
					t.Fatalf("KeyCount element missing")
				}
				eq(t, "KeyCount", *r.KeyCount, 0)
				if r.IsTruncated == nil {
					t.Fatalf("IsTruncated element missing")
				}
				eq(t, "IsTruncated", *r.IsTruncated, false)
				eq(t, "number of Contents", len(r.Contents), 0)
				eq(t, "number of CommonPrefixes", len(r.CommonPrefixes), 0)
				if r.NextContinuationToken != nil {
					t.Fatalf("NextContinuationToken = %q on an empty listing", *r.NextContinuationToken)
				}
			},
		},
		Case{
			ID: "list/v2/order/utf8-binary", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "keys are listed in UTF-8 binary order (digits < uppercase < '_' < lowercase < multi-byte, BMP before astral)",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				// U+FF61 sorts before U+1F600 in UTF-8 but after it in UTF-16.
				keys := []string{"b", "B", "a", "A", "_x", "-x", "0", "9", "z", "Z", "é", "日本", "\uff61", "\U0001F600", "a-", "a_", "aa", "a0", "aA"}
				listPutKeys(e, b, keys...)
				want := slices.Clone(keys)
				sort.Strings(want) // Go compares strings bytewise: UTF-8 binary order
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				listEqStrings(t, "keys", listKeysOf(out.Contents), want)
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(len(keys)))
				eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
			},
		},
		Case{
			ID: "list/v2/contents/fields", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "each Contents entry carries Key, LastModified, the quoted ETag of the PUT, Size and StorageClass",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				before := time.Now()
				etag := e.PutString(b, "obj", "hello world")
				r := listRaw(t, e, b, true)
				eq(t, "number of Contents", len(r.Contents), 1)
				c := r.Contents[0]
				eq(t, "Key", c.Key, "obj")
				eq(t, "ETag", c.ETag, `"5eb63bbbe01eeed093cb22bb8f5acdc3"`)
				eq(t, "ETag (same as PutObject's)", c.ETag, etag)
				if c.Size == nil {
					t.Fatalf("Size element missing")
				}
				eq(t, "Size", *c.Size, int64(11))
				eq(t, "StorageClass", c.StorageClass, "STANDARD")
				lm, err := time.Parse(time.RFC3339, c.LastModified)
				mustf(t, err, "LastModified %q is not an ISO 8601 timestamp", c.LastModified)
				if d := lm.Sub(before); d < -time.Hour || d > time.Hour {
					t.Fatalf("LastModified %s is %v away from the time of the PUT", c.LastModified, d)
				}
			},
		},
		Case{
			ID: "list/v2/prefix/filter", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "prefix returns exactly the keys that start with it, and Prefix is echoed",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "foo", "foo/bar", "foobar", "fo", "bar/foo", "Foo")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("foo")})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"foo", "foo/bar", "foobar"})
				eq(t, "Prefix", aws.ToString(out.Prefix), "foo")
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(3))
			},
		},
		Case{
			ID: "list/v2/prefix/no-match", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a prefix no key starts with returns an empty, untruncated listing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "alpha", "beta")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("gamma")})
				eq(t, "number of Contents", len(out.Contents), 0)
				eq(t, "number of CommonPrefixes", len(out.CommonPrefixes), 0)
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(0))
				eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
			},
		},
		Case{
			ID: "list/v2/delimiter/common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "delimiter / rolls nested keys up: a/b/c, a/d, e, f/g list as CommonPrefixes a/, f/ and Contents e",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, listDelimiterTree...)
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("/")})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"e"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"a/", "f/"})
				eq(t, "Delimiter", aws.ToString(out.Delimiter), "/")
				eq(t, "KeyCount (keys + common prefixes)", aws.ToInt32(out.KeyCount), int32(3))
				eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
			},
		},
		Case{
			ID: "list/v2/delimiter/with-prefix", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "prefix a/ with delimiter / lists one level below a/: Contents a/d, CommonPrefixes a/b/",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, listDelimiterTree...)
				out := listV2(t, e, &s3.ListObjectsV2Input{
					Bucket: aws.String(b), Prefix: aws.String("a/"), Delimiter: aws.String("/"),
				})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"a/d"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"a/b/"})
				eq(t, "Prefix", aws.ToString(out.Prefix), "a/")
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(2))
			},
		},
		Case{
			ID: "list/v2/delimiter/other-character", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "any character can be the delimiter: with '-', keys roll up at their first '-' and '/' is an ordinary character",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "x-1", "x-2-3", "y/z-4", "y/z", "w")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("-")})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"w", "y/z"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"x-", "y/z-"})
				eq(t, "Delimiter", aws.ToString(out.Delimiter), "-")
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(4))
			},
		},
		Case{
			ID: "list/v2/delimiter/multi-character", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a multi-character delimiter rolls keys up at the whole string, not at its single characters",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a::b", "a::c::d", "a:b", "c", "c::")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("::")})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"a:b", "c"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"a::", "c::"})
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(4))
			},
		},
		Case{
			ID: "list/v2/key-count/includes-common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "max-keys bounds keys plus common prefixes together, and KeyCount counts both",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				// In order: a/ (prefix), b, c/ (prefix), d, e/ (prefix).
				listPutKeys(e, b, "a/1", "a/2", "b", "c/1", "d", "e/1")
				out := listV2(t, e, &s3.ListObjectsV2Input{
					Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3),
				})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"b"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"a/", "c/"})
				eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(3))
				eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), true)
				if aws.ToString(out.NextContinuationToken) == "" {
					t.Fatalf("truncated listing has no NextContinuationToken")
				}
				out = listV2(t, e, &s3.ListObjectsV2Input{
					Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3),
					ContinuationToken: out.NextContinuationToken,
				})
				listEqStrings(t, "page 2 keys", listKeysOf(out.Contents), []string{"d"})
				listEqStrings(t, "page 2 common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"e/"})
				eq(t, "page 2 KeyCount", aws.ToInt32(out.KeyCount), int32(2))
				eq(t, "page 2 IsTruncated", aws.ToBool(out.IsTruncated), false)
			},
		},
		Case{
			ID: "list/v2/max-keys/default-1000", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "without max-keys the response reports MaxKeys 1000",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "k")
				r := listRaw(t, e, b, true)
				if r.MaxKeys == nil {
					t.Fatalf("MaxKeys element missing")
				}
				eq(t, "MaxKeys", *r.MaxKeys, 1000)
			},
		},
		Case{
			ID: "list/v2/max-keys/zero", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "max-keys=0 returns no keys and KeyCount 0 even when the bucket has objects",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b", "c/d")
				r := listRaw(t, e, b, true, "max-keys", "0")
				eq(t, "number of Contents", len(r.Contents), 0)
				eq(t, "number of CommonPrefixes", len(r.CommonPrefixes), 0)
				if r.KeyCount == nil {
					t.Fatalf("KeyCount element missing")
				}
				eq(t, "KeyCount", *r.KeyCount, 0)
			},
		},
	)

	for _, bad := range []struct{ name, value string }{
		{"negative", "-1"}, {"non-numeric", "blah"}, {"fractional", "1.5"},
	} {
		register(Case{
			ID: "list/v2/max-keys/" + bad.name, Feature: List, Ops: v2ops,
			Desc: fmt.Sprintf("max-keys=%s is refused with 400 InvalidArgument", bad.value),
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listWantError(t, listRequest(e, b, true, "max-keys", bad.value).Expect(),
					http.StatusBadRequest, "InvalidArgument")
			},
		})
	}

	register(
		Case{
			ID: "list/v1/max-keys/non-numeric", Feature: List, Ops: v1ops,
			Desc: "ListObjects v1 refuses max-keys=blah with 400 InvalidArgument",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listWantError(t, listRequest(e, b, false, "max-keys", "blah").Expect(),
					http.StatusBadRequest, "InvalidArgument")
			},
		},
		Case{
			ID: "list/v2/start-after/strictly-after", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "start-after lists only keys strictly after it (an existing key or not) and is echoed as StartAfter",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b", "c", "d")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), StartAfter: aws.String("b")})
				listEqStrings(t, "keys after existing key b", listKeysOf(out.Contents), []string{"c", "d"})
				eq(t, "StartAfter", aws.ToString(out.StartAfter), "b")
				out = listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), StartAfter: aws.String("bb")})
				listEqStrings(t, "keys after absent key bb", listKeysOf(out.Contents), []string{"c", "d"})
				out = listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), StartAfter: aws.String("0")})
				listEqStrings(t, "keys after 0 (before all)", listKeysOf(out.Contents), []string{"a", "b", "c", "d"})
			},
		},
		Case{
			ID: "list/v2/start-after/beyond-last", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "start-after at or beyond the last key returns an empty, untruncated listing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b")
				for _, sa := range []string{"b", "zzz"} {
					out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), StartAfter: aws.String(sa)})
					eq(t, "number of Contents after "+sa, len(out.Contents), 0)
					eq(t, "KeyCount after "+sa, aws.ToInt32(out.KeyCount), int32(0))
					eq(t, "IsTruncated after "+sa, aws.ToBool(out.IsTruncated), false)
				}
			},
		},
		Case{
			ID: "list/v2/start-after/with-prefix", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "start-after combines with prefix: only prefixed keys after start-after are listed",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "p/1", "p/2", "p/3", "q/1", "o/9")
				out := listV2(t, e, &s3.ListObjectsV2Input{
					Bucket: aws.String(b), Prefix: aws.String("p/"), StartAfter: aws.String("p/1"),
				})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"p/2", "p/3"})
				// A start-after before the prefix's range does not pull in other keys.
				out = listV2(t, e, &s3.ListObjectsV2Input{
					Bucket: aws.String(b), Prefix: aws.String("p/"), StartAfter: aws.String("a"),
				})
				listEqStrings(t, "keys with start-after before the prefix", listKeysOf(out.Contents), []string{"p/1", "p/2", "p/3"})
			},
		},
		Case{
			ID: "list/v2/continuation/every-key-once", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "following NextContinuationToken returns every key exactly once, in order, and the token is echoed as ContinuationToken",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				keys := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
				listPutKeys(e, b, keys...)
				var got []string
				var token *string
				for page := 1; ; page++ {
					if page > 10 {
						t.Fatalf("more than 10 pages of 3 for 11 keys")
					}
					out := listV2(t, e, &s3.ListObjectsV2Input{
						Bucket: aws.String(b), MaxKeys: aws.Int32(3), ContinuationToken: token,
					})
					if token != nil {
						eq(t, fmt.Sprintf("page %d ContinuationToken", page), aws.ToString(out.ContinuationToken), *token)
					}
					got = append(got, listKeysOf(out.Contents)...)
					if !aws.ToBool(out.IsTruncated) {
						eq(t, "number of pages", page, 4)
						break
					}
					if aws.ToString(out.NextContinuationToken) == "" {
						t.Fatalf("page %d is truncated but has no NextContinuationToken", page)
					}
					token = out.NextContinuationToken
				}
				listEqStrings(t, "keys across pages", got, keys)
			},
		},
		Case{
			ID: "list/v2/continuation/garbage-token", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a continuation-token the server never issued is refused with 400 InvalidArgument",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b")
				_, err := e.SDK.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{
					Bucket: aws.String(b), ContinuationToken: aws.String("this-is-not-a-token"),
				})
				wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
			},
		},
		Case{
			ID: "list/v2/continuation/altered-token", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a real continuation token with one character changed is refused with 400 InvalidArgument",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b", "c", "d")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(1)})
				tok := aws.ToString(out.NextContinuationToken)
				if tok == "" {
					t.Fatalf("truncated listing has no NextContinuationToken")
				}
				bad := listAlterMiddle(tok)
				if bad == tok {
					t.Fatalf("altering the token left it unchanged")
				}
				resp := listRequest(e, b, true, "max-keys", "1", "continuation-token", bad).Expect()
				listWantError(t, resp, http.StatusBadRequest, "InvalidArgument")
			},
		},
		Case{
			ID: "list/v2/truncation/exactly-max-keys-remain", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "10 keys listed with max-keys=10 return all of them with IsTruncated false and no NextContinuationToken",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.PutMany(b, 10, func(i int) string { return fmt.Sprintf("k%02d", i) }, func(int) []byte { return []byte("x") })
				r := listRaw(t, e, b, true, "max-keys", "10")
				eq(t, "number of Contents", len(r.Contents), 10)
				if r.IsTruncated == nil {
					t.Fatalf("IsTruncated element missing")
				}
				eq(t, "IsTruncated", *r.IsTruncated, false)
				if r.NextContinuationToken != nil {
					t.Fatalf("NextContinuationToken = %q on an untruncated listing", *r.NextContinuationToken)
				}
			},
		},
		Case{
			ID: "list/v2/truncation/last-page", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "10 keys at max-keys=5: the first page is truncated with a token, the second holds the rest and is not",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				e.PutMany(b, 10, func(i int) string { return fmt.Sprintf("k%02d", i) }, func(int) []byte { return []byte("x") })
				p1 := listRaw(t, e, b, true, "max-keys", "5")
				listEqStrings(t, "page 1 keys", p1.keys(), []string{"k00", "k01", "k02", "k03", "k04"})
				if p1.IsTruncated == nil || !*p1.IsTruncated {
					t.Fatalf("page 1 IsTruncated = %v, want true", p1.IsTruncated)
				}
				if p1.NextContinuationToken == nil || *p1.NextContinuationToken == "" {
					t.Fatalf("page 1 has no NextContinuationToken")
				}
				eq(t, "page 1 KeyCount", aws.ToInt(p1.KeyCount), 5)
				eq(t, "page 1 MaxKeys", aws.ToInt(p1.MaxKeys), 5)
				p2 := listRaw(t, e, b, true, "max-keys", "5", "continuation-token", *p1.NextContinuationToken)
				listEqStrings(t, "page 2 keys", p2.keys(), []string{"k05", "k06", "k07", "k08", "k09"})
				if p2.IsTruncated == nil || *p2.IsTruncated {
					t.Fatalf("page 2 IsTruncated = %v, want false", p2.IsTruncated)
				}
				if p2.NextContinuationToken != nil {
					t.Fatalf("page 2 NextContinuationToken = %q, want none", *p2.NextContinuationToken)
				}
			},
		},
		Case{
			ID: "list/v2/encoding-url/keys", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "encoding-type=url percent-encodes keys ('+' as %2B, '%' as %25, UTF-8 bytes as %XX) but keeps '/', and sends EncodingType url",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a+b.txt", "100%.csv", "한글/x.txt", "dir/sub/file")
				r := listRaw(t, e, b, true, "encoding-type", "url")
				if r.EncodingType == nil {
					t.Fatalf("EncodingType element missing")
				}
				eq(t, "EncodingType", *r.EncodingType, "url")
				// Listed in the order of the raw keys: 100%..., a+b..., dir/..., 한글/...
				listEqStrings(t, "encoded keys", r.keys(),
					[]string{"100%25.csv", "a%2Bb.txt", "dir/sub/file", "%ED%95%9C%EA%B8%80/x.txt"})
			},
		},
		Case{
			ID: "list/v2/encoding-url/space-as-plus", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "encoding-type=url writes a space in a key as '+' (a literal '+' being %2B), in keys and CommonPrefixes",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a b.txt", "run books/x.txt")
				r := listRaw(t, e, b, true, "encoding-type", "url")
				listEqStrings(t, "encoded keys", r.keys(), []string{"a+b.txt", "run+books/x.txt"})
				r = listRaw(t, e, b, true, "encoding-type", "url", "delimiter", "/")
				listEqStrings(t, "encoded keys with delimiter", r.keys(), []string{"a+b.txt"})
				listEqStrings(t, "encoded common prefixes", r.prefixes(), []string{"run+books/"})
			},
		},
		Case{
			ID: "list/v2/encoding-url/prefix-and-common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "encoding-type=url also encodes the echoed Prefix and each CommonPrefixes Prefix",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "한글+/x", "한글+/y", "한글+z", "other")
				r := listRaw(t, e, b, true, "encoding-type", "url", "prefix", "한글+", "delimiter", "/")
				eq(t, "Prefix", aws.ToString(r.Prefix), "%ED%95%9C%EA%B8%80%2B")
				eq(t, "Delimiter", aws.ToString(r.Delimiter), "/")
				listEqStrings(t, "encoded keys", r.keys(), []string{"%ED%95%9C%EA%B8%80%2Bz"})
				listEqStrings(t, "encoded common prefixes", r.prefixes(), []string{"%ED%95%9C%EA%B8%80%2B/"})
			},
		},
		Case{
			ID: "list/v2/encoding-url/absent-means-raw", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "without encoding-type, keys come back verbatim and no EncodingType is sent",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a+b", "c%d", "é f")
				r := listRaw(t, e, b, true)
				if r.EncodingType != nil {
					t.Fatalf("EncodingType = %q without encoding-type in the request", *r.EncodingType)
				}
				listEqStrings(t, "keys", r.keys(), []string{"a+b", "c%d", "é f"})
			},
		},
		Case{
			ID: "list/v2/encoding-url/invalid", Feature: List, Ops: v2ops,
			Desc: "an encoding-type other than url (base64) is refused with 400 InvalidArgument",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listWantError(t, listRequest(e, b, true, "encoding-type", "base64").Expect(),
					http.StatusBadRequest, "InvalidArgument")
			},
		},
		Case{
			ID: "list/v2/fetch-owner/true", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "fetch-owner=true includes an Owner with an ID in every Contents entry",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b")
				out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
				eq(t, "number of Contents", len(out.Contents), 2)
				for _, o := range out.Contents {
					if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
						t.Fatalf("Contents %q has no Owner ID with fetch-owner=true", aws.ToString(o.Key))
					}
				}
			},
		},
		Case{
			ID: "list/v2/fetch-owner/absent", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "ListObjectsV2 without fetch-owner omits Owner from Contents",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b")
				r := listRaw(t, e, b, true)
				eq(t, "number of Contents", len(r.Contents), 2)
				for _, c := range r.Contents {
					if c.Owner != nil {
						t.Fatalf("Contents %q has an Owner without fetch-owner", c.Key)
					}
				}
			},
		},
		Case{
			ID: "list/v2/no-such-bucket", Feature: List, Ops: v2ops,
			Desc: "listing a bucket that does not exist fails with 404 NoSuchBucket",
			Run: func(t T, e *Env) {
				_, err := e.SDK.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(e.BucketName())})
				wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
			},
		},
		Case{
			ID: "list/v1/marker/after-and-echoed", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 lists keys strictly after marker and echoes Marker (empty when none was given)",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "bar", "baz", "foo", "quxx")
				r := listRaw(t, e, b, false)
				if r.Marker == nil {
					t.Fatalf("Marker element missing from a v1 listing without marker")
				}
				eq(t, "Marker", *r.Marker, "")
				eq(t, "MaxKeys", aws.ToInt(r.MaxKeys), 1000)
				listEqStrings(t, "keys", r.keys(), []string{"bar", "baz", "foo", "quxx"})
				out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Marker: aws.String("baz")})
				eq(t, "Marker", aws.ToString(out.Marker), "baz")
				listEqStrings(t, "keys after baz", listKeysOf(out.Contents), []string{"foo", "quxx"})
				out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Marker: aws.String("zzz")})
				eq(t, "number of Contents after zzz", len(out.Contents), 0)
				eq(t, "IsTruncated after zzz", aws.ToBool(out.IsTruncated), false)
			},
		},
		Case{
			ID: "list/v1/next-marker/with-delimiter", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "a truncated v1 listing with a delimiter sends NextMarker: the last key or common prefix returned",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla")
				out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
				listEqStrings(t, "page 1 keys", listKeysOf(out.Contents), []string{"asdf"})
				eq(t, "page 1 IsTruncated", aws.ToBool(out.IsTruncated), true)
				eq(t, "page 1 NextMarker", aws.ToString(out.NextMarker), "asdf")
				out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: out.NextMarker})
				listEqStrings(t, "page 2 common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"boo/"})
				eq(t, "page 2 IsTruncated", aws.ToBool(out.IsTruncated), true)
				eq(t, "page 2 NextMarker", aws.ToString(out.NextMarker), "boo/")
				out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: out.NextMarker})
				listEqStrings(t, "page 3 common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"cquux/"})
				eq(t, "page 3 number of Contents", len(out.Contents), 0)
				eq(t, "page 3 IsTruncated", aws.ToBool(out.IsTruncated), false)
				if out.NextMarker != nil {
					t.Fatalf("page 3 NextMarker = %q on the last page", *out.NextMarker)
				}
			},
		},
		Case{
			ID: "list/v1/next-marker/absent-without-delimiter", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "a truncated v1 listing without a delimiter sends IsTruncated true but no NextMarker",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a", "b", "c")
				r := listRaw(t, e, b, false, "max-keys", "2")
				listEqStrings(t, "keys", r.keys(), []string{"a", "b"})
				if r.IsTruncated == nil || !*r.IsTruncated {
					t.Fatalf("IsTruncated = %v, want true", r.IsTruncated)
				}
				if r.NextMarker != nil {
					t.Fatalf("NextMarker = %q without a delimiter", *r.NextMarker)
				}
			},
		},
		Case{
			ID: "list/v1/paging/marker", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "paging 25 keys at max-keys 10 with marker (NextMarker, or the last key when absent) reaches every key once in 3 pages",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				keys := make([]string, 25)
				for i := range keys {
					keys[i] = fmt.Sprintf("key-%02d", i)
				}
				listPutKeys(e, b, keys...)
				var got []string
				marker := ""
				for page := 1; ; page++ {
					if page > 5 {
						t.Fatalf("more than 5 pages of 10 for 25 keys")
					}
					out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(10), Marker: aws.String(marker)})
					eq(t, fmt.Sprintf("page %d Marker", page), aws.ToString(out.Marker), marker)
					pageKeys := listKeysOf(out.Contents)
					got = append(got, pageKeys...)
					if !aws.ToBool(out.IsTruncated) {
						eq(t, "number of pages", page, 3)
						break
					}
					if len(pageKeys) == 0 {
						t.Fatalf("page %d is truncated but empty", page)
					}
					marker = aws.ToString(out.NextMarker)
					if marker == "" {
						marker = pageKeys[len(pageKeys)-1]
					}
				}
				listEqStrings(t, "keys across pages", got, keys)
			},
		},
		Case{
			ID: "list/v1/delimiter/common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 with delimiter / and prefix lists Contents and CommonPrefixes one level down and echoes both",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, listDelimiterTree...)
				out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
				listEqStrings(t, "keys", listKeysOf(out.Contents), []string{"e"})
				listEqStrings(t, "common prefixes", listPrefixesOf(out.CommonPrefixes), []string{"a/", "f/"})
				eq(t, "Delimiter", aws.ToString(out.Delimiter), "/")
				out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), Prefix: aws.String("a/")})
				listEqStrings(t, "keys under a/", listKeysOf(out.Contents), []string{"a/d"})
				listEqStrings(t, "common prefixes under a/", listPrefixesOf(out.CommonPrefixes), []string{"a/b/"})
				eq(t, "Prefix", aws.ToString(out.Prefix), "a/")
			},
		},
		Case{
			ID: "list/v1/encoding-url/marker-and-keys", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 with encoding-type=url encodes keys, Marker and NextMarker",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				listPutKeys(e, b, "a+1/x", "a+2/x", "é")
				r := listRaw(t, e, b, false, "encoding-type", "url", "delimiter", "/", "max-keys", "1", "marker", "a+1/")
				eq(t, "EncodingType", aws.ToString(r.EncodingType), "url")
				eq(t, "Marker", aws.ToString(r.Marker), "a%2B1/")
				listEqStrings(t, "encoded common prefixes", r.prefixes(), []string{"a%2B2/"})
				eq(t, "NextMarker", aws.ToString(r.NextMarker), "a%2B2/")
				r = listRaw(t, e, b, false, "encoding-type", "url", "marker", "a+2/x")
				listEqStrings(t, "encoded keys", r.keys(), []string{"%C3%A9"})
			},
		},
	)
}
