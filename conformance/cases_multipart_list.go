package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ListParts and ListMultipartUploads. From the AWS API reference: ListParts
// lists an upload's parts in ascending part number with PartNumber, ETag,
// Size and LastModified, at most max-parts (default 1000) a page, resuming
// after part-number-marker, with IsTruncated and NextPartNumberMarker;
// ListMultipartUploads lists uploads in progress sorted by key and, within a
// key, by initiation time ascending, with Key, UploadId and Initiated, at
// most max-uploads (default 1000) a page, filtered by prefix and rolled up
// into CommonPrefixes by delimiter; a page resumes after key-marker (and,
// with upload-id-marker, after that upload of key-marker), and without
// upload-id-marker only keys greater than key-marker are listed. Parts need
// not be 5 MiB until Complete, so these cases upload small ones.

// mpListUploads runs ListMultipartUploads through the SDK.
func mpListUploads(t T, e *Env, in *s3.ListMultipartUploadsInput) *s3.ListMultipartUploadsOutput {
	t.Helper()
	out, err := e.SDK.ListMultipartUploads(t.Context(), in)
	mustf(t, err, "ListMultipartUploads %s", aws.ToString(in.Bucket))
	return out
}

// mpUploadKeys returns the keys of listed uploads, in order.
func mpUploadKeys(us []types.MultipartUpload) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = aws.ToString(u.Key)
	}
	return out
}

// mpUploadIDs returns the ids of listed uploads, in order.
func mpUploadIDs(us []types.MultipartUpload) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = aws.ToString(u.UploadId)
	}
	return out
}

// mpPartNumbers returns the part numbers of listed parts, in order, as text.
func mpPartNumbers(ps []types.Part) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strconv.Itoa(int(aws.ToInt32(p.PartNumber)))
	}
	return out
}

// mpCreateUploads starts an upload of each key, in order, and returns
// their ids.
func mpCreateUploads(t T, e *Env, bucket string, keys ...string) []string {
	t.Helper()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = mpCreate(t, e, bucket, k)
	}
	return ids
}

// mpSmallParts uploads n small, distinct parts 1..n and returns them.
func mpSmallParts(t T, e *Env, bucket, key, id string, n int) [][]byte {
	t.Helper()
	parts := make([][]byte, n)
	for i := range parts {
		parts[i] = mpData(uint64(200+i), 100+i*37)
		mpUploadPart(t, e, bucket, key, id, int32(i+1), parts[i])
	}
	return parts
}

// mpPageCase pages through five uploads, two of them of one key, with
// max-uploads size.
func mpPageCase(size int32) Case {
	return Case{
		ID: fmt.Sprintf("multipart/list-uploads/pagination-max-%d", size), Feature: Multipart, Ops: ops("ListMultipartUploads"),
		Desc: fmt.Sprintf("paging ListMultipartUploads with max-uploads=%d by NextKeyMarker and NextUploadIdMarker lists every upload exactly once, in the unpaged order, each page but the last truncated", size),
		Run: func(t T, e *Env) {
			b := e.NewBucket()
			created := mpCreateUploads(t, e, b, "b", "a", "c/d", "b", "e")
			whole := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
			wantStrings(t, "unpaged keys", mpUploadKeys(whole.Uploads), []string{"a", "b", "b", "c/d", "e"})
			wantIDs := mpUploadIDs(whole.Uploads)
			for _, id := range created {
				if !slices.Contains(wantIDs, id) {
					t.Fatalf("unpaged listing %q lacks upload %s", wantIDs, id)
				}
			}

			var got []string
			in := &s3.ListMultipartUploadsInput{Bucket: aws.String(b), MaxUploads: aws.Int32(size)}
			for page := 1; ; page++ {
				if page > 10 {
					t.Fatalf("more than 10 pages for 5 uploads; listed so far %q", got)
				}
				out := mpListUploads(t, e, in)
				if n := len(out.Uploads); n == 0 || n > int(size) {
					t.Fatalf("page %d lists %d uploads, want 1..%d", page, n, size)
				}
				got = append(got, mpUploadIDs(out.Uploads)...)
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				last := out.Uploads[len(out.Uploads)-1]
				eq(t, fmt.Sprintf("page %d NextKeyMarker", page), aws.ToString(out.NextKeyMarker), aws.ToString(last.Key))
				eq(t, fmt.Sprintf("page %d NextUploadIdMarker", page), aws.ToString(out.NextUploadIdMarker), aws.ToString(last.UploadId))
				in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
			}
			wantStrings(t, "upload ids over all pages", got, wantIDs)
		},
	}
}

func init() {
	register(
		Case{
			ID: "multipart/list-parts/basic", Feature: Multipart, Ops: ops("ListParts"),
			Desc: "ListParts lists the uploaded parts in ascending part number with PartNumber, ETag, Size and LastModified, MaxParts 1000 by default and not truncated",
			Run:  multipartListPartsBasic,
		},
		Case{
			ID: "multipart/list-parts/pagination", Feature: Multipart, Ops: ops("ListParts"),
			Desc: "ListParts with max-parts=2 over five parts pages by part-number-marker: [1 2] [3 4] [5], NextPartNumberMarker the last part listed, truncated until the last page",
			Run:  multipartListPartsPagination,
		},
		Case{
			ID: "multipart/list-uploads/basic", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads lists each upload in progress with its Key, UploadId and Initiated, MaxUploads 1000 by default and not truncated",
			Run:  multipartListUploadsBasic,
		},
		Case{
			ID: "multipart/list-uploads/none", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads of a bucket with objects but no upload in progress lists nothing",
			Run:  multipartListUploadsNone,
		},
		Case{
			ID: "multipart/list-uploads/prefix", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads with a prefix lists only the uploads of keys that begin with it, and echoes the Prefix",
			Run:  multipartListUploadsPrefix,
		},
		Case{
			ID: "multipart/list-uploads/delimiter", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads with delimiter / rolls uploads of keys under a / into CommonPrefixes, at the top level and under a prefix",
			Run:  multipartListUploadsDelimiter,
		},
		Case{
			ID: "multipart/list-uploads/same-key-initiation-order", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "several uploads of one key are all listed, in the order they were initiated, with non-decreasing Initiated",
			Run:  multipartListUploadsSameKeyInitiationOrder,
		},
		Case{
			ID: "multipart/list-uploads/key-marker", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "ListMultipartUploads with key-marker and no upload-id-marker lists only the uploads of keys after the marker",
			Run:  multipartListUploadsKeyMarker,
		},
		Case{
			ID: "multipart/list-uploads/raw-max-uploads-default", Feature: Multipart, Ops: ops("ListMultipartUploads"),
			Desc: "a raw GET ?uploads answers 200 with a ListMultipartUploadsResult whose MaxUploads is 1000",
			Run:  multipartListUploadsRawMaxUploadsDefault,
		},
		mpPageCase(1),
		mpPageCase(2),
	)

	// part-number-marker over an upload of parts 1..3: 0 lists from the
	// first part, the last part or beyond lists nothing; neither truncates.
	for _, c := range []struct {
		id, marker, desc string
		parts            int
	}{
		{"marker-zero", "0", "ListParts with part-number-marker=0 lists from the first part, as without a marker", 3},
		{"marker-past-last", "3", "ListParts with a part-number-marker at or past the last part lists no parts and is not truncated", 0},
	} {
		register(Case{
			ID: "multipart/list-parts/" + c.id, Feature: Multipart, Ops: ops("ListParts"), Desc: c.desc,
			Run: multipartListPartsMarker(c.marker, c.parts),
		})
	}
}

func multipartListPartsBasic(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	// Uploaded out of order: the listing is by part number.
	p3, p1, p2 := mpData(210, 300), mpData(211, 100), mpData(212, 200)
	mpUploadPart(t, e, b, "k", id, 3, p3)
	mpUploadPart(t, e, b, "k", id, 1, p1)
	mpUploadPart(t, e, b, "k", id, 2, p2)
	out, err := mpListPartsErr(t, e, b, "k", id)
	mustf(t, err, "ListParts")
	eq(t, "Bucket", aws.ToString(out.Bucket), b)
	eq(t, "Key", aws.ToString(out.Key), "k")
	eq(t, "UploadId", aws.ToString(out.UploadId), id)
	eq(t, "MaxParts", aws.ToInt32(out.MaxParts), int32(1000))
	eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
	wantStrings(t, "part numbers", mpPartNumbers(out.Parts), []string{"1", "2", "3"})
	for i, want := range [][]byte{p1, p2, p3} {
		p := out.Parts[i]
		eq(t, fmt.Sprintf("part %d ETag", i+1), aws.ToString(p.ETag), md5ETag(want))
		eq(t, fmt.Sprintf("part %d Size", i+1), aws.ToInt64(p.Size), int64(len(want)))
		if p.LastModified == nil || p.LastModified.IsZero() {
			t.Fatalf("part %d has no LastModified", i+1)
		}
	}
}

func multipartListPartsPagination(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	mpSmallParts(t, e, b, "k", id, 5)
	marker := ""
	for i, want := range [][]string{{"1", "2"}, {"3", "4"}, {"5"}} {
		in := &s3.ListPartsInput{
			Bucket: aws.String(b), Key: aws.String("k"), UploadId: aws.String(id), MaxParts: aws.Int32(2),
		}
		if marker != "" {
			in.PartNumberMarker = aws.String(marker)
		}
		out, err := e.SDK.ListParts(t.Context(), in)
		mustf(t, err, "ListParts page %d", i+1)
		wantStrings(t, fmt.Sprintf("page %d part numbers", i+1), mpPartNumbers(out.Parts), want)
		eq(t, fmt.Sprintf("page %d MaxParts", i+1), aws.ToInt32(out.MaxParts), int32(2))
		if marker != "" {
			eq(t, fmt.Sprintf("page %d PartNumberMarker", i+1), aws.ToString(out.PartNumberMarker), marker)
		}
		last := i == 2
		eq(t, fmt.Sprintf("page %d IsTruncated", i+1), aws.ToBool(out.IsTruncated), !last)
		if !last {
			eq(t, fmt.Sprintf("page %d NextPartNumberMarker", i+1), aws.ToString(out.NextPartNumberMarker), want[len(want)-1])
			marker = aws.ToString(out.NextPartNumberMarker)
		}
	}
}

func multipartListUploadsBasic(t T, e *Env) {
	b := e.NewBucket()
	created := mpCreateUploads(t, e, b, "one", "two/2")
	ids := map[string]string{"one": created[0], "two/2": created[1]}
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	eq(t, "Bucket", aws.ToString(out.Bucket), b)
	eq(t, "MaxUploads", aws.ToInt32(out.MaxUploads), int32(1000))
	eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
	wantStrings(t, "keys", mpUploadKeys(out.Uploads), []string{"one", "two/2"})
	for _, u := range out.Uploads {
		k := aws.ToString(u.Key)
		eq(t, k+" UploadId", aws.ToString(u.UploadId), ids[k])
		if u.Initiated == nil || u.Initiated.IsZero() {
			t.Fatalf("upload of %s has no Initiated", k)
		}
	}
}

func multipartListUploadsNone(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "plain", "not an upload")
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	eq(t, "uploads listed", len(out.Uploads), 0)
	eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
}

func multipartListUploadsPrefix(t T, e *Env) {
	b := e.NewBucket()
	mpCreateUploads(t, e, b, "logs/1", "data/1", "logs/2", "logsx")
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Prefix: aws.String("logs/")})
	eq(t, "Prefix", aws.ToString(out.Prefix), "logs/")
	wantStrings(t, "keys", mpUploadKeys(out.Uploads), []string{"logs/1", "logs/2"})
}

func multipartListUploadsDelimiter(t T, e *Env) {
	b := e.NewBucket()
	mpCreateUploads(t, e, b, "photos/2024/a.jpg", "photos/2025/b.jpg", "docs/readme", "top.txt", "photos/c.jpg")
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
	eq(t, "Delimiter", aws.ToString(out.Delimiter), "/")
	wantStrings(t, "top-level keys", mpUploadKeys(out.Uploads), []string{"top.txt"})
	wantStrings(t, "top-level CommonPrefixes", prefixesOf(out.CommonPrefixes), []string{"docs/", "photos/"})
	out = mpListUploads(t, e, &s3.ListMultipartUploadsInput{
		Bucket: aws.String(b), Delimiter: aws.String("/"), Prefix: aws.String("photos/"),
	})
	wantStrings(t, "keys under photos/", mpUploadKeys(out.Uploads), []string{"photos/c.jpg"})
	wantStrings(t, "CommonPrefixes under photos/", prefixesOf(out.CommonPrefixes), []string{"photos/2024/", "photos/2025/"})
}

func multipartListUploadsSameKeyInitiationOrder(t T, e *Env) {
	b := e.NewBucket()
	var ids []string
	for i := range 3 {
		if i > 0 {
			// Well apart, whatever the precision of Initiated.
			time.Sleep(1100 * time.Millisecond)
		}
		ids = append(ids, mpCreate(t, e, b, "same"))
	}
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	wantStrings(t, "keys", mpUploadKeys(out.Uploads), []string{"same", "same", "same"})
	wantStrings(t, "upload ids (initiation order)", mpUploadIDs(out.Uploads), ids)
	for i := 1; i < len(out.Uploads); i++ {
		prev, cur := aws.ToTime(out.Uploads[i-1].Initiated), aws.ToTime(out.Uploads[i].Initiated)
		if cur.Before(prev) {
			t.Fatalf("upload %d Initiated %v is before upload %d's %v", i+1, cur, i, prev)
		}
	}
}

func multipartListUploadsKeyMarker(t T, e *Env) {
	b := e.NewBucket()
	mpCreateUploads(t, e, b, "a", "b", "b", "c")
	out := mpListUploads(t, e, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), KeyMarker: aws.String("b")})
	eq(t, "KeyMarker", aws.ToString(out.KeyMarker), "b")
	wantStrings(t, "keys", mpUploadKeys(out.Uploads), []string{"c"})
}

func multipartListUploadsRawMaxUploadsDefault(t T, e *Env) {
	b := e.NewBucket()
	mpCreate(t, e, b, "k")
	resp := e.Request(http.MethodGet, b, "").WithQuery("uploads", "").Expect()
	wantStatus(t, resp, http.StatusOK)
	resp.Body().Contains("<ListMultipartUploadsResult")
	resp.Body().Contains("<MaxUploads>1000</MaxUploads>")
	resp.Body().Contains("<Key>k</Key>")
}

// multipartListPartsMarker makes the multipart/list-parts/marker-* case of
// one part-number-marker over parts 1..3, after which parts are listed.
func multipartListPartsMarker(marker string, parts int) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		mpSmallParts(t, e, b, "k", id, 3)
		out, err := e.SDK.ListParts(t.Context(), &s3.ListPartsInput{
			Bucket: aws.String(b), Key: aws.String("k"), UploadId: aws.String(id), PartNumberMarker: aws.String(marker),
		})
		mustf(t, err, "ListParts part-number-marker=%s", marker)
		eq(t, "parts listed", len(out.Parts), parts)
		eq(t, "IsTruncated", aws.ToBool(out.IsTruncated), false)
	}
}
