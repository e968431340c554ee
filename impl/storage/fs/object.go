package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// copyBufSize is large enough that a big PUT costs few write syscalls.
const copyBufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// blob is a durable, not yet referenced, object body: a file, or for an
// inline blob the bytes themselves, which the commit stores in the index.
type blob struct {
	id   string
	size int64
	md5  [md5.Size]byte
	data []byte // inline blobs only
}

// record returns the index entry of an object made of this one blob.
func (b blob) record() *objectRecord {
	return &objectRecord{
		Blobs: []blobRef{{ID: b.id, Size: b.size}},
		Size:  b.size,
		ETag:  hex.EncodeToString(b.md5[:]),
	}
}

// storeBody makes a body into a blob: inline when its size is known and
// small enough, else a file in root rt.
func (s *Store) storeBody(rt root, r io.Reader, size, maxSize int64, wantMD5 []byte) (blob, error) {
	if size >= 0 && size <= s.inlineMax && (maxSize <= 0 || size <= maxSize) {
		return readInline(r, size, wantMD5)
	}
	return s.writeBlob(rt, r, size, maxSize, wantMD5)
}

// readInline reads a small body of a known size. It reads to EOF so that
// verifying readers (digests, checksums, chunk signatures) have their say.
func readInline(r io.Reader, size int64, wantMD5 []byte) (blob, error) {
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return blob{}, fmt.Errorf("read body: %w: %w", storage.ErrIncompleteBody, err)
		}
		return blob{}, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) != size {
		return blob{}, fmt.Errorf("read body: got %d of %d bytes: %w", len(data), size, storage.ErrIncompleteBody)
	}
	b := blob{id: root{prefix: inlinePrefix}.newID(), size: size, md5: md5.Sum(data), data: data}
	if wantMD5 != nil && !bytes.Equal(wantMD5, b.md5[:]) {
		return blob{}, storage.ErrBadDigest
	}
	return b, nil
}

// writeBlob streams r into a new blob: a temp file, hashed as it is written,
// synced and renamed into the blob tree. It never leaves a file behind on
// error.
func (s *Store) writeBlob(rt root, r io.Reader, size, maxSize int64, wantMD5 []byte) (blob, error) {
	if maxSize > 0 && size > maxSize {
		return blob{}, storage.ErrTooLarge
	}
	id := rt.newID()
	tmp := filepath.Join(rt.tmp, id)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return blob{}, fmt.Errorf("create temp file: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	h := md5.New()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			n += int64(m)
			if maxSize > 0 && n > maxSize {
				return blob{}, storage.ErrTooLarge
			}
			h.Write(buf[:m])
			if _, err := f.Write(buf[:m]); err != nil {
				return blob{}, fmt.Errorf("write blob: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(rerr, io.ErrUnexpectedEOF) {
				return blob{}, fmt.Errorf("read body: %w: %w", storage.ErrIncompleteBody, rerr)
			}
			return blob{}, fmt.Errorf("read body: %w", rerr)
		}
	}
	if size >= 0 && n != size {
		return blob{}, fmt.Errorf("read body: got %d of %d bytes: %w", n, size, storage.ErrIncompleteBody)
	}
	b := blob{id: id, size: n}
	h.Sum(b.md5[:0])
	if wantMD5 != nil && !bytes.Equal(wantMD5, b.md5[:]) {
		return blob{}, storage.ErrBadDigest
	}
	if s.fsync {
		if err := f.Sync(); err != nil {
			return blob{}, fmt.Errorf("sync blob: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return blob{}, fmt.Errorf("close blob: %w", err)
	}
	if err := os.Rename(tmp, s.blobPath(id)); err != nil {
		return blob{}, fmt.Errorf("rename blob into place: %w", err)
	}
	committed = true
	return b, nil
}

// discardBlob removes a blob that never got referenced.
func (s *Store) discardBlob(id string) {
	if isInline(id) {
		return
	}
	if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.leaked.Store(true)
		s.log.Warn("storage: could not remove unreferenced blob", "blob", id, "err", err)
	}
}

// PutObject stores body as bucket/key.
func (s *Store) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if !opts.IfNoneMatch && opts.IfMatch == "" {
		// Fail fast for a missing bucket before reading the body.
		if _, err := s.HeadBucket(ctx, bucket); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	b, err := s.storeBody(s.data, body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	rec := b.record()
	setMetadata(rec, &opts.Metadata)
	if opts.LateChecksums != nil {
		rec.Checksums = nonEmpty(opts.LateChecksums())
	}
	return s.commitObject(bucket, key, rec, b.data, opts.Conditions)
}

func setMetadata(rec *objectRecord, m *storage.Metadata) {
	rec.ContentType = m.ContentType
	rec.Headers = nonEmpty(m.Headers)
	rec.User = nonEmpty(m.User)
	rec.Checksums = nonEmpty(m.Checksums)
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// commitObject makes rec the current version of bucket/key, checking the
// write's conditions in the same transaction. inline holds the bytes of a
// single inline blob. On refusal it drops rec's blobs.
func (s *Store) commitObject(bucket, key string, rec *objectRecord, inline []byte, cond storage.Conditions) (storage.ObjectInfo, error) {
	dirs := make([]string, 0, len(rec.Blobs))
	for _, b := range rec.Blobs {
		if !isInline(b.ID) {
			dirs = append(dirs, filepath.Dir(s.blobPath(b.ID)))
		}
	}
	err := s.submit(&commit{dirs: dirs, apply: func(tx *bolt.Tx) ([]string, error) {
		objs, err := objects(tx, bucket)
		if err != nil {
			return nil, err
		}
		old, err := current(objs, key)
		if err != nil {
			return nil, err
		}
		if err := checkConditions(old, cond); err != nil {
			return nil, err
		}
		// Stamp the time inside the commit so Last-Modified follows commit order.
		rec.MTime = time.Now().UnixNano()
		var v []byte
		if inline != nil {
			// The body rides in the object's own entry: one write.
			v, err = encodeWithTail(rec, inline)
		} else {
			v, err = encode(rec)
		}
		if err != nil {
			return nil, err
		}
		if err := objs.Put([]byte(key), v); err != nil {
			return nil, err
		}
		refs := tx.Bucket(bktBlobs)
		for _, b := range rec.Blobs {
			if isInline(b.ID) {
				continue
			}
			if err := refs.Put([]byte(b.ID), nil); err != nil {
				return nil, err
			}
		}
		if old == nil {
			return nil, nil
		}
		for _, b := range old.Blobs {
			if isInline(b.ID) {
				continue
			}
			if err := refs.Delete([]byte(b.ID)); err != nil {
				return nil, err
			}
		}
		return old.blobIDs(), nil
	}})
	if err != nil {
		for _, b := range rec.Blobs {
			s.discardBlob(b.ID)
		}
		return storage.ObjectInfo{}, err
	}
	return rec.info(key), nil
}

// current returns the record a write would replace, or nil.
func current(objs *bolt.Bucket, key string) (*objectRecord, error) {
	v := objs.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	old := new(objectRecord)
	if err := decode(v, old); err != nil {
		return nil, err
	}
	return old, nil
}

func checkConditions(old *objectRecord, c storage.Conditions) error {
	if c.IfNoneMatch && old != nil {
		return storage.ErrPreconditionFailed
	}
	if c.IfMatch != "" {
		if old == nil {
			return storage.ErrNoSuchKey
		}
		if c.IfMatch != "*" && c.IfMatch != old.ETag {
			return storage.ErrPreconditionFailed
		}
	}
	return nil
}

// StatObject returns an object's info and the section opts select.
func (s *Store) StatObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.ObjectInfo, storage.Section, error) {
	var info storage.ObjectInfo
	var sec storage.Section
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getRecord(tx, bucket, key)
		if err != nil {
			return err
		}
		info = rec.info(key)
		sec, err = storage.SelectSection(info, rec.parts(), opts)
		return err
	})
	return info, sec, err
}

func getRecord(tx *bolt.Tx, bucket, key string) (*objectRecord, error) {
	rec, _, err := getRecordTail(tx, bucket, key)
	return rec, err
}

// getRecordTail is getRecord that also returns the entry's tail (an inline
// object's bytes), valid only during tx.
func getRecordTail(tx *bolt.Tx, bucket, key string) (*objectRecord, []byte, error) {
	objs, err := objects(tx, bucket)
	if err != nil {
		return nil, nil, err
	}
	v := objs.Get([]byte(key))
	if v == nil {
		return nil, nil, storage.ErrNoSuchKey
	}
	doc, tail, err := split(v)
	if err != nil {
		return nil, nil, err
	}
	rec := new(objectRecord)
	if err := json.Unmarshal(doc, rec); err != nil {
		return nil, nil, fmt.Errorf("decode record: %w", err)
	}
	for _, b := range rec.Blobs {
		if !validID(b.ID) {
			return nil, nil, fmt.Errorf("index entry %s/%s: bad blob id", bucket, key)
		}
	}
	return rec, tail, nil
}

// OpenObject pins the object's blobs and returns a reader over the section
// opts select.
func (s *Store) OpenObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.Object, error) {
	o, err := s.open(bucket, key, func(o *object) (err error) {
		o.sec, err = storage.SelectSection(o.info, o.rec.parts(), opts)
		return err
	})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return o, nil
}

// open pins an object's blobs; decide, when set, sees it (still unpinned
// and inside the index read) and can refuse it.
func (s *Store) open(bucket, key string, decide func(*object) error) (*object, error) {
	var rec *objectRecord
	var inline []byte
	o := &object{s: s}
	s.pins.mu.Lock()
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		var tail []byte
		if rec, tail, err = getRecordTail(tx, bucket, key); err != nil {
			return err
		}
		o.rec, o.info = rec, rec.info(key)
		if decide != nil {
			if err := decide(o); err != nil {
				return err
			}
		}
		if len(rec.Blobs) == 1 && isInline(rec.Blobs[0].ID) {
			if int64(len(tail)) != rec.Blobs[0].Size {
				return fmt.Errorf("index entry %s/%s: inline bytes missing", bucket, key)
			}
			inline = bytes.Clone(tail)
		}
		return nil
	})
	if err == nil {
		s.pins.pinLocked(rec.blobIDs())
	}
	s.pins.mu.Unlock()
	if err != nil {
		return nil, err
	}
	o.inline = inline
	return o, nil
}

// object reads a pinned object's blobs, opening each only when reached.
type object struct {
	s      *Store
	rec    *objectRecord
	info   storage.ObjectInfo
	sec    storage.Section
	inline []byte // the bytes of an inline object
	closed bool
}

func (o *object) Info() storage.ObjectInfo { return o.info }
func (o *object) Section() storage.Section { return o.sec }
func (o *object) WriteTo(w io.Writer) (int64, error) {
	return o.writeRange(w, o.sec.Start, o.sec.Length)
}

func (o *object) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	o.s.removeBlobs(o.s.pins.unpin(o.rec.blobIDs()))
	return nil
}

// writeRange copies [off, off+length) to w. Each blob goes through
// io.CopyN from an *os.File, which net/http turns into sendfile(2).
func (o *object) writeRange(w io.Writer, off, length int64) (int64, error) {
	var written int64
	for _, b := range o.rec.Blobs {
		if length <= 0 {
			break
		}
		if off >= b.Size {
			off -= b.Size
			continue
		}
		n := min(b.Size-off, length)
		m, err := o.copyBlob(w, b.ID, off, n)
		written += m
		if err != nil {
			return written, err
		}
		off, length = 0, length-n
	}
	return written, nil
}

func (o *object) copyBlob(w io.Writer, id string, off, n int64) (int64, error) {
	if isInline(id) {
		m, err := w.Write(o.inline[off : off+n])
		return int64(m), err
	}
	f, err := os.Open(o.s.blobPath(id))
	if err != nil {
		return 0, fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return 0, fmt.Errorf("seek blob: %w", err)
		}
	}
	m, err := io.CopyN(w, f, n)
	if err == io.EOF {
		err = fmt.Errorf("blob %s shorter than its index entry", id)
	}
	return m, err
}

// reader returns the whole object as a stream.
func (o *object) reader() io.ReadCloser { return o.rangeReader(0, o.rec.Size) }

// rangeReader reads [off, off+length) of the object, opening each blob
// only when it is reached.
func (o *object) rangeReader(off, length int64) io.ReadCloser {
	if o.inline != nil {
		return io.NopCloser(bytes.NewReader(o.inline[off : off+length]))
	}
	return &objectReader{o: o, skip: off, left: length}
}

// parts lists a multipart object's parts, nil for one written in one piece.
func (r *objectRecord) parts() []storage.PartRef {
	if !r.Multipart {
		return nil
	}
	out := make([]storage.PartRef, len(r.Blobs))
	for i, b := range r.Blobs {
		out[i] = storage.PartRef{Number: b.Part, Size: b.Size}
	}
	return out
}

// objectReader reads a range of an object's blobs in sequence.
type objectReader struct {
	o    *object
	next int      // index of the next blob to open
	f    *os.File // the blob being read
	skip int64    // bytes still to skip before the range starts
	left int64    // bytes of the range still to read
}

func (r *objectReader) Read(p []byte) (int, error) {
	for {
		if r.left <= 0 {
			return 0, io.EOF
		}
		if r.f == nil {
			if r.next == len(r.o.rec.Blobs) {
				return 0, fmt.Errorf("object shorter than its index entry")
			}
			b := r.o.rec.Blobs[r.next]
			r.next++
			if r.skip >= b.Size {
				r.skip -= b.Size
				continue
			}
			f, err := os.Open(r.o.s.blobPath(b.ID))
			if err != nil {
				return 0, fmt.Errorf("open blob: %w", err)
			}
			if r.skip > 0 {
				if _, err := f.Seek(r.skip, io.SeekStart); err != nil {
					f.Close()
					return 0, fmt.Errorf("seek blob: %w", err)
				}
				r.skip = 0
			}
			r.f = f
		}
		if int64(len(p)) > r.left {
			p = p[:r.left]
		}
		n, err := r.f.Read(p)
		r.left -= int64(n)
		if err == io.EOF {
			r.f.Close()
			r.f = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (r *objectReader) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

// DeleteObjects removes objects in one commit, each only if its condition
// holds at that commit.
func (s *Store) DeleteObjects(ctx context.Context, bucket string, dels []storage.ObjectDelete) ([]error, error) {
	errs := make([]error, len(dels))
	err := s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		objs, err := objects(tx, bucket)
		if err != nil {
			return nil, err
		}
		refs := tx.Bucket(bktBlobs)
		var removed []string
		for i, d := range dels {
			key := d.Key
			rec, err := current(objs, key)
			if err != nil {
				return nil, err
			}
			// Set on every run: a batch that fails is applied again.
			errs[i] = checkConditions(rec, storage.Conditions{IfMatch: d.IfMatch})
			if rec == nil || errs[i] != nil {
				continue
			}
			if err := objs.Delete([]byte(key)); err != nil {
				return nil, err
			}
			for _, b := range rec.Blobs {
				if isInline(b.ID) {
					continue
				}
				if err := refs.Delete([]byte(b.ID)); err != nil {
					return nil, err
				}
			}
			removed = append(removed, rec.blobIDs()...)
		}
		return removed, nil
	}})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// CopyObject copies src's bytes into a new object at dst.
func (s *Store) CopyObject(ctx context.Context, src, dst storage.ObjectRef, opts storage.CopyOptions) (storage.ObjectInfo, error) {
	if _, err := s.HeadBucket(ctx, dst.Bucket); err != nil {
		return storage.ObjectInfo{}, err
	}
	obj, err := s.open(src.Bucket, src.Key, nil)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer obj.Close()
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(obj.info); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	body := obj.reader()
	var in io.Reader = body
	var sums *checksum.Reader
	if opts.Checksum != nil {
		if alg := opts.Checksum(obj.info); alg != "" {
			sums = checksum.NewReader(body, []checksum.Expectation{{Alg: alg}})
			in = sums
		}
	}
	b, err := s.storeBody(s.data, in, obj.info.Size, 0, nil)
	body.Close()
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	rec := b.record()
	meta := &obj.info.Metadata
	if opts.Metadata != nil {
		meta = opts.Metadata
	}
	setMetadata(rec, meta)
	// The copy is one piece: it keeps the source's full-object checksum,
	// or takes the one computed over its bytes.
	rec.Checksums = nonEmpty(obj.info.Checksums)
	switch {
	case sums != nil:
		rec.Checksums = sums.Sums()
	case obj.info.ChecksumType == "COMPOSITE":
		// A checksum of part checksums does not describe a copy made in
		// one piece.
		rec.Checksums = nil
	}
	return s.commitObject(dst.Bucket, dst.Key, rec, b.data, opts.Conditions)
}
