package s3api

import (
	"slices"
	"unicode/utf8"

	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
)

// checkBucketName refuses names S3 would refuse, and names the gateway's own
// endpoints reserve.
func (h *Handler) checkBucketName(name string) error {
	if !s3path.ValidBucketName(name) || slices.Contains(h.opts.ReservedBuckets, name) {
		return s3err.InvalidBucketName.With("The specified bucket is not valid: " + name)
	}
	return nil
}

// checkKey refuses keys S3 would refuse for a write.
func checkKey(key string) error {
	if len(key) > s3path.MaxKeyBytes {
		return s3err.KeyTooLongError
	}
	if !utf8.ValidString(key) {
		return s3err.InvalidArgument.With("Object key is not valid UTF-8.")
	}
	return nil
}
