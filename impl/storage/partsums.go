package storage

import (
	"io"
	"strings"

	"github.com/s3gw/gateway/impl/checksum"
)

// PartChecksums wraps a part's body in a reader computing its checksums and
// sets opts to collect them: exps, whose values the part keeps and whose
// mismatch fails the read at the end, and, for an upload created without an
// algorithm, S3's default CRC64NVME, which only completion uses. UploadPart
// and every backend's CopyPart go through it, so a part's checksums do not
// depend on how its bytes arrived.
func PartChecksums(body io.Reader, up Upload, exps []checksum.Expectation, opts *PartOptions) io.Reader {
	all := exps
	if up.ChecksumAlgorithm == "" && !HasAlgorithm(exps, checksum.Default) {
		all = append(exps[:len(exps):len(exps)], checksum.Expectation{Alg: checksum.Default})
	}
	cr := checksum.NewReader(body, all) // never empty: the upload's algorithm or the default
	opts.LateChecksums = func() map[string]string {
		sums := cr.Sums()
		kept := make(map[string]string, len(exps))
		for _, e := range exps {
			kept[e.Alg] = sums[e.Alg]
		}
		return kept
	}
	if up.ChecksumAlgorithm == "" {
		opts.DefaultChecksum = func() string { return cr.Sums()[checksum.Default] }
	}
	return cr
}

// CopiedPartChecksums is PartChecksums for a part copied from an object:
// the part carries the upload's algorithm, computed over the copied bytes.
func CopiedPartChecksums(body io.Reader, up Upload, opts *PartOptions) io.Reader {
	var exps []checksum.Expectation
	if up.ChecksumAlgorithm != "" {
		exps = []checksum.Expectation{{Alg: up.ChecksumAlgorithm}}
	}
	return PartChecksums(body, up, exps, opts)
}

// HasAlgorithm reports whether exps includes alg.
func HasAlgorithm(exps []checksum.Expectation, alg string) bool {
	for _, e := range exps {
		if strings.EqualFold(e.Alg, alg) {
			return true
		}
	}
	return false
}

// CopyRange returns the offset and length CopyPart copies from a source of
// size bytes: opts' range, or the whole source.
func CopyRange(size int64, opts CopyPartOptions) (off, n int64) {
	if !opts.Ranged {
		return 0, size
	}
	return opts.First, opts.Last - opts.First + 1
}
