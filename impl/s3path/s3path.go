// Package s3path reads S3 resource names: the bucket and key of a request
// path, and S3's rules for bucket names and key lengths. It is a leaf (it
// knows only s3err) so that the S3 API and the gateway's presigned URLs
// agree on what a path names without one importing the other.
package s3path

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// MaxKeyBytes is S3's limit on the length of a key in UTF-8.
const MaxKeyBytes = 1024

// Split takes the raw (escaped) request path under the S3 API's mount
// prefix and returns the bucket and the key, each unescaped. Only the first
// slash after the bucket separates; every later byte, slashes included,
// belongs to the key. The errors are the S3 errors the API answers with: a
// path outside the prefix is InvalidRequest, one that names no resource or
// does not unescape is InvalidURI.
func Split(escaped, prefix string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(escaped, prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return "", "", s3err.InvalidRequest.With("The request path is outside the S3 API.")
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest != "" && rest[0] == '/' {
		// An empty bucket segment followed by more path (//bucket/key)
		// names no resource; without this it would be ListBuckets.
		return "", "", s3err.InvalidURI
	}
	rawBucket, rawKey, _ := strings.Cut(rest, "/")
	if bucket, err = url.PathUnescape(rawBucket); err != nil {
		return "", "", s3err.InvalidURI
	}
	if key, err = url.PathUnescape(rawKey); err != nil {
		return "", "", s3err.InvalidURI
	}
	return bucket, key, nil
}

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
