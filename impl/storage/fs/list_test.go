package fs

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
)

func TestList(t *testing.T) {
	s, _ := newStore(t)
	keys := []string{"a/b/c", "a/d", "a/e/f", "b", "c/", "c/x", "d\xff\xffz", "d\xff\xffz/q", "e"}
	for _, k := range keys {
		if _, err := put(t, s, k, "v", storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		keys, prefixes []string
		truncated      bool
		last           string
	}
	cases := []struct {
		name string
		opts storage.ListOptions
		want page
	}{
		{"all", storage.ListOptions{Limit: 100}, page{keys: keys}},
		{"limit", storage.ListOptions{Limit: 2}, page{keys: keys[:2], truncated: true, last: "a/d"}},
		{"exact limit is not truncated", storage.ListOptions{Limit: len(keys)}, page{keys: keys}},
		{"prefix", storage.ListOptions{Prefix: "a/", Limit: 100}, page{keys: keys[:3]}},
		{"delimiter", storage.ListOptions{Delimiter: "/", Limit: 100},
			page{keys: []string{"b", "d\xff\xffz", "e"}, prefixes: []string{"a/", "c/", "d\xff\xffz/"}}},
		{"prefix and delimiter", storage.ListOptions{Prefix: "a/", Delimiter: "/", Limit: 100},
			page{keys: []string{"a/d"}, prefixes: []string{"a/b/", "a/e/"}}},
		{"after a key", storage.ListOptions{After: "b", Limit: 100}, page{keys: keys[4:]}},
		{"after a common prefix skips it", storage.ListOptions{Delimiter: "/", After: "a/", Limit: 100},
			page{keys: []string{"b", "d\xff\xffz", "e"}, prefixes: []string{"c/", "d\xff\xffz/"}}},
		{"after inside a prefix's range excludes the prefix", storage.ListOptions{Delimiter: "/", After: "a/b", Limit: 100},
			page{keys: []string{"b", "d\xff\xffz", "e"}, prefixes: []string{"c/", "d\xff\xffz/"}}},
		{"truncated on a prefix", storage.ListOptions{Delimiter: "/", Limit: 1},
			page{prefixes: []string{"a/"}, truncated: true, last: "a/"}},
		{"after beyond the end", storage.ListOptions{After: "zzz", Limit: 10}, page{}},
		{"no match", storage.ListOptions{Prefix: "q", Limit: 10}, page{}},
		{"multi-byte delimiter", storage.ListOptions{Delimiter: "\xff\xff", Limit: 100},
			page{keys: []string{"a/b/c", "a/d", "a/e/f", "b", "c/", "c/x", "e"}, prefixes: []string{"d\xff\xff"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.ListObjects(context.Background(), "b", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got page
			for _, o := range res.Objects {
				got.keys = append(got.keys, o.Key)
			}
			got.prefixes, got.truncated, got.last = res.CommonPrefixes, res.Truncated, res.Last
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// Paging with the last entry as After visits every entry exactly once, for
// any page size, with and without a delimiter.
func TestListPagingVisitsEachEntryOnce(t *testing.T) {
	s, _ := newStore(t)
	var keys []string
	for _, d := range []string{"", "x/", "y/z/", "y/"} {
		for _, f := range []string{"1", "2", "3/a", "3/b", "é"} {
			keys = append(keys, d+f)
		}
	}
	for _, k := range keys {
		if _, err := put(t, s, k, "v", storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, delim := range []string{"", "/"} {
		full, err := s.ListObjects(context.Background(), "b", storage.ListOptions{Delimiter: delim, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := entries(full)
		for size := 1; size <= len(want)+1; size++ {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("delimiter %q size %d: paging does not end", delim, size)
				}
				res, err := s.ListObjects(context.Background(), "b", storage.ListOptions{Delimiter: delim, After: after, Limit: size})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, entries(res)...)
				if !res.Truncated {
					break
				}
				after = res.Last
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("delimiter %q size %d:\n got %q\nwant %q", delim, size, got, want)
			}
		}
	}
}

// entries merges keys and prefixes in listing order.
func entries(res storage.ListResult) []string {
	out := make([]string, 0, len(res.Objects)+len(res.CommonPrefixes))
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	out = append(out, res.CommonPrefixes...)
	// Both lists are sorted; the merged listing order is byte order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.Compare(out[j-1], out[j]) > 0; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte("a/"), []byte("a0")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("\xff\xff"), nil},
		{[]byte{}, nil},
	} {
		if got := prefixEnd(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
