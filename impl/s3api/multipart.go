package s3api

import (
	"cmp"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// S3's multipart limits.
const (
	maxPartSize  = 5 << 30 // 5 GiB
	minPartSize  = 5 << 20 // 5 MiB, for every part but the last
	maxListParts = 1000
)

func (h *Handler) createMultipartUpload(rq *request) error {
	if err := checkKey(rq.key); err != nil {
		return err
	}
	meta, err := parseMetadata(rq.r.Header)
	if err != nil {
		return err
	}
	alg, typ, err := uploadChecksum(rq.r.Header)
	if err != nil {
		return err
	}
	undo, err := h.ensureBucket(rq)
	if err != nil {
		return err
	}
	up, err := h.opts.Backend.CreateUpload(rq.r.Context(), rq.bucket, rq.key, storage.UploadOptions{
		Metadata:          meta,
		ChecksumAlgorithm: alg,
		ChecksumType:      typ,
	})
	if err != nil {
		undo()
		return err
	}
	if alg != "" {
		rq.w.Header().Set("X-Amz-Checksum-Algorithm", strings.ToUpper(alg))
		rq.w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	h.writeXML(rq, http.StatusOK, initiateMultipartUploadResult{Xmlns: xmlns, Bucket: rq.bucket, Key: rq.key, UploadID: up.ID})
	return nil
}

// uploadChecksum reads the whole-object checksum an upload asks for:
// x-amz-checksum-algorithm and x-amz-checksum-type, with S3's defaults and
// its rules on which combinations exist.
func uploadChecksum(hdr http.Header) (alg, typ string, err error) {
	alg = strings.ToLower(hdr.Get("X-Amz-Checksum-Algorithm"))
	typ = strings.ToUpper(hdr.Get("X-Amz-Checksum-Type"))
	if alg == "" {
		if typ != "" {
			return "", "", s3err.InvalidRequest.With("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	if !checksum.Known(alg) {
		return "", "", errChecksumAlgorithm
	}
	if typ == "" {
		// Every algorithm but CRC64NVME is COMPOSITE unless asked otherwise
		// (S3 User Guide, "Checking object integrity").
		typ = "COMPOSITE"
		if !checksum.SupportsComposite(alg) {
			typ = "FULL_OBJECT"
		}
	}
	switch {
	case typ != "COMPOSITE" && typ != "FULL_OBJECT":
		return "", "", s3err.InvalidRequest.With("Value for x-amz-checksum-type header is invalid.")
	case typ == "FULL_OBJECT" && !checksum.SupportsFullObject(alg):
		return "", "", s3err.InvalidRequest.With("The FULL_OBJECT checksum type cannot be used with the " + strings.ToUpper(alg) + " checksum algorithm.")
	case typ == "COMPOSITE" && !checksum.SupportsComposite(alg):
		return "", "", s3err.InvalidRequest.With("The COMPOSITE checksum type cannot be used with the " + strings.ToUpper(alg) + " checksum algorithm.")
	}
	return alg, typ, nil
}

// partNumber reads ?partNumber within S3's range and the configured cap,
// refusing it as S3 does, naming the argument (basho/riak_cs#945 and
// curtis0x/fake-s3#238 quote the document).
func (h *Handler) partNumber(rq *request) (int, error) {
	v := rq.query.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > h.opts.MaxParts {
		return 0, s3err.InvalidArgument.With("Part number must be an integer between 1 and "+strconv.Itoa(h.opts.MaxParts)+", inclusive").
			WithArgument("partNumber", v)
	}
	return n, nil
}

// upload finds the request's upload, bound to its bucket and key.
func (h *Handler) upload(rq *request) (storage.Upload, error) {
	return h.opts.Backend.GetUpload(rq.r.Context(), rq.bucket, rq.key, rq.query.Get("uploadId"))
}

// partOf reads an UploadPart's part number and finds its upload.
func (h *Handler) partOf(rq *request) (int, storage.Upload, error) {
	n, err := h.partNumber(rq)
	if err != nil {
		return 0, storage.Upload{}, err
	}
	up, err := h.upload(rq)
	return n, up, err
}

func (h *Handler) uploadPart(rq *request) error {
	n, up, err := h.partOf(rq)
	if err != nil {
		return err
	}
	hdr := rq.r.Header
	var wantMD5 []byte
	if wantMD5, err = contentMD5(hdr); err != nil {
		return err
	}
	size, err := bodySize(rq.r)
	if err != nil {
		return err
	}
	limit := min(h.opts.MaxBodyBytes, maxPartSize)
	if size > limit {
		return s3err.EntityTooLarge
	}
	exps, err := checksumExpectations(rq.r)
	if err != nil {
		return err
	}
	if up.ChecksumAlgorithm != "" && !storage.HasAlgorithm(exps, up.ChecksumAlgorithm) {
		actual := "null"
		if len(exps) > 0 {
			actual = exps[0].Alg
		}
		// A COMPOSITE checksum needs every part's from the client; a
		// FULL_OBJECT one S3 computes (versity/versitygw#1342).
		if len(exps) > 0 || up.ChecksumType == "COMPOSITE" {
			return s3err.InvalidRequest.With("Checksum Type mismatch occurred, expected checksum Type: " + up.ChecksumAlgorithm + ", actual checksum Type: " + actual)
		}
		exps = append(exps, checksum.Expectation{Alg: up.ChecksumAlgorithm})
	}
	opts := storage.PartOptions{Size: size, MaxSize: limit, ContentMD5: wantMD5}
	body := storage.PartChecksums(rq.r.Body, up, exps, &opts)
	part, err := h.opts.Backend.PutPart(rq.r.Context(), rq.bucket, rq.key, up.ID, n, body, opts)
	if err != nil {
		return err
	}
	for alg, v := range part.Checksums {
		rq.w.Header().Set(checksum.HeaderName(alg), v)
	}
	rq.w.Header().Set("ETag", quote(part.ETag))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// uploadPartCopy is UploadPart with its bytes taken from an existing object
// (x-amz-copy-source), optionally a range of it.
func (h *Handler) uploadPartCopy(rq *request) error {
	n, err := h.partNumber(rq)
	if err != nil {
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
	opts := storage.CopyPartOptions{}
	rangeHeader := hdr.Get("x-amz-copy-source-range")
	if rangeHeader != "" {
		if opts.First, opts.Last, err = parseCopyRange(rangeHeader); err != nil {
			return err
		}
		opts.Ranged = true
	}
	limit := min(h.opts.MaxBodyBytes, maxPartSize)
	opts.SourceCheck = func(info storage.ObjectInfo) error {
		if err := copySourcePreconditions(hdr, info.ETag, info.LastModified); err != nil {
			return err
		}
		if opts.Ranged && opts.Last >= info.Size {
			return s3err.InvalidArgument.With("Range specified is not valid for source object of size: " + strconv.FormatInt(info.Size, 10))
		}
		_, length := storage.CopyRange(info.Size, opts)
		if length > maxCopySource {
			return errCopyTooLarge
		}
		if length > limit {
			return s3err.EntityTooLarge
		}
		return nil
	}
	part, err := h.opts.Backend.CopyPart(rq.r.Context(), src, rq.bucket, rq.key, rq.query.Get("uploadId"), n, opts)
	if err != nil {
		if errors.Is(err, storage.ErrNoSuchKey) {
			return s3err.NoSuchKey.ForKey(src.Key) // the source, as S3 names it
		}
		return err
	}
	res := copyPartResult{Xmlns: xmlns, LastModified: isoTime(part.LastModified), ETag: quote(part.ETag)}
	res.set(part.Checksums)
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

// parseCopyRange reads x-amz-copy-source-range: "bytes=first-last", both
// required; whether they lie inside the source is the SourceCheck's.
func parseCopyRange(v string) (first, last int64, err error) {
	bad := s3err.InvalidArgument.With("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	first, ok1 := parseDigits(a)
	last, ok2 := parseDigits(b)
	if !ok || !ok1 || !ok2 || last < first {
		return 0, 0, bad
	}
	return first, last, nil
}

func (h *Handler) completeMultipartUpload(rq *request) error {
	body, err := readSmallBody(rq.r)
	if err != nil {
		return err
	}
	var req completeMultipartUpload
	if err := xml.Unmarshal(body, &req); err != nil || len(req.Parts) == 0 {
		return s3err.MalformedXML
	}
	parts := make([]storage.CompletedPart, len(req.Parts))
	for i, p := range req.Parts {
		if p.PartNumber == nil {
			return s3err.MalformedXML
		}
		if *p.PartNumber < 1 || *p.PartNumber > h.opts.MaxParts {
			return s3err.InvalidPart // no such part can have been uploaded
		}
		parts[i] = storage.CompletedPart{
			Number:    *p.PartNumber,
			ETag:      strings.Trim(strings.TrimSpace(p.ETag), `"`),
			Checksums: p.get(),
		}
	}
	cond, err := writeConditions(rq.r.Header)
	if err != nil {
		return err
	}
	var check func(storage.ObjectInfo) error
	up, err := h.upload(rq)
	switch {
	case errors.Is(err, storage.ErrNoSuchUpload):
		// Perhaps the retry of a completion that succeeded: the backend
		// remembers those, and answers NoSuchUpload for anything else.
		up.ID = rq.query.Get("uploadId")
	case err != nil:
		return err
	default:
		if check, err = completeChecks(rq.r.Header, up); err != nil {
			return err
		}
	}
	info, err := h.opts.Backend.CompleteUpload(rq.r.Context(), rq.bucket, rq.key, up.ID, parts, storage.CompleteOptions{
		MinPartSize: cmp.Or(h.opts.MinPartSize, minPartSize),
		Conditions:  cond,
		Check:       check,
	})
	if err != nil {
		return err
	}
	res := completeMultipartUploadResult{
		Xmlns:    xmlns,
		Location: objectURL(rq.r, h.opts.Prefix, rq.bucket, rq.key),
		Bucket:   rq.bucket,
		Key:      rq.key,
		ETag:     quote(info.ETag),
	}
	if len(info.Checksums) > 0 {
		res.set(info.Checksums)
		res.ChecksumType = info.ChecksumType
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

// completeChecks reads what a CompleteMultipartUpload asks to be checked
// against the assembled object before it is committed:
//   - x-amz-checksum-type must be the upload's type, else BadDigest ("If the
//     checksum type doesn't match the checksum type that was specified for
//     the object during the CreateMultipartUpload request, it'll result in a
//     BadDigest error", CompleteMultipartUpload, API reference); an upload
//     created without an algorithm has S3's default, a FULL_OBJECT CRC64NVME;
//   - x-amz-mp-object-size must be the object's size, else InvalidRequest
//     (the same page: "it results in an HTTP 400 InvalidRequest error");
//   - an x-amz-checksum-<algorithm> of the upload's full-object algorithm
//     must be the object's checksum, else BadDigest ("If the two values
//     don't match, Amazon S3 fails the request with a BadDigest error", S3
//     User Guide, "Uploading and copying objects using multipart upload").
//     The value of another algorithm, or of a COMPOSITE upload, is not one
//     the object will carry: S3's handling of it is not on record, and it
//     is ignored, the object keeping the checksum computed here.
func completeChecks(hdr http.Header, up storage.Upload) (func(storage.ObjectInfo) error, error) {
	algs, values, err := checksumHeaders(hdr)
	if err != nil {
		return nil, err
	}
	fullAlg, typ := up.ChecksumAlgorithm, up.ChecksumType
	if fullAlg == "" {
		fullAlg, typ = checksum.Default, "FULL_OBJECT"
	}
	switch want := strings.ToUpper(hdr.Get("X-Amz-Checksum-Type")); want {
	case "", typ:
	case "COMPOSITE", "FULL_OBJECT":
		return nil, s3err.BadDigest.With("The upload was created with the " + typ + " checksum type, not " + want + ".")
	default:
		return nil, s3err.InvalidRequest.With("Value for x-amz-checksum-type header is invalid.")
	}
	size := int64(-1)
	if v := hdr.Get("X-Amz-Mp-Object-Size"); v != "" {
		n, ok := parseDigits(v)
		if !ok {
			return nil, s3err.InvalidRequest.With("Value for x-amz-mp-object-size header is invalid.")
		}
		size = n
	}
	expected := ""
	if len(algs) == 1 && algs[0] == fullAlg && typ == "FULL_OBJECT" {
		if !checksum.ValidValue(fullAlg, values[0]) {
			return nil, s3err.InvalidRequest.With("Value for " + checksum.HeaderName(fullAlg) + " header is invalid.")
		}
		expected = values[0]
	}
	return func(obj storage.ObjectInfo) error {
		if size >= 0 && obj.Size != size {
			return s3err.InvalidRequest.With("The x-amz-mp-object-size " + strconv.FormatInt(size, 10) +
				" does not match the object's size, " + strconv.FormatInt(obj.Size, 10) + ".")
		}
		if got := obj.Checksums[fullAlg]; expected != "" && got != "" && got != expected {
			return s3err.BadDigest.With("The " + strings.ToUpper(fullAlg) + " you specified did not match the calculated checksum.")
		}
		return nil
	}, nil
}

func (h *Handler) abortMultipartUpload(rq *request) error {
	if err := h.opts.Backend.AbortUpload(rq.r.Context(), rq.bucket, rq.key, rq.query.Get("uploadId")); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listParts(rq *request) error {
	up, err := h.upload(rq)
	if err != nil {
		return err
	}
	q := rq.query
	limit, err := intParam(q.Get("max-parts"), maxListParts, "max-parts")
	if err != nil {
		return err
	}
	after, err := intParam(q.Get("part-number-marker"), 0, "part-number-marker")
	if err != nil {
		return err
	}
	list, err := h.opts.Backend.ListParts(rq.r.Context(), rq.bucket, rq.key, up.ID, after, min(limit, maxListParts))
	if err != nil {
		return err
	}
	// An upload is the bucket owner's: only its project writes there.
	own, err := h.bucketOwner(rq)
	if err != nil {
		return err
	}
	res := listPartsResult{
		Xmlns: xmlns, Bucket: rq.bucket, Key: rq.key, UploadID: up.ID,
		Initiator: *own, Owner: *own, StorageClass: "STANDARD",
		PartNumberMarker: after, NextPartNumberMarker: list.Next, MaxParts: min(limit, maxListParts),
		IsTruncated: list.Truncated,
	}
	if up.ChecksumAlgorithm != "" {
		res.ChecksumAlgorithm, res.ChecksumType = strings.ToUpper(up.ChecksumAlgorithm), up.ChecksumType
	}
	if !list.Truncated && len(list.Parts) > 0 {
		res.NextPartNumberMarker = list.Parts[len(list.Parts)-1].Number
	}
	for _, p := range list.Parts {
		e := partEntry{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: quote(p.ETag), Size: p.Size}
		e.set(p.Checksums)
		res.Parts = append(res.Parts, e)
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

// intParam reads a non-negative integer query parameter.
func intParam(v string, def int, name string) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.InvalidArgument.With("Provided " + name + " not an integer or within integer range")
	}
	return n, nil
}

func (h *Handler) listMultipartUploads(rq *request) error {
	q := rq.query
	p, err := h.listParams(rq)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("max-uploads"), maxListKeys, "max-uploads")
	if err != nil {
		return err
	}
	limit = min(limit, maxListKeys)
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	if keyMarker == "" {
		idMarker = "" // S3 ignores an upload-id-marker without a key-marker
	}
	enc := p.encoder()
	res := listMultipartUploadsResult{
		Xmlns: xmlns, Bucket: rq.bucket, KeyMarker: enc(keyMarker), UploadIDMarker: idMarker,
		Prefix: enc(p.prefix), Delimiter: enc(p.delimiter), MaxUploads: limit,
	}
	if p.urlEncode {
		res.EncodingType = "url"
	}
	if limit > 0 {
		bucketOwner, err := h.bucketOwner(rq)
		if err != nil {
			return err
		}
		list, err := h.opts.Backend.ListUploads(rq.r.Context(), rq.bucket, storage.ListUploadsOptions{
			Prefix: p.prefix, Delimiter: p.delimiter, KeyMarker: keyMarker, IDMarker: idMarker, Limit: limit,
		})
		if err != nil {
			return err
		}
		res.IsTruncated, res.NextKeyMarker, res.NextUploadIDMarker = list.Truncated, enc(list.NextKey), list.NextID
		for _, u := range list.Uploads {
			own := *bucketOwner
			res.Uploads = append(res.Uploads, uploadEntry{Key: enc(u.Key), UploadID: u.ID, Initiator: own, Owner: own,
				StorageClass: "STANDARD", Initiated: isoTime(u.Initiated), ChecksumAlgorithm: strings.ToUpper(u.ChecksumAlgorithm)})
		}
		for _, cp := range list.CommonPrefixes {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
		}
	} else if _, err := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

// objectURL is the absolute URL of an object as this request reached it.
func objectURL(r *http.Request, prefix, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: prefix + "/" + bucket + "/" + key}
	return u.String()
}
