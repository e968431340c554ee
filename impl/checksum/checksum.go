// Package checksum implements S3's additional checksums (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128):
// computing them while a body streams and checking them against values a
// client sent as headers or trailers.
package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"io"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/minio/crc64nvme"
	"github.com/zeebo/xxh3"

	"github.com/s3gw/gateway/impl/s3err"
)

// Algorithms are the checksum algorithms S3 supports, by the lower-case name
// used in x-amz-checksum-<name>: the five of 2022–2025 and the five S3 added
// in April 2026 (aws-sdk-go-v2 service/s3 v1.100.0, types.ChecksumAlgorithm).
var Algorithms = []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256",
	"sha512", "md5", "xxhash64", "xxhash3", "xxhash128"}

// Default is the checksum S3 gives an object uploaded without one: the
// full-object CRC64NVME ("Checksum" in the S3 API reference).
const Default = "crc64nvme"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// New returns a hash for an algorithm name (any case), or nil if unknown.
// Every sum is the digest's canonical big-endian bytes, as S3 encodes them:
// the xxHash family as XXH64_canonicalFromHash and XXH128_canonicalFromHash
// do (awslabs/aws-checksums tests/xxhash_test.c, the SDKs' implementation).
func New(alg string) hash.Hash {
	switch strings.ToLower(alg) {
	case "crc32":
		return crc32.NewIEEE()
	case "crc32c":
		return crc32.New(castagnoli)
	case "crc64nvme":
		return crc64nvme.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	case "md5":
		return md5.New()
	case "xxhash64":
		return xxhash.New()
	case "xxhash3":
		return xxh3.New()
	case "xxhash128":
		return xxh3.New128()
	}
	return nil
}

// Known reports whether alg (any case) is an algorithm S3 supports.
func Known(alg string) bool { return New(alg) != nil }

// HeaderName returns the header (and trailer) that carries an algorithm's
// value.
func HeaderName(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// Size returns the digest length of an algorithm, or 0 if unknown.
func Size(alg string) int {
	if h := New(alg); h != nil {
		return h.Size()
	}
	return 0
}

// Expectation is one checksum to compute: its algorithm and, when the client
// sent one, the value to check. A value that only arrives in a trailer is
// fetched by Late once the body has been read.
type Expectation struct {
	Alg   string
	Value string
	Late  func() string
}

// Declared returns the checksums exps name with their values, by algorithm,
// when every one of them came with the request's headers: what a Reader
// over those expectations ends with, or refuses the body. Nil when there
// are none or one is only known at the body's end (a trailer, or a
// checksum to compute).
func Declared(exps []Expectation) map[string]string {
	if len(exps) == 0 {
		return nil
	}
	sums := make(map[string]string, len(exps))
	for _, e := range exps {
		if e.Value == "" || e.Late != nil {
			return nil
		}
		sums[strings.ToLower(e.Alg)] = e.Value
	}
	return sums
}

// Reader computes checksums over a body and, at EOF, checks each against the
// expected value, failing the read with BadDigest on a mismatch (so a
// storage backend never commits the body).
type Reader struct {
	r      io.Reader
	exps   []Expectation
	hashes []hash.Hash
	sums   map[string]string
	done   bool
}

// NewReader wraps r.
func NewReader(r io.Reader, exps []Expectation) *Reader {
	cr := &Reader{r: r, exps: exps}
	for _, e := range exps {
		cr.hashes = append(cr.hashes, New(e.Alg))
	}
	return cr
}

func (c *Reader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, h := range c.hashes {
		h.Write(p[:n])
	}
	if err == io.EOF && !c.done {
		c.done = true
		if verr := c.verify(); verr != nil {
			return n, verr
		}
	}
	return n, err
}

func (c *Reader) verify() error {
	c.sums = make(map[string]string, len(c.exps))
	for i, e := range c.exps {
		got := base64.StdEncoding.EncodeToString(c.hashes[i].Sum(nil))
		want := e.Value
		if e.Late != nil {
			want = e.Late()
			if want == "" {
				return s3err.MalformedTrailerError.With("The trailer " + HeaderName(e.Alg) + " declared in x-amz-trailer was not sent.")
			}
			if !ValidValue(e.Alg, want) {
				// openstack/swift test_strm_unsgnd_pyld_trl_with_trailer_checksum_invalid, run against AWS.
				return s3err.InvalidRequest.With("Value for " + HeaderName(e.Alg) + " trailing header is invalid.")
			}
		}
		if want != "" && want != got {
			return s3err.BadDigest.With("The " + strings.ToUpper(e.Alg) + " you specified did not match the calculated checksum.")
		}
		c.sums[strings.ToLower(e.Alg)] = got
	}
	return nil
}

// Sums returns the verified checksums, base64 encoded by algorithm, once the
// body has been read to EOF; nil before.
func (c *Reader) Sums() map[string]string { return c.sums }

// ValidValue reports whether v is a well-formed base64 value for alg.
func ValidValue(alg, v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	n := Size(alg)
	return err == nil && n > 0 && len(b) == n
}
