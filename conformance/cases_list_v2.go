package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListObjectsV2: order, prefixes, delimiters, start-after, the fields of a
// listing, max-keys, truncation and continuation tokens, fetch-owner.
// Paging is also in cases_list_pagination.go; encoding-type=url is in
// cases_list_encoding.go.

func init() {
	v2ops := ops("ListObjectsV2")
	v1ops := ops("ListObjects")
	register(
		Case{
			ID: "list/v2/contents/fields", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "each Contents entry carries Key, LastModified, the quoted ETag of the PUT, Size and StorageClass",
			Run:  listV2ContentsFields,
		},
		// KeyCount counts keys and common prefixes alike: ceph/s3-tests
		// (test_bucket_listv2_delimiter_basic, not marked fails_on_aws)
		// asserts KeyCount == len(prefixes) + len(keys); the reference
		// says each rolled-up prefix counts as one return against max-keys.
		Case{
			ID: "list/v2/key-count/includes-common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "max-keys bounds keys plus common prefixes together, and KeyCount counts both",
			Run:  listV2KeyCountIncludesCommonPrefixes,
		},
	)

	// Listings through the SDK of keys stored first.
	register(
		listCase("list/v2/order/utf8-binary",
			"keys are listed in UTF-8 binary order (digits < uppercase < '_' < lowercase < multi-byte, BMP before astral)",
			listUTF8Keys, listStep{keys: listSorted(listUTF8Keys),
				keyCount: aws.Int32(int32(len(listUTF8Keys))), truncated: aws.Bool(false)}),
		listCase("list/v2/prefix/filter", "prefix returns exactly the keys that start with it, and Prefix is echoed",
			[]string{"foo", "foo/bar", "foobar", "fo", "bar/foo", "Foo"},
			listStep{in: s3.ListObjectsV2Input{Prefix: aws.String("foo")},
				keys: []string{"foo", "foo/bar", "foobar"}, prefix: aws.String("foo"), keyCount: aws.Int32(3)}),
		listCase("list/v2/prefix/no-match", "a prefix no key starts with returns an empty, untruncated listing",
			[]string{"alpha", "beta"},
			listStep{in: s3.ListObjectsV2Input{Prefix: aws.String("gamma")},
				keys: []string{}, prefixes: []string{}, keyCount: aws.Int32(0), truncated: aws.Bool(false)}),
		listCase("list/v2/delimiter/common-prefixes",
			"delimiter / rolls nested keys up: a/b/c, a/d, e, f/g list as CommonPrefixes a/, f/ and Contents e",
			listDelimiterTree,
			listStep{in: s3.ListObjectsV2Input{Delimiter: aws.String("/")}, keys: []string{"e"}, prefixes: []string{"a/", "f/"},
				delimiter: aws.String("/"), keyCount: aws.Int32(3), truncated: aws.Bool(false)}),
		listCase("list/v2/delimiter/with-prefix",
			"prefix a/ with delimiter / lists one level below a/: Contents a/d, CommonPrefixes a/b/",
			listDelimiterTree,
			listStep{in: s3.ListObjectsV2Input{Prefix: aws.String("a/"), Delimiter: aws.String("/")},
				keys: []string{"a/d"}, prefixes: []string{"a/b/"}, prefix: aws.String("a/"), keyCount: aws.Int32(2)}),
		listCase("list/v2/delimiter/other-character",
			"any character can be the delimiter: with '-', keys roll up at their first '-' and '/' is an ordinary character",
			[]string{"x-1", "x-2-3", "y/z-4", "y/z", "w"},
			listStep{in: s3.ListObjectsV2Input{Delimiter: aws.String("-")}, keys: []string{"w", "y/z"},
				prefixes: []string{"x-", "y/z-"}, delimiter: aws.String("-"), keyCount: aws.Int32(4)}),
		// The ListObjects reference: CommonPrefixes holds keys "between Prefix
		// and the next occurrence of the string specified by the delimiter".
		listCase("list/v2/delimiter/multi-character",
			"a multi-character delimiter rolls keys up at the whole string, not at its single characters",
			[]string{"a::b", "a::c::d", "a:b", "c", "c::"},
			listStep{in: s3.ListObjectsV2Input{Delimiter: aws.String("::")},
				keys: []string{"a:b", "c"}, prefixes: []string{"a::", "c::"}, keyCount: aws.Int32(4)}),
		listCase("list/v2/start-after/strictly-after",
			"start-after lists only keys strictly after it (an existing key or not) and is echoed as StartAfter",
			[]string{"a", "b", "c", "d"},
			listStep{in: s3.ListObjectsV2Input{StartAfter: aws.String("b")},
				label: "after existing key b: ", keys: []string{"c", "d"}, startAfter: aws.String("b")},
			listStep{in: s3.ListObjectsV2Input{StartAfter: aws.String("bb")},
				label: "after absent key bb: ", keys: []string{"c", "d"}},
			listStep{in: s3.ListObjectsV2Input{StartAfter: aws.String("0")},
				label: "after 0 (before all): ", keys: []string{"a", "b", "c", "d"}}),
		listCase("list/v2/start-after/beyond-last",
			"start-after at or beyond the last key returns an empty, untruncated listing",
			[]string{"a", "b"},
			listStep{in: s3.ListObjectsV2Input{StartAfter: aws.String("b")},
				label: "after b: ", keys: []string{}, keyCount: aws.Int32(0), truncated: aws.Bool(false)},
			listStep{in: s3.ListObjectsV2Input{StartAfter: aws.String("zzz")},
				label: "after zzz: ", keys: []string{}, keyCount: aws.Int32(0), truncated: aws.Bool(false)}),
		listCase("list/v2/start-after/with-prefix",
			"start-after combines with prefix: only prefixed keys after start-after are listed",
			[]string{"p/1", "p/2", "p/3", "q/1", "o/9"},
			listStep{in: s3.ListObjectsV2Input{Prefix: aws.String("p/"), StartAfter: aws.String("p/1")},
				keys: []string{"p/2", "p/3"}},
			// A start-after before the prefix's range does not pull in other keys.
			listStep{in: s3.ListObjectsV2Input{Prefix: aws.String("p/"), StartAfter: aws.String("a")},
				label: "with start-after before the prefix: ", keys: []string{"p/1", "p/2", "p/3"}}),
	)

	// Raw listings, for what the SDK would hide: absent elements. MaxKeys
	// defaults to 1000 (test_bucket_listv2_maxkeys_none).
	register(
		listRawCase("list/v2/empty-bucket",
			"listing an empty bucket returns KeyCount 0, IsTruncated false, no Contents and no CommonPrefixes",
			true, nil, nil, listV2EmptyBucket),
		listRawCase("list/v2/max-keys/default-1000", "without max-keys the response reports MaxKeys 1000",
			true, []string{"k"}, nil, listV2MaxKeysDefault1000),
		listRawCase("list/v2/max-keys/zero", "max-keys=0 returns no keys and KeyCount 0 even when the bucket has objects",
			true, []string{"a", "b", "c/d"}, []string{"max-keys", "0"}, listV2MaxKeysZero),
		listRawCase("list/v2/truncation/exactly-max-keys-remain",
			"10 keys listed with max-keys=10 return all of them with IsTruncated false and no NextContinuationToken",
			true, numberedKeys("k%02d", 10), []string{"max-keys", "10"}, listV2TruncationExactlyMaxKeysRemain),
		listRawCase("list/v2/fetch-owner/absent", "ListObjectsV2 without fetch-owner omits Owner from Contents",
			true, []string{"a", "b"}, nil, listV2FetchOwnerAbsent),
	)

	// Query parameters a listing refuses with 400 InvalidArgument: S3's
	// messages for a max-keys that is no integer or is negative are quoted
	// in versitygw#1804 and floci-io/floci#3510 (ceph/s3-tests
	// test_bucket_list_maxkeys_invalid); for an encoding-type other than
	// url, "Invalid Encoding Method specified in Request" in
	// versitygw#1984, with S3's RequestId and HostId.
	for _, c := range []struct {
		id, desc string
		v2       bool
		query    []string
	}{
		{"list/v2/max-keys/negative", "max-keys=-1 is refused with 400 InvalidArgument", true, []string{"max-keys", "-1"}},
		{"list/v2/max-keys/non-numeric", "max-keys=blah is refused with 400 InvalidArgument", true, []string{"max-keys", "blah"}},
		{"list/v2/max-keys/fractional", "max-keys=1.5 is refused with 400 InvalidArgument", true, []string{"max-keys", "1.5"}},
		{"list/v1/max-keys/non-numeric", "ListObjects v1 refuses max-keys=blah with 400 InvalidArgument", false, []string{"max-keys", "blah"}},
		{"list/v2/encoding-url/invalid", "an encoding-type other than url (base64) is refused with 400 InvalidArgument", true, []string{"encoding-type", "base64"}},
	} {
		caseOps := v1ops
		if c.v2 {
			caseOps = v2ops
		}
		register(Case{
			ID: c.id, Feature: List, Ops: caseOps, Desc: c.desc,
			Run: listInvalidArgument(c.v2, c.query),
		})
	}

	register(
		Case{
			ID: "list/v2/continuation/every-key-once", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "following NextContinuationToken returns every key exactly once, in order, and the token is echoed as ContinuationToken",
			Run:  listV2ContinuationEveryKeyOnce,
		},
		// S3 refuses a token it did not issue: versitygw#993 quotes S3's
		// answer to "aWrongToken2", 400 InvalidArgument "The continuation
		// token provided is incorrect" with ArgumentName continuation-token
		// (also aws-sdk-js-v3#1636, with S3's RequestId and HostId).
		Case{
			ID: "list/v2/continuation/garbage-token", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a continuation-token the server never issued is refused with 400 InvalidArgument",
			Run:  listV2ContinuationGarbageToken,
		},
		// S3 documents its tokens only as opaque and obfuscated; what it
		// answers to a real token with a character changed is not known (it
		// may decode to another position). Refusing it is this gateway's
		// choice: its tokens carry a MAC.
		Case{
			ID: "list/v2/continuation/altered-token", Feature: TamperEvidentTokens, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "a real continuation token with one character changed is refused with 400 InvalidArgument",
			Run:  listV2ContinuationAlteredToken,
		},
		Case{
			ID: "list/v2/truncation/last-page", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "10 keys at max-keys=5: the first page is truncated with a token, the second holds the rest and is not",
			Run:  listV2TruncationLastPage,
		},
		Case{
			ID: "list/v2/fetch-owner/true", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "fetch-owner=true includes an Owner with an ID in every Contents entry",
			Run:  listV2FetchOwnerTrue,
		},
		Case{
			ID: "list/v2/no-such-bucket", Feature: List, Ops: v2ops,
			Desc: "listing a bucket that does not exist fails with 404 NoSuchBucket",
			Run:  listV2NoSuchBucket,
		},
	)
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

// listSorted returns a sorted copy of keys: in UTF-8 binary order, as Go
// compares strings bytewise.
func listSorted(keys []string) []string {
	out := slices.Clone(keys)
	sort.Strings(out)
	return out
}

// listUTF8Keys are keys whose UTF-8 binary order differs from other
// orders: U+FF61 sorts before U+1F600 in UTF-8 but after it in UTF-16.
var listUTF8Keys = []string{"b", "B", "a", "A", "_x", "-x", "0", "9", "z", "Z", "é", "日本", "\uff61", "\U0001F600", "a-", "a_", "aa", "a0", "aA"}

func listV2ContentsFields(t T, e *Env) {
	b := e.NewBucket()
	before := time.Now()
	etag := e.PutString(b, "obj", "hello world")
	r := listRaw(t, e, b, true)
	eq(t, "number of Contents", len(r.Contents), 1)
	c := r.Contents[0]
	eq(t, "Key", c.Key, "obj")
	eq(t, "ETag", c.ETag, `"5eb63bbbe01eeed093cb22bb8f5acdc3"`)
	eq(t, "ETag (same as PutObject's)", c.ETag, etag)
	listWantElem(t, "Size", c.Size, int64(11))
	eq(t, "StorageClass", c.StorageClass, "STANDARD")
	lm, err := time.Parse(time.RFC3339, c.LastModified)
	mustf(t, err, "LastModified %q is not an ISO 8601 timestamp", c.LastModified)
	if d := lm.Sub(before); d < -time.Hour || d > time.Hour {
		t.Fatalf("LastModified %s is %v away from the time of the PUT", c.LastModified, d)
	}
}

func listV2KeyCountIncludesCommonPrefixes(t T, e *Env) {
	b := e.NewBucket()
	// In order: a/ (prefix), b, c/ (prefix), d, e/ (prefix).
	putKeys(e, b, "a/1", "a/2", "b", "c/1", "d", "e/1")
	out := listV2(t, e, &s3.ListObjectsV2Input{
		Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3),
	})
	wantStrings(t, "keys", keysOf(out.Contents), []string{"b"})
	wantStrings(t, "common prefixes", prefixesOf(out.CommonPrefixes), []string{"a/", "c/"})
	eq(t, "KeyCount", aws.ToInt32(out.KeyCount), int32(3))
	eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), true)
	if aws.ToString(out.NextContinuationToken) == "" {
		t.Fatalf("truncated listing has no NextContinuationToken")
	}
	out = listV2(t, e, &s3.ListObjectsV2Input{
		Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3),
		ContinuationToken: out.NextContinuationToken,
	})
	wantStrings(t, "page 2 keys", keysOf(out.Contents), []string{"d"})
	wantStrings(t, "page 2 common prefixes", prefixesOf(out.CommonPrefixes), []string{"e/"})
	eq(t, "page 2 KeyCount", aws.ToInt32(out.KeyCount), int32(2))
	eq(t, "page 2 IsTruncated", aws.ToBool(out.IsTruncated), false)
}

func listV2EmptyBucket(t T, b string, r listXML) {
	eq(t, "Name", r.Name, b)
	listWantElem(t, "KeyCount", r.KeyCount, 0)
	listWantElem(t, "IsTruncated", r.IsTruncated, false)
	eq(t, "number of Contents", len(r.Contents), 0)
	eq(t, "number of CommonPrefixes", len(r.CommonPrefixes), 0)
	listWantNone(t, "NextContinuationToken", r.NextContinuationToken)
}

func listV2MaxKeysDefault1000(t T, _ string, r listXML) {
	listWantElem(t, "MaxKeys", r.MaxKeys, 1000)
}

func listV2MaxKeysZero(t T, _ string, r listXML) {
	eq(t, "number of Contents", len(r.Contents), 0)
	eq(t, "number of CommonPrefixes", len(r.CommonPrefixes), 0)
	listWantElem(t, "KeyCount", r.KeyCount, 0)
}

func listV2TruncationExactlyMaxKeysRemain(t T, _ string, r listXML) {
	eq(t, "number of Contents", len(r.Contents), 10)
	listWantElem(t, "IsTruncated", r.IsTruncated, false)
	listWantNone(t, "NextContinuationToken", r.NextContinuationToken)
}

func listV2FetchOwnerAbsent(t T, _ string, r listXML) {
	eq(t, "number of Contents", len(r.Contents), 2)
	for _, c := range r.Contents {
		if c.Owner != nil {
			t.Fatalf("Contents %q has an Owner without fetch-owner", c.Key)
		}
	}
}

// listInvalidArgument makes the case of a listing (v2 or v1) with query
// parameters (name, value pairs) refused with 400 InvalidArgument:
// list/v2/max-keys/*, list/v1/max-keys/non-numeric and
// list/v2/encoding-url/invalid.
func listInvalidArgument(v2 bool, query []string) func(t T, e *Env) {
	return func(t T, e *Env) {
		resp := listRequest(e, e.NewBucket(), v2, query...).Expect()
		wantError(t, resp, http.StatusBadRequest, "InvalidArgument")
	}
}

func listV2ContinuationEveryKeyOnce(t T, e *Env) {
	b := e.NewBucket()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
	putKeys(e, b, keys...)
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
		got = append(got, keysOf(out.Contents)...)
		if !aws.ToBool(out.IsTruncated) {
			eq(t, "number of pages", page, 4)
			break
		}
		if aws.ToString(out.NextContinuationToken) == "" {
			t.Fatalf("page %d is truncated but has no NextContinuationToken", page)
		}
		token = out.NextContinuationToken
	}
	wantStrings(t, "keys across pages", got, keys)
}

func listV2ContinuationGarbageToken(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "a", "b")
	_, err := e.SDK.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{
		Bucket: aws.String(b), ContinuationToken: aws.String("this-is-not-a-token"),
	})
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
}

func listV2ContinuationAlteredToken(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "a", "b", "c", "d")
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
	wantError(t, resp, http.StatusBadRequest, "InvalidArgument")
}

func listV2TruncationLastPage(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, numberedKeys("k%02d", 10)...)
	p1 := listRaw(t, e, b, true, "max-keys", "5")
	wantStrings(t, "page 1 keys", p1.keys(), []string{"k00", "k01", "k02", "k03", "k04"})
	listWantElem(t, "page 1 IsTruncated", p1.IsTruncated, true)
	if aws.ToString(p1.NextContinuationToken) == "" {
		t.Fatalf("page 1 has no NextContinuationToken")
	}
	eq(t, "page 1 KeyCount", aws.ToInt(p1.KeyCount), 5)
	eq(t, "page 1 MaxKeys", aws.ToInt(p1.MaxKeys), 5)
	p2 := listRaw(t, e, b, true, "max-keys", "5", "continuation-token", *p1.NextContinuationToken)
	wantStrings(t, "page 2 keys", p2.keys(), []string{"k05", "k06", "k07", "k08", "k09"})
	listWantElem(t, "page 2 IsTruncated", p2.IsTruncated, false)
	listWantNone(t, "page 2 NextContinuationToken", p2.NextContinuationToken)
}

func listV2FetchOwnerTrue(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "a", "b")
	out := listV2(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	eq(t, "number of Contents", len(out.Contents), 2)
	for _, o := range out.Contents {
		if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
			t.Fatalf("Contents %q has no Owner ID with fetch-owner=true", aws.ToString(o.Key))
		}
	}
}

func listV2NoSuchBucket(t T, e *Env) {
	_, err := e.SDK.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(e.BucketName())})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
}
