package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3gw/gateway/impl/storage"
)

func nowUTC() time.Time { return time.Now().UTC() }

// readRetries bounds how often a read decided on a HEAD is decided again
// when the object changed between the HEAD and the GET.
const readRetries = 3

// head returns the object's info and, for a multipart object, its parts
// from its manifest (nil when it has none: an object the gateway did not
// complete).
func (s *Store) head(ctx context.Context, bucket, key string) (storage.ObjectInfo, []storage.PartRef, error) {
	return s.stat(ctx, bucket, key, false)
}

// stat is head, lean as describe is.
func (s *Store) stat(ctx context.Context, bucket, key string, lean bool) (storage.ObjectInfo, []storage.PartRef, error) {
	out, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if status(err) == http.StatusNotFound {
			return storage.ObjectInfo{}, nil, s.missing(ctx, bucket, key)
		}
		return storage.ObjectInfo{}, nil, mapErr(ctx, err, "head %q", key)
	}
	return s.describe(ctx, bucket, key, aws.ToInt64(out.ContentLength), out.ETag, out.LastModified, out.Metadata, lean)
}

// lean reports whether a read may leave out what only checksums need: it
// shows none, and does not select a part (whose bytes the manifest knows).
func lean(opts storage.ReadOptions) bool {
	return opts.SkipChecksums && opts.PartNumber == 0
}

// describe builds an object's info from the validators and metadata a HEAD
// or GET answered (size is the whole object's), with what the gateway
// keeps beside it: displaced metadata (withSidecar) and, for a multipart
// object, its manifest's part sizes and checksums. lean leaves out what
// only checksums need: a record of late checksums, and the manifest.
func (s *Store) describe(ctx context.Context, bucket, key string, size int64, etag *string, modified *time.Time, upMeta map[string]string, lean bool) (storage.ObjectInfo, []storage.PartRef, error) {
	meta, err := s.withSidecar(ctx, bucket, key, aws.ToString(etag), upMeta, lean)
	if err != nil {
		return storage.ObjectInfo{}, nil, err
	}
	info := objectInfo(key, aws.Int64(size), etag, modified, meta)
	n := multipartCount(info.ETag)
	if n == 0 {
		return info, nil, nil
	}
	info.PartsCount = n
	if lean {
		return info, nil, nil
	}
	var m manifest
	found, err := s.getRecord(ctx, manifestKey(bucket, key, info.ETag), &m)
	if err != nil {
		return storage.ObjectInfo{}, nil, err
	}
	if !found || len(m.Sizes) != n || len(m.Numbers) != n {
		return info, nil, nil
	}
	info.Checksums, info.ChecksumType = maps.Clone(m.Checksums), m.ChecksumType
	if len(info.Checksums) == 0 {
		info.ChecksumType = ""
	}
	return info, m.partRefs(), nil
}

// multipartCount is the part count a multipart ETag ends with, else 0.
func multipartCount(etag string) int {
	i := strings.LastIndexByte(etag, '-')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(etag[i+1:])
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// missing tells a missing key from a missing bucket, which a HEAD's 404
// (it has no body, hence no code) does not.
func (s *Store) missing(ctx context.Context, bucket, key string) error {
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	return fmt.Errorf("object %q: %w", key, storage.ErrNoSuchKey)
}

// StatObject is a HEAD, judged by storage.SelectSection.
func (s *Store) StatObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.ObjectInfo, storage.Section, error) {
	info, parts, err := s.stat(ctx, bucket, key, lean(opts))
	if err != nil {
		return storage.ObjectInfo{}, storage.Section{}, err
	}
	sec, err := storage.SelectSection(info, parts, opts)
	if err != nil {
		return storage.ObjectInfo{}, storage.Section{}, err
	}
	return info, sec, nil
}

// OpenObject is one upstream GET, its range forwarded, whose answer is
// judged as a HEAD's would be: the headers (whole size from Content-Range,
// ETag, Last-Modified, metadata) go through storage.SelectSection, so that
// conditions, ranges and their errors are decided exactly as by every
// backend, and the body, when it is the section decided, is the snapshot.
// Conditions are not forwarded: a read they refuse closes the GET unread.
// Two cases take the longer way, a HEAD and then a GET of the section
// pinned to the ETag the HEAD saw (openDecided): a read by part number,
// whose bytes are known only from the manifest, and an answer that is not
// the section decided (a store that judged the range otherwise).
func (s *Store) OpenObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.Object, error) {
	if opts.PartNumber > 0 {
		return s.openDecided(ctx, bucket, key, opts)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if r := rangeHeader(opts.Range); r != "" {
		in.Range = aws.String(r)
	}
	out, err := s.getObject(ctx, in)
	if err != nil {
		switch status(err) {
		case http.StatusNotFound:
			return nil, s.notFound(ctx, err, bucket, key)
		case http.StatusRequestedRangeNotSatisfiable:
			// The RangeError must name the size: decided on a HEAD.
			return s.openDecided(ctx, bucket, key, opts)
		}
		return nil, mapErr(ctx, err, "get %q", key)
	}
	first, n, size, ok := answered(out)
	if !ok {
		discard(out.Body, 0)
		return s.openDecided(ctx, bucket, key, opts)
	}
	info, parts, err := s.describe(ctx, bucket, key, size, out.ETag, out.LastModified, out.Metadata, lean(opts))
	if err != nil {
		discard(out.Body, n)
		return nil, err
	}
	sec, err := storage.SelectSection(info, parts, opts)
	switch {
	case err != nil:
		discard(out.Body, n)
		return nil, err
	case sec.Length == 0:
		discard(out.Body, n)
		return &object{info: info, sec: sec}, nil
	case first != sec.Start || n != sec.Length:
		discard(out.Body, n)
		return s.openSection(ctx, bucket, key, opts, info, sec)
	}
	return &object{info: info, sec: sec, body: out.Body}, nil
}

// rangeHeader is the Range header that asks the store for r, or "" for a
// range that selects the whole object as storage.SelectSection decides it
// (none, or one whose last byte is before its first).
func rangeHeader(r *storage.RangeSpec) string {
	switch {
	case r == nil:
		return ""
	case r.IsSuffix:
		return fmt.Sprintf("bytes=-%d", r.Suffix)
	case r.Last < 0:
		return fmt.Sprintf("bytes=%d-", r.First)
	case r.Last >= r.First:
		return fmt.Sprintf("bytes=%d-%d", r.First, r.Last)
	}
	return ""
}

// answered returns which bytes a GET's answer carries: n bytes from first,
// of an object of size bytes (from Content-Range when there is one). ok is
// false when the answer does not say.
func answered(out *s3.GetObjectOutput) (first, n, size int64, ok bool) {
	n = aws.ToInt64(out.ContentLength)
	cr := aws.ToString(out.ContentRange)
	if cr == "" {
		return 0, n, n, out.ContentLength != nil
	}
	// bytes first-last/size
	spec, found := strings.CutPrefix(cr, "bytes ")
	span, total, found2 := strings.Cut(spec, "/")
	from, to, found3 := strings.Cut(span, "-")
	if !found || !found2 || !found3 {
		return 0, 0, 0, false
	}
	f, err1 := strconv.ParseInt(from, 10, 64)
	l, err2 := strconv.ParseInt(to, 10, 64)
	sz, err3 := strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || l < f || l-f+1 != n || l >= sz {
		return 0, 0, 0, false
	}
	return f, n, sz, true
}

// discardLimit is the most of an unwanted answer's body read to its end,
// so that its connection is kept for the next request; a longer one is
// closed unread.
const discardLimit = 64 << 10

// discard closes a GET's body that is not wanted, of n bytes.
func discard(body io.ReadCloser, n int64) {
	if n <= discardLimit {
		_, _ = io.Copy(io.Discard, io.LimitReader(body, discardLimit))
	}
	body.Close()
}

// notFound is a GET's 404: the store's code tells a missing key from a
// missing bucket; without one, a HEAD of the bucket does.
func (s *Store) notFound(ctx context.Context, err error, bucket, key string) error {
	if mapped := mapErr(ctx, err, "get %q", key); isNoSuchKey(mapped) || isNoSuchBucket(mapped) {
		return mapped
	}
	return s.missing(ctx, bucket, key)
}

// openDecided decides the read on a HEAD, as StatObject does, then GETs
// the selected bytes with If-Match of the ETag the HEAD saw, so that the
// bytes are the version the decision was about. When the object changed in
// between, the read is decided again. The open GET's body is the
// snapshot: the store serves the version it started sending.
func (s *Store) openDecided(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.Object, error) {
	for attempt := 0; ; attempt++ {
		info, sec, err := s.StatObject(ctx, bucket, key, opts)
		if err != nil {
			return nil, err
		}
		o, err := s.getSection(ctx, bucket, key, info, sec)
		if err != nil {
			if st := status(err); attempt < readRetries && (st == http.StatusPreconditionFailed || st == http.StatusNotFound) {
				continue
			}
			return nil, mapErr(ctx, err, "get %q", key)
		}
		return o, nil
	}
}

// openSection GETs the section a read decided on info; when the object
// has changed since, the read is decided again on a HEAD.
func (s *Store) openSection(ctx context.Context, bucket, key string, opts storage.ReadOptions, info storage.ObjectInfo, sec storage.Section) (storage.Object, error) {
	o, err := s.getSection(ctx, bucket, key, info, sec)
	if err != nil {
		if st := status(err); st == http.StatusPreconditionFailed || st == http.StatusNotFound {
			return s.openDecided(ctx, bucket, key, opts)
		}
		return nil, mapErr(ctx, err, "get %q", key)
	}
	return o, nil
}

// getSection GETs sec of the object, version info.ETag (If-Match). Its
// error is the SDK's, for the caller to tell a changed object from a
// failure.
func (s *Store) getSection(ctx context.Context, bucket, key string, info storage.ObjectInfo, sec storage.Section) (storage.Object, error) {
	if sec.Length == 0 {
		return &object{info: info, sec: sec}, nil
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(info.ETag)}
	if sec.Start != 0 || sec.Length != info.Size {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", sec.Start, sec.Start+sec.Length-1))
	}
	out, err := s.getObject(ctx, in)
	if err != nil {
		return nil, err
	}
	if n := aws.ToInt64(out.ContentLength); n != sec.Length {
		out.Body.Close()
		return nil, fmt.Errorf("upstream: get %q: %d bytes answered, %d asked", key, n, sec.Length)
	}
	return &object{info: info, sec: sec, body: out.Body}, nil
}

// getObject is the store's GET of in: sent by s.raw where it can, else
// by the SDK.
func (s *Store) getObject(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	if s.raw != nil {
		out, err := s.raw.get(ctx, in)
		if !errors.Is(err, errNotRaw) {
			return out, err
		}
	}
	return s.s3.GetObject(ctx, in)
}

// object is an open read: the upstream GET's body, streamed on WriteTo.
type object struct {
	info storage.ObjectInfo
	sec  storage.Section
	body io.ReadCloser // nil for an empty section
}

func (o *object) Info() storage.ObjectInfo { return o.info }
func (o *object) Section() storage.Section { return o.sec }

func (o *object) WriteTo(w io.Writer) (int64, error) {
	if o.body == nil {
		return 0, nil
	}
	var n int64
	var err error
	if wt, ok := o.body.(*rawBody); ok {
		n, err = wt.WriteTo(w)
	} else {
		n, err = copyLarge(w, o.body)
	}
	if err == nil && n != o.sec.Length {
		err = fmt.Errorf("upstream: body ended after %d of %d bytes: %w", n, o.sec.Length, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (o *object) Close() error {
	if o.body == nil {
		return nil
	}
	return o.body.Close()
}

// DeleteObjects deletes the unconditional objects in one upstream
// DeleteObjects, and each conditional one by a HEAD, a compare, and a
// DeleteObject bound with If-Match to the ETag the HEAD saw: atomic where
// the store honours If-Match on deletes, with a window between the HEAD
// and the delete where it does not (radosgw 16.2).
func (s *Store) DeleteObjects(ctx context.Context, bucket string, objs []storage.ObjectDelete) ([]error, error) {
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return nil, err
	}
	errs := make([]error, len(objs))
	var plain []int
	for i, o := range objs {
		if o.IfMatch == "" {
			plain = append(plain, i)
			continue
		}
		errs[i] = s.deleteIfMatch(ctx, bucket, o)
	}
	for len(plain) > 0 {
		batch := plain[:min(len(plain), 1000)]
		plain = plain[len(batch):]
		if err := s.deleteBatch(ctx, bucket, objs, batch, errs); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

func (s *Store) deleteIfMatch(ctx context.Context, bucket string, o storage.ObjectDelete) error {
	info, _, err := s.head(ctx, bucket, o.Key)
	if err != nil {
		return err
	}
	if o.IfMatch != "*" && o.IfMatch != info.ETag {
		return fmt.Errorf("delete %q: %w", o.Key, storage.ErrPreconditionFailed)
	}
	_, err = s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key), IfMatch: aws.String(info.ETag)})
	if err != nil {
		if status(err) == http.StatusNotFound {
			return fmt.Errorf("delete %q: %w", o.Key, storage.ErrNoSuchKey)
		}
		return mapErr(ctx, err, "delete %q", o.Key)
	}
	return nil
}

// deleteBatch deletes objs[idx] in one request, recording each key's
// failure in errs.
func (s *Store) deleteBatch(ctx context.Context, bucket string, objs []storage.ObjectDelete, idx []int, errs []error) error {
	del := &s3types.Delete{Quiet: aws.Bool(true)}
	at := make(map[string][]int, len(idx))
	for _, i := range idx {
		k := objs[i].Key
		if _, seen := at[k]; !seen {
			del.Objects = append(del.Objects, s3types.ObjectIdentifier{Key: aws.String(k)})
		}
		at[k] = append(at[k], i)
	}
	out, err := s.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: del})
	if err != nil {
		return mapErr(ctx, err, "delete objects")
	}
	for _, e := range out.Errors {
		k := aws.ToString(e.Key)
		err := mapErr(ctx, &codeError{code: aws.ToString(e.Code), msg: aws.ToString(e.Message)}, "delete %q", k)
		for _, i := range at[k] {
			errs[i] = err
		}
	}
	return nil
}

// codeError is a per-key error of a DeleteObjects answer, shaped as the
// SDK's errors so that mapErr maps its code.
type codeError struct{ code, msg string }

func (e *codeError) Error() string                 { return e.code + ": " + e.msg }
func (e *codeError) ErrorCode() string             { return e.code }
func (e *codeError) ErrorMessage() string          { return e.msg }
func (e *codeError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }
