package conformance

import (
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// listPageV2 is what one ListObjectsV2 page returned.
type listPageV2 struct {
	keys, prefixes []string
	keyCount       int32
	truncated      bool
	next           string
}

// listPagesV2 follows NextContinuationToken from the first page to the
// last, checking on every page that a truncated page has a token and an
// untruncated one has none; it stops after maxPages.
func listPagesV2(t T, e *Env, in s3.ListObjectsV2Input, maxPages int) []listPageV2 {
	t.Helper()
	var pages []listPageV2
	for {
		if len(pages) == maxPages {
			t.Fatalf("listing did not end within %d pages", maxPages)
		}
		out := listV2(t, e, &in)
		p := listPageV2{
			keys: keysOf(out.Contents), prefixes: prefixesOf(out.CommonPrefixes),
			keyCount: aws.ToInt32(out.KeyCount), truncated: aws.ToBool(out.IsTruncated),
			next: aws.ToString(out.NextContinuationToken),
		}
		pages = append(pages, p)
		n := len(pages)
		if got := int32(len(p.keys) + len(p.prefixes)); p.keyCount != got {
			t.Fatalf("page %d KeyCount = %d, but it holds %d keys and common prefixes", n, p.keyCount, got)
		}
		if !p.truncated {
			if out.NextContinuationToken != nil {
				t.Fatalf("page %d is not truncated but has NextContinuationToken %q", n, p.next)
			}
			return pages
		}
		if p.next == "" {
			t.Fatalf("page %d is truncated but has no NextContinuationToken", n)
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// listCheckPaging checks that pages of at most size entries list want
// (sorted keys and common prefixes) exactly once, in order, with every page
// but the last full.
func listCheckPaging(t T, label string, pages []listPageV2, size int, want []string) {
	t.Helper()
	var got []string
	for i, p := range pages {
		entries := append(slices.Clone(p.keys), p.prefixes...)
		sort.Strings(entries)
		if i < len(pages)-1 && len(entries) != size {
			t.Fatalf("%s: page %d of %d holds %d entries, want %d", label, i+1, len(pages), len(entries), size)
		}
		if len(entries) > size {
			t.Fatalf("%s: page %d holds %d entries, more than max-keys %d", label, i+1, len(entries), size)
		}
		got = append(got, entries...)
	}
	if !slices.Equal(got, want) {
		seen := map[string]int{}
		for _, k := range got {
			seen[k]++
		}
		for _, k := range want {
			if seen[k] != 1 {
				t.Fatalf("%s: %q listed %d times across pages, want once", label, k, seen[k])
			}
		}
		t.Fatalf("%s: entries across pages are not the %d expected in order (got %d)", label, len(want), len(got))
	}
	if wantPages := (len(want) + size - 1) / size; len(pages) != wantPages {
		t.Fatalf("%s: %d pages, want %d", label, len(pages), wantPages)
	}
}

func init() {
	register(
		Case{
			ID: "list/v2/pagination/1100-keys", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "1100 keys paged at max-keys 1, 7, 100 and 1000 come back each exactly once in order; max-keys above 1000 returns at most 1000",
			Run:  listV2Pagination1100Keys,
		},
		Case{
			ID: "list/v2/pagination/delimiter", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "with delimiter / and max-keys 4, 25 common prefixes and 5 top-level keys each appear exactly once across pages",
			Run:  listV2PaginationDelimiter,
		},
		Case{
			ID: "list/v2/pagination/prefix-and-delimiter", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "paging within a prefix with a delimiter lists that level's keys and common prefixes once and nothing outside the prefix",
			Run:  listV2PaginationPrefixAndDelimiter,
		},
		Case{
			ID: "list/v2/pagination/exact-multiple", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "30 keys at max-keys 10 take exactly 3 pages, the last not truncated and no empty fourth page",
			Run:  listV2PaginationExactMultiple,
		},
		Case{
			ID: "list/v2/pagination/sdk-paginator", Feature: List, Ops: ops("PutObject", "ListObjectsV2"),
			Desc: "the SDK's ListObjectsV2Paginator at page size 7 visits 50 keys once each in order, in 8 pages",
			Run:  listV2PaginationSdkPaginator,
		},
		Case{
			ID: "list/v1/pagination/delimiter-next-marker", Feature: List, Ops: ops("PutObject", "ListObjects"),
			Desc: "v1 paging with delimiter / by NextMarker at max-keys 3 lists every common prefix and top-level key exactly once",
			Run:  listV1PaginationDelimiterNextMarker,
		},
	)
}

func listV2Pagination1100Keys(t T, e *Env) {
	b := e.NewBucket()
	const n = 1100
	name := func(i int) string {
		switch {
		case i < n-10:
			return fmt.Sprintf("k/%04d", i)
		case i%2 == 0:
			return fmt.Sprintf("k/é/%d", i)
		default:
			return fmt.Sprintf("k/日本/%d", i)
		}
	}
	e.PutMany(b, n, name, func(int) []byte { return []byte("x") })
	want := make([]string, n)
	for i := range want {
		want[i] = name(i)
	}
	sort.Strings(want)
	for _, size := range []int{1, 7, 100, 1000} {
		pages := listPagesV2(t, e, s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(int32(size))}, n+1)
		listCheckPaging(t, fmt.Sprintf("max-keys %d", size), pages, size, want)
	}
	// max-keys above the service limit of 1000 is capped, not
	// honoured (an AWS engineer in boto/boto3#1927: the page is
	// the smaller of the requested and the service maximum).
	// Whether S3 then echoes MaxKeys as 5000 or 1000 is not
	// known, so the echo is not checked.
	r := listRaw(t, e, b, true, "max-keys", "5000")
	if len(r.Contents) != 1000 {
		t.Fatalf("max-keys=5000 over 1100 keys returned %d keys, want 1000", len(r.Contents))
	}
	if r.IsTruncated == nil || !*r.IsTruncated {
		t.Fatalf("max-keys=5000 over 1100 keys: IsTruncated = %v, want true", r.IsTruncated)
	}
	wantStrings(t, "keys at max-keys=5000", r.keys(), want[:1000])
}

func listV2PaginationDelimiter(t T, e *Env) {
	b := e.NewBucket()
	var keys []string
	var want []string
	for d := 0; d < 25; d++ {
		dir := fmt.Sprintf("d%02d/", d)
		want = append(want, dir)
		for f := 0; f < 3; f++ {
			keys = append(keys, fmt.Sprintf("%sf%d", dir, f))
		}
	}
	// Top-level keys that sort before, between and after the directories.
	top := []string{"a", "d07", "d12.txt", "d120", "z"}
	keys = append(keys, top...)
	want = append(want, top...)
	sort.Strings(want)
	putKeys(e, b, keys...)
	pages := listPagesV2(t, e, s3.ListObjectsV2Input{
		Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(4),
	}, 20)
	listCheckPaging(t, "delimiter / at max-keys 4", pages, 4, want)
}

func listV2PaginationPrefixAndDelimiter(t T, e *Env) {
	b := e.NewBucket()
	var keys, want []string
	for i := 0; i < 6; i++ {
		keys = append(keys, fmt.Sprintf("p/sub%d/x", i), fmt.Sprintf("p/sub%d/y", i), fmt.Sprintf("p/f%d", i))
		want = append(want, fmt.Sprintf("p/sub%d/", i), fmt.Sprintf("p/f%d", i))
	}
	keys = append(keys, "o/x", "q/x", "p")
	sort.Strings(want)
	putKeys(e, b, keys...)
	pages := listPagesV2(t, e, s3.ListObjectsV2Input{
		Bucket: aws.String(b), Prefix: aws.String("p/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(5),
	}, 10)
	listCheckPaging(t, "prefix p/ delimiter / at max-keys 5", pages, 5, want)
}

func listV2PaginationExactMultiple(t T, e *Env) {
	b := e.NewBucket()
	keys := numberedKeys("obj-%02d", 30)
	putKeys(e, b, keys...)
	pages := listPagesV2(t, e, s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(10)}, 4)
	eq(t, "number of pages", len(pages), 3)
	listCheckPaging(t, "max-keys 10", pages, 10, keys)
}

func listV2PaginationSdkPaginator(t T, e *Env) {
	b := e.NewBucket()
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("p%03d", i*7%50) // put in scrambled order
	}
	putKeys(e, b, keys...)
	sort.Strings(keys)
	p := s3.NewListObjectsV2Paginator(e.SDK, &s3.ListObjectsV2Input{Bucket: aws.String(b)},
		func(o *s3.ListObjectsV2PaginatorOptions) { o.Limit = 7; o.StopOnDuplicateToken = true })
	var got []string
	pages := 0
	for p.HasMorePages() {
		if pages == 20 {
			t.Fatalf("paginator did not finish within 20 pages")
		}
		out, err := p.NextPage(t.Context())
		mustf(t, err, "ListObjectsV2 page %d", pages+1)
		pages++
		if len(out.Contents) > 7 {
			t.Fatalf("page %d holds %d keys, more than 7", pages, len(out.Contents))
		}
		got = append(got, keysOf(out.Contents)...)
	}
	wantStrings(t, "keys across pages", got, keys)
	eq(t, "number of pages", pages, 8)
}

func listV1PaginationDelimiterNextMarker(t T, e *Env) {
	b := e.NewBucket()
	var keys, want []string
	for d := 0; d < 8; d++ {
		dir := fmt.Sprintf("dir%d/", d)
		keys = append(keys, dir+"a", dir+"b")
		want = append(want, dir)
	}
	top := []string{"dir3", "dir5.txt", "top"}
	keys = append(keys, top...)
	want = append(want, top...)
	sort.Strings(want)
	putKeys(e, b, keys...)
	var got []string
	marker := ""
	for page := 1; ; page++ {
		if page > 10 {
			t.Fatalf("listing did not end within 10 pages")
		}
		out := listV1(t, e, &s3.ListObjectsInput{
			Bucket: aws.String(b), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3), Marker: aws.String(marker),
		})
		entries := append(keysOf(out.Contents), prefixesOf(out.CommonPrefixes)...)
		sort.Strings(entries)
		if len(entries) > 3 {
			t.Fatalf("page %d holds %d entries, more than 3", page, len(entries))
		}
		got = append(got, entries...)
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextMarker)
		if marker == "" {
			t.Fatalf("page %d is truncated with a delimiter but has no NextMarker", page)
		}
		eq(t, fmt.Sprintf("page %d NextMarker (last entry)", page), marker, entries[len(entries)-1])
	}
	wantStrings(t, "entries across pages", got, want)
}
