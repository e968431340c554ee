package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"io"
	"net/http"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
)

// maxDeleteKeys is S3's limit on keys per DeleteObjects request.
const maxDeleteKeys = 1000

// errMissingDigest is S3's answer to a DeleteObjects with neither
// Content-MD5 nor an x-amz-checksum-* value (as a header or a declared
// trailer); x-amz-content-sha256 does not count.
var errMissingDigest = s3err.InvalidRequest.With("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")

func (h *Handler) deleteObjects(rq *request) error {
	r := rq.r
	wantMD5, err := contentMD5(r.Header)
	if err != nil {
		return err
	}
	exps, err := checksumExpectations(r)
	if err != nil {
		return err
	}
	if wantMD5 == nil && len(exps) == 0 {
		return errMissingDigest
	}
	if len(exps) > 0 {
		// Checked as the body is read to its end, like an upload's.
		r = r.WithContext(r.Context())
		r.Body = io.NopCloser(checksum.NewReader(rq.r.Body, exps))
	}
	body, err := readSmallBody(r)
	if err != nil {
		return err
	}
	if wantMD5 != nil {
		if sum := md5.Sum(body); !bytes.Equal(sum[:], wantMD5) {
			return s3err.BadDigest
		}
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
	keys := make([]string, 0, len(req.Objects))
	for _, o := range req.Objects {
		key := *o.Key
		var e *s3err.Error
		switch {
		case key == "":
			e = s3err.InvalidArgument.With("Object key must not be empty.")
		case len(key) > MaxKeyBytes:
			e = s3err.KeyTooLongError
		case o.VersionID != "" && o.VersionID != "null":
			e = s3err.NotImplemented.With("Versioned deletes are not supported.")
		case !rq.principal.Allows(auth.Delete, rq.bucket, key):
			e = s3err.AccessDenied
		}
		if e != nil {
			res.Errors = append(res.Errors, deleteFailure{Key: key, Code: e.Code, Message: e.Message})
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) > 0 {
		errs, err := h.opts.Backend.DeleteObjects(rq.r.Context(), rq.bucket, keys)
		if err != nil {
			return err
		}
		for i, key := range keys {
			if errs[i] != nil {
				e, _ := toAPIError(errs[i])
				res.Errors = append(res.Errors, deleteFailure{Key: key, Code: e.Code, Message: e.Message})
			} else if !req.Quiet {
				res.Deleted = append(res.Deleted, deletedEntry{Key: key})
			}
		}
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
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
