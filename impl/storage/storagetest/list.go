package storagetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
)

// listKeys are chosen so that byte order, common prefixes and keys
// interleave: '-' sorts before '/', which sorts before '0'; "é" and "日本"
// sort after every ASCII key.
var listKeys = []string{"a-b", "a/", "a/b/c", "a/d", "a/e/f", "a0", "b", "c/x", "c/y", "d", "z", "é", "é/x", "日本/語"}

func (e *env) putKeys(keys []string) {
	e.t.Helper()
	for _, k := range keys {
		e.put(k, "v", storage.PutOptions{})
	}
}

// page is what a listing page shows.
type page struct {
	keys, prefixes []string
	truncated      bool
	last           string // when truncated
}

func (p page) String() string {
	return fmt.Sprintf("keys %q prefixes %q truncated %v last %q", p.keys, p.prefixes, p.truncated, p.last)
}

func pageOf(res storage.ListResult) page {
	var p page
	for _, o := range res.Objects {
		p.keys = append(p.keys, o.Key)
	}
	p.prefixes, p.truncated = res.CommonPrefixes, res.Truncated
	if res.Truncated {
		p.last = res.Last
	}
	return p
}

func (p page) equal(q page) bool {
	return slices.Equal(p.keys, q.keys) && slices.Equal(p.prefixes, q.prefixes) && p.truncated == q.truncated && p.last == q.last
}

// testList: one page of a listing, by prefix, delimiter, StartAfter and
// limit.
func testList(e *env) {
	e.putKeys(listKeys)
	sorted := slices.Clone(listKeys)
	slices.Sort(sorted)
	if !slices.Equal(sorted, listKeys) {
		e.t.Fatalf("listKeys are not in byte order: %q", listKeys)
	}
	k := listKeys
	type lo = storage.ListOptions
	for _, c := range []struct {
		name string
		opts lo
		want page
	}{
		{"all", lo{Limit: 100}, page{keys: k}},
		{"limit", lo{Limit: 2}, page{keys: k[:2], truncated: true, last: "a/"}},
		{"exact limit is not truncated", lo{Limit: len(k)}, page{keys: k}},
		{"prefix", lo{Prefix: "a/", Limit: 100}, page{keys: k[1:5]}},
		{"prefix beyond ASCII", lo{Prefix: "é", Limit: 100}, page{keys: []string{"é", "é/x"}}},
		{"delimiter", lo{Delimiter: "/", Limit: 100},
			page{keys: []string{"a-b", "a0", "b", "d", "z", "é"}, prefixes: []string{"a/", "c/", "é/", "日本/"}}},
		{"prefix and delimiter", lo{Prefix: "a/", Delimiter: "/", Limit: 100},
			page{keys: []string{"a/", "a/d"}, prefixes: []string{"a/b/", "a/e/"}}},
		{"truncated on a common prefix", lo{Delimiter: "/", Limit: 2},
			page{keys: []string{"a-b"}, prefixes: []string{"a/"}, truncated: true, last: "a/"}},
		{"truncated after a common prefix", lo{Delimiter: "/", Limit: 3},
			page{keys: []string{"a-b", "a0"}, prefixes: []string{"a/"}, truncated: true, last: "a0"}},
		{"multi-byte delimiter", lo{Delimiter: "/b", Limit: 100},
			page{keys: []string{"a-b", "a/", "a/d", "a/e/f", "a0", "b", "c/x", "c/y", "d", "z", "é", "é/x", "日本/語"}, prefixes: []string{"a/b"}}},
		{"non-ASCII delimiter", lo{Delimiter: "本", Limit: 100}, page{keys: k[:13], prefixes: []string{"日本"}}},
		{"start after a key", lo{StartAfter: "b", Limit: 100}, page{keys: k[7:]}},
		{"start after a non-key", lo{StartAfter: "a", Limit: 100}, page{keys: k}},
		{"start after the last key", lo{StartAfter: "日本/語", Limit: 100}, page{}},
		{"start after a common prefix excludes it", lo{Delimiter: "/", StartAfter: "a/", Limit: 100},
			page{keys: []string{"a0", "b", "d", "z", "é"}, prefixes: []string{"c/", "é/", "日本/"}}},
		{"start after a key inside a common prefix excludes the prefix", lo{Delimiter: "/", StartAfter: "a/b", Limit: 100},
			page{keys: []string{"a0", "b", "d", "z", "é"}, prefixes: []string{"c/", "é/", "日本/"}}},
		{"start after before the prefix", lo{Prefix: "c/", StartAfter: "a", Limit: 100}, page{keys: []string{"c/x", "c/y"}}},
		{"start after inside the prefix", lo{Prefix: "c/", StartAfter: "c/x", Limit: 100}, page{keys: []string{"c/y"}}},
		{"start after beyond the prefix", lo{Prefix: "c/", StartAfter: "d", Limit: 100}, page{}},
		{"no match", lo{Prefix: "q", Limit: 100}, page{}},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			res, err := e.b.ListObjects(t.Context(), bucket, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := pageOf(res); !got.equal(c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
			if res.Truncated && res.Cursor == "" {
				t.Error("a truncated page has no Cursor")
			}
		})
	}
}

// testListPaging: resuming with the opaque Cursor visits every entry
// exactly once, in order, for every page size, whether a page ends on a key
// or a common prefix.
func testListPaging(e *env) {
	e.putKeys(listKeys)
	for _, base := range []storage.ListOptions{
		{},
		{Delimiter: "/"},
		{Prefix: "a/"},
		{Prefix: "a/", Delimiter: "/"},
		{Prefix: "é"},
		{StartAfter: "a0"},
		{StartAfter: "a/", Delimiter: "/"},
	} {
		e.t.Run(fmt.Sprintf("%+v", base), func(t *testing.T) {
			full := base
			full.Limit = 1000
			all, err := e.b.ListObjects(t.Context(), bucket, full)
			if err != nil {
				t.Fatal(err)
			}
			want := sortedEntries(all)
			for limit := 1; limit <= len(want)+1; limit++ {
				opts := base
				opts.Limit = limit
				var got []string
				for pages := 0; ; pages++ {
					if pages > len(want) {
						t.Fatalf("limit %d: paging does not end after %d pages (%q)", limit, pages, got)
					}
					res, err := e.b.ListObjects(t.Context(), bucket, opts)
					if err != nil {
						t.Fatal(err)
					}
					entries := sortedEntries(res)
					if len(entries) > limit {
						t.Fatalf("limit %d: page of %d entries", limit, len(entries))
					}
					got = append(got, entries...)
					if !res.Truncated {
						break
					}
					if len(entries) == 0 || res.Cursor == "" || res.Last != entries[len(entries)-1] {
						t.Fatalf("limit %d: truncated page %q with Cursor %q, Last %q", limit, entries, res.Cursor, res.Last)
					}
					// StartAfter stays as a client repeats it: the cursor wins.
					opts.Cursor = res.Cursor
				}
				if !slices.Equal(got, want) {
					t.Fatalf("limit %d:\n got %q\nwant %q", limit, got, want)
				}
			}
		})
	}
}

// testListCursorSurvivesChanges: a cursor resumes after the entry it ended
// on even when that entry is gone; keys added before it stay behind, keys
// added after it are found.
func testListCursorSurvivesChanges(e *env) {
	e.putKeys([]string{"a", "b", "c", "d/1", "d/2", "e"})
	first, err := e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Limit: 2})
	if err != nil || !first.Truncated || first.Last != "b" {
		e.t.Fatalf("first page %v, %v", pageOf(first), err)
	}
	if _, err := e.b.DeleteObjects(e.ctx, bucket, []storage.ObjectDelete{{Key: "b"}, {Key: "c"}}); err != nil {
		e.t.Fatal(err)
	}
	e.putKeys([]string{"a0", "b0", "f"})
	rest, err := e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Cursor: first.Cursor, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	if got, want := pageOf(rest), (page{keys: []string{"b0", "d/1", "d/2", "e", "f"}}); !got.equal(want) {
		e.t.Errorf("resumed after changes: %v\nwant %v", got, want)
	}

	// Ended on a common prefix that then gains and loses keys.
	first, err = e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Delimiter: "/", StartAfter: "b0", Limit: 1})
	if err != nil || !first.Truncated || first.Last != "d/" {
		e.t.Fatalf("first delimited page %v, %v", pageOf(first), err)
	}
	e.putKeys([]string{"d/0", "d/3"})
	rest, err = e.b.ListObjects(e.ctx, bucket, storage.ListOptions{Delimiter: "/", Cursor: first.Cursor, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	if got, want := pageOf(rest), (page{keys: []string{"e", "f"}}); !got.equal(want) {
		e.t.Errorf("resumed after a common prefix: %v\nwant %v", got, want)
	}
}
