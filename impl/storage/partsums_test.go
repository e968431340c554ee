package storage

import (
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
)

func sum(alg, s string) string {
	h := checksum.New(alg)
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestPartChecksums(t *testing.T) {
	const body = "a part of an upload"
	for _, c := range []struct {
		name string
		up   Upload
		exps []checksum.Expectation
		// The checksums the part keeps, and its default CRC64NVME ("" for
		// no DefaultChecksum).
		kept map[string]string
		def  string
	}{
		{"no algorithm, nothing sent", Upload{}, nil, map[string]string{}, sum("crc64nvme", body)},
		{"no algorithm, a checksum sent", Upload{}, []checksum.Expectation{{Alg: "crc32", Value: sum("crc32", body)}},
			map[string]string{"crc32": sum("crc32", body)}, sum("crc64nvme", body)},
		{"no algorithm, the default sent", Upload{}, []checksum.Expectation{{Alg: "crc64nvme"}},
			map[string]string{"crc64nvme": sum("crc64nvme", body)}, sum("crc64nvme", body)},
		{"the upload's algorithm", Upload{ChecksumAlgorithm: "sha256"}, []checksum.Expectation{{Alg: "sha256", Value: sum("sha256", body)}},
			map[string]string{"sha256": sum("sha256", body)}, ""},
		{"the upload's algorithm, computed", Upload{ChecksumAlgorithm: "crc32c"}, []checksum.Expectation{{Alg: "crc32c"}},
			map[string]string{"crc32c": sum("crc32c", body)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Spare capacity: PartChecksums must not write into it.
			exps := make([]checksum.Expectation, len(c.exps), len(c.exps)+2)
			copy(exps, c.exps)
			opts := PartOptions{Size: int64(len(body))}
			r := PartChecksums(strings.NewReader(body), c.up, exps, &opts)
			if opts.Size != int64(len(body)) {
				t.Errorf("Size changed to %d", opts.Size)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != body {
				t.Fatalf("read %q, %v", got, err)
			}
			if kept := opts.LateChecksums(); !maps.Equal(kept, c.kept) {
				t.Errorf("LateChecksums %v, want %v", kept, c.kept)
			}
			switch {
			case c.def == "" && opts.DefaultChecksum != nil:
				t.Errorf("DefaultChecksum set for an upload with an algorithm: %q", opts.DefaultChecksum())
			case c.def != "" && (opts.DefaultChecksum == nil || opts.DefaultChecksum() != c.def):
				t.Errorf("DefaultChecksum missing or wrong, want %s", c.def)
			}
			if extra := exps[:cap(exps)][len(exps)]; extra.Alg != "" || extra.Value != "" || extra.Late != nil {
				t.Errorf("PartChecksums wrote %+v past the caller's expectations", extra)
			}
		})
	}
}

// TestPartChecksumsMismatch: a checksum sent that does not match fails the
// read that reaches the end, so that no backend commits the part.
func TestPartChecksumsMismatch(t *testing.T) {
	for _, up := range []Upload{{}, {ChecksumAlgorithm: "crc32"}} {
		var opts PartOptions
		r := PartChecksums(strings.NewReader("body"), up, []checksum.Expectation{{Alg: "crc32", Value: sum("crc32", "other")}}, &opts)
		_, err := io.ReadAll(r)
		var se *s3err.Error
		if !errors.As(err, &se) || se.Code != "BadDigest" {
			t.Errorf("upload %+v: read error %v, want BadDigest", up, err)
		}
	}
}

func TestCopiedPartChecksums(t *testing.T) {
	const body = "copied bytes"
	for _, c := range []struct {
		up   Upload
		kept map[string]string
		def  bool
	}{
		{Upload{}, map[string]string{}, true},
		{Upload{ChecksumAlgorithm: "sha1", ChecksumType: "COMPOSITE"}, map[string]string{"sha1": sum("sha1", body)}, false},
		{Upload{ChecksumAlgorithm: "crc64nvme", ChecksumType: "FULL_OBJECT"}, map[string]string{"crc64nvme": sum("crc64nvme", body)}, false},
	} {
		var opts PartOptions
		r := CopiedPartChecksums(strings.NewReader(body), c.up, &opts)
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		if kept := opts.LateChecksums(); !maps.Equal(kept, c.kept) {
			t.Errorf("upload %+v: LateChecksums %v, want %v", c.up, kept, c.kept)
		}
		if (opts.DefaultChecksum != nil) != c.def || (c.def && opts.DefaultChecksum() != sum("crc64nvme", body)) {
			t.Errorf("upload %+v: DefaultChecksum set %v, want %v", c.up, opts.DefaultChecksum != nil, c.def)
		}
	}
}

func TestHasAlgorithm(t *testing.T) {
	exps := []checksum.Expectation{{Alg: "crc32"}, {Alg: "SHA256"}}
	for alg, want := range map[string]bool{"crc32": true, "CRC32": true, "sha256": true, "crc32c": false, "": false} {
		if got := HasAlgorithm(exps, alg); got != want {
			t.Errorf("HasAlgorithm(%q) = %v, want %v", alg, got, want)
		}
	}
	if HasAlgorithm(nil, "crc32") {
		t.Error("HasAlgorithm of none")
	}
}

func TestCopyRange(t *testing.T) {
	for _, c := range []struct {
		size      int64
		opts      CopyPartOptions
		off, want int64
	}{
		{10, CopyPartOptions{}, 0, 10},
		{0, CopyPartOptions{}, 0, 0},
		{10, CopyPartOptions{Ranged: true, First: 2, Last: 5}, 2, 4},
		{10, CopyPartOptions{Ranged: true, First: 0, Last: 0}, 0, 1},
		{10, CopyPartOptions{Ranged: true, First: 9, Last: 9}, 9, 1},
		{10, CopyPartOptions{First: 2, Last: 5}, 0, 10}, // not Ranged: the whole source
	} {
		if off, n := CopyRange(c.size, c.opts); off != c.off || n != c.want {
			t.Errorf("CopyRange(%d, %+v) = %d, %d; want %d, %d", c.size, c.opts, off, n, c.off, c.want)
		}
	}
}
