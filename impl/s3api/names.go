package s3api

import (
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/s3gw/gateway/impl/s3err"
)

// MaxKeyBytes is S3's limit on the length of a key in UTF-8.
const MaxKeyBytes = 1024

// ValidBucketName applies S3's naming rules for general purpose buckets.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// checkBucketName refuses names S3 would refuse, and names the gateway's own
// endpoints reserve.
func (h *Handler) checkBucketName(name string) error {
	if !ValidBucketName(name) || slices.Contains(h.opts.ReservedBuckets, name) {
		return s3err.InvalidBucketName.With("The specified bucket is not valid: " + name)
	}
	return nil
}

// checkKey refuses keys S3 would refuse for a write.
func checkKey(key string) error {
	if len(key) > MaxKeyBytes {
		return s3err.KeyTooLongError
	}
	if !utf8.ValidString(key) {
		return s3err.InvalidArgument.With("Object key is not valid UTF-8.")
	}
	return nil
}
