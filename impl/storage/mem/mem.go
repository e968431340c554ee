// Package mem is a storage.Backend held in memory: a map of buckets guarded
// by a mutex, in the spirit of testing/fstest.MapFS.
//
// It is for tests: handler-level tests of s3api run against it without a
// disk, and as a second implementation of the contract it keeps the
// storagetest battery honest (a check that only storage/fs passes tests fs,
// not the contract). It is not a mock: it keeps the contract's rules as
// storage/fs does (a write commits only after its body ended cleanly,
// conditions are checked in the commit, reads are snapshots, retried
// completions get their first answer).
//
// It is not a store: nothing survives the process, nothing is bounded but
// by memory, and records of finished uploads are kept until their bucket is
// deleted.
//
// Object bytes are immutable slices once stored, so a snapshot is the slice
// itself and a copy shares it.
package mem

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// Store is an in-memory backend, safe for concurrent use. Its zero value is
// not ready; use New.
type Store struct {
	mu      sync.RWMutex
	buckets map[string]*bucket
	seq     uint64 // upload ids begin with it, so they sort by age
}

var _ storage.Backend = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{buckets: make(map[string]*bucket)}
}

type bucket struct {
	created time.Time
	objects map[string]*entry
	uploads map[string]*upload // by id
	done    map[string]*done   // finished uploads, by id
	configs map[string][]byte  // configuration documents, by name
}

// entry is a stored object. It is never changed once stored: a write
// replaces the map's pointer, so a reader holding the old one keeps its
// snapshot.
type entry struct {
	data         []byte
	etag         string
	mtime        time.Time
	meta         storage.Metadata
	checksumType string
	parts        []storage.PartRef // nil for an object written in one piece
}

func (e *entry) info(key string) storage.ObjectInfo {
	info := storage.ObjectInfo{
		Key:          key,
		Size:         int64(len(e.data)),
		ETag:         e.etag,
		LastModified: e.mtime,
		Metadata:     cloneMeta(e.meta),
		ChecksumType: e.checksumType,
		PartsCount:   len(e.parts),
	}
	if info.ChecksumType == "" && len(info.Checksums) > 0 {
		info.ChecksumType = "FULL_OBJECT"
	}
	return info
}

// cloneMeta copies m's maps, so that neither a caller's later change to the
// maps it passed nor its change to those it was given reaches the store.
func cloneMeta(m storage.Metadata) storage.Metadata {
	return storage.Metadata{ContentType: m.ContentType, Headers: clone(m.Headers), User: clone(m.User), Checksums: clone(m.Checksums)}
}

func clone(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// now is the time a commit stamps, without a monotonic reading (UTC drops
// it) so that stored times compare as storage/fs's decoded ones do.
func now() time.Time { return time.Now().UTC() }

// bucketLocked returns a bucket; the caller holds s.mu.
func (s *Store) bucketLocked(name string) (*bucket, error) {
	b, ok := s.buckets[name]
	if !ok {
		return nil, fmt.Errorf("bucket %q: %w", name, storage.ErrNoSuchBucket)
	}
	return b, nil
}

// CreateBucket makes an empty bucket.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return fmt.Errorf("bucket %q: %w", name, storage.ErrBucketExists)
	}
	s.buckets[name] = &bucket{
		created: now(),
		objects: make(map[string]*entry),
		uploads: make(map[string]*upload),
		done:    make(map[string]*done),
		configs: make(map[string][]byte),
	}
	return nil
}

// PutBucketConfig stores a copy of doc under name.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return err
	}
	b.configs[name] = bytes.Clone(doc)
	return nil
}

// BucketConfig returns a copy of the document under name.
func (s *Store) BucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return nil, err
	}
	doc, ok := b.configs[name]
	if !ok {
		return nil, fmt.Errorf("bucket %q: %s: %w", bucket, name, storage.ErrNoSuchConfig)
	}
	return bytes.Clone(doc), nil
}

// DeleteBucketConfig drops the document under name.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return err
	}
	delete(b.configs, name)
	return nil
}

// HeadBucket returns a bucket's record.
func (s *Store) HeadBucket(ctx context.Context, name string) (storage.Bucket, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.bucketLocked(name)
	if err != nil {
		return storage.Bucket{}, err
	}
	return storage.Bucket{Name: name, Created: b.created}, nil
}

// DeleteBucket removes an empty bucket with its uploads in progress.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return fmt.Errorf("bucket %q: %w", name, storage.ErrBucketNotEmpty)
	}
	delete(s.buckets, name)
	return nil
}

// readBody reads a whole body into memory under the rules storage/fs
// applies: a declared size above maxSize, or a body growing past it, is
// ErrTooLarge; a body that ends before or goes on after its declared size
// is ErrIncompleteBody; a Content-MD5 that does not match is ErrBadDigest.
// Only a body read to io.EOF without error is returned, which is what lets
// the API layer's verifying readers refuse a write at its last byte.
func readBody(r io.Reader, size, maxSize int64, wantMD5 []byte) ([]byte, string, error) {
	if maxSize > 0 && size > maxSize {
		return nil, "", storage.ErrTooLarge
	}
	// Read one byte past any bound, enough to know the body breaks it
	// without reading it all.
	limit := int64(-1)
	if size >= 0 {
		limit = size + 1
	}
	if maxSize > 0 && (limit < 0 || maxSize+1 < limit) {
		limit = maxSize + 1
	}
	if limit >= 0 {
		r = io.LimitReader(r, limit)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, "", fmt.Errorf("read body: %w: %w", storage.ErrIncompleteBody, err)
		}
		return nil, "", fmt.Errorf("read body: %w", err)
	}
	n := int64(len(data))
	if maxSize > 0 && n > maxSize {
		return nil, "", storage.ErrTooLarge
	}
	if size >= 0 && n != size {
		return nil, "", fmt.Errorf("read body: got %d bytes or more, %d declared: %w", n, size, storage.ErrIncompleteBody)
	}
	sum := md5.Sum(data)
	if wantMD5 != nil && !bytes.Equal(wantMD5, sum[:]) {
		return nil, "", storage.ErrBadDigest
	}
	return data, hex.EncodeToString(sum[:]), nil
}

// checkConditions decides a write's preconditions against the object it
// would replace (nil for none).
func checkConditions(old *entry, c storage.Conditions) error {
	if c.IfNoneMatch && old != nil {
		return storage.ErrPreconditionFailed
	}
	if c.IfMatch != "" {
		if old == nil {
			return storage.ErrNoSuchKey
		}
		if c.IfMatch != "*" && c.IfMatch != old.etag {
			return storage.ErrPreconditionFailed
		}
	}
	return nil
}

// commit makes e the object at bucket/key if the conditions hold, and
// stamps its modification time.
func (s *Store) commit(bucket, key string, e *entry, cond storage.Conditions) (storage.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return b.commitLocked(key, e, cond)
}

func (b *bucket) commitLocked(key string, e *entry, cond storage.Conditions) (storage.ObjectInfo, error) {
	if err := checkConditions(b.objects[key], cond); err != nil {
		return storage.ObjectInfo{}, err
	}
	e.mtime = now()
	b.objects[key] = e
	return e.info(key), nil
}

// PutObject stores body as bucket/key once it has been read whole.
func (s *Store) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	// Fail fast for a missing bucket before reading the body.
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return storage.ObjectInfo{}, err
	}
	data, etag, err := readBody(body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	e := &entry{data: data, etag: etag, meta: cloneMeta(opts.Metadata)}
	if opts.LateChecksums != nil {
		e.meta.Checksums = clone(opts.LateChecksums())
	}
	return s.commit(bucket, key, e, opts.Conditions)
}

// lookup returns the object at bucket/key as it is now.
func (s *Store) lookup(bucket, key string) (*entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return nil, err
	}
	e, ok := b.objects[key]
	if !ok {
		return nil, fmt.Errorf("object %q: %w", key, storage.ErrNoSuchKey)
	}
	return e, nil
}

// StatObject returns an object's info and the section opts select.
func (s *Store) StatObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.ObjectInfo, storage.Section, error) {
	o, err := s.OpenObject(ctx, bucket, key, opts)
	if err != nil {
		return storage.ObjectInfo{}, storage.Section{}, err
	}
	return o.Info(), o.Section(), nil
}

// OpenObject returns a snapshot of the section opts select.
func (s *Store) OpenObject(ctx context.Context, bucket, key string, opts storage.ReadOptions) (storage.Object, error) {
	e, err := s.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	info := e.info(key)
	sec, err := storage.SelectSection(info, e.parts, opts)
	if err != nil {
		return nil, err
	}
	return &object{info: info, sec: sec, data: e.data}, nil
}

// object is an open snapshot: the bytes it holds are never changed.
type object struct {
	info storage.ObjectInfo
	sec  storage.Section
	data []byte
}

func (o *object) Info() storage.ObjectInfo { return o.info }
func (o *object) Section() storage.Section { return o.sec }
func (o *object) Close() error             { return nil }

// WriteTo writes the selected section to w.
func (o *object) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(o.data[o.sec.Start : o.sec.Start+o.sec.Length])
	if err == nil && int64(n) < o.sec.Length {
		err = io.ErrShortWrite
	}
	return int64(n), err
}

// DeleteObjects removes objects at once, each only if its condition holds.
func (s *Store) DeleteObjects(ctx context.Context, bucket string, dels []storage.ObjectDelete) ([]error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(dels))
	for i, d := range dels {
		old := b.objects[d.Key]
		if errs[i] = checkConditions(old, storage.Conditions{IfMatch: d.IfMatch}); errs[i] == nil && old != nil {
			delete(b.objects, d.Key)
		}
	}
	return errs, nil
}

// CopyObject copies src's bytes, which it shares, into a new object at dst.
func (s *Store) CopyObject(ctx context.Context, src, dst storage.ObjectRef, opts storage.CopyOptions) (storage.ObjectInfo, error) {
	if _, err := s.HeadBucket(ctx, dst.Bucket); err != nil {
		return storage.ObjectInfo{}, err
	}
	from, err := s.lookup(src.Bucket, src.Key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info := from.info(src.Key)
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(info); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	sum := md5.Sum(from.data)
	e := &entry{data: from.data, etag: hex.EncodeToString(sum[:]), meta: info.Metadata}
	if opts.Metadata != nil {
		e.meta = cloneMeta(*opts.Metadata)
	}
	// The copy is one piece: it keeps the source's full-object checksum,
	// or takes one computed over its bytes. A checksum of part checksums
	// does not describe it.
	e.meta.Checksums = info.Checksums
	if info.ChecksumType == "COMPOSITE" {
		e.meta.Checksums = nil
	}
	if opts.Checksum != nil {
		if alg := opts.Checksum(info); alg != "" {
			if !checksum.Known(alg) {
				return storage.ObjectInfo{}, fmt.Errorf("copy: unknown checksum algorithm %q", alg)
			}
			cr := checksum.NewReader(bytes.NewReader(from.data), []checksum.Expectation{{Alg: alg}})
			if _, err := io.Copy(io.Discard, cr); err != nil {
				return storage.ObjectInfo{}, fmt.Errorf("copy: %w", err)
			}
			e.meta.Checksums = cr.Sums()
		}
	}
	return s.commit(dst.Bucket, dst.Key, e, opts.Conditions)
}

// ListObjects returns a page of the bucket's keys in byte order, keys
// sharing a prefix up to the delimiter rolled up into common prefixes. The
// cursor is the last entry returned: a page resumes strictly after it.
func (s *Store) ListObjects(ctx context.Context, bucket string, opts storage.ListOptions) (storage.ListResult, error) {
	after := opts.StartAfter
	if opts.Cursor != "" {
		after = opts.Cursor
	}
	var keys []string
	var entries []*entry
	s.mu.RLock()
	b, err := s.bucketLocked(bucket)
	if err == nil {
		keys = slices.Sorted(maps.Keys(b.objects))
		keys = keys[sort.SearchStrings(keys, after):]
		for len(keys) > 0 && keys[0] == after {
			keys = keys[1:]
		}
		entries = make([]*entry, len(keys))
		for i, k := range keys {
			entries[i] = b.objects[k]
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return storage.ListResult{}, err
	}
	var res storage.ListResult
	res.Truncated = page(keys, opts.Prefix, opts.Delimiter, after, opts.Limit, func(i int, cp string) {
		if cp != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.Last = cp
			return
		}
		info := entries[i].info(keys[i])
		res.Objects = append(res.Objects, storage.ObjectInfo{
			Key: info.Key, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified,
			Metadata: storage.Metadata{Checksums: info.Checksums}, ChecksumType: info.ChecksumType,
		})
		res.Last = info.Key
	})
	if res.Truncated {
		res.Cursor = res.Last
	} else {
		res.Last = ""
	}
	return res, nil
}

// page walks sorted keys, skipping those without the prefix, and rolls
// keys that share a prefix up to the delimiter into one common prefix. It
// calls add for each entry of the page, with the key's index and its
// common prefix ("" for the key itself), skipping common prefixes at or
// before after (returned by an earlier page), and reports whether entries
// beyond limit were left.
func page(keys []string, prefix, delim, after string, limit int, add func(i int, cp string)) (truncated bool) {
	n := 0
	for i := 0; i < len(keys); i++ {
		if !strings.HasPrefix(keys[i], prefix) {
			continue
		}
		cp := ""
		if j := strings.Index(keys[i][len(prefix):], delim); delim != "" && j >= 0 {
			cp = keys[i][:len(prefix)+j+len(delim)]
			for i+1 < len(keys) && strings.HasPrefix(keys[i+1], cp) {
				i++
			}
			if cp <= after {
				continue
			}
		}
		if n == limit {
			return true
		}
		add(i, cp)
		n++
	}
	return false
}
