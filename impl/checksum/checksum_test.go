package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
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
	}
	for _, alg := range Algorithms {
		h := New(alg)
		h.Write([]byte("123456789"))
		if got := hexString(h.Sum(nil)); got != want[alg] {
			t.Errorf("%s = %s, want %s", alg, got, want[alg])
		}
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
