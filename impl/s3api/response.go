package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"strconv"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// errInvalidPartNumber is S3's answer to a part number the object does not
// have.
var errInvalidPartNumber = &s3err.Error{Code: "InvalidPartNumber", Status: http.StatusRequestedRangeNotSatisfiable, Message: "The requested partnumber is not satisfiable"}

// toAPIError maps any error a handler returns to the S3 error to send.
func toAPIError(err error) (*s3err.Error, bool) {
	if e, ok := s3err.As(err); ok {
		return e, true
	}
	switch {
	case errors.Is(err, storage.ErrNoSuchBucket):
		return s3err.NoSuchBucket, true
	case errors.Is(err, storage.ErrNoSuchKey):
		return s3err.NoSuchKey, true
	case errors.Is(err, storage.ErrBucketNotEmpty):
		return s3err.BucketNotEmpty, true
	case errors.Is(err, tenancy.ErrOwnedByYou):
		return s3err.BucketAlreadyOwnedByYou, true
	case errors.Is(err, tenancy.ErrTaken), errors.Is(err, storage.ErrBucketExists):
		return s3err.BucketAlreadyExists, true
	case errors.Is(err, storage.ErrPreconditionFailed):
		return s3err.PreconditionFailed, true
	case errors.Is(err, storage.ErrNotModified):
		return s3err.NotModified, true
	case errors.Is(err, storage.ErrInvalidRange):
		return s3err.InvalidRange, true
	case errors.Is(err, storage.ErrInvalidPartNumber):
		return errInvalidPartNumber, true
	case errors.Is(err, storage.ErrTooLarge):
		return s3err.EntityTooLarge, true
	case errors.Is(err, storage.ErrBadDigest):
		return s3err.BadDigest, true
	case errors.Is(err, storage.ErrIncompleteBody):
		return s3err.IncompleteBody, true
	case errors.Is(err, tenancy.ErrNotOwner):
		return s3err.AccessDenied, true
	case errors.Is(err, storage.ErrNoSuchUpload):
		return s3err.NoSuchUpload, true
	case errors.Is(err, storage.ErrInvalidPart):
		return s3err.InvalidPart, true
	case errors.Is(err, storage.ErrInvalidPartOrder):
		return s3err.InvalidPartOrder, true
	case errors.Is(err, storage.ErrEntityTooSmall):
		return s3err.EntityTooSmall, true
	case errors.Is(err, storage.ErrClosed):
		return s3err.ServiceUnavailable.With("The server is shutting down."), true
	case errors.Is(err, storage.ErrUnavailable):
		return s3err.SlowDown, true
	case errors.Is(err, context.Canceled), errors.Is(err, os.ErrDeadlineExceeded):
		// The client went away, or stopped sending its body.
		return s3err.RequestTimeout, true
	}
	return s3err.InternalError, false
}

// writeError sends err as an S3 error document (headers only for HEAD).
func (h *Handler) writeError(rq *request, err error) {
	e, known := toAPIError(err)
	if !known {
		h.log.Error("internal error", "request_id", rq.id, "op", rq.opName(), "err", err)
	} else if e.Status >= 500 {
		h.log.Warn("request failed", "request_id", rq.id, "op", rq.opName(), "code", e.Code, "err", err)
	}
	if e.Status >= 400 {
		entry := accesslog.FromContext(rq.r.Context())
		entry.Code = e.Code
		var d *auth.Denial
		if errors.As(err, &d) {
			entry.Reason = d.Reason
		}
	}
	hdr := rq.w.Header()
	var ce *storage.ConditionError
	if errors.As(err, &ce) {
		// A 304 repeats the validators (a 412 drops them below).
		hdr.Set("ETag", quote(ce.ETag))
		hdr.Set("Last-Modified", ce.LastModified.UTC().Format(http.TimeFormat))
	}
	if e.Status == http.StatusNotModified {
		// A 304 is not an error document: it keeps the validators
		// (ETag, Last-Modified) the handler set.
		rq.w.WriteHeader(e.Status)
		return
	}
	var re *storage.RangeError
	if errors.As(err, &re) {
		hdr.Set("Content-Range", "bytes */"+strconv.FormatInt(re.Size, 10))
	}
	if e.Code == s3err.MissingContentLength.Code {
		// A body sent with neither Content-Length nor Transfer-Encoding
		// is not delimited: net/http would read it as the next request.
		hdr.Set("Connection", "close")
	}
	for _, k := range []string{"ETag", "Last-Modified", "Content-Range", "Accept-Ranges", sseHeader} {
		if e.Code != s3err.InvalidRange.Code || k != "Content-Range" {
			hdr.Del(k)
		}
	}
	if rq.r.Method == http.MethodHead {
		rq.w.WriteHeader(e.Status)
		return
	}
	// The codes that name their resource name the request's, unless the
	// error names another.
	switch e.Code {
	case s3err.NoSuchKey.Code:
		if e.Key == "" {
			e = e.ForKey(rq.key)
		}
	case s3err.NoSuchBucket.Code, s3err.BucketAlreadyExists.Code, s3err.BucketAlreadyOwnedByYou.Code, s3err.BucketNotEmpty.Code:
		if e.Bucket == "" {
			e = e.ForBucket(rq.bucket)
		}
	}
	h.writeXML(rq, e.Status, e.Document(rq.r.URL.Path, rq.id))
}

// writeXML sends v as an XML document with the given status.
func (h *Handler) writeXML(rq *request, status int, v any) {
	var out []byte
	var err error
	if l, ok := v.(listBucketResult); ok {
		out = l.appendXML(make([]byte, 0, 512+len(l.Contents)*200))
	} else {
		out, err = xml.Marshal(v)
	}
	if err != nil {
		h.log.Error("encode response", "request_id", rq.id, "err", err)
		rq.w.WriteHeader(http.StatusInternalServerError)
		return
	}
	hdr := rq.w.Header()
	hdr.Set("Content-Type", "application/xml")
	hdr.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(out)))
	rq.w.WriteHeader(status)
	if rq.r.Method == http.MethodHead {
		return
	}
	if _, err := rq.w.Write([]byte(xml.Header)); err == nil {
		_, _ = rq.w.Write(out)
	}
}

func (rq *request) opName() string {
	if rq.op == nil {
		return ""
	}
	return rq.op.name
}
