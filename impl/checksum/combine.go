package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Multipart objects carry one of two kinds of whole-object checksum:
// COMPOSITE, a checksum of the parts' checksums suffixed with the part count,
// or FULL_OBJECT, the checksum of the whole byte stream. For the CRCs the
// latter is derived from the parts' CRCs without reading any byte again.

// Composite returns the COMPOSITE checksum of parts' base64 checksums.
func Composite(alg string, parts []string) (string, error) {
	h := New(alg)
	if h == nil {
		return "", errors.New("checksum: unknown algorithm " + alg)
	}
	for _, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(b) != h.Size() {
			return "", errors.New("checksum: malformed part checksum")
		}
		h.Write(b)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), nil
}

// crcSpec is a reflected CRC: its polynomial in reflected form and width.
type crcSpec struct {
	poly  uint64
	width uint
}

var crcs = map[string]crcSpec{
	"crc32":     {0xedb88320, 32},
	"crc32c":    {0x82f63b78, 32},
	"crc64nvme": {0x9a6c9329ac4bc9b5, 64},
}

// SupportsComposite reports whether a multipart upload may use alg with the
// COMPOSITE type: every algorithm but CRC64NVME, which S3 keeps full-object
// only (S3 User Guide, "Checking object integrity": "Full object and
// composite checksum types").
func SupportsComposite(alg string) bool {
	return Known(alg) && !strings.EqualFold(alg, "crc64nvme")
}

// SupportsFullObject reports whether alg's FULL_OBJECT checksum can be
// combined from parts (the CRCs can; SHA digests cannot).
func SupportsFullObject(alg string) bool {
	_, ok := crcs[strings.ToLower(alg)]
	return ok
}

// FullObject combines parts' base64 CRCs, with the parts' sizes, into the
// CRC of their concatenation.
func FullObject(alg string, parts []string, sizes []int64) (string, error) {
	spec, ok := crcs[strings.ToLower(alg)]
	if !ok || len(parts) != len(sizes) || len(parts) == 0 {
		return "", errors.New("checksum: cannot combine " + alg)
	}
	var crc uint64
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil || uint(len(b)) != spec.width/8 {
			return "", errors.New("checksum: malformed part checksum")
		}
		var v uint64
		if spec.width == 32 {
			v = uint64(binary.BigEndian.Uint32(b))
		} else {
			v = binary.BigEndian.Uint64(b)
		}
		if i == 0 {
			crc = v
			continue
		}
		crc = spec.combine(crc, v, sizes[i])
	}
	out := make([]byte, spec.width/8)
	if spec.width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// combine returns crc(A||B) from crc(A), crc(B) and len(B): crc(A) times
// x^(8·len(B)) modulo the polynomial, plus crc(B). (With an all-ones initial
// value and final xor, those terms cancel.)
func (s crcSpec) combine(crcA, crcB uint64, lenB int64) uint64 {
	return s.mulmod(s.xPow8n(uint64(lenB)), crcA) ^ crcB
}

// top is x^0 in the reflected representation.
func (s crcSpec) top() uint64 { return 1 << (s.width - 1) }

// mulmod multiplies a and b modulo the polynomial, in reflected bit order.
func (s crcSpec) mulmod(a, b uint64) uint64 {
	var p uint64
	for m := s.top(); m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ s.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) modulo the polynomial, by squaring. In reflected
// order x^k is the bit k places below the top.
func (s crcSpec) xPow8n(n uint64) uint64 {
	p := s.top()       // x^0
	sq := s.top() >> 8 // x^8: one byte
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			p = s.mulmod(sq, p)
		}
		sq = s.mulmod(sq, sq)
	}
	return p
}
