package upstream

import (
	"net/textproto"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3gw/gateway/impl/storage"
)

// What the store does not keep for the gateway travels as its user
// metadata under the reserved prefix s3gw- (x-amz-meta-s3gw-…). The content
// type and the stored headers go there too, rather than as the store's own
// headers: a round trip through them is not exact (Expires is parsed as a
// date by the SDK, Content-Encoding invites transparent decoding, an absent
// Content-Type comes back as the store's default), and the gateway must
// answer exactly what the client stored.
const (
	metaPrefix       = "s3gw-"
	metaContentType  = metaPrefix + "content-type"
	metaHeader       = metaPrefix + "h-"  // + lower-case header name
	metaChecksum     = metaPrefix + "ck-" // + algorithm
	metaChecksumType = metaPrefix + "cktype"
	// metaUser escapes a client's own key that starts with the reserved
	// prefix, so that no client key can pose as the gateway's.
	metaUser = metaPrefix + "u-"
)

// encodeMeta returns the upstream user metadata for m, its checksums of
// type typ.
func encodeMeta(m storage.Metadata, typ string) map[string]string {
	out := make(map[string]string, len(m.User)+len(m.Headers)+len(m.Checksums)+2)
	for k, v := range m.User {
		k = strings.ToLower(k)
		if strings.HasPrefix(k, metaPrefix) {
			k = metaUser + k
		}
		out[k] = v
	}
	if m.ContentType != "" {
		out[metaContentType] = m.ContentType
	}
	for k, v := range m.Headers {
		out[metaHeader+strings.ToLower(k)] = v
	}
	for alg, v := range m.Checksums {
		out[metaChecksum+strings.ToLower(alg)] = v
	}
	if len(m.Checksums) > 0 {
		if typ == "" {
			typ = "FULL_OBJECT"
		}
		out[metaChecksumType] = typ
	}
	return out
}

// decodeMeta is encodeMeta's inverse: the metadata and the checksum type.
func decodeMeta(in map[string]string) (storage.Metadata, string) {
	var m storage.Metadata
	var typ string
	set := func(p *map[string]string, k, v string) {
		if *p == nil {
			*p = make(map[string]string)
		}
		(*p)[k] = v
	}
	for k, v := range in {
		k = strings.ToLower(k)
		switch {
		case strings.HasPrefix(k, metaUser):
			set(&m.User, strings.TrimPrefix(k, metaUser), v)
		case k == metaContentType:
			m.ContentType = v
		case k == metaChecksumType:
			typ = v
		case strings.HasPrefix(k, metaHeader):
			set(&m.Headers, textproto.CanonicalMIMEHeaderKey(strings.TrimPrefix(k, metaHeader)), v)
		case strings.HasPrefix(k, metaChecksum):
			set(&m.Checksums, strings.TrimPrefix(k, metaChecksum), v)
		case strings.HasPrefix(k, metaPrefix):
			// A record of a later phase: not metadata.
		default:
			set(&m.User, k, v)
		}
	}
	if len(m.Checksums) == 0 {
		typ = ""
	}
	return m, typ
}

// objectInfo builds an object's info from what a HEAD or GET answered.
func objectInfo(key string, size *int64, etag *string, modified *time.Time, meta map[string]string) storage.ObjectInfo {
	m, typ := decodeMeta(meta)
	info := storage.ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(size),
		ETag:         unquote(aws.ToString(etag)),
		LastModified: aws.ToTime(modified),
		Metadata:     m,
		ChecksumType: typ,
	}
	return info
}

// unquote strips an ETag's quotes; the storage layer's ETags are bare.
func unquote(etag string) string {
	return strings.Trim(etag, `"`)
}

// The store refuses more than 2 KiB of user metadata (keys without their
// x-amz-meta- prefix, and values), which the API layer also allows a client
// in full: the gateway's own keys must then make room. They move to a
// record bound to the object's ETag (objmeta/<h(bucket, key)>/<etag>), and
// the object keeps the marker s3gw-x when it fits. A reader consults the
// record when it sees the marker, or no key of the gateway's and so much
// user metadata that the marker could not fit. The marker's value says
// what the record holds: markerDisplaced, or markerLate and a write's id
// for the late checksums of a streamed body alone, in the record named
// by that id (lateKey), which a read that shows no checksums skips.
const (
	metaLimit       = 2 << 10
	metaMarker      = metaPrefix + "x"
	markerDisplaced = "1"
	markerLate      = "c"
)

func metaSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// internal reports whether an upstream metadata key is the gateway's.
func internal(k string) bool {
	k = strings.ToLower(k)
	return strings.HasPrefix(k, metaPrefix) && !strings.HasPrefix(k, metaUser)
}

// fitMeta splits encoded metadata that exceeds the limit into what the
// write carries and the gateway's keys it displaces (nil when all fit).
func fitMeta(enc map[string]string) (carried, displaced map[string]string) {
	if metaSize(enc) <= metaLimit {
		return enc, nil
	}
	carried, displaced = make(map[string]string), make(map[string]string)
	for k, v := range enc {
		if internal(k) {
			displaced[k] = v
		} else {
			carried[k] = v
		}
	}
	if metaSize(carried)+len(metaMarker)+1 <= metaLimit {
		carried[metaMarker] = markerDisplaced
	}
	return carried, displaced
}

// displacedMeta reports whether an object's metadata lacks the gateway's
// keys because they did not fit.
func displacedMeta(m map[string]string) bool {
	if _, ok := m[metaMarker]; ok {
		return true
	}
	for k := range m {
		if internal(k) {
			return false
		}
	}
	return metaSize(m)+len(metaMarker)+1 > metaLimit
}

func sidecarKey(bucket, key, etag string) string {
	return "objmeta/" + recordHash(bucket, key) + "/" + etag
}

// lateKey names the record of one write's late checksums (markerLate+id).
func lateKey(bucket, key, id string) string {
	return "objmeta/" + recordHash(bucket, key) + "/w-" + id
}
