package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

// The catalogue check values: each algorithm over "123456789".
func TestCheckValues(t *testing.T) {
	want := map[string]string{
		"crc32":     "cbf43926",
		"crc32c":    "e3069283",
		"crc64nvme": "ae8b14860a799888",
		"sha1":      "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
		"sha256":    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
		"sha512": "d9e6762dd1c8eaf6d61b3c6192fc408d4d6d5f1176d0c29169bc24e71c3f274a" +
			"d27fcd5811b313d681f7e55ec02d73d499c95455b6b5bb503acf574fba8ffe85",
		"md5": "25f9e794323b453885f5181f1b624d0b",
		// The xxHash family has no catalogue check value; TestXXHashAsAWS
		// pins it to AWS's own vectors.
	}
	sizes := map[string]int{"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32,
		"sha512": 64, "md5": 16, "xxhash64": 8, "xxhash3": 8, "xxhash128": 16}
	for _, alg := range Algorithms {
		h := New(alg)
		h.Write([]byte("123456789"))
		if got := hexString(h.Sum(nil)); want[alg] != "" && got != want[alg] {
			t.Errorf("%s = %s, want %s", alg, got, want[alg])
		}
		if !Known(strings.ToUpper(alg)) || Size(alg) != sizes[alg] || len(h.Sum(nil)) != sizes[alg] {
			t.Errorf("%s: Known %v, Size %d, want %d", alg, Known(alg), Size(alg), sizes[alg])
		}
	}
	if len(Algorithms) != len(sizes) {
		t.Errorf("%d algorithms, want %d", len(Algorithms), len(sizes))
	}
	if Known("crc16") || Size("crc16") != 0 {
		t.Error("crc16 is not an S3 algorithm")
	}
}

// The xxHash family as AWS's own implementation encodes it: the vectors of
// awslabs/aws-checksums tests/xxhash_test.c over "Hello world", and the
// base64 XXHASH64 of "hello world" that aws/aws-sdk-go-v2#3404 sends to S3.
func TestXXHashAsAWS(t *testing.T) {
	for _, c := range []struct{ alg, in, hex string }{
		{"xxhash64", "Hello world", "c500b0c912b376d8"},
		{"xxhash3", "Hello world", "b6acb9d84a38ff74"},
		{"xxhash128", "Hello world", "7351f89812f97382b91d05b31e04dd7f"},
	} {
		h := New(c.alg)
		h.Write([]byte(c.in))
		if got := hexString(h.Sum(nil)); got != c.hex {
			t.Errorf("%s(%q) = %s, want %s", c.alg, c.in, got, c.hex)
		}
	}
	h := New("XXHASH64")
	h.Write([]byte("hello world"))
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != "RatnNLIeaWg=" {
		t.Errorf("xxhash64(hello world) = %s, want RatnNLIeaWg=", got)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func crc32Of(s string) string {
	h := New("crc32")
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestReader(t *testing.T) {
	good := crc32Of("hello")
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 1)
	bad := base64.StdEncoding.EncodeToString(b[:])
	cases := []struct {
		name string
		exp  Expectation
		err  *s3err.Error
	}{
		{"header match", Expectation{Alg: "CRC32", Value: good}, nil},
		{"header mismatch", Expectation{Alg: "crc32", Value: bad}, s3err.BadDigest},
		{"trailer match", Expectation{Alg: "crc32", Late: func() string { return good }}, nil},
		{"trailer mismatch", Expectation{Alg: "crc32", Late: func() string { return bad }}, s3err.BadDigest},
		{"trailer missing", Expectation{Alg: "crc32", Late: func() string { return "" }}, s3err.MalformedTrailerError},
		{"trailer malformed", Expectation{Alg: "crc32", Late: func() string { return "not base64" }}, s3err.InvalidRequest},
		{"compute only", Expectation{Alg: "crc32"}, nil},
	}
	for _, c := range cases {
		r := NewReader(strings.NewReader("hello"), []Expectation{c.exp})
		_, err := io.ReadAll(r)
		var e *s3err.Error
		if c.err == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if r.Sums()["crc32"] != good {
				t.Errorf("%s: sums %v", c.name, r.Sums())
			}
		} else if !errors.As(err, &e) || e.Code != c.err.Code {
			t.Errorf("%s: err %v, want %s", c.name, err, c.err.Code)
		}
	}
}

// TestDeclared: checksums sent as headers are known before the body, and
// are exactly what a Reader that accepts the body ends with; a trailer or
// a checksum only computed is not.
func TestDeclared(t *testing.T) {
	good := crc32Of("hello")
	trailer := Expectation{Alg: "crc32", Late: func() string { return good }}
	for _, c := range []struct {
		name string
		exps []Expectation
		want map[string]string
	}{
		{"header", []Expectation{{Alg: "CRC32", Value: good}}, map[string]string{"crc32": good}},
		{"none", nil, nil},
		{"trailer", []Expectation{trailer}, nil},
		{"computed", []Expectation{{Alg: "crc32"}}, nil},
		{"header and computed", []Expectation{{Alg: "crc32", Value: good}, {Alg: Default}}, nil},
	} {
		got := Declared(c.exps)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got == nil {
			continue
		}
		r := NewReader(strings.NewReader("hello"), c.exps)
		if _, err := io.ReadAll(r); err != nil || fmt.Sprint(r.Sums()) != fmt.Sprint(got) {
			t.Errorf("%s: reader ended with %v (%v), declared %v", c.name, r.Sums(), err, got)
		}
	}
}

func TestValidValue(t *testing.T) {
	if !ValidValue("crc32", crc32Of("x")) || ValidValue("crc32", "AAAA") || ValidValue("sha256", crc32Of("x")) || ValidValue("nope", "") {
		t.Fatal("ValidValue")
	}
}

func TestFullObjectCombinesCRCs(t *testing.T) {
	data := make([]byte, 3<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	cuts := []int{0, 1 << 20, 1<<20 + 1, 2 << 20, len(data)}
	for _, alg := range []string{"crc32", "crc32c", "crc64nvme"} {
		var parts []string
		var sizes []int64
		for i := 1; i < len(cuts); i++ {
			h := New(alg)
			h.Write(data[cuts[i-1]:cuts[i]])
			parts = append(parts, base64.StdEncoding.EncodeToString(h.Sum(nil)))
			sizes = append(sizes, int64(cuts[i]-cuts[i-1]))
		}
		got, err := FullObject(alg, parts, sizes)
		if err != nil {
			t.Fatal(err)
		}
		h := New(alg)
		h.Write(data)
		if want := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: combined %s, direct %s", alg, got, want)
		}
	}
	if SupportsFullObject("sha256") || !SupportsFullObject("CRC32") {
		t.Fatal("SupportsFullObject")
	}
	for _, alg := range Algorithms {
		if got, want := SupportsComposite(alg), alg != Default; got != want {
			t.Errorf("SupportsComposite(%s) = %v, want %v", alg, got, want)
		}
	}
	if SupportsComposite("crc16") {
		t.Error("SupportsComposite(crc16)")
	}
}

func TestComposite(t *testing.T) {
	a, b := crc32Of("a"), crc32Of("b")
	got, err := Composite("crc32", []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	h := New("crc32")
	ra, _ := base64.StdEncoding.DecodeString(a)
	rb, _ := base64.StdEncoding.DecodeString(b)
	h.Write(ra)
	h.Write(rb)
	if want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-2"; got != want {
		t.Fatalf("%s != %s", got, want)
	}
}
