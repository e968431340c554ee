package conformance

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListObjects (v1): markers, NextMarker and paging by marker, delimiters.

func init() {
	register(
		listRawCase("list/v1/next-marker/absent-without-delimiter",
			"a truncated v1 listing without a delimiter sends IsTruncated true but no NextMarker",
			false, []string{"a", "b", "c"}, []string{"max-keys", "2"}, listV1NextMarkerAbsentWithoutDelimiter),
	)

	register(
		Case{
			ID: "list/v1/marker/after-and-echoed", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 lists keys strictly after marker and echoes Marker (empty when none was given)",
			Run:  listV1MarkerAfterAndEchoed,
		},
		Case{
			ID: "list/v1/next-marker/with-delimiter", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "a truncated v1 listing with a delimiter sends NextMarker: the last key or common prefix returned",
			Run:  listV1NextMarkerWithDelimiter,
		},
		Case{
			ID: "list/v1/paging/marker", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "paging 25 keys at max-keys 10 with marker (NextMarker, or the last key when absent) reaches every key once in 3 pages",
			Run:  listV1PagingMarker,
		},
		Case{
			ID: "list/v1/delimiter/common-prefixes", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 with delimiter / and prefix lists Contents and CommonPrefixes one level down and echoes both",
			Run:  listV1DelimiterCommonPrefixes,
		},
	)
}

func listV1NextMarkerAbsentWithoutDelimiter(t T, _ string, r listXML) {
	wantStrings(t, "keys", r.keys(), []string{"a", "b"})
	listWantElem(t, "IsTruncated", r.IsTruncated, true)
	listWantNone(t, "NextMarker (without a delimiter)", r.NextMarker)
}

func listV1MarkerAfterAndEchoed(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "bar", "baz", "foo", "quxx")
	r := listRaw(t, e, b, false)
	listWantElem(t, "Marker", r.Marker, "")
	eq(t, "MaxKeys", aws.ToInt(r.MaxKeys), 1000)
	wantStrings(t, "keys", r.keys(), []string{"bar", "baz", "foo", "quxx"})
	out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Marker: aws.String("baz")})
	eq(t, "Marker", aws.ToString(out.Marker), "baz")
	wantStrings(t, "keys after baz", keysOf(out.Contents), []string{"foo", "quxx"})
	out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Marker: aws.String("zzz")})
	eq(t, "number of Contents after zzz", len(out.Contents), 0)
	eq(t, "IsTruncated after zzz", aws.ToBool(out.IsTruncated), false)
}

func listV1NextMarkerWithDelimiter(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla")
	out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	wantStrings(t, "page 1 keys", keysOf(out.Contents), []string{"asdf"})
	eq(t, "page 1 IsTruncated", aws.ToBool(out.IsTruncated), true)
	eq(t, "page 1 NextMarker", aws.ToString(out.NextMarker), "asdf")
	out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: out.NextMarker})
	wantStrings(t, "page 2 common prefixes", prefixesOf(out.CommonPrefixes), []string{"boo/"})
	eq(t, "page 2 IsTruncated", aws.ToBool(out.IsTruncated), true)
	eq(t, "page 2 NextMarker", aws.ToString(out.NextMarker), "boo/")
	out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: out.NextMarker})
	wantStrings(t, "page 3 common prefixes", prefixesOf(out.CommonPrefixes), []string{"cquux/"})
	eq(t, "page 3 number of Contents", len(out.Contents), 0)
	eq(t, "page 3 IsTruncated", aws.ToBool(out.IsTruncated), false)
	if out.NextMarker != nil {
		t.Fatalf("page 3 NextMarker = %q on the last page", *out.NextMarker)
	}
}

func listV1PagingMarker(t T, e *Env) {
	b := e.NewBucket()
	keys := numberedKeys("key-%02d", 25)
	putKeys(e, b, keys...)
	var got []string
	marker := ""
	for page := 1; ; page++ {
		if page > 5 {
			t.Fatalf("more than 5 pages of 10 for 25 keys")
		}
		out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(10), Marker: aws.String(marker)})
		eq(t, fmt.Sprintf("page %d Marker", page), aws.ToString(out.Marker), marker)
		pageKeys := keysOf(out.Contents)
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
	wantStrings(t, "keys across pages", got, keys)
}

func listV1DelimiterCommonPrefixes(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, listDelimiterTree...)
	out := listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
	wantStrings(t, "keys", keysOf(out.Contents), []string{"e"})
	wantStrings(t, "common prefixes", prefixesOf(out.CommonPrefixes), []string{"a/", "f/"})
	eq(t, "Delimiter", aws.ToString(out.Delimiter), "/")
	out = listV1(t, e, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), Prefix: aws.String("a/")})
	wantStrings(t, "keys under a/", keysOf(out.Contents), []string{"a/d"})
	wantStrings(t, "common prefixes under a/", prefixesOf(out.CommonPrefixes), []string{"a/b/"})
	eq(t, "Prefix", aws.ToString(out.Prefix), "a/")
}
