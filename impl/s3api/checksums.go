package s3api

import (
	"net/http"
	"strings"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// S3's refusals of checksum headers (openstack/swift
// test/s3api/test_input_errors.py, run against AWS).
var (
	errChecksumUnknown  = s3err.InvalidRequest.With("The algorithm type you specified in x-amz-checksum- header is invalid.")
	errChecksumMultiple = s3err.InvalidRequest.With("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	// errChecksumBoth is the answer to a checksum in a header and another
	// declared as a trailer (test_no_md5_good_sha_different_crc_in_trailer_and_header).
	errChecksumBoth = s3err.InvalidRequest.With("Expecting a single x-amz-checksum- header")
)

// checksumHeaders reads the x-amz-checksum-<algorithm> headers of a request
// (not -type, -algorithm or -mode): algorithm names in lower case, with
// their values. An unknown algorithm, or more than one header, is S3's
// InvalidRequest; a value is not checked here.
func checksumHeaders(hdr http.Header) (algs, values []string, err error) {
	const prefix = "x-amz-checksum-"
	unknown := false
	for name, vals := range hdr {
		// Matched before lowering, so that the other headers of every
		// write cost no allocation.
		if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
			continue
		}
		alg := strings.ToLower(name[len(prefix):])
		if alg == "type" || alg == "algorithm" || alg == "mode" {
			continue
		}
		unknown = unknown || !checksum.Known(alg)
		for _, v := range vals {
			algs, values = append(algs, alg), append(values, v)
		}
	}
	// Two headers are refused before an unknown one (s3s, which follows
	// S3's answers); an unknown one is never taken for a checksum.
	switch {
	case len(algs) > 1:
		return nil, nil, errChecksumMultiple
	case unknown:
		return nil, nil, errChecksumUnknown
	}
	return algs, values, nil
}

// checksumExpectations reads which additional checksum a write must compute,
// and the value to check it against: from an x-amz-checksum-* header, from a
// trailer declared in x-amz-trailer (known only at the end of the body), or
// none. Whatever is not a single well-formed checksum of a known algorithm
// is refused, so no body is ever stored under a value nobody verified.
func checksumExpectations(r *http.Request) ([]checksum.Expectation, error) {
	algs, values, err := checksumHeaders(r.Header)
	if err != nil {
		return nil, err
	}
	var exps []checksum.Expectation
	for i, alg := range algs {
		if !checksum.ValidValue(alg, values[i]) {
			return nil, s3err.InvalidRequest.With("Value for " + checksum.HeaderName(alg) + " header is invalid.")
		}
		exps = append(exps, checksum.Expectation{Alg: alg, Value: values[i]})
	}
	trailers := 0
	for name := range strings.SplitSeq(r.Header.Get("X-Amz-Trailer"), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		alg, ok := strings.CutPrefix(name, "x-amz-checksum-")
		if !ok || !checksum.Known(alg) {
			// test_strm_unsgnd_pyld_trl_unsupported_trailer_declared (Swift).
			return nil, s3err.InvalidRequest.With("The value specified in the x-amz-trailer header is not supported")
		}
		trailers++
		exps = append(exps, checksum.Expectation{Alg: alg, Late: func() string { return r.Trailer.Get(name) }})
	}
	if len(exps) > 1 {
		if len(algs) == 1 && trailers == 1 {
			return nil, errChecksumBoth
		}
		return nil, errChecksumMultiple
	}
	// x-amz-sdk-checksum-algorithm announces the checksum the client sends;
	// S3 refuses it alone or naming another algorithm than the one sent.
	// The SDKs send it on every upload, so the matching case comes first and
	// costs no allocation.
	if alg := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); alg != "" {
		switch {
		case len(exps) == 1 && strings.EqualFold(exps[0].Alg, alg):
		case !checksum.Known(alg):
			return nil, s3err.InvalidRequest.With("Checksum algorithm " + alg + " is not supported.")
		case len(exps) == 0:
			return nil, s3err.InvalidRequest.With("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		default:
			return nil, s3err.InvalidRequest.With("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return exps, nil
}

// withDefaultChecksum adds S3's default CRC64NVME to a write that carries no
// checksum: "if objects are uploaded without a checksum, S3 automatically
// attaches the recommended full object CRC-64/NVME (CRC64NVME) checksum
// algorithm to the object" (S3 User Guide, "Checking object integrity").
func withDefaultChecksum(exps []checksum.Expectation) []checksum.Expectation {
	if len(exps) > 0 {
		return exps
	}
	return []checksum.Expectation{{Alg: checksum.Default}}
}

// setWriteChecksumHeaders answers a write with the object's checksum and,
// as PutObject does ("For PutObject uploads, the checksum type is always
// FULL_OBJECT"), its type.
func setWriteChecksumHeaders(hdr http.Header, sums map[string]string) {
	for alg, v := range sums {
		hdr.Set(checksum.HeaderName(alg), v)
	}
	if len(sums) > 0 {
		hdr.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
}

// errChecksumAlgorithm refuses an x-amz-checksum-algorithm S3 does not
// know ("Unrecognized or unsupported values will respond with the HTTP
// status code 400 Bad Request", CopyObject, API reference); the code and
// message are versitygw's (ErrInvalidChecksumAlgorithm), S3's are not on
// record.
var errChecksumAlgorithm = s3err.InvalidRequest.With("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]")

// copyChecksumAlgorithm reads a copy's x-amz-checksum-algorithm, lower
// case, "" when absent.
func copyChecksumAlgorithm(hdr http.Header) (string, error) {
	alg := strings.ToLower(hdr.Get("X-Amz-Checksum-Algorithm"))
	if alg != "" && !checksum.Known(alg) {
		return "", errChecksumAlgorithm
	}
	return alg, nil
}

// copyChecksum chooses what checksum a copy gets, given the algorithm the
// request names ("" for none): "if the source object has a checksum, that
// checksum value will be copied to the new object by default. If the
// CopyObject request does not include this x-amz-checksum-algorithm header,
// the checksum algorithm will be copied from the source object ... You can
// optionally specify a different checksum algorithm" (CopyObject, API
// reference). The copy is one piece, so a COMPOSITE source's algorithm is
// computed anew over the bytes, and a source without any checksum (written
// before S3's default) gets the default.
func copyChecksum(want string) func(storage.ObjectInfo) string {
	return func(src storage.ObjectInfo) string {
		whole := src.ChecksumType != "COMPOSITE"
		switch {
		case want != "":
			if whole && src.Checksums[want] != "" {
				return ""
			}
			return want
		case len(src.Checksums) == 0:
			return checksum.Default
		case !whole:
			for alg := range src.Checksums { // the one algorithm of the parts
				want = alg
			}
			return want
		}
		return ""
	}
}

// setChecksumHeaders returns an object's checksums, as S3 does only when
// the client asks with x-amz-checksum-mode: ENABLED and reads the whole
// object.
func setChecksumHeaders(hdr http.Header, r *http.Request, info storage.ObjectInfo, whole bool) {
	if !whole || len(info.Checksums) == 0 || !wantsChecksums(r) {
		return
	}
	for alg, v := range info.Checksums {
		hdr.Set(checksum.HeaderName(alg), v)
	}
	hdr.Set("X-Amz-Checksum-Type", info.ChecksumType)
}
