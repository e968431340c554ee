package upstream

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// radosgwPage is a page as radosgw 16.2 writes it (namespace, owners,
// storage class), with keys that need escaping.
const radosgwPage = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>` +
	`<Contents><Key>a&amp;b &lt;c&gt; &#x1F600;&#233;</Key><LastModified>2026-12-02T03:13:32.123Z</LastModified><ETag>&quot;9a0364b9e99bb480dd25e1f0284c8555&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass><Owner><ID>u</ID><DisplayName>U</DisplayName></Owner><Type>Normal</Type></Contents>` +
	`<Contents><Key>m/p</Key><LastModified>2026-12-02T03:13:33.000Z</LastModified><ETag>"abc-2"</ETag><Size>10485760</Size><Owner/></Contents>` +
	`<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes><CommonPrefixes><Prefix><![CDATA[e&/]]></Prefix></CommonPrefixes>` +
	`<KeyCount>4</KeyCount><NextContinuationToken>m/p</NextContinuationToken></ListBucketResult>`

func TestDecodeListPage(t *testing.T) {
	got, err := decodeListPage([]byte(radosgwPage))
	if err != nil {
		t.Fatal(err)
	}
	want := listPage{
		objects: []listEntry{
			{"a&b <c> 😀é", `"9a0364b9e99bb480dd25e1f0284c8555"`, 7, time.Date(2026, 12, 2, 3, 13, 32, 123e6, time.UTC)},
			{"m/p", `"abc-2"`, 10 << 20, time.Date(2026, 12, 2, 3, 13, 33, 0, time.UTC)},
		},
		prefixes:  []string{"d/", "e&/"},
		truncated: true,
		next:      "m/p",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}

	empty, err := decodeListPage([]byte(`<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>`))
	if err != nil || !reflect.DeepEqual(empty, listPage{}) {
		t.Errorf("empty page: %+v, %v", empty, err)
	}
}

func TestDecodeListPageRefuses(t *testing.T) {
	for _, doc := range []string{
		``,
		`<Error><Code>NoSuchBucket</Code></Error>`,
		`<ListBucketResult><Contents><Key>a</Key></ListBucketResult>`,
		`<ListBucketResult><Contents><Key>a</Key></Contents>`,
		`<ListBucketResult></ListBucketResult><ListBucketResult></ListBucketResult>`,
		`<ListBucketResult></ListBucketResult>junk`,
		`<ListBucketResult><Contents><Size>x</Size><Key>a</Key></Contents></ListBucketResult>`,
		`<ListBucketResult><Contents><Size>-1</Size><Key>a</Key></Contents></ListBucketResult>`,
		`<ListBucketResult><Contents><LastModified>yesterday</LastModified><Key>a</Key></Contents></ListBucketResult>`,
		`<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>`,
		`<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>`,
		`<ListBucketResult><Contents><Key>a</Key></Contents`,
	} {
		if page, err := decodeListPage([]byte(doc)); err == nil {
			t.Errorf("%q decoded as %+v", doc, page)
		}
	}
}

// wirePage is a ListBucketResult as encoding/xml writes one, the oracle.
type wirePage struct {
	XMLName   xml.Name `xml:"ListBucketResult"`
	Truncated bool     `xml:"IsTruncated"`
	Contents  []struct {
		Key          string
		LastModified string
		ETag         string
		Size         int64
		StorageClass string
	}
	CommonPrefixes []struct{ Prefix string }
	Next           string `xml:"NextContinuationToken,omitempty"`
}

// FuzzDecodeListPage: no input panics; a page encoding/xml writes from any
// keys XML can carry decodes to those keys; and whatever encoding/xml
// reads from an input it also accepts is what decodeListPage reads.
func FuzzDecodeListPage(f *testing.F) {
	f.Add([]byte(radosgwPage), "a&b", "p<", "tok")
	f.Add([]byte(`<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>`), "", "\t\"'", "")
	f.Fuzz(func(t *testing.T, doc []byte, key, prefix, next string) {
		if page, err := decodeListPage(doc); err == nil {
			var w wirePage
			if xml.Unmarshal(doc, &w) == nil && !strings.ContainsRune(string(doc), '\r') {
				if len(w.Contents) != len(page.objects) || len(w.CommonPrefixes) != len(page.prefixes) || w.Truncated != page.truncated {
					t.Fatalf("%q: decoded %+v, encoding/xml %+v", doc, page, w)
				}
				for i, c := range w.Contents {
					if c.Key != page.objects[i].key || c.ETag != page.objects[i].etag || c.Size != page.objects[i].size {
						t.Fatalf("%q: entry %d decoded %+v, encoding/xml %+v", doc, i, page.objects[i], c)
					}
				}
			}
		}

		if key == "" || !xmlText(key) || !xmlText(prefix) || !xmlText(next) {
			return
		}
		var w wirePage
		w.Truncated = next != ""
		w.Next = next
		w.Contents = append(w.Contents, struct {
			Key          string
			LastModified string
			ETag         string
			Size         int64
			StorageClass string
		}{key, "2026-12-02T03:13:32.123Z", `"e"`, 3, "STANDARD"})
		w.CommonPrefixes = append(w.CommonPrefixes, struct{ Prefix string }{prefix})
		enc, err := xml.Marshal(w)
		if err != nil {
			t.Skip() // not a document: nothing to compare
		}
		page, err := decodeListPage(enc)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if len(page.objects) != 1 || page.objects[0].key != key || page.prefixes[0] != prefix || page.next != next || page.truncated != w.Truncated {
			t.Fatalf("%s decoded as %+v", enc, page)
		}
	})
}

// xmlText reports whether s is valid UTF-8 of characters XML 1.0 allows
// (encoding/xml writes others as U+FFFD), carriage returns aside, which
// XML readers turn into line feeds.
func xmlText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == '\r' || (r < 0x20 && r != '\t' && r != '\n') || (r >= 0xD800 && r < 0xE000) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return utf8.ValidString(s)
}

// BenchmarkDecodeListPage compares decodeListPage with encoding/xml (the
// SDK's deserializer reads through encoding/xml's tokenizer, slower
// still) on a page of 1 000 keys.
func BenchmarkDecodeListPage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>list</Name><IsTruncated>true</IsTruncated>`)
	for i := range 1000 {
		fmt.Fprintf(&sb, `<Contents><Key>dir%03d/key-%05d</Key><LastModified>2026-12-02T03:13:32.123Z</LastModified><ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>u</ID><DisplayName>U</DisplayName></Owner><Type>Normal</Type></Contents>`, i/100, i)
	}
	sb.WriteString(`<NextContinuationToken>dir009/key-00999</NextContinuationToken></ListBucketResult>`)
	doc := []byte(sb.String())
	b.Run("decodeListPage", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := decodeListPage(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			var w wirePage
			if err := xml.Unmarshal(doc, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
