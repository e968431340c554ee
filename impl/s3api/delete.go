package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"net/http"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
)

// maxDeleteKeys is S3's limit on keys per DeleteObjects request.
const maxDeleteKeys = 1000

func (h *Handler) deleteObjects(rq *request) error {
	body, err := readSmallBody(rq.r)
	if err != nil {
		return err
	}
	if v := rq.r.Header.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return s3err.InvalidDigest
		}
		if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
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
