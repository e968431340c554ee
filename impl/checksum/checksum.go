// Package checksum implements S3's additional checksums (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256): computing them while a body streams and checking
// them against values a client sent as headers or trailers.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// Algorithms are the checksum algorithms S3 supports, by the lower-case name
// used in x-amz-checksum-<name>.
var Algorithms = []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256"}

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// nvme is the CRC-64/NVME polynomial 0xAD93D23594C93659, bit-reversed
	// as hash/crc64 expects.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)
)

// New returns a hash for an algorithm name (any case), or nil if unknown.
func New(alg string) hash.Hash {
	switch strings.ToLower(alg) {
	case "crc32":
		return crc32.NewIEEE()
	case "crc32c":
		return crc32.New(castagnoli)
	case "crc64nvme":
		return crc64.New(nvme)
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	}
	return nil
}

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
