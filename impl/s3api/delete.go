package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
	"github.com/s3gw/gateway/impl/storage"
)

// maxDeleteKeys is S3's limit on keys per DeleteObjects request.
const maxDeleteKeys = 1000

// readDigestedBody reads the small XML body of a request S3 wants an
// integrity digest for (DeleteObjects, PutBucketCors): Content-MD5 or an
// x-amz-checksum-* value, checked against the body.
func readDigestedBody(rq *request) ([]byte, error) {
	r := rq.r
	wantMD5, err := contentMD5(r.Header)
	if err != nil {
		return nil, err
	}
	exps, err := checksumExpectations(r)
	if err != nil {
		return nil, err
	}
	if wantMD5 == nil && len(exps) == 0 {
		return nil, errMissingDigest
	}
	if len(exps) > 0 {
		// Checked as the body is read to its end, like an upload's.
		r = r.WithContext(r.Context())
		r.Body = io.NopCloser(checksum.NewReader(rq.r.Body, exps))
	}
	body, err := readSmallBody(r)
	if err != nil {
		return nil, err
	}
	if wantMD5 != nil {
		if sum := md5.Sum(body); !bytes.Equal(sum[:], wantMD5) {
			return nil, s3err.BadDigest
		}
	}
	return body, nil
}

// errMissingDigest is S3's answer to a DeleteObjects with neither
// Content-MD5 nor an x-amz-checksum-* value (as a header or a declared
// trailer); x-amz-content-sha256 does not count.
var errMissingDigest = s3err.InvalidRequest.With("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")

func (h *Handler) deleteObjects(rq *request) error {
	body, err := readDigestedBody(rq)
	if err != nil {
		return err
	}
	req, err := parseDeleteRequest(body)
	if err != nil {
		return err
	}
	// Ownership is per bucket; scope is per key, below.
	if err := h.checkOwner(rq, rq.bucket); err != nil {
		return err
	}
	res := deleteResult{Xmlns: xmlns}
	dels := make([]storage.ObjectDelete, 0, len(req.Objects))
	versions := make([]string, 0, len(req.Objects)) // as named, echoed in the result
	for _, o := range req.Objects {
		key, version := *o.Key, ""
		if o.VersionID != nil {
			version = *o.VersionID
		}
		var e *s3err.Error
		switch {
		case key == "":
			e = s3err.InvalidArgument.With("Object key must not be empty.")
		case len(key) > s3path.MaxKeyBytes:
			e = s3err.KeyTooLongError
		case o.VersionID != nil && version != nullVersion:
			// S3's per-key answer (versity/versitygw#2119).
			e = errNoSuchVersion
		case o.Size != nil || o.LastModifiedTime != nil:
			e = errDirectoryBucketCondition
		case !rq.principal.Allows(auth.Delete, rq.bucket, key):
			e = s3err.AccessDenied
		}
		del := storage.ObjectDelete{Key: key}
		if o.ETag != nil {
			del.IfMatch = etagCondition(*o.ETag)
		}
		if e == nil && !mayCompareETag(rq, del) {
			e = s3err.AccessDenied
		}
		if e != nil {
			res.Errors = append(res.Errors, deleteFailure{Key: key, VersionID: version, Code: e.Code, Message: e.Message})
			continue
		}
		dels = append(dels, del)
		versions = append(versions, version)
	}
	if len(dels) > 0 {
		errs, err := h.opts.Backend.DeleteObjects(rq.r.Context(), rq.bucket, dels)
		if err != nil {
			return err
		}
		for i, d := range dels {
			if errs[i] != nil {
				e, _ := toAPIError(errs[i])
				res.Errors = append(res.Errors, deleteFailure{Key: d.Key, VersionID: versions[i], Code: e.Code, Message: e.Message})
			} else if !req.Quiet {
				res.Deleted = append(res.Deleted, deletedEntry{Key: d.Key, VersionID: versions[i]})
			}
		}
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

// errDirectoryBucketCondition refuses a DeleteObjects object conditioned on
// its Size or LastModifiedTime, which S3 evaluates in directory buckets
// only; what it answers for a general purpose bucket is not known, but it
// never deletes the object.
var errDirectoryBucketCondition = s3err.NotImplemented.With("Conditions on Size or LastModifiedTime are supported for directory buckets only.")

// mayCompareETag reports whether the principal may make a delete depend on
// the object's ETag, which tells it whether it guessed the ETag: S3 asks for
// s3:GetObject besides s3:DeleteObject then, but not for "*" (user guide,
// "How to perform conditional deletes").
func mayCompareETag(rq *request, del storage.ObjectDelete) bool {
	return del.IfMatch == "" || del.IfMatch == "*" || rq.principal.Allows(auth.Get, rq.bucket, del.Key)
}

// etagCondition reads an If-Match value or a DeleteObjects <ETag>: an ETag,
// quoted or not, or "*".
func etagCondition(v string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
}

// deleteConditions reads what a DeleteObject asks of the object: If-Match,
// decided with the delete. S3 refuses the conditions of directory buckets
// (x-amz-if-match-size, x-amz-if-match-last-modified-time) on a general
// purpose bucket, and If-Match together with a versionId, with 501
// (adobe/S3Mock GetPutDeleteObjectIT, ministackorg/ministack#1452,
// localstack/localstack#13894, each measured against AWS).
func deleteConditions(key string, q url.Values, hdr http.Header) (storage.ObjectDelete, error) {
	del := storage.ObjectDelete{Key: key}
	versioned, err := versionIDGiven(q)
	if err != nil {
		return del, err
	}
	for _, name := range []string{"X-Amz-If-Match-Size", "X-Amz-If-Match-Last-Modified-Time"} {
		if len(hdr.Values(name)) > 0 {
			return del, notImplementedHeader(strings.ToLower(name))
		}
	}
	if len(hdr.Values("If-Match")) == 0 {
		return del, nil
	}
	if versioned {
		return del, notImplementedHeader("If-Match")
	}
	del.IfMatch = etagCondition(hdr.Get("If-Match"))
	return del, nil
}

// parseDeleteRequest reads a DeleteObjects body: 1 to 1000 objects, each
// with a key.
func parseDeleteRequest(body []byte) (*deleteRequest, error) {
	var req deleteRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, s3err.MalformedXML
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		return nil, s3err.MalformedXML
	}
	for _, o := range req.Objects {
		if o.Key == nil {
			return nil, s3err.MalformedXML
		}
	}
	return &req, nil
}
