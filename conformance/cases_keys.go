package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Cases for object key names: keys with characters that need escaping or
// look like paths must round-trip unchanged through PutObject, GetObject,
// HeadObject, DeleteObject and ListObjectsV2, both through the SDK and
// through raw requests escaped as the SDKs escape them; and the 1024-byte
// limit is on UTF-8 bytes.

// keysSpecial are keys that must be stored and listed exactly as written.
var keysSpecial = []struct{ name, key string }{
	{"double-slash", "a//b"},
	{"dot-dot-segment", "../x"},
	{"dot-segment", "./y"},
	{"trailing-slash", "trailing/"},
	{"leading-slash", "/leading"},
	{"space", "with space"},
	{"plus", "plus+sign"},
	{"percent-20-literal", "percent%20literal"},
	{"percent-at-end", "100%"},
	{"question-mark", "question?mark"},
	{"hash", "hash#tag"},
	{"ampersand-equals", "amp&and=eq"},
	{"semicolon", "semi;colon"},
	{"unicode", "unicode-日本語-ключ-🙂"},
	{"tab", "tab\tkey"},
	{"double-quote", "quote\"s"},
	{"apostrophe", "apostrophe's"},
	{"backslash", "back\\slash"},
	{"tilde", "tilde~"},
	{"colon", "colon:key"},
	{"comma", "comma,key"},
	{"at-sign", "at@sign"},
	{"dollar", "dollar$"},
	{"exclamation", "exclaim!"},
	{"asterisk", "star*"},
	{"parentheses", "parens()"},
	{"brackets", "brackets[]"},
	{"braces", "braces{}"},
	{"caret", "caret^"},
	{"pipe", "pipe|"},
	{"angle-brackets", "lt<gt>"},
}

// keysRawList lists a bucket with a raw ListObjectsV2 request (no
// encoding-type) and returns the keys in the order given.
func keysRawList(t T, e *Env, bucket, prefix string) []string {
	t.Helper()
	var query []string
	if prefix != "" {
		query = []string{"prefix", prefix}
	}
	r := listRaw(t, e, bucket, true, query...)
	eq(t, "ListObjectsV2 root element", r.XMLName.Local, "ListBucketResult")
	if enc := aws.ToString(r.EncodingType); enc != "" {
		t.Fatalf("ListObjectsV2 without encoding-type answered with EncodingType %q", enc)
	}
	if aws.ToBool(r.IsTruncated) {
		t.Fatalf("ListObjectsV2 is truncated; the case expects one page")
	}
	return r.keys()
}

// keysSDKList lists a bucket through the SDK's paginator.
func keysSDKList(t T, e *Env, bucket, prefix string) []string {
	t.Helper()
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(e.SDK, in)
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx())
		mustf(t, err, "ListObjectsV2 prefix %q", prefix)
		keys = append(keys, keysOf(page.Contents)...)
	}
	return keys
}

// keysRoundTrip checks that key survives every single-object operation
// through the SDK and raw requests, and lists exactly as written.
func keysRoundTrip(t T, e *Env, key string) {
	t.Helper()
	b := e.NewBucket()

	// SDK write, SDK reads.
	sdkBody := []byte("written by the SDK as " + key)
	eq(t, "SDK PutObject ETag", e.Put(b, key, sdkBody), md5ETag(sdkBody))
	if got := e.Get(b, key); !bytes.Equal(got, sdkBody) {
		t.Fatalf("SDK GetObject body = %q, want %q", got, sdkBody)
	}
	head := headObject(t, e, b, key)
	eq(t, "SDK HeadObject ContentLength", aws.ToInt64(head.ContentLength), int64(len(sdkBody)))
	eq(t, "SDK HeadObject ETag", aws.ToString(head.ETag), md5ETag(sdkBody))
	wantStrings(t, "SDK ListObjectsV2 with the key as prefix", keysSDKList(t, e, b, key), []string{key})

	// Raw reads of the SDK's object: both sides escape alike.
	get := e.Request(http.MethodGet, b, key).Expect()
	get.Status(http.StatusOK)
	get.Body().IsEqual(string(sdkBody))

	// Raw write over it, read back both ways.
	rawBody := []byte("written raw as " + key)
	put := e.Request(http.MethodPut, b, key).WithBytes(rawBody).Expect()
	put.Status(http.StatusOK)
	eq(t, "raw PUT ETag", header(put, "ETag"), md5ETag(rawBody))
	rhead := e.Request(http.MethodHead, b, key).Expect()
	rhead.Status(http.StatusOK)
	eq(t, "raw HEAD ETag", header(rhead, "ETag"), md5ETag(rawBody))
	if got := e.Get(b, key); !bytes.Equal(got, rawBody) {
		t.Fatalf("SDK GetObject after raw PUT = %q, want %q", got, rawBody)
	}
	wantStrings(t, "raw ListObjectsV2 with the key as prefix", keysRawList(t, e, b, key), []string{key})
	wantStrings(t, "raw ListObjectsV2 of the bucket", keysRawList(t, e, b, ""), []string{key})

	// Raw delete, then gone for the SDK too.
	e.Request(http.MethodDelete, b, key).Expect().Status(http.StatusNoContent)
	wantAbsent(t, e, b, key)
	// And an SDK delete of a re-created object.
	e.Put(b, key, sdkBody)
	_, err := e.SDK.DeleteObject(e.ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	mustf(t, err, "SDK DeleteObject")
	e.Request(http.MethodHead, b, key).Expect().Status(http.StatusNotFound)
}

// keysTooLong checks that key (over 1024 bytes) is refused with
// KeyTooLongError through the SDK and raw, and nothing is stored.
func keysTooLong(t T, e *Env, key string) {
	t.Helper()
	b := e.NewBucket()
	_, err := e.SDK.PutObject(e.ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")})
	wantCode(t, err, "KeyTooLongError", http.StatusBadRequest)
	resp := e.Request(http.MethodPut, b, key).WithBytes([]byte("x")).Expect()
	wantError(t, resp, http.StatusBadRequest, "KeyTooLongError")
	wantStrings(t, "ListObjectsV2 after refused PUTs", keysSDKList(t, e, b, ""), nil)
}

// keysMultibyte1024 is exactly 1024 bytes of 4-, 3- and 2-byte UTF-8
// characters (586 characters).
var keysMultibyte1024 = strings.Repeat("🙂", 100) + strings.Repeat("日", 100) + strings.Repeat("é", 162)

func init() {
	var cases []Case
	for _, k := range keysSpecial {
		cases = append(cases, Case{
			ID: "keys/special/" + k.name, Feature: Objects,
			Ops:  ops("PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2"),
			Desc: fmt.Sprintf("the key %q round-trips through SDK and raw requests and lists exactly as written", k.key),
			Run:  keysSpecialCase(k.key),
		})
	}
	cases = append(cases,
		Case{
			ID: "keys/length/1024-bytes-ascii", Feature: Objects,
			Ops:  ops("PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2"),
			Desc: "a key of exactly 1024 ASCII bytes is accepted and round-trips",
			Run:  keysLength1024BytesAscii,
		},
		Case{
			ID: "keys/length/1024-bytes-multibyte", Feature: Objects,
			Ops:  ops("PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2"),
			Desc: "a key of exactly 1024 UTF-8 bytes in multi-byte characters is accepted and round-trips",
			Run:  keysLength1024BytesMultibyte,
		},
		Case{
			ID: "keys/length/1025-bytes-ascii", Feature: Objects, Ops: ops("PutObject"),
			Desc: "a key of 1025 ASCII bytes fails 400 KeyTooLongError and stores nothing",
			Run:  keysLength1025BytesAscii,
		},
		Case{
			ID: "keys/length/1025-bytes-multibyte", Feature: Objects, Ops: ops("PutObject"),
			Desc: "a key of 1025 UTF-8 bytes but only 342 characters fails 400 KeyTooLongError: the limit is on bytes",
			Run:  keysLength1025BytesMultibyte,
		},
		Case{
			ID: "keys/case-sensitive", Feature: Objects, Ops: ops("PutObject", "GetObject", "ListObjectsV2"),
			Desc: "keys differing only in letter case are distinct objects",
			Run:  keysCaseSensitive,
		},
		Case{
			ID: "keys/list/all-special", Feature: Objects, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a bucket holding every special key lists exactly those keys, as written, in UTF-8 byte order",
			Run:  keysListAllSpecial,
		},
	)
	register(cases...)
}

// keysSpecialCase makes the keys/special/* case of one key (keysSpecial
// is the table of them).
func keysSpecialCase(key string) func(t T, e *Env) {
	return func(t T, e *Env) { keysRoundTrip(t, e, key) }
}

func keysLength1024BytesAscii(t T, e *Env) {
	key := "long/" + strings.Repeat("k", 1024-len("long/"))
	eq(t, "key length", len(key), 1024)
	keysRoundTrip(t, e, key)
}

func keysLength1024BytesMultibyte(t T, e *Env) {
	eq(t, "key length in bytes", len(keysMultibyte1024), 1024)
	keysRoundTrip(t, e, keysMultibyte1024)
}

func keysLength1025BytesAscii(t T, e *Env) {
	keysTooLong(t, e, strings.Repeat("k", 1025))
}

func keysLength1025BytesMultibyte(t T, e *Env) {
	key := strings.Repeat("日", 341) + "é"
	eq(t, "key length in bytes", len(key), 1025)
	eq(t, "key length in characters", utf8.RuneCountInString(key), 342)
	keysTooLong(t, e, key)
}

func keysCaseSensitive(t T, e *Env) {
	b := e.NewBucket()
	for _, k := range []string{"Key", "key", "KEY"} {
		e.PutString(b, k, "body of "+k)
	}
	for _, k := range []string{"Key", "key", "KEY"} {
		eq(t, "body of "+k, string(e.Get(b, k)), "body of "+k)
	}
	wantStrings(t, "ListObjectsV2", keysSDKList(t, e, b, ""), []string{"KEY", "Key", "key"})
}

func keysListAllSpecial(t T, e *Env) {
	b := e.NewBucket()
	want := make([]string, 0, len(keysSpecial)+2)
	for _, k := range keysSpecial {
		want = append(want, k.key)
	}
	want = append(want, keysMultibyte1024, "long/"+strings.Repeat("k", 1019))
	e.PutMany(b, len(want), func(i int) string { return want[i] }, func(i int) []byte { return []byte{byte(i)} })
	sort.Strings(want) // Go orders strings by their bytes, as S3 does
	wantStrings(t, "SDK ListObjectsV2", keysSDKList(t, e, b, ""), want)
	wantStrings(t, "raw ListObjectsV2", keysRawList(t, e, b, ""), want)
}
