package s3api

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"testing"
)

// listPage is a listing of n entries whose strings are drawn from pieces
// that need escaping (quotes, controls, invalid UTF-8, markup) and ones
// that do not.
func listPage(rng *rand.Rand, n int) listBucketResult {
	pieces := []string{"", "a", "dir/", "ü", "日本", "&", "<", ">", `"`, "'", "\t", "\n", "\r", "\x00", "\x7f", "\xff", "\xef\xbf\xbd", "\ufffe", "]]>", "key 1"}
	str := func() string {
		var s string
		for range rng.IntN(4) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	opt := func() string {
		if rng.IntN(2) == 0 {
			return ""
		}
		return str()
	}
	r := listBucketResult{Xmlns: xmlns, Name: str(), Prefix: str(), NextMarker: opt(), ContinuationToken: opt(),
		NextContinuationToken: opt(), StartAfter: opt(), MaxKeys: rng.IntN(2000) - 1, Delimiter: opt(), EncodingType: opt(),
		IsTruncated: rng.IntN(2) == 0}
	if rng.IntN(2) == 0 {
		m := str()
		r.Marker = &m
	}
	if rng.IntN(2) == 0 {
		k := rng.IntN(1001)
		r.KeyCount = &k
	}
	for range n {
		e := objectEntry{Key: str(), LastModified: "2026-12-02T10:00:00.000Z", ETag: `"` + str() + `"`, Size: rng.Int64N(1 << 40), StorageClass: "STANDARD"}
		if rng.IntN(3) == 0 {
			e.Owner = &owner{ID: str(), DisplayName: str()}
		}
		r.Contents = append(r.Contents, e)
	}
	for range rng.IntN(4) {
		r.CommonPrefixes = append(r.CommonPrefixes, commonPrefix{Prefix: str()})
	}
	return r
}

// TestListXMLAsMarshal: the hand-written encoding is xml.Marshal's, byte
// for byte, over pages drawn at random.
func TestListXMLAsMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		r := listPage(rng, rng.IntN(6))
		if i%2 == 0 {
			r.Xmlns = ""
		}
		want, err := xml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendXML(nil); !bytes.Equal(got, want) {
			t.Fatalf("page %d:\n got %q\nwant %q", i, got, want)
		}
	}
}

// FuzzListXML holds appendXML to xml.Marshal for any strings.
func FuzzListXML(f *testing.F) {
	f.Add("bkt", "a/", "k\x00<&>\"'", "tok", int64(5))
	f.Fuzz(func(t *testing.T, name, prefix, key, token string, size int64) {
		r := listBucketResult{Xmlns: xmlns, Name: name, Prefix: prefix, NextContinuationToken: token, Marker: &key,
			Contents:       []objectEntry{{Key: key, ETag: token, Size: size, Owner: &owner{ID: name, DisplayName: key}}},
			CommonPrefixes: []commonPrefix{{Prefix: prefix + key}}}
		want, err := xml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendXML(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkListXML(b *testing.B) {
	r := listPage(rand.New(rand.NewPCG(3, 4)), 1000)
	// A page of plain keys, as most are.
	for i := range r.Contents {
		r.Contents[i].Key = "bench/object-" + string(rune('a'+i%26)) + "-0000123"
		r.Contents[i].ETag = `"d41d8cd98f00b204e9800998ecf8427e"`
		r.Contents[i].Owner = nil
	}
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := xml.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = r.appendXML(buf[:0])
		}
	})
}
