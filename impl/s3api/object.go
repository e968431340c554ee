package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// storedHeaders are the standard headers kept with an object and replayed
// on GET and HEAD, and the website redirect location S3 keeps with them.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", redirectHeader}

// maxUserMetadata is S3's limit on the size of x-amz-meta-* names and values.
const maxUserMetadata = 2 << 10

// defaultContentType is what S3 reports for an object stored without one.
const defaultContentType = "binary/octet-stream"

// parseMetadata collects what a write stores besides the bytes.
func parseMetadata(hdr http.Header) (storage.Metadata, error) {
	m := storage.Metadata{ContentType: hdr.Get("Content-Type")}
	for _, name := range storedHeaders {
		v := hdr.Get(name)
		switch name {
		case "Content-Encoding":
			v = stripAWSChunked(v)
		case redirectHeader:
			if err := checkRedirect(v); err != nil {
				return m, err
			}
		}
		if v != "" {
			if m.Headers == nil {
				m.Headers = make(map[string]string)
			}
			m.Headers[name] = v
		}
	}
	size := 0
	for k, vs := range hdr {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-amz-meta-")
		if !ok {
			continue
		}
		if m.User == nil {
			m.User = make(map[string]string)
		}
		v := strings.Join(vs, ",")
		m.User[name] = v
		size += len(name) + len(v)
	}
	if size > maxUserMetadata {
		return m, s3err.MetadataTooLarge
	}
	return m, nil
}

// stripAWSChunked removes the aws-chunked transfer coding, which describes
// the request's framing and not the object.
func stripAWSChunked(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// writeConditions reads a write's If-Match / If-None-Match headers.
func writeConditions(hdr http.Header) (storage.Conditions, error) {
	var c storage.Conditions
	if v := hdr.Get("If-None-Match"); v != "" {
		if strings.TrimSpace(v) != "*" {
			return c, s3err.NotImplemented.With("If-None-Match on a write supports only *.")
		}
		c.IfNoneMatch = true
	}
	if v := strings.TrimSpace(hdr.Get("If-Match")); v != "" {
		c.IfMatch = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	}
	return c, nil
}

// contentMD5 reads a Content-MD5 header, nil when absent. Present but empty
// is invalid, as in S3 (ceph/s3-tests test_object_create_bad_md5_empty).
func contentMD5(hdr http.Header) ([]byte, error) {
	vs := hdr["Content-Md5"]
	if len(vs) == 0 {
		return nil, nil
	}
	v := vs[0]
	sum, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sum) != md5.Size {
		// S3's words and element (openstack/swift
		// test/s3api/test_input_errors.py, assertInvalidDigest).
		return nil, s3err.InvalidDigest.With("The Content-MD5 you specified was invalid.").
			WithDetails(s3err.Detail{Name: "Content-MD5", Value: v})
	}
	return sum, nil
}

// errChunkedBody is S3's answer to a body sent with Transfer-Encoding:
// chunked that is not an aws-chunked payload (Automattic/knox#43,
// chilts/awssum#30: Server: AmazonS3).
var errChunkedBody = notImplementedHeader("Transfer-Encoding")

// bodySize returns the decoded length of a write's body, which S3 needs up
// front: an aws-chunked payload's x-amz-decoded-content-length (its own
// framing may be Content-Length or Transfer-Encoding: chunked), else
// Content-Length. Without it the answer is 411 MissingContentLength, as
// S3's for a missing or non-numeric decoded length and for a body sent with
// neither Content-Length nor Transfer-Encoding (openstack/swift
// test/s3api/test_input_errors.py, run against AWS).
func bodySize(r *http.Request) (int64, error) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		if n, ok := parseDigits(r.Header.Get("X-Amz-Decoded-Content-Length")); ok {
			return n, nil
		}
		return 0, s3err.MissingContentLength
	}
	if len(r.TransferEncoding) > 0 {
		return 0, errChunkedBody
	}
	if r.ContentLength < 0 || len(r.Header["Content-Length"]) == 0 {
		return 0, s3err.MissingContentLength
	}
	return r.ContentLength, nil
}

// ensureBucket makes a write's missing bucket, when the gateway creates
// buckets on first write: claim, then create, before the body is read. It
// returns what undoes that if the write then fails, so that a refused write
// leaves no bucket behind.
func (h *Handler) ensureBucket(rq *request) (undo func(), err error) {
	nop := func() {}
	if !rq.unclaimed {
		return nop, nil
	}
	project := h.createFor(rq)
	if project == "" {
		return nop, nil
	}
	made, err := h.buckets.Ensure(rq.r.Context(), rq.bucket, project)
	switch {
	case errors.Is(err, tenancy.ErrNotOwner):
		return nop, s3err.AccessDenied
	case err != nil:
		return nop, err
	case !made:
		return nop, nil
	}
	ctx := rq.r.Context()
	return func() { h.buckets.Undo(ctx, rq.bucket, project) }, nil
}

// createFor returns the project a write may create a missing bucket for.
func (h *Handler) createFor(rq *request) string {
	if !h.opts.AutoCreateBuckets || !s3path.ValidBucketName(rq.bucket) {
		return ""
	}
	for _, r := range h.opts.ReservedBuckets {
		if r == rq.bucket {
			return ""
		}
	}
	return rq.principal.Project
}

func (h *Handler) putObject(rq *request) error {
	if err := checkKey(rq.key); err != nil {
		return err
	}
	hdr := rq.r.Header
	meta, err := parseMetadata(hdr)
	if err != nil {
		return err
	}
	cond, err := writeConditions(hdr)
	if err != nil {
		return err
	}
	wantMD5, err := contentMD5(hdr)
	if err != nil {
		return err
	}
	size, err := bodySize(rq.r)
	if err != nil {
		return err
	}
	if size > h.opts.MaxBodyBytes {
		return s3err.EntityTooLarge
	}
	exps, err := checksumExpectations(rq.r)
	if err != nil {
		return err
	}
	opts := storage.PutOptions{
		Metadata:   meta,
		Size:       size,
		MaxSize:    h.opts.MaxBodyBytes,
		ContentMD5: wantMD5,
		Conditions: cond,
		NoModTime:  true, // a PUT's answer has no Last-Modified
	}
	undo := func() {}
	if cond.IfMatch == "" { // nothing to match in a bucket made now
		if undo, err = h.ensureBucket(rq); err != nil {
			return err
		}
	}
	cr := checksum.NewReader(rq.r.Body, withDefaultChecksum(exps))
	if sums := checksum.Declared(exps); sums != nil {
		// Known before the body, which cr refuses unless it matches them:
		// a backend that streams the body on (upstream) then sends them
		// with it instead of recording them after it.
		opts.Metadata.Checksums = sums
	} else {
		opts.LateChecksums = cr.Sums
	}
	info, err := h.opts.Backend.PutObject(rq.r.Context(), rq.bucket, rq.key, cr, opts)
	if err != nil {
		undo()
		return err
	}
	setWriteChecksumHeaders(rq.w.Header(), info.Checksums)
	rq.w.Header().Set("ETag", quote(info.ETag))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// checkPartNumber refuses a read's bad ?partNumber before the key is looked
// up, as S3 does (versity/versitygw's HeadObject_invalid_part_number, run
// against S3, gets 400 for a key that does not exist).
func (h *Handler) checkPartNumber(rq *request) error {
	if !rq.query.Has("partNumber") {
		return nil
	}
	_, err := h.partNumber(rq)
	return err
}

// readOptions reads what a GET or HEAD asks of the object: its conditions,
// range and part number, which the backend decides.
func (h *Handler) readOptions(rq *request) (storage.ReadOptions, error) {
	if _, err := versionIDGiven(rq.query); err != nil {
		return storage.ReadOptions{}, err
	}
	hdr := rq.r.Header
	opts := storage.ReadOptions{ReadConditions: storage.ReadConditions{
		IfMatch:           hdr.Get("If-Match"),
		IfNoneMatch:       hdr.Get("If-None-Match"),
		IfModifiedSince:   parseHTTPTime(hdr.Get("If-Modified-Since")),
		IfUnmodifiedSince: parseHTTPTime(hdr.Get("If-Unmodified-Since")),
	}}
	if rq.query.Has("partNumber") {
		// A bad part number is refused before the key is looked up, as S3
		// does (versity/versitygw's HeadObject_invalid_part_number, run
		// against S3, gets 400 for a key that does not exist).
		n, err := h.partNumber(rq)
		if err != nil {
			return opts, err
		}
		if hdr.Get("Range") != "" {
			return opts, s3err.InvalidRequest.With("Cannot specify both Range header and partNumber query parameter")
		}
		opts.PartNumber = n
		return opts, nil
	}
	opts.Range = parseRange(hdr.Get("Range"))
	opts.SkipChecksums = !wantsChecksums(rq.r)
	return opts, nil
}

// wantsChecksums reports whether a read shows the object's checksums
// (setChecksumHeaders): only when the client asks.
func wantsChecksums(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED")
}

func (h *Handler) headObject(rq *request) error {
	opts, err := h.readOptions(rq)
	if err != nil {
		return err
	}
	info, sec, err := h.opts.Backend.StatObject(rq.r.Context(), rq.bucket, rq.key, opts)
	if err != nil {
		return err
	}
	return h.serveObject(rq, info, sec, nil)
}

func (h *Handler) getObject(rq *request) error {
	opts, err := h.readOptions(rq)
	if err != nil {
		return err
	}
	obj, err := h.opts.Backend.OpenObject(rq.r.Context(), rq.bucket, rq.key, opts)
	if err != nil {
		return err
	}
	defer obj.Close()
	return h.serveObject(rq, obj.Info(), obj.Section(), obj)
}

// serveObject answers a GET (obj set) or HEAD whose conditions held: the
// headers, then the section's bytes.
func (h *Handler) serveObject(rq *request, info storage.ObjectInfo, sec storage.Section, obj storage.Object) error {
	w, hdr := rq.w, rq.w.Header()
	hdr.Set("ETag", quote(info.ETag))
	hdr.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	if sec.PartsCount > 0 {
		hdr.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(sec.PartsCount))
	}
	setObjectHeaders(hdr, info)
	setChecksumHeaders(hdr, rq.r, info, !sec.Partial)
	applyResponseOverrides(hdr, rq.query)
	status := http.StatusOK
	if sec.Partial {
		status = http.StatusPartialContent
		hdr.Set("Content-Range", "bytes "+strconv.FormatInt(sec.Start, 10)+"-"+strconv.FormatInt(sec.Start+sec.Length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
	}
	hdr.Set("Content-Length", strconv.FormatInt(sec.Length, 10))
	w.WriteHeader(status)
	if obj == nil || sec.Length == 0 {
		return nil
	}
	if _, err := obj.WriteTo(w); err != nil {
		// The status is sent; all we can do is cut the connection short
		// so the client sees a truncated body rather than a complete one.
		h.log.Warn("object body interrupted", "request_id", rq.id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func setObjectHeaders(hdr http.Header, info storage.ObjectInfo) {
	ct := info.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("Accept-Ranges", "bytes")
	for k, v := range info.Headers {
		hdr.Set(k, v)
	}
	for k, v := range info.User {
		hdr["X-Amz-Meta-"+k] = []string{v}
	}
}

// responseOverrides maps the response-* query parameters of a GET to the
// headers they replace.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func applyResponseOverrides(hdr http.Header, q url.Values) {
	for param, header := range responseOverrides {
		if q.Has(param) {
			hdr.Set(header, q.Get(param))
		}
	}
}

func (h *Handler) deleteObject(rq *request) error {
	del, err := deleteConditions(rq.key, rq.query, rq.r.Header)
	if err != nil {
		return err
	}
	if !mayCompareETag(rq, del) {
		return s3err.AccessDenied
	}
	errs, err := h.opts.Backend.DeleteObjects(rq.r.Context(), rq.bucket, []storage.ObjectDelete{del})
	if err != nil {
		return err
	}
	if errs[0] != nil {
		return errs[0]
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseCopySource reads x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, optionally with "?versionId=".
func parseCopySource(v string) (storage.ObjectRef, error) {
	bad := s3err.InvalidArgument.With("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	raw, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return storage.ObjectRef{}, bad
		}
		if _, err := versionIDGiven(q); err != nil {
			return storage.ObjectRef{}, err
		}
	}
	src, err := url.PathUnescape(strings.TrimPrefix(raw, "/"))
	if err != nil {
		return storage.ObjectRef{}, bad
	}
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return storage.ObjectRef{}, bad
	}
	return storage.ObjectRef{Bucket: bucket, Key: key}, nil
}

// maxCopySource is the most S3 copies in one request: CopyObject's source,
// or the bytes UploadPartCopy copies into a part.
const maxCopySource = 5 << 30

// errCopyTooLarge is S3's refusal of a larger copy (rclone/rclone#2375 and
// hashicorp/terraform-provider-aws#38102 for CopyObject,
// awslabs/amazon-s3-tar-tool#26 for UploadPartCopy; the ErrorResponses page
// lists it under InvalidRequest).
var errCopyTooLarge = s3err.InvalidRequest.With("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")

func (h *Handler) copyObject(rq *request) error {
	if err := checkKey(rq.key); err != nil {
		return err
	}
	hdr := rq.r.Header
	src, err := parseCopySource(hdr.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	if err := h.authorize(rq, auth.Get, src.Bucket, src.Key); err != nil {
		return err
	}
	// meta is filled from the source (COPY) or the request (REPLACE).
	meta, replace := &storage.Metadata{}, false
	redirect := hdr.Get(redirectHeader)
	switch d := hdr.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
		if err := checkRedirect(redirect); err != nil {
			return err
		}
		if src.Bucket == rq.bucket && src.Key == rq.key && redirect == "" && hdr.Get(sseHeader) == "" {
			return s3err.InvalidRequest.With("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		m, err := parseMetadata(hdr)
		if err != nil {
			return err
		}
		meta, replace = &m, true
	default:
		return s3err.InvalidArgument.With("Unknown metadata directive.")
	}
	cond, err := writeConditions(hdr)
	if err != nil {
		return err
	}
	copyAlg, err := copyChecksumAlgorithm(hdr)
	if err != nil {
		return err
	}
	undo := func() {}
	if cond.IfMatch == "" {
		if undo, err = h.ensureBucket(rq); err != nil {
			return err
		}
	}
	info, err := h.opts.Backend.CopyObject(rq.r.Context(), src, storage.ObjectRef{Bucket: rq.bucket, Key: rq.key}, storage.CopyOptions{
		Metadata: meta,
		SourceCheck: func(si storage.ObjectInfo) error {
			if si.Size > maxCopySource {
				return errCopyTooLarge
			}
			if !replace {
				// The copy's checksums are the storage's to keep or compute.
				*meta = copiedMetadata(si.Metadata, redirect)
			}
			if err := copySourcePreconditions(hdr, si.ETag, si.LastModified); err != nil {
				return err
			}
			return nil
		},
		Checksum:   copyChecksum(copyAlg),
		Conditions: cond,
	})
	if err != nil {
		undo()
		if errors.Is(err, storage.ErrNoSuchKey) {
			return s3err.NoSuchKey.ForKey(src.Key) // the source, as S3 names it
		}
		return err
	}
	res := copyObjectResult{Xmlns: xmlns, LastModified: isoTime(info.LastModified), ETag: quote(info.ETag)}
	if len(info.Checksums) > 0 {
		res.set(info.Checksums)
		res.ChecksumType = info.ChecksumType
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}
