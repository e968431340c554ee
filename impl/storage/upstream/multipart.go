package upstream

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// Multipart uploads are the store's own. The client's upload id is the
// store's (phase 1: not sealed; the store binds it to its bucket and key,
// and the records below are named by all three, so another key or bucket
// finds nothing). What the store does not keep lives in records in the
// metadata bucket: the upload's metadata and checksum settings, each
// part's checksums (bound to the part's ETag) and, at completion, the
// object's manifest (part sizes, checksums, the completion's parts, bound
// to the object's ETag, which is computed here: radosgw answers an empty
// one).

// uploadRecord is what the gateway remembers of an upload.
type uploadRecord struct {
	Initiated         time.Time        `json:"initiated"`
	Metadata          storage.Metadata `json:"metadata"`
	ChecksumAlgorithm string           `json:"checksumAlgorithm,omitempty"`
	ChecksumType      string           `json:"checksumType,omitempty"`
}

// partRecord is what the gateway remembers of a part.
type partRecord struct {
	ETag      string            `json:"etag"`
	Checksums map[string]string `json:"checksums,omitempty"`
	// Default is the part's CRC64NVME for an upload without an algorithm.
	Default      string    `json:"default,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

// CreateUpload creates the upload upstream, with the object's metadata,
// and records it.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts storage.UploadOptions) (storage.Upload, error) {
	carried, _ := fitMeta(encodeMeta(storage.Metadata{ContentType: opts.ContentType, Headers: opts.Headers, User: opts.User}, ""))
	in := &s3.CreateMultipartUploadInput{
		Bucket:   aws.String(bucket),
		Key:      aws.String(key),
		Metadata: carried,
	}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	out, err := s.s3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return storage.Upload{}, mapErr(ctx, err, "create upload of %q", key)
	}
	id := aws.ToString(out.UploadId)
	rec := uploadRecord{
		Initiated:         nowUTC().Truncate(time.Second),
		Metadata:          storage.Metadata{ContentType: opts.ContentType, Headers: opts.Headers, User: opts.User},
		ChecksumAlgorithm: opts.ChecksumAlgorithm,
		ChecksumType:      opts.ChecksumType,
	}
	if err := s.putRecord(ctx, uploadRecordKey(bucket, key, id), rec); err != nil {
		s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: out.UploadId})
		return storage.Upload{}, err
	}
	return rec.upload(bucket, key, id), nil
}

func (r uploadRecord) upload(bucket, key, id string) storage.Upload {
	return storage.Upload{Bucket: bucket, Key: key, ID: id, Initiated: r.Initiated, Metadata: r.Metadata,
		ChecksumAlgorithm: r.ChecksumAlgorithm, ChecksumType: r.ChecksumType}
}

// GetUpload reads the upload's record and checks that the store still has
// the upload (not completed, aborted, or dropped with its bucket).
func (s *Store) GetUpload(ctx context.Context, bucket, key, id string) (storage.Upload, error) {
	up, err := s.uploadRecord(ctx, bucket, key, id)
	if err != nil {
		return storage.Upload{}, err
	}
	_, err = s.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), MaxParts: aws.Int32(1)})
	if err != nil {
		return storage.Upload{}, s.uploadErr(ctx, err, key)
	}
	return up, nil
}

// uploadRecord returns the upload as recorded, without asking the store.
func (s *Store) uploadRecord(ctx context.Context, bucket, key, id string) (storage.Upload, error) {
	if id == "" {
		return storage.Upload{}, fmt.Errorf("upload of %q: %w", key, storage.ErrNoSuchUpload)
	}
	var rec uploadRecord
	found, err := s.getRecord(ctx, uploadRecordKey(bucket, key, id), &rec)
	if err != nil {
		return storage.Upload{}, err
	}
	if !found {
		return storage.Upload{}, fmt.Errorf("upload %s of %q: %w", id, key, storage.ErrNoSuchUpload)
	}
	return rec.upload(bucket, key, id), nil
}

// uploadErr maps an upload's failure; a 404 without a code is the upload's.
func (s *Store) uploadErr(ctx context.Context, err error, key string) error {
	err = mapErr(ctx, err, "upload of %q", key)
	if status(err) == http.StatusNotFound && !isNoSuchBucket(err) {
		// radosgw answers NoSuchKey for an upload it no longer has:
		// that is not the key's absence, so it is not wrapped.
		return fmt.Errorf("upstream: upload of %q: %w (%v)", key, storage.ErrNoSuchUpload, err)
	}
	return err
}

// PutPart uploads a part as PutObject writes an object (buffered, or
// streamed through HoldBack), then records its checksums.
func (s *Store) PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts storage.PartOptions) (storage.Part, error) {
	if id == "" {
		return storage.Part{}, fmt.Errorf("upload of %q: %w", key, storage.ErrNoSuchUpload)
	}
	out, err := prepare(body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.Part{}, fmt.Errorf("part %d of %q: %w", number, key, err)
	}
	defer out.close()
	res, err := s.s3.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(int32(number)),
		Body: out.r, ContentLength: aws.Int64(out.n), ContentMD5: out.contentMD5(),
	}, out.apiOptions()...)
	if err != nil {
		if out.streamed != nil && out.streamed.err != nil {
			return storage.Part{}, out.failed(ctx, err, "part %d of %q", number, key)
		}
		return storage.Part{}, s.uploadErr(ctx, err, key)
	}
	rec := partRecord{ETag: unquote(aws.ToString(res.ETag)), LastModified: nowUTC()}
	if rec.ETag == "" && out.md5 != nil {
		rec.ETag = hex.EncodeToString(out.md5)
	}
	if opts.LateChecksums != nil {
		rec.Checksums = maps.Clone(opts.LateChecksums())
	}
	if opts.DefaultChecksum != nil {
		rec.Default = opts.DefaultChecksum()
	}
	return s.recordPart(ctx, bucket, key, id, number, out.n, rec)
}

func (s *Store) recordPart(ctx context.Context, bucket, key, id string, number int, size int64, rec partRecord) (storage.Part, error) {
	if err := s.putRecord(ctx, partRecordKey(bucket, key, id, number), rec); err != nil {
		return storage.Part{}, err
	}
	return storage.Part{Number: number, Size: size, ETag: rec.ETag, LastModified: rec.LastModified, Checksums: rec.Checksums}, nil
}

// CopyPart copies a range of an object into a part where the bytes are
// (UploadPartCopy, naming the ETag the source check saw), and reads the
// same range to compute the part's checksums, which the store does not.
func (s *Store) CopyPart(ctx context.Context, src storage.ObjectRef, bucket, key, id string, number int, opts storage.CopyPartOptions) (storage.Part, error) {
	up, err := s.uploadRecord(ctx, bucket, key, id)
	if err != nil {
		return storage.Part{}, err
	}
	info, _, err := s.head(ctx, src.Bucket, src.Key)
	if err != nil {
		return storage.Part{}, err
	}
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(info); err != nil {
			return storage.Part{}, err
		}
	}
	off, n := storage.CopyRange(info.Size, opts)
	var popts storage.PartOptions
	if n > 0 {
		o, err := s.OpenObject(ctx, src.Bucket, src.Key, storage.ReadOptions{
			ReadConditions: storage.ReadConditions{IfMatch: info.ETag},
			Range:          &storage.RangeSpec{First: off, Last: off + n - 1},
		})
		if err != nil {
			return storage.Part{}, err
		}
		r := storage.CopiedPartChecksums(o.(*object).body, up, &popts)
		_, err = io.Copy(io.Discard, r)
		o.Close()
		if err != nil {
			return storage.Part{}, fmt.Errorf("upstream: copy part %d of %q: %w", number, key, err)
		}
	} else {
		r := storage.CopiedPartChecksums(eofReader{}, up, &popts)
		io.Copy(io.Discard, r)
	}
	in := &s3.UploadPartCopyInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(int32(number)),
		CopySource: aws.String(copySource(src)), CopySourceIfMatch: aws.String(info.ETag),
	}
	if opts.Ranged {
		in.CopySourceRange = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	}
	res, err := s.s3.UploadPartCopy(ctx, in)
	if err != nil {
		return storage.Part{}, s.uploadErr(ctx, err, key)
	}
	rec := partRecord{LastModified: nowUTC(), Checksums: popts.LateChecksums()}
	if r := res.CopyPartResult; r != nil {
		rec.ETag = unquote(aws.ToString(r.ETag))
	}
	if popts.DefaultChecksum != nil {
		rec.Default = popts.DefaultChecksum()
	}
	return s.recordPart(ctx, bucket, key, id, number, n, rec)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// ListParts lists the store's parts with their recorded checksums.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string, after, limit int) (storage.PartList, error) {
	if id == "" {
		return storage.PartList{}, fmt.Errorf("upload of %q: %w", key, storage.ErrNoSuchUpload)
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	in := &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), MaxParts: aws.Int32(int32(limit))}
	if after > 0 {
		in.PartNumberMarker = aws.String(strconv.Itoa(after))
	}
	out, err := s.s3.ListParts(ctx, in)
	if err != nil {
		return storage.PartList{}, s.uploadErr(ctx, err, key)
	}
	var l storage.PartList
	for _, p := range out.Parts {
		l.Parts = append(l.Parts, storage.Part{Number: int(aws.ToInt32(p.PartNumber)), Size: aws.ToInt64(p.Size),
			ETag: unquote(aws.ToString(p.ETag)), LastModified: aws.ToTime(p.LastModified)})
	}
	if _, err := s.partRecords(ctx, bucket, key, id, l.Parts); err != nil {
		return storage.PartList{}, err
	}
	if aws.ToBool(out.IsTruncated) {
		l.Truncated = true
		l.Next, _ = strconv.Atoi(aws.ToString(out.NextPartNumberMarker))
	}
	return l, nil
}

// partRecords fills in the parts' checksums and times from their records,
// kept only when bound to the part's ETag, and returns the records.
func (s *Store) partRecords(ctx context.Context, bucket, key, id string, parts []storage.Part) ([]partRecord, error) {
	recs := make([]partRecord, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, headConcurrency)
	for i := range parts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var rec partRecord
			found, err := s.getRecord(ctx, partRecordKey(bucket, key, id, parts[i].Number), &rec)
			if err != nil {
				errs[i] = err
				return
			}
			if found && rec.ETag == parts[i].ETag {
				recs[i] = rec
				parts[i].Checksums = rec.Checksums
				parts[i].LastModified = rec.LastModified
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// allParts lists every part of an upload.
func (s *Store) allParts(ctx context.Context, bucket, key, id string) ([]storage.Part, []partRecord, error) {
	var parts []storage.Part
	var recs []partRecord
	after := 0
	for {
		l, err := s.ListParts(ctx, bucket, key, id, after, 1000)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, l.Parts...)
		if !l.Truncated {
			break
		}
		after = l.Next
	}
	// ListParts dropped the records; read them again for the defaults.
	recs, err := s.partRecords(ctx, bucket, key, id, parts)
	if err != nil {
		return nil, nil, err
	}
	return parts, recs, nil
}

// CompleteUpload checks the list against the store's parts and their
// records, assembles the object's ETag and checksums here, checks the
// key's conditions by a HEAD just before (a window: radosgw ignores
// If-None-Match on completion), writes the manifest, and completes
// upstream. A completion the store no longer knows is answered from the
// manifest when it is this upload's with the same parts and still the
// key's object.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, id string, list []storage.CompletedPart, opts storage.CompleteOptions) (storage.ObjectInfo, error) {
	up, err := s.uploadRecord(ctx, bucket, key, id)
	if isNoSuchUpload(err) {
		return s.completedBefore(ctx, bucket, key, id, list, err)
	}
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	parts, recs, err := s.allParts(ctx, bucket, key, id)
	if isNoSuchUpload(err) {
		return s.completedBefore(ctx, bucket, key, id, list, err)
	}
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, m, def, err := assemble(key, up, parts, recs, list, opts.MinPartSize)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if opts.Check != nil {
		if err := opts.Check(withDefault(info, def)); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	if err := s.checkDestination(ctx, storage.ObjectRef{Bucket: bucket, Key: key}, opts.Conditions); err != nil {
		return storage.ObjectInfo{}, err
	}
	m.Upload, m.Parts = recordHash(bucket, key, id), list
	if err := s.putRecord(ctx, manifestKey(bucket, key, info.ETag), m); err != nil {
		return storage.ObjectInfo{}, err
	}
	if _, displaced := fitMeta(encodeMeta(up.Metadata, "")); displaced != nil {
		if err := s.writeSidecar(ctx, bucket, key, info.ETag, displaced); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &s3types.CompletedMultipartUpload{}}
	for _, p := range list {
		in.MultipartUpload.Parts = append(in.MultipartUpload.Parts, s3types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(p.ETag)})
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(opts.IfMatch)
	}
	if _, err := s.s3.CompleteMultipartUpload(ctx, in); err != nil {
		err = s.uploadErr(ctx, err, key)
		if n := omitted(parts, list); n > 0 && errors.Is(err, storage.ErrInvalidPart) {
			// radosgw 16.2 refuses a completion that leaves out an
			// uploaded part (S3 drops such parts) and has no way to
			// remove one: say so rather than "part not found".
			err = fmt.Errorf("upstream: complete %q: part %d was uploaded but not listed, and this store completes only with every uploaded part: %w", key, n, err)
		}
		return storage.ObjectInfo{}, err
	}
	done := s.written(ctx, bucket, key, info.Size, info.ETag, info.Metadata)
	info.LastModified = done.LastModified
	// The upload's record stays: an abort or a retry after completion
	// must still know the upload (and the store says it is finished).
	var keys []string
	for _, p := range parts {
		keys = append(keys, partRecordKey(bucket, key, id, p.Number))
	}
	s.deleteRecords(ctx, keys...)
	return withDefault(info, def), nil
}

// omitted returns the number of an uploaded part the list leaves out, or 0.
func omitted(parts []storage.Part, list []storage.CompletedPart) int {
	listed := make(map[int]bool, len(list))
	for _, p := range list {
		listed[p.Number] = true
	}
	for _, p := range parts {
		if !listed[p.Number] {
			return p.Number
		}
	}
	return 0
}

// completedBefore answers a repeated completion from the key's object.
func (s *Store) completedBefore(ctx context.Context, bucket, key, id string, list []storage.CompletedPart, notFound error) (storage.ObjectInfo, error) {
	info, _, err := s.head(ctx, bucket, key)
	if err != nil || info.PartsCount == 0 {
		return storage.ObjectInfo{}, notFound
	}
	var m manifest
	found, err := s.getRecord(ctx, manifestKey(bucket, key, info.ETag), &m)
	if err != nil || !found || m.Upload != recordHash(bucket, key, id) || !sameParts(m.Parts, list) {
		return storage.ObjectInfo{}, notFound
	}
	return info, nil
}

func sameParts(a, b []storage.CompletedPart) bool {
	return slices.EqualFunc(a, b, func(x, y storage.CompletedPart) bool {
		return x.Number == y.Number && x.ETag == y.ETag && len(x.Checksums) == len(y.Checksums) && maps.Equal(x.Checksums, y.Checksums)
	})
}

// withDefault adds the full-object CRC64NVME S3 answers, but does not keep,
// for an upload created without an algorithm.
func withDefault(info storage.ObjectInfo, def string) storage.ObjectInfo {
	if def != "" && len(info.Checksums) == 0 {
		info.Checksums = map[string]string{checksum.Default: def}
		info.ChecksumType = "FULL_OBJECT"
	}
	return info
}

// assemble checks a completion's list against the uploaded parts and
// returns the object's info, its manifest, and the combined default
// checksum ("" for none).
func assemble(key string, up storage.Upload, parts []storage.Part, recs []partRecord, list []storage.CompletedPart, minPart int64) (storage.ObjectInfo, manifest, string, error) {
	fail := func(err error) (storage.ObjectInfo, manifest, string, error) {
		return storage.ObjectInfo{}, manifest{}, "", err
	}
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return fail(fmt.Errorf("complete %q: %w", key, storage.ErrInvalidPartOrder))
		}
	}
	if len(list) == 0 {
		return fail(fmt.Errorf("complete %q: no parts: %w", key, storage.ErrInvalidPart))
	}
	byNumber := make(map[int]int, len(parts))
	for i, p := range parts {
		byNumber[p.Number] = i
	}
	alg := up.ChecksumAlgorithm
	var (
		md5s       []byte
		sums, defs []string
		m          manifest
		total      int64
	)
	for i, want := range list {
		j, ok := byNumber[want.Number]
		if !ok {
			return fail(fmt.Errorf("part %d was not uploaded: %w", want.Number, storage.ErrInvalidPart))
		}
		p, rec := parts[j], recs[j]
		if want.ETag != p.ETag {
			return fail(fmt.Errorf("part %d has another ETag: %w", want.Number, storage.ErrInvalidPart))
		}
		for a, v := range want.Checksums {
			if p.Checksums[a] != v {
				return fail(fmt.Errorf("part %d has another %s: %w", want.Number, a, storage.ErrInvalidPart))
			}
		}
		if i < len(list)-1 && p.Size < minPart {
			return fail(fmt.Errorf("part %d is %d bytes: %w", want.Number, p.Size, storage.ErrEntityTooSmall))
		}
		if alg != "" {
			sum, ok := p.Checksums[alg]
			if !ok {
				return fail(fmt.Errorf("part %d has no %s checksum: %w", want.Number, alg, storage.ErrInvalidPart))
			}
			sums = append(sums, sum)
		}
		if rec.Default != "" {
			defs = append(defs, rec.Default)
		}
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return fail(fmt.Errorf("part %d: ETag %q: %w", want.Number, p.ETag, storage.ErrInvalidPart))
		}
		md5s = append(md5s, raw...)
		m.Sizes = append(m.Sizes, p.Size)
		m.Numbers = append(m.Numbers, want.Number)
		total += p.Size
	}
	sum := md5.Sum(md5s)
	info := storage.ObjectInfo{
		Key:        key,
		Size:       total,
		ETag:       hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(list)),
		Metadata:   storage.Metadata{ContentType: up.Metadata.ContentType, Headers: up.Metadata.Headers, User: up.Metadata.User},
		PartsCount: len(list),
	}
	if alg != "" {
		var whole string
		var err error
		if up.ChecksumType == "FULL_OBJECT" {
			whole, err = checksum.FullObject(alg, sums, m.Sizes)
		} else {
			whole, err = checksum.Composite(alg, sums)
		}
		if err != nil {
			return fail(fmt.Errorf("%v: %w", err, storage.ErrInvalidPart))
		}
		info.Checksums, info.ChecksumType = map[string]string{alg: whole}, up.ChecksumType
		m.Checksums, m.ChecksumType = info.Checksums, info.ChecksumType
		return info, m, "", nil
	}
	if len(defs) < len(list) {
		return info, m, "", nil
	}
	def, err := checksum.FullObject(checksum.Default, defs, m.Sizes)
	if err != nil {
		return info, m, "", nil
	}
	return info, m, def, nil
}

// AbortUpload aborts the upload upstream. An upload already finished is
// aborted again successfully when its record is still there.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, id string) error {
	if _, err := s.uploadRecord(ctx, bucket, key, id); err != nil {
		if isNoSuchUpload(err) {
			if _, err := s.HeadBucket(ctx, bucket); err != nil {
				return err
			}
		}
		return err
	}
	_, err := s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil && !isNoSuchUpload(s.uploadErr(ctx, err, key)) {
		return s.uploadErr(ctx, err, key)
	}
	return nil
}
