package upstream

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3gw/gateway/impl/storage"
)

// bufferLimit is the largest body PutObject reads whole before sending it:
// its checksums known only at its end then travel with the PUT. Memory is
// bounded by concurrency × bufferLimit; a body of unknown size beyond it
// spills to a temporary file (the store needs a declared length).
const bufferLimit = 8 << 20

// PutObject stores the body upstream. A body up to bufferLimit (or of
// unknown size) is read and verified first and sent from the buffer, its
// late checksums with it; a larger one streams through storage.HoldBack
// with its declared length, so that a body failing at its end never
// reaches the store whole and the store keeps nothing. A streamed body's
// late checksums exist only once the body has ended: they go to a record
// named by an id the PUT's marker carries, written as soon as the body
// ends, while the store is still finishing the PUT (under load, a small
// write waits long behind large ones: sent after the PUT's answer, the
// record cost a large PUT a fifth of its time). Reads consult the record;
// until it is written, a read sees no checksum. When the gateway's own
// metadata did not fit in the object's (displaced), the late checksums go
// with it to the record bound to the ETag, after the PUT.
func (s *Store) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	out, err := prepare(body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %q: %w", key, err)
	}
	defer out.close()
	meta := opts.Metadata
	meta.Checksums = maps.Clone(meta.Checksums)
	late := opts.LateChecksums != nil && out.streamed != nil
	switch {
	case late:
		meta.Checksums = nil // replaced by the late ones, after the PUT
	case opts.LateChecksums != nil:
		meta.Checksums = maps.Clone(opts.LateChecksums())
	}
	in := s.putInput(bucket, key, meta, opts.Conditions)
	var displaced map[string]string
	in.Metadata, displaced = fitMeta(in.Metadata)
	var early *earlyRecord
	if _, marked := in.Metadata[metaMarker]; late && !marked {
		early = &earlyRecord{id: newWriteID()}
		if metaSize(in.Metadata)+len(metaMarker)+len(markerLate)+len(early.id) > metaLimit {
			early = nil // no room to announce it: the ETag's record, after
		} else {
			in.Metadata[metaMarker] = markerLate + early.id
			out.streamed.onEnd = func() { early.start(s, bucket, key, opts.LateChecksums()) }
		}
	}
	if out.md5 != nil {
		// The ETag is the MD5, known before the PUT: the record goes
		// first, so that the object is never seen without it.
		if err := s.writeSidecar(ctx, bucket, key, hex.EncodeToString(out.md5), displaced); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	in.Body, in.ContentLength, in.ContentMD5 = out.r, aws.Int64(out.n), out.contentMD5()
	sent := time.Now()
	res, err := s.s3.PutObject(ctx, in, out.apiOptions()...)
	answered := time.Now()
	if err != nil {
		if started, rerr := early.finish(); started && rerr == nil {
			// Best effort: the record of a write that did not happen.
			s.deleteRecords(context.WithoutCancel(ctx), lateKey(bucket, key, early.id))
		}
		err = out.failed(ctx, err, "put %q", key)
		if opts.Conditions.IfMatch != "" && errors.Is(err, storage.ErrPreconditionFailed) {
			// S3 answers If-Match on a missing key with 404 NoSuchKey;
			// radosgw with 412.
			if _, _, herr := s.head(ctx, bucket, key); isNoSuchKey(herr) {
				return storage.ObjectInfo{}, herr
			}
		}
		return storage.ObjectInfo{}, err
	}
	if late {
		meta.Checksums = maps.Clone(opts.LateChecksums())
		if len(meta.Checksums) > 0 && early == nil {
			if displaced == nil {
				displaced = make(map[string]string)
			}
			for k, v := range encodeMeta(storage.Metadata{Checksums: meta.Checksums}, "") {
				displaced[k] = v
			}
		}
	}
	// The record of a streamed body and the HEAD for the Last-Modified,
	// when the PUT's timing does not tell it, are independent: sent
	// together, they cost one round trip after the PUT, not two.
	etag := aws.ToString(res.ETag)
	info := writtenInfo(key, out.n, etag, meta)
	var wg sync.WaitGroup
	if modified, ok := commitTime(sent, answered, answerDate(res.ResultMetadata)); ok {
		info.LastModified = modified
	} else if !opts.NoModTime {
		wg.Go(func() { info = s.written(ctx, bucket, key, out.n, etag, meta) })
	}
	var serr error
	if out.md5 == nil {
		serr = s.writeSidecar(ctx, bucket, key, etag, displaced)
	}
	if early != nil {
		started, err := early.finish()
		if !started {
			// The body's end went unseen (it cannot, with a declared
			// length, but the marker must not name a missing record).
			err = s.putLateRecord(ctx, bucket, key, early.id, meta.Checksums)
		}
		if err != nil && serr == nil {
			serr = err
		}
	}
	wg.Wait()
	if serr != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %q: stored, but not its late checksums: %w", key, serr)
	}
	return info, nil
}

// clockMargin is how far apart the gateway's and the store's clocks may
// be for commitTime to trust them.
const clockMargin = 50 * time.Millisecond

// commitTime is the store's Last-Modified of an object it has just
// written, when the write's timing alone tells it: S3 answers a PUT
// without Last-Modified, but the store stamps the object while it handles
// the request, between sent and answered, and its Date header (whole
// seconds of its clock) is taken after. When the whole request falls
// within one second of the gateway's clock, clear of its edges by
// clockMargin, and the store's Date names that second, the stamp is in
// that second, which is all a Last-Modified says. Otherwise known is false
// and the caller asks the store.
func commitTime(sent, answered time.Time, date string) (t time.Time, known bool) {
	d, err := http.ParseTime(date)
	if err != nil {
		return time.Time{}, false
	}
	second := sent.UTC().Truncate(time.Second)
	if !d.Equal(second) || sent.Sub(second) < clockMargin || answered.After(second.Add(time.Second-clockMargin)) {
		return time.Time{}, false
	}
	return second, true
}

// answerDate is the Date header of the store's answer.
func answerDate(md middleware.Metadata) string {
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return raw.Header.Get("Date")
	}
	return ""
}

// outgoing is a body on its way upstream: buffered (read and verified
// whole) or streamed (verified as it passes, through storage.HoldBack).
type outgoing struct {
	r        io.Reader
	n        int64
	md5      []byte    // buffered only
	spooled  *spooled  // buffered
	streamed *verifier // streamed
}

// prepare readies a body of size bytes (-1: unknown) for an upstream
// write, refusing what the contract refuses before anything is sent when
// it is buffered.
func prepare(body io.Reader, size, maxSize int64, contentMD5 []byte) (*outgoing, error) {
	if maxSize > 0 && size > maxSize {
		return nil, fmt.Errorf("%d bytes: %w", size, storage.ErrTooLarge)
	}
	if size > bufferLimit {
		v := &verifier{r: body, size: size, wantMD5: contentMD5}
		if contentMD5 != nil {
			v.md5 = md5.New() // the store hashes the body for its ETag anyway
		}
		return &outgoing{r: storage.HoldBack(v), n: size, streamed: v}, nil
	}
	sp, err := spool(body, size, maxSize)
	if err != nil {
		return nil, err
	}
	if contentMD5 != nil && !bytes.Equal(contentMD5, sp.md5) {
		sp.close()
		return nil, storage.ErrBadDigest
	}
	return &outgoing{r: sp.r, n: sp.n, md5: sp.md5, spooled: sp}, nil
}

func (o *outgoing) close() {
	if o.spooled != nil {
		o.spooled.close()
	}
}

// contentMD5 protects a buffered body on its way.
func (o *outgoing) contentMD5() *string {
	if o.md5 == nil {
		return nil
	}
	return aws.String(base64.StdEncoding.EncodeToString(o.md5))
}

// apiOptions sign a streamed body, which cannot be rewound to hash it,
// with UNSIGNED-PAYLOAD; the store checks its length.
func (o *outgoing) apiOptions() []func(*s3.Options) {
	if o.streamed == nil {
		return nil
	}
	return []func(*s3.Options){s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)}
}

// failed maps a write's failure: the body's own, which made the request
// fail and which the caller renders, before the store's answer.
func (o *outgoing) failed(ctx context.Context, err error, format string, args ...any) error {
	if o.streamed != nil && o.streamed.err != nil {
		return fmt.Errorf(format+": %w", append(args, o.streamed.err)...)
	}
	return mapErr(ctx, err, format, args...)
}

// putInput is a PutObject request without its body.
func (s *Store) putInput(bucket, key string, meta storage.Metadata, c storage.Conditions) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket:   aws.String(bucket),
		Key:      aws.String(key),
		Metadata: encodeMeta(meta, ""),
	}
	if meta.ContentType != "" {
		in.ContentType = aws.String(meta.ContentType)
	}
	if c.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if c.IfMatch != "" {
		// Unquoted: radosgw 16.2 compares quoted ETags in write
		// conditions wrongly.
		in.IfMatch = aws.String(c.IfMatch)
	}
	return in
}

// written is the info of an object just written. The PUT's answer has no
// Last-Modified; a HEAD bound to the new ETag gets the store's, and when
// the object has already been replaced, the time now stands in for it.
func (s *Store) written(ctx context.Context, bucket, key string, size int64, etag string, meta storage.Metadata) storage.ObjectInfo {
	info := writtenInfo(key, size, etag, meta)
	out, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(info.ETag)})
	if err == nil && out.LastModified != nil {
		info.LastModified = *out.LastModified
	} else {
		info.LastModified = nowUTC()
	}
	return info
}

// writtenInfo is the info of an object just written, but its
// Last-Modified.
func writtenInfo(key string, size int64, etag string, meta storage.Metadata) storage.ObjectInfo {
	info := storage.ObjectInfo{Key: key, Size: size, ETag: unquote(etag), Metadata: meta}
	if len(meta.Checksums) > 0 {
		info.ChecksumType = "FULL_OBJECT"
	}
	return info
}

// spooled is a body read whole: from memory, or from a temporary file when
// it outgrew bufferLimit.
type spooled struct {
	r    io.ReadSeeker
	n    int64
	md5  []byte
	file *os.File
}

func (sp *spooled) close() {
	if sp.file != nil {
		sp.file.Close()
		os.Remove(sp.file.Name())
	}
}

// spool reads body to its end, refusing one longer than maxSize (when
// positive) or of another length than size (when not negative). The
// body's own error is returned wrapped, for the API layer to render.
func spool(body io.Reader, size, maxSize int64) (*spooled, error) {
	// Read one byte past any bound: enough to know the body breaks it.
	limit := int64(-1)
	if size >= 0 {
		limit = size + 1
	}
	if maxSize > 0 && (limit < 0 || maxSize+1 < limit) {
		limit = maxSize + 1
	}
	if limit >= 0 {
		body = io.LimitReader(body, limit)
	}
	h := md5.New()
	r := io.TeeReader(body, h)
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, bufferLimit+1))
	sp := &spooled{}
	if err == nil && n > bufferLimit {
		if sp.file, err = os.CreateTemp("", "s3gw-upstream-*"); err != nil {
			return nil, fmt.Errorf("spool body: %w", err)
		}
		if _, err = sp.file.Write(buf.Bytes()); err == nil {
			var m int64
			m, err = io.Copy(sp.file, r)
			n += m
		}
		if err == nil {
			_, err = sp.file.Seek(0, io.SeekStart)
		}
		sp.r = sp.file
	} else {
		sp.r = bytes.NewReader(buf.Bytes())
	}
	if err != nil {
		sp.close()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("read body: %w: %w", storage.ErrIncompleteBody, err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if maxSize > 0 && n > maxSize {
		sp.close()
		return nil, fmt.Errorf("read body: more than %d bytes: %w", maxSize, storage.ErrTooLarge)
	}
	if size >= 0 && n != size {
		sp.close()
		return nil, fmt.Errorf("read body: got %d bytes or more, %d declared: %w", n, size, storage.ErrIncompleteBody)
	}
	sp.n, sp.md5 = n, h.Sum(nil)
	return sp, nil
}

// verifier passes a streamed body through, counting it (and hashing it
// when there is a Content-MD5 to check), and turns what the store must not
// keep into an error of the read that reaches the end, which
// storage.HoldBack then refuses to complete: a body longer or shorter than
// declared, or whose MD5 is not the Content-MD5.
type verifier struct {
	r       io.Reader
	size, n int64
	md5     hash.Hash // only to check wantMD5
	wantMD5 []byte
	err     error // the first failure, reported by PutObject
	// onEnd, when set, is called once, when the body has ended whole and
	// verified: its late checksums are then known.
	onEnd func()
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	if v.md5 != nil {
		v.md5.Write(p[:n])
	}
	switch {
	case v.n > v.size:
		err = fmt.Errorf("body longer than the %d bytes declared: %w", v.size, storage.ErrIncompleteBody)
	case err == io.EOF && v.n < v.size:
		err = fmt.Errorf("body of %d bytes, %d declared: %w", v.n, v.size, storage.ErrIncompleteBody)
	case err == io.EOF && v.wantMD5 != nil && !bytes.Equal(v.md5.Sum(nil), v.wantMD5):
		err = storage.ErrBadDigest
	case err != nil && err != io.EOF:
		err = fmt.Errorf("read body: %w", err)
	}
	if err != nil && err != io.EOF {
		v.err = err
	}
	if err == io.EOF && v.onEnd != nil {
		v.onEnd()
		v.onEnd = nil
	}
	return n, err
}

// earlyRecord is the record of a streamed body's late checksums, written
// as soon as the body has ended (verifier.onEnd, on the transport's
// goroutine) under an id the PUT carries in its marker.
type earlyRecord struct {
	id string

	mu     sync.Mutex
	done   chan struct{} // closed when the write ended; nil before start
	err    error         // set before done is closed
	closed bool          // finish was called: no start after it
}

func (e *earlyRecord) start(s *Store, bucket, key string, sums map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done != nil || e.closed {
		return
	}
	done := make(chan struct{})
	e.done = done
	go func() {
		defer close(done)
		// Detached from the request: the record must not be cut short by
		// a client leaving once its body is sent.
		ctx, cancel := context.WithTimeout(context.Background(), responseTimeout)
		defer cancel()
		e.err = s.putLateRecord(ctx, bucket, key, e.id, sums)
	}()
}

// finish forbids a later start and waits for the write begun, if any.
func (e *earlyRecord) finish() (started bool, err error) {
	if e == nil {
		return false, nil
	}
	e.mu.Lock()
	e.closed = true
	done := e.done
	e.mu.Unlock()
	if done == nil {
		return false, nil
	}
	<-done
	return true, e.err
}

// putLateRecord writes the record of write id's late checksums.
func (s *Store) putLateRecord(ctx context.Context, bucket, key, id string, sums map[string]string) error {
	return s.putRecord(ctx, lateKey(bucket, key, id), encodeMeta(storage.Metadata{Checksums: sums}, ""))
}

// newWriteID names one write's late record.
func newWriteID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
