package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// Buckets here are never versioned, so every object is its "null" version:
// S3 lists an object of a bucket that never had versioning enabled with
// VersionId "null", and accepts versionId=null wherever a version is named.

// nullVersion is the version id of an object in a bucket never versioned.
const nullVersion = "null"

// errNoSuchVersion is S3's answer (per key, in DeleteObjects) for a version
// that does not exist.
var errNoSuchVersion = &s3err.Error{Code: "NoSuchVersion", Status: http.StatusNotFound, Message: "The specified version does not exist."}

// badVersionID is S3's refusal of a version id it cannot read, or of an
// empty one.
func badVersionID(v string) error {
	msg := "Invalid version id specified"
	if v == "" {
		msg = "Version id cannot be the empty string"
	}
	return s3err.InvalidArgument.With(msg).WithDetails(
		s3err.Detail{Name: "ArgumentName", Value: "versionId"}, s3err.Detail{Name: "ArgumentValue", Value: v})
}

// versionIDGiven reports whether the query names a version, refusing any
// but the null version: no other was ever issued here.
func versionIDGiven(q url.Values) (bool, error) {
	if !q.Has("versionId") {
		return false, nil
	}
	if v := q.Get("versionId"); v != nullVersion {
		return true, badVersionID(v)
	}
	return true, nil
}

func (h *Handler) listObjectVersions(rq *request) error {
	q := rq.query
	p, err := h.listParams(rq)
	if err != nil {
		return err
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if q.Has("version-id-marker") {
		// S3's answers (versity/versitygw#2174, #1811).
		if keyMarker == "" {
			return s3err.InvalidArgument.With("A version-id marker cannot be specified without a key marker.").WithDetails(
				s3err.Detail{Name: "ArgumentName", Value: "version-id-marker"}, s3err.Detail{Name: "ArgumentValue", Value: idMarker})
		}
		if idMarker != nullVersion {
			return s3err.InvalidArgument.With("Invalid version id specified").WithDetails(
				s3err.Detail{Name: "ArgumentName", Value: "version-id-marker"}, s3err.Detail{Name: "ArgumentValue", Value: idMarker})
		}
	}
	// A key has one version, so resuming after its null version and after
	// the key are the same.
	res, err := h.list(rq, p, keyMarker, "", true)
	if err != nil {
		return err
	}
	own, err := h.bucketOwner(rq)
	if err != nil {
		return err
	}
	enc := p.encoder()
	out := listVersionsResult{
		Xmlns: xmlns, Name: rq.bucket, Prefix: enc(p.prefix), KeyMarker: enc(keyMarker), VersionIDMarker: idMarker,
		MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter), IsTruncated: res.Truncated,
	}
	if p.urlEncode {
		out.EncodingType = "url"
	}
	if res.Truncated {
		out.NextKeyMarker = enc(res.Last)
		if n := len(res.Objects); n > 0 && res.Objects[n-1].Key == res.Last {
			out.NextVersionIDMarker = nullVersion
		}
	}
	for _, o := range res.Objects {
		out.Versions = append(out.Versions, versionEntry(o, enc, own))
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
	}
	h.writeXML(rq, http.StatusOK, out)
	return nil
}

// versionEntry lists an object as its null version, the latest.
func versionEntry(o storage.ObjectInfo, enc func(string) string, own *owner) objectVersion {
	v := objectVersion{
		Key: enc(o.Key), VersionID: nullVersion, IsLatest: true, LastModified: isoTime(o.LastModified),
		ETag: quote(o.ETag), Size: o.Size, Owner: own, StorageClass: "STANDARD",
	}
	for alg := range o.Checksums {
		v.ChecksumAlgorithm = append(v.ChecksumAlgorithm, strings.ToUpper(alg))
	}
	sort.Strings(v.ChecksumAlgorithm)
	if len(v.ChecksumAlgorithm) > 0 {
		v.ChecksumType = o.ChecksumType
	}
	return v
}

// listVersionsResult is ListObjectVersions' document, in the order of the
// API reference's example.
type listVersionsResult struct {
	XMLName             xml.Name        `xml:"ListVersionsResult"`
	Xmlns               string          `xml:"xmlns,attr"`
	Name                string          `xml:"Name"`
	Prefix              string          `xml:"Prefix"`
	KeyMarker           string          `xml:"KeyMarker"`
	VersionIDMarker     string          `xml:"VersionIdMarker"`
	NextKeyMarker       string          `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string          `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int             `xml:"MaxKeys"`
	Delimiter           string          `xml:"Delimiter,omitempty"`
	EncodingType        string          `xml:"EncodingType,omitempty"`
	IsTruncated         bool            `xml:"IsTruncated"`
	Versions            []objectVersion `xml:"Version"`
	CommonPrefixes      []commonPrefix  `xml:"CommonPrefixes"`
}

type objectVersion struct {
	Key               string   `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	Size              int64    `xml:"Size"`
	Owner             *owner   `xml:"Owner,omitempty"`
	StorageClass      string   `xml:"StorageClass"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}
