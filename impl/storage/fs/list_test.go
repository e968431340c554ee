package fs

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
)

// TestListRawBytes: keys and delimiters with 0xff bytes, which no valid
// UTF-8 key has, still list in byte order; a common prefix ending in 0xff
// has no successor to seek to, so the walk ends there (prefixEnd nil).
func TestListRawBytes(t *testing.T) {
	s, _ := newStore(t)
	keys := []string{"c/", "c/x", "d\xff\xffz", "d\xff\xffz/q", "e", "\xff\xff", "\xff\xff/a"}
	for _, k := range keys {
		if _, err := put(t, s, k, "v", storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	type page struct{ keys, prefixes []string }
	for _, c := range []struct {
		name string
		opts storage.ListOptions
		want page
	}{
		{"all", storage.ListOptions{Limit: 100}, page{keys: keys}},
		{"0xff delimiter", storage.ListOptions{Delimiter: "\xff\xff", Limit: 100},
			page{keys: []string{"c/", "c/x", "e"}, prefixes: []string{"d\xff\xff", "\xff\xff"}}},
		{"prefix of 0xff bytes", storage.ListOptions{Prefix: "\xff\xff", Delimiter: "/", Limit: 100},
			page{keys: []string{"\xff\xff"}, prefixes: []string{"\xff\xff/"}}},
		{"start after a key of 0xff bytes", storage.ListOptions{StartAfter: "\xff\xff", Limit: 100},
			page{keys: []string{"\xff\xff/a"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.ListObjects(context.Background(), "b", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got page
			for _, o := range res.Objects {
				got.keys = append(got.keys, o.Key)
			}
			got.prefixes = res.CommonPrefixes
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
		})
	}
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
