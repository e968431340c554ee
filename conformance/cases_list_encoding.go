package conformance

import (
	"github.com/aws/aws-sdk-go-v2/aws"
)

// encoding-type=url in ListObjectsV2 and ListObjects, checked on raw
// listings: keys as encoded on the wire. An encoding-type other than url is
// among the refused query parameters in cases_list_v2.go.
//
// With encoding-type=url, S3 form-encodes keys, prefixes and markers: '+' as
// %2B, '%' as %25, a space as '+', UTF-8 bytes as %XX, '/' kept
// (versitygw#1985 and #2169 quote S3's <Key> a%2Bb.txt and a%2B+b.txt for
// "a+ b.txt"; brekkylab/backlot#178 measured the rest, CommonPrefixes
// included, in 2026). ceph/s3-tests test_bucket_listv2_encoding_basic
// expects %20 for a space; the measurements of S3 say '+'.

func init() {
	register(
		listRawCase("list/v2/encoding-url/keys",
			"encoding-type=url percent-encodes keys ('+' as %2B, '%' as %25, UTF-8 bytes as %XX) but keeps '/', and sends EncodingType url",
			true, []string{"a+b.txt", "100%.csv", "한글/x.txt", "dir/sub/file"}, []string{"encoding-type", "url"},
			listV2EncodingUrlKeys),
		listRawCase("list/v2/encoding-url/prefix-and-common-prefixes",
			"encoding-type=url also encodes the echoed Prefix and each CommonPrefixes Prefix",
			true, []string{"한글+/x", "한글+/y", "한글+z", "other"}, []string{"encoding-type", "url", "prefix", "한글+", "delimiter", "/"},
			listV2EncodingUrlPrefixAndCommonPrefixes),
		listRawCase("list/v2/encoding-url/absent-means-raw",
			"without encoding-type, keys come back verbatim and no EncodingType is sent",
			true, []string{"a+b", "c%d", "é f"}, nil, listV2EncodingUrlAbsentMeansRaw),
	)

	register(
		Case{
			ID: "list/v2/encoding-url/space-as-plus", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "encoding-type=url writes a space in a key as '+' (a literal '+' being %2B), in keys and CommonPrefixes",
			Run:  listV2EncodingUrlSpaceAsPlus,
		},
		Case{
			ID: "list/v1/encoding-url/marker-and-keys", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 with encoding-type=url encodes keys, Marker and NextMarker",
			Run:  listV1EncodingUrlMarkerAndKeys,
		},
	)
}

func listV2EncodingUrlKeys(t T, _ string, r listXML) {
	listWantElem(t, "EncodingType", r.EncodingType, "url")
	// Listed in the order of the raw keys: 100%..., a+b..., dir/..., 한글/...
	wantStrings(t, "encoded keys", r.keys(),
		[]string{"100%25.csv", "a%2Bb.txt", "dir/sub/file", "%ED%95%9C%EA%B8%80/x.txt"})
}

func listV2EncodingUrlPrefixAndCommonPrefixes(t T, _ string, r listXML) {
	eq(t, "Prefix", aws.ToString(r.Prefix), "%ED%95%9C%EA%B8%80%2B")
	eq(t, "Delimiter", aws.ToString(r.Delimiter), "/")
	wantStrings(t, "encoded keys", r.keys(), []string{"%ED%95%9C%EA%B8%80%2Bz"})
	wantStrings(t, "encoded common prefixes", r.prefixes(), []string{"%ED%95%9C%EA%B8%80%2B/"})
}

func listV2EncodingUrlAbsentMeansRaw(t T, _ string, r listXML) {
	listWantNone(t, "EncodingType (without encoding-type in the request)", r.EncodingType)
	wantStrings(t, "keys", r.keys(), []string{"a+b", "c%d", "é f"})
}

func listV2EncodingUrlSpaceAsPlus(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "a b.txt", "run books/x.txt")
	r := listRaw(t, e, b, true, "encoding-type", "url")
	wantStrings(t, "encoded keys", r.keys(), []string{"a+b.txt", "run+books/x.txt"})
	r = listRaw(t, e, b, true, "encoding-type", "url", "delimiter", "/")
	wantStrings(t, "encoded keys with delimiter", r.keys(), []string{"a+b.txt"})
	wantStrings(t, "encoded common prefixes", r.prefixes(), []string{"run+books/"})
}

func listV1EncodingUrlMarkerAndKeys(t T, e *Env) {
	b := e.NewBucket()
	putKeys(e, b, "a+1/x", "a+2/x", "é")
	r := listRaw(t, e, b, false, "encoding-type", "url", "delimiter", "/", "max-keys", "1", "marker", "a+1/")
	eq(t, "EncodingType", aws.ToString(r.EncodingType), "url")
	eq(t, "Marker", aws.ToString(r.Marker), "a%2B1/")
	wantStrings(t, "encoded common prefixes", r.prefixes(), []string{"a%2B2/"})
	eq(t, "NextMarker", aws.ToString(r.NextMarker), "a%2B2/")
	r = listRaw(t, e, b, false, "encoding-type", "url", "marker", "a+2/x")
	wantStrings(t, "encoded keys", r.keys(), []string{"%C3%A9"})
}
