package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// maxListKeys is both the default and the cap of max-keys.
const maxListKeys = 1000

// listParams are the query parameters ListObjects v1 and v2 share.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	urlEncode         bool
}

// listParams reads the shared parameters and checks the principal may list
// under the requested prefix.
func (h *Handler) listParams(rq *request) (listParams, error) {
	p, err := parseListParams(rq.query)
	if err != nil {
		return p, err
	}
	return p, h.authorize(rq, auth.List, rq.bucket, p.prefix)
}

// result starts a response with the fields v1 and v2 share.
func (p listParams) result(bucket string, res storage.ListResult, enc func(string) string) listBucketResult {
	out := listBucketResult{
		Xmlns:       xmlns,
		Name:        bucket,
		Prefix:      enc(p.prefix),
		MaxKeys:     p.maxKeys,
		Delimiter:   enc(p.delimiter),
		IsTruncated: res.Truncated,
	}
	if p.urlEncode {
		out.EncodingType = "url"
	}
	return out
}

func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: maxListKeys}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, s3err.InvalidArgument.With("Provided max-keys not an integer or within integer range").
				WithArgument("max-keys", v)
		}
		p.maxKeys = min(n, maxListKeys)
	}
	switch enc := q.Get("encoding-type"); enc {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, s3err.InvalidArgument.With("Invalid Encoding Method specified in Request").
			WithArgument("encoding-type", enc)
	}
	return p, nil
}

// list runs one page of a listing: after startAfter (S3's start-after,
// marker or key-marker), or from a backend cursor a continuation token
// carried; sums asks for the objects' checksums.
func (h *Handler) list(rq *request, p listParams, startAfter, cursor string, sums bool) (storage.ListResult, error) {
	if p.maxKeys == 0 {
		_, err := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket)
		return storage.ListResult{}, err
	}
	return h.opts.Backend.ListObjects(rq.r.Context(), rq.bucket, storage.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: startAfter, Cursor: cursor, Limit: p.maxKeys, Checksums: sums,
	})
}

// encoder returns how names are written in the response: as they are, or
// URL-encoded as S3 does for encoding-type=url (space as "+", "/" kept).
func (p listParams) encoder() func(string) string {
	if !p.urlEncode {
		return func(s string) string { return s }
	}
	return func(s string) string {
		return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
	}
}

func (h *Handler) listObjectsV2(rq *request) error {
	q := rq.query
	p, err := h.listParams(rq)
	if err != nil {
		return err
	}
	startAfter, token := q.Get("start-after"), q.Get("continuation-token")
	cursor := ""
	if q.Has("continuation-token") {
		if cursor, err = h.decodeToken(rq.bucket, token); err != nil {
			return err
		}
		if cursor == "" {
			// A cursor is never empty; an empty one is a position
			// before every key, which start-after must not override.
			startAfter = ""
		}
	}
	res, err := h.list(rq, p, startAfter, cursor, false)
	if err != nil {
		return err
	}
	var own *owner
	if q.Get("fetch-owner") == "true" {
		if own, err = h.bucketOwner(rq); err != nil {
			return err
		}
	}
	enc := p.encoder()
	count := len(res.Objects) + len(res.CommonPrefixes)
	out := p.result(rq.bucket, res, enc)
	out.ContinuationToken, out.StartAfter, out.KeyCount = token, enc(startAfter), &count
	if res.Truncated {
		out.NextContinuationToken = h.encodeToken(rq.bucket, res.Cursor)
	}
	fillEntries(&out, res, enc, own)
	h.writeXML(rq, http.StatusOK, out)
	return nil
}

func (h *Handler) listObjectsV1(rq *request) error {
	q := rq.query
	p, err := h.listParams(rq)
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	res, err := h.list(rq, p, marker, "", false)
	if err != nil {
		return err
	}
	own, err := h.bucketOwner(rq)
	if err != nil {
		return err
	}
	enc := p.encoder()
	encMarker := enc(marker)
	out := p.result(rq.bucket, res, enc)
	out.Marker = &encMarker
	// S3 sends NextMarker only with a delimiter; without one, clients
	// resume from the last key.
	if res.Truncated && p.delimiter != "" {
		out.NextMarker = enc(res.Last)
	}
	fillEntries(&out, res, enc, own)
	h.writeXML(rq, http.StatusOK, out)
	return nil
}

func fillEntries(out *listBucketResult, res storage.ListResult, enc func(string) string, own *owner) {
	out.Contents = make([]objectEntry, len(res.Objects))
	for i, o := range res.Objects {
		out.Contents[i] = objectEntry{
			Key:          enc(o.Key),
			LastModified: isoTime(o.LastModified),
			ETag:         quote(o.ETag),
			Size:         o.Size,
			Owner:        own,
			StorageClass: "STANDARD",
		}
	}
	out.CommonPrefixes = make([]commonPrefix, len(res.CommonPrefixes))
	for i, cp := range res.CommonPrefixes {
		out.CommonPrefixes[i] = commonPrefix{Prefix: enc(cp)}
	}
}
