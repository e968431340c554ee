package conformance

import (
	"encoding/xml"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
)

// Listing objects with ListObjectsV2 and ListObjects (v1). The cases are in
// cases_list_v2.go, cases_list_v1.go, cases_list_encoding.go
// (encoding-type=url) and cases_list_pagination.go; ListObjectVersions is in
// cases_versions.go. This file holds the helpers they share.

// listXML is a ListBucketResult (v1 or v2) as sent on the wire. Pointers
// tell an absent element from an empty one.
type listXML struct {
	XMLName               xml.Name
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

// listWantElem fails the case unless the element name is in the listing
// (p is not nil) and holds want.
func listWantElem[V comparable](t T, name string, p *V, want V) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s element missing", name)
	}
	eq(t, name, *p, want)
}

// listWantNone fails the case if the element name is in the listing (p is
// not nil).
func listWantNone(t T, name string, p *string) {
	t.Helper()
	if p != nil {
		t.Fatalf("%s = %q, want none", name, *p)
	}
}

// listRawCase stores keys in a new bucket, lists it once raw (v2 or v1),
// with the query parameters given as name, value pairs, and checks the
// decoded listing. Its operations are the listing's, after PutObject when
// there are keys.
func listRawCase(id, desc string, v2 bool, keys, query []string, check func(t T, bucket string, r listXML)) Case {
	caseOps := ops("ListObjects")
	if v2 {
		caseOps = ops("ListObjectsV2")
	}
	if len(keys) > 0 {
		caseOps = append(ops("PutObject"), caseOps...)
	}
	return Case{
		ID: id, Feature: List, Ops: caseOps, Desc: desc,
		Run: func(t T, e *Env) {
			b := e.NewBucket()
			putKeys(e, b, keys...)
			check(t, b, listRaw(t, e, b, v2, query...))
		},
	}
}

// listV1 runs ListObjects (v1) through the SDK and fails the case on error.
func listV1(t T, e *Env, in *s3.ListObjectsInput) *s3.ListObjectsOutput {
	t.Helper()
	out, err := e.SDK.ListObjects(t.Context(), in)
	mustf(t, err, "ListObjects %s", aws.ToString(in.Bucket))
	return out
}

// listDelimiterTree are the keys of the nested-directory cases.
var listDelimiterTree = []string{"a/b/c", "a/d", "e", "f/g"}

// listStep is one ListObjectsV2 of a listCase: its input (without the
// bucket) and what the page must hold. Only the fields that are not nil are
// checked, so keys: []string{} asks for no keys at all; label starts the
// name of every check.
type listStep struct {
	in                            s3.ListObjectsV2Input
	label                         string
	keys, prefixes                []string
	prefix, delimiter, startAfter *string
	keyCount                      *int32
	truncated                     *bool
}

// listCase stores keys in a new bucket, then lists it once for each step
// and checks the page: keys, common prefixes, the echoed Prefix, Delimiter
// and StartAfter, KeyCount and IsTruncated, in that order.
func listCase(id, desc string, keys []string, steps ...listStep) Case {
	return Case{
		ID: id, Feature: List, Ops: ops("PutObject", "ListObjectsV2"), Desc: desc,
		Run: func(t T, e *Env) {
			b := e.NewBucket()
			putKeys(e, b, keys...)
			for _, st := range steps {
				in, w := st.in, st
				in.Bucket = aws.String(b)
				out := listV2(t, e, &in)
				if w.keys != nil {
					wantStrings(t, w.label+"keys", keysOf(out.Contents), w.keys)
				}
				if w.prefixes != nil {
					wantStrings(t, w.label+"common prefixes", prefixesOf(out.CommonPrefixes), w.prefixes)
				}
				for _, f := range []struct {
					name      string
					got, want *string
				}{{"Prefix", out.Prefix, w.prefix}, {"Delimiter", out.Delimiter, w.delimiter}, {"StartAfter", out.StartAfter, w.startAfter}} {
					if f.want != nil {
						eq(t, w.label+f.name, aws.ToString(f.got), *f.want)
					}
				}
				if w.keyCount != nil {
					eq(t, w.label+"KeyCount", aws.ToInt32(out.KeyCount), *w.keyCount)
				}
				if w.truncated != nil {
					eq(t, w.label+"IsTruncated", aws.ToBool(out.IsTruncated), *w.truncated)
				}
			}
		},
	}
}
