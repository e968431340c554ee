package s3api

import (
	"net/http"
	"strings"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// checksumExpectations reads which additional checksum a write must compute,
// and the value to check it against: from an x-amz-checksum-* header, from a
// trailer declared in x-amz-trailer (known only at the end of the body), or
// none.
func checksumExpectations(r *http.Request) ([]checksum.Expectation, error) {
	var exps []checksum.Expectation
	for _, alg := range checksum.Algorithms {
		name := checksum.HeaderName(alg)
		if v := r.Header.Get(name); v != "" {
			if !checksum.ValidValue(alg, v) {
				return nil, s3err.InvalidRequest.With("Value for " + name + " header is invalid.")
			}
			exps = append(exps, checksum.Expectation{Alg: alg, Value: v})
		}
	}
	for name := range strings.SplitSeq(r.Header.Get("X-Amz-Trailer"), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		alg, ok := strings.CutPrefix(name, "x-amz-checksum-")
		if !ok || checksum.New(alg) == nil {
			return nil, s3err.InvalidRequest.With("The trailer " + name + " is not a supported checksum.")
		}
		exps = append(exps, checksum.Expectation{Alg: alg, Late: func() string { return r.Trailer.Get(name) }})
	}
	if len(exps) > 1 {
		return nil, s3err.InvalidRequest.With("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	// x-amz-sdk-checksum-algorithm announces the checksum the client sends;
	// S3 refuses it alone or naming another algorithm than the one sent.
	// The SDKs send it on every upload, so the matching case comes first and
	// costs no allocation.
	if alg := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); alg != "" {
		switch {
		case len(exps) == 1 && strings.EqualFold(exps[0].Alg, alg):
		case checksum.New(alg) == nil:
			return nil, s3err.InvalidRequest.With("Checksum algorithm " + alg + " is not supported.")
		case len(exps) == 0:
			return nil, s3err.InvalidRequest.With("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		default:
			return nil, s3err.InvalidRequest.With("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return exps, nil
}

// setChecksumHeaders returns an object's checksums, as S3 does only when
// the client asks with x-amz-checksum-mode: ENABLED and reads the whole
// object.
func setChecksumHeaders(hdr http.Header, r *http.Request, info storage.ObjectInfo, whole bool) {
	if !whole || len(info.Checksums) == 0 || !strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		return
	}
	for alg, v := range info.Checksums {
		hdr.Set(checksum.HeaderName(alg), v)
	}
	hdr.Set("X-Amz-Checksum-Type", info.ChecksumType)
}
