package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// Multipart uploads. An upload's record sits under uploads/<bucket> keyed by
// (key, id) so ListMultipartUploads is a cursor walk; its parts sit under
// parts/<id> keyed by big-endian part number. Part bytes are blobs in the
// multipart root; completion writes an object record whose blobs are those
// part blobs, so it touches no byte.

type uploadRecord struct {
	Key          string            `json:"key"`
	Initiated    int64             `json:"t"`
	ContentType  string            `json:"ct,omitempty"`
	Headers      map[string]string `json:"h,omitempty"`
	User         map[string]string `json:"u,omitempty"`
	ChecksumAlg  string            `json:"ka,omitempty"`
	ChecksumType string            `json:"kt,omitempty"`
}

// doneRecord remembers how an upload finished, written in the commit that
// finished it, so that a client retrying a Complete or an Abort whose answer
// it lost gets the answer S3 gives: the same object, or success.
type doneRecord struct {
	At      int64 `json:"t"` // when it finished, unix nanoseconds
	Aborted bool  `json:"a,omitempty"`
	// A completion's parts list (partsDigest) and the object it made,
	// known by its ETag and modification time.
	Parts string `json:"p,omitempty"`
	ETag  string `json:"e,omitempty"`
	MTime int64  `json:"m,omitempty"`
}

// partsDigest identifies a CompleteMultipartUpload parts list. JSON keeps
// the fields apart and writes a map's keys in order.
func partsDigest(list []storage.CompletedPart) string {
	b, err := json.Marshal(list)
	if err != nil { // strings, ints and a map of strings: cannot fail
		panic("fs: encode parts list: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// getDone returns the record of an upload that finished, or nil.
func getDone(tx *bolt.Tx, bucket, key, id string) (*doneRecord, error) {
	done := tx.Bucket(bktDone).Bucket([]byte(bucket))
	if done == nil || !validUploadID(id) {
		return nil, nil
	}
	v := done.Get(uploadKey(key, id))
	if v == nil {
		return nil, nil
	}
	rec := new(doneRecord)
	if err := decode(v, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// putDone records how an upload finished.
func putDone(tx *bolt.Tx, bucket, key, id string, rec *doneRecord) error {
	done, err := tx.Bucket(bktDone).CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	v, err := encode(rec)
	if err != nil {
		return err
	}
	return done.Put(uploadKey(key, id), v)
}

type partRecord struct {
	Blob      blobRef           `json:"b"`
	ETag      string            `json:"e"`
	MTime     int64             `json:"t"`
	Checksums map[string]string `json:"k,omitempty"`
	// Default is the part's CRC64NVME for an upload without an algorithm.
	Default string `json:"kd,omitempty"`
}

// newUploadID returns an id that sorts by creation time (so a key's uploads
// list oldest first, as S3 lists them) and carries 128 random bits.
func newUploadID(now time.Time) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

func validUploadID(id string) bool {
	if len(id) != 48 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// escapeKey maps a key to bytes that sort like the key and never contain
// 0x00 0x00, which then separates the key from the upload id.
func escapeKey(key string) []byte {
	out := make([]byte, 0, len(key)+2)
	for i := 0; i < len(key); i++ {
		out = append(out, key[i])
		if key[i] == 0 {
			out = append(out, 1)
		}
	}
	return out
}

func uploadKey(key, id string) []byte {
	return append(append(escapeKey(key), 0, 0), id...)
}

// splitUploadKey undoes uploadKey.
func splitUploadKey(k []byte) (key, id string, ok bool) {
	var out []byte
	for i := 0; i < len(k); i++ {
		if k[i] != 0 {
			out = append(out, k[i])
			continue
		}
		if i+1 >= len(k) {
			return "", "", false
		}
		if k[i+1] == 0 {
			return string(out), string(k[i+2:]), true
		}
		out = append(out, 0)
		i++
	}
	return "", "", false
}

// validPartNumber guards the index against numbers partKey cannot hold.
func validPartNumber(n int) bool { return n >= 1 && n <= 10000 }

func partKey(n int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

// getUpload returns the record of an upload bound to bucket and key.
func getUpload(tx *bolt.Tx, bucket, key, id string) (*uploadRecord, error) {
	if !validUploadID(id) {
		return nil, storage.ErrNoSuchUpload
	}
	ups := tx.Bucket(bktUploads).Bucket([]byte(bucket))
	if ups == nil {
		return nil, storage.ErrNoSuchUpload
	}
	v := ups.Get(uploadKey(key, id))
	if v == nil {
		return nil, storage.ErrNoSuchUpload
	}
	rec := new(uploadRecord)
	if err := decode(v, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (r *uploadRecord) upload(bucket, id string) storage.Upload {
	return storage.Upload{
		Bucket: bucket, Key: r.Key, ID: id,
		Initiated:         time.Unix(0, r.Initiated).UTC(),
		Metadata:          storage.Metadata{ContentType: r.ContentType, Headers: r.Headers, User: r.User},
		ChecksumAlgorithm: r.ChecksumAlg,
		ChecksumType:      r.ChecksumType,
	}
}

// CreateUpload starts a multipart upload.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts storage.UploadOptions) (storage.Upload, error) {
	now := time.Now()
	id := newUploadID(now)
	rec := &uploadRecord{Key: key, Initiated: now.UnixNano(),
		ContentType: opts.ContentType, Headers: nonEmpty(opts.Headers), User: nonEmpty(opts.User),
		ChecksumAlg: opts.ChecksumAlgorithm, ChecksumType: opts.ChecksumType}
	err := s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		if _, err := objects(tx, bucket); err != nil {
			return nil, err
		}
		ups, err := tx.Bucket(bktUploads).CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return nil, err
		}
		v, err := encode(rec)
		if err != nil {
			return nil, err
		}
		if err := ups.Put(uploadKey(key, id), v); err != nil {
			return nil, err
		}
		_, err = tx.Bucket(bktParts).CreateBucket([]byte(id))
		return nil, err
	}})
	if err != nil {
		return storage.Upload{}, err
	}
	return rec.upload(bucket, id), nil
}

// GetUpload returns an upload in progress.
func (s *Store) GetUpload(ctx context.Context, bucket, key, id string) (storage.Upload, error) {
	var up storage.Upload
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getUpload(tx, bucket, key, id)
		if err == nil {
			up = rec.upload(bucket, id)
		}
		return err
	})
	return up, err
}

// PutPart stores a part, replacing an earlier part with its number.
func (s *Store) PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts storage.PartOptions) (storage.Part, error) {
	if !validPartNumber(number) {
		return storage.Part{}, fmt.Errorf("part number %d: %w", number, storage.ErrInvalidPart)
	}
	if _, err := s.GetUpload(ctx, bucket, key, id); err != nil {
		return storage.Part{}, err
	}
	b, err := s.writeBlob(s.parts, body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.Part{}, err
	}
	rec := &partRecord{Blob: blobRef{ID: b.id, Size: b.size, Part: number}, ETag: hex.EncodeToString(b.md5[:])}
	if opts.LateChecksums != nil {
		rec.Checksums = nonEmpty(opts.LateChecksums())
	}
	if opts.DefaultChecksum != nil {
		rec.Default = opts.DefaultChecksum()
	}
	err = s.submit(&commit{dirs: []string{filepath.Dir(s.blobPath(b.id))}, apply: func(tx *bolt.Tx) ([]string, error) {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return nil, err
		}
		parts := tx.Bucket(bktParts).Bucket([]byte(id))
		if parts == nil {
			return nil, storage.ErrNoSuchUpload
		}
		var removed []string
		refs := tx.Bucket(bktBlobs)
		if v := parts.Get(partKey(number)); v != nil {
			var old partRecord
			if err := decode(v, &old); err != nil {
				return nil, err
			}
			if err := refs.Delete([]byte(old.Blob.ID)); err != nil {
				return nil, err
			}
			removed = append(removed, old.Blob.ID)
		}
		rec.MTime = time.Now().UnixNano()
		v, err := encode(rec)
		if err != nil {
			return nil, err
		}
		if err := parts.Put(partKey(number), v); err != nil {
			return nil, err
		}
		return removed, refs.Put([]byte(b.id), nil)
	}})
	if err != nil {
		s.discardBlob(b.id)
		return storage.Part{}, err
	}
	return rec.part(number), nil
}

// CopyPart stores a range of src as a part: the bytes are read from the
// source's snapshot and written as a part blob, with the part checksums
// PutPart would compute.
func (s *Store) CopyPart(ctx context.Context, src storage.ObjectRef, bucket, key, id string, number int, opts storage.CopyPartOptions) (storage.Part, error) {
	up, err := s.GetUpload(ctx, bucket, key, id)
	if err != nil {
		return storage.Part{}, err
	}
	obj, err := s.open(src.Bucket, src.Key, nil)
	if err != nil {
		return storage.Part{}, err
	}
	defer obj.Close()
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(obj.info); err != nil {
			return storage.Part{}, err
		}
	}
	off, n := storage.CopyRange(obj.info.Size, opts)
	body := obj.rangeReader(off, n)
	defer body.Close()
	popts := storage.PartOptions{Size: n}
	return s.PutPart(ctx, bucket, key, id, number, storage.CopiedPartChecksums(body, up, &popts), popts)
}

func (r *partRecord) part(n int) storage.Part {
	return storage.Part{Number: n, Size: r.Blob.Size, ETag: r.ETag, LastModified: time.Unix(0, r.MTime).UTC(), Checksums: r.Checksums}
}

// ListParts returns up to limit parts numbered after after.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string, after, limit int) (storage.PartList, error) {
	var out storage.PartList
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}
		parts := tx.Bucket(bktParts).Bucket([]byte(id))
		if parts == nil {
			return storage.ErrNoSuchUpload
		}
		c := parts.Cursor()
		for k, v := c.Seek(partKey(after + 1)); k != nil; k, v = c.Next() {
			if len(out.Parts) == limit {
				out.Truncated = true
				break
			}
			var rec partRecord
			if err := decode(v, &rec); err != nil {
				return err
			}
			out.Parts = append(out.Parts, rec.part(int(binary.BigEndian.Uint32(k))))
		}
		if out.Truncated && len(out.Parts) > 0 {
			out.Next = out.Parts[len(out.Parts)-1].Number
		} else if out.Truncated {
			out.Next = after
		}
		return nil
	})
	return out, err
}

// CompleteUpload turns the listed parts into the object in one commit.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, id string, list []storage.CompletedPart, opts storage.CompleteOptions) (storage.ObjectInfo, error) {
	var obj *objectRecord
	var objDefault string
	digest := partsDigest(list)
	err := s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		obj, objDefault = nil, ""
		up, err := getUpload(tx, bucket, key, id)
		if errors.Is(err, storage.ErrNoSuchUpload) {
			obj, err = completedBefore(tx, bucket, key, id, digest)
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		objs, err := objects(tx, bucket)
		if err != nil {
			return nil, err
		}
		parts := tx.Bucket(bktParts).Bucket([]byte(id))
		if parts == nil {
			return nil, storage.ErrNoSuchUpload
		}
		rec, used, def, err := assemble(parts, up, list, opts.MinPartSize)
		if err != nil {
			return nil, err
		}
		if opts.Check != nil {
			if err := opts.Check(withDefault(rec.info(key), def)); err != nil {
				return nil, err
			}
		}
		old, err := current(objs, key)
		if err != nil {
			return nil, err
		}
		if err := checkConditions(old, opts.Conditions); err != nil {
			return nil, err
		}
		rec.MTime = time.Now().UnixNano()
		v, err := encode(rec)
		if err != nil {
			return nil, err
		}
		if err := objs.Put([]byte(key), v); err != nil {
			return nil, err
		}
		// Parts not listed go, with the replaced object's blobs.
		refs := tx.Bucket(bktBlobs)
		var removed []string
		err = parts.ForEach(func(k, v []byte) error {
			var p partRecord
			if err := decode(v, &p); err != nil {
				return err
			}
			if !used[p.Blob.ID] {
				removed = append(removed, p.Blob.ID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if old != nil {
			removed = append(removed, old.blobIDs()...)
		}
		for _, id := range removed {
			if err := refs.Delete([]byte(id)); err != nil {
				return nil, err
			}
		}
		if err := deleteUpload(tx, bucket, key, id); err != nil {
			return nil, err
		}
		err = putDone(tx, bucket, key, id, &doneRecord{At: rec.MTime, Parts: digest, ETag: rec.ETag, MTime: rec.MTime})
		if err != nil {
			return nil, err
		}
		obj, objDefault = rec, def
		return removed, nil
	}})
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return withDefault(obj.info(key), objDefault), nil
}

// withDefault adds to an object's info the full-object CRC64NVME S3 answers
// for an upload created without an algorithm (def, "" for none).
func withDefault(info storage.ObjectInfo, def string) storage.ObjectInfo {
	if def != "" && len(info.Checksums) == 0 {
		info.Checksums = map[string]string{checksum.Default: def}
		info.ChecksumType = "FULL_OBJECT"
	}
	return info
}

// completedBefore answers a Complete of an upload no longer in progress:
// the object a completion with the same parts made, while it is still the
// key's object, else ErrNoSuchUpload.
func completedBefore(tx *bolt.Tx, bucket, key, id, digest string) (*objectRecord, error) {
	done, err := getDone(tx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	if done == nil || done.Aborted || done.Parts != digest {
		return nil, storage.ErrNoSuchUpload
	}
	objs, err := objects(tx, bucket)
	if err != nil {
		return nil, err
	}
	cur, err := current(objs, key)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.ETag != done.ETag || cur.MTime != done.MTime {
		return nil, storage.ErrNoSuchUpload
	}
	return cur, nil
}

// assemble checks a CompleteMultipartUpload list against the stored parts
// and builds the object's record: a manifest of the part blobs. For an
// upload without an algorithm it also returns the object's CRC64NVME
// combined from the parts' defaults, "" when a part has none.
func assemble(parts *bolt.Bucket, up *uploadRecord, list []storage.CompletedPart, minPart int64) (*objectRecord, map[string]bool, string, error) {
	rec, used, defs, sizes, err := assembleParts(parts, up, list, minPart)
	if err != nil || up.ChecksumAlg != "" || len(defs) < len(list) {
		return rec, used, "", err
	}
	def, err := checksum.FullObject(checksum.Default, defs, sizes)
	if err != nil {
		// A corrupt default costs the answer its checksum, not the upload.
		def = ""
	}
	return rec, used, def, nil
}

// assembleParts checks the list and builds the record; it returns the
// parts' default CRC64NVMEs and sizes for assemble to combine.
func assembleParts(parts *bolt.Bucket, up *uploadRecord, list []storage.CompletedPart, minPart int64) (*objectRecord, map[string]bool, []string, []int64, error) {
	rec := &objectRecord{Multipart: true, ContentType: up.ContentType, Headers: up.Headers, User: up.User}
	used := make(map[string]bool, len(list))
	md5s := make([]byte, 0, md5.Size*len(list))
	var sums, defs []string
	var sizes []int64
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return nil, nil, nil, nil, storage.ErrInvalidPartOrder
		}
	}
	for i, want := range list {
		if !validPartNumber(want.Number) {
			return nil, nil, nil, nil, fmt.Errorf("part number %d: %w", want.Number, storage.ErrInvalidPart)
		}
		v := parts.Get(partKey(want.Number))
		if v == nil {
			return nil, nil, nil, nil, fmt.Errorf("part %d was not uploaded: %w", want.Number, storage.ErrInvalidPart)
		}
		var p partRecord
		if err := decode(v, &p); err != nil {
			return nil, nil, nil, nil, err
		}
		if want.ETag != p.ETag {
			return nil, nil, nil, nil, fmt.Errorf("part %d has another ETag: %w", want.Number, storage.ErrInvalidPart)
		}
		for alg, val := range want.Checksums {
			if p.Checksums[alg] != val {
				return nil, nil, nil, nil, fmt.Errorf("part %d has another %s: %w", want.Number, alg, storage.ErrInvalidPart)
			}
		}
		if i < len(list)-1 && p.Blob.Size < minPart {
			return nil, nil, nil, nil, fmt.Errorf("part %d is %d bytes: %w", want.Number, p.Blob.Size, storage.ErrEntityTooSmall)
		}
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("part %d: corrupt ETag in the index", want.Number)
		}
		md5s = append(md5s, raw...)
		if up.ChecksumAlg != "" {
			sum, ok := p.Checksums[up.ChecksumAlg]
			if !ok {
				return nil, nil, nil, nil, fmt.Errorf("part %d has no %s checksum: %w", want.Number, up.ChecksumAlg, storage.ErrInvalidPart)
			}
			sums = append(sums, sum)
		}
		if p.Default != "" {
			defs = append(defs, p.Default)
		}
		sizes = append(sizes, p.Blob.Size)
		rec.Blobs = append(rec.Blobs, p.Blob)
		rec.Size += p.Blob.Size
		used[p.Blob.ID] = true
	}
	sum := md5.Sum(md5s)
	rec.ETag = hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(list))
	if up.ChecksumAlg != "" {
		var whole string
		var err error
		if up.ChecksumType == "FULL_OBJECT" {
			whole, err = checksum.FullObject(up.ChecksumAlg, sums, sizes)
		} else {
			whole, err = checksum.Composite(up.ChecksumAlg, sums)
		}
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%v: %w", err, storage.ErrInvalidPart)
		}
		rec.Checksums = map[string]string{up.ChecksumAlg: whole}
		rec.ChecksumType = up.ChecksumType
	}
	return rec, used, defs, sizes, nil
}

// deleteUpload removes an upload's record and parts (not their blobs).
func deleteUpload(tx *bolt.Tx, bucket, key, id string) error {
	if err := tx.Bucket(bktUploads).Bucket([]byte(bucket)).Delete(uploadKey(key, id)); err != nil {
		return err
	}
	return tx.Bucket(bktParts).DeleteBucket([]byte(id))
}

// dropUpload deletes an upload and returns its part blobs for removal.
func dropUpload(tx *bolt.Tx, bucket, key, id string) ([]string, error) {
	var removed []string
	if parts := tx.Bucket(bktParts).Bucket([]byte(id)); parts != nil {
		refs := tx.Bucket(bktBlobs)
		err := parts.ForEach(func(k, v []byte) error {
			var p partRecord
			if err := decode(v, &p); err != nil {
				return err
			}
			removed = append(removed, p.Blob.ID)
			return refs.Delete([]byte(p.Blob.ID))
		})
		if err != nil {
			return nil, err
		}
	}
	return removed, deleteUpload(tx, bucket, key, id)
}

// AbortUpload discards an upload and its parts; an upload that finished
// already is left as it is.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, id string) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		_, err := getUpload(tx, bucket, key, id)
		if errors.Is(err, storage.ErrNoSuchUpload) {
			if done, derr := getDone(tx, bucket, key, id); derr != nil || done != nil {
				return nil, derr
			}
		}
		if err != nil {
			return nil, err
		}
		removed, err := dropUpload(tx, bucket, key, id)
		if err != nil {
			return nil, err
		}
		return removed, putDone(tx, bucket, key, id, &doneRecord{At: time.Now().UnixNano(), Aborted: true})
	}})
}

// ListUploads lists uploads in progress by key, then age.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts storage.ListUploadsOptions) (storage.UploadList, error) {
	var out storage.UploadList
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktObjects).Bucket([]byte(bucket)) == nil {
			return storage.ErrNoSuchBucket
		}
		ups := tx.Bucket(bktUploads).Bucket([]byte(bucket))
		if ups == nil {
			return nil
		}
		c := ups.Cursor()
		prefix := escapeKey(opts.Prefix)
		var k, v []byte
		switch {
		case opts.KeyMarker == "":
			k, v = c.Seek(prefix)
		case opts.IDMarker != "":
			marker := uploadKey(opts.KeyMarker, opts.IDMarker)
			if k, v = c.Seek(marker); bytes.Equal(k, marker) {
				k, v = c.Next()
			}
		default:
			// Past every upload of KeyMarker itself.
			k, v = c.Seek(append(escapeKey(opts.KeyMarker), 0, 1))
		}
		if bytes.Compare(k, prefix) < 0 {
			k, v = c.Seek(prefix)
		}
		entries := 0
		for k != nil && bytes.HasPrefix(k, prefix) {
			key, id, ok := splitUploadKey(k)
			if !ok {
				return fmt.Errorf("corrupt upload index entry")
			}
			if opts.Delimiter != "" {
				if i := strings.Index(key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
					cp := key[:len(opts.Prefix)+i+len(opts.Delimiter)]
					// A prefix at or before the marker was on an earlier page.
					if cp > opts.KeyMarker {
						if entries == opts.Limit {
							out.Truncated = true
							break
						}
						out.CommonPrefixes = append(out.CommonPrefixes, cp)
						out.NextKey, out.NextID = cp, ""
						entries++
					}
					end := prefixEnd(escapeKey(cp))
					if end == nil {
						break
					}
					k, v = c.Seek(end)
					continue
				}
			}
			if entries == opts.Limit {
				out.Truncated = true
				break
			}
			var rec uploadRecord
			if err := decode(v, &rec); err != nil {
				return err
			}
			out.Uploads = append(out.Uploads, rec.upload(bucket, id))
			out.NextKey, out.NextID = key, id
			entries++
			k, v = c.Next()
		}
		if !out.Truncated {
			out.NextKey, out.NextID = "", ""
		}
		return nil
	})
	return out, err
}

// CollectUploads aborts every upload initiated before cutoff.
func (s *Store) CollectUploads(ctx context.Context, cutoff time.Time) (int, error) {
	type stale struct{ bucket, key, id string }
	var olds []stale
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktUploads).ForEachBucket(func(bucket []byte) error {
			return tx.Bucket(bktUploads).Bucket(bucket).ForEach(func(k, v []byte) error {
				key, id, ok := splitUploadKey(k)
				if !ok {
					return nil
				}
				var rec uploadRecord
				if err := decode(v, &rec); err != nil {
					return err
				}
				if rec.Initiated < cutoff.UnixNano() {
					olds = append(olds, stale{string(bucket), key, id})
				}
				return nil
			})
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range olds {
		if err := s.AbortUpload(ctx, o.bucket, o.key, o.id); err == nil {
			n++
		}
	}
	return n, s.forgetDone(cutoff)
}

// forgetDone drops the records of uploads finished before cutoff, a bounded
// number per commit so that no commit grows large.
func (s *Store) forgetDone(cutoff time.Time) error {
	type old struct{ bucket, k []byte }
	for {
		var olds []old
		err := s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bktDone).ForEachBucket(func(bucket []byte) error {
				return tx.Bucket(bktDone).Bucket(bucket).ForEach(func(k, v []byte) error {
					if len(olds) == maxBatch {
						return nil
					}
					var rec doneRecord
					if err := decode(v, &rec); err != nil {
						return err
					}
					if rec.At < cutoff.UnixNano() {
						olds = append(olds, old{bytes.Clone(bucket), bytes.Clone(k)})
					}
					return nil
				})
			})
		})
		if err != nil || len(olds) == 0 {
			return err
		}
		err = s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
			for _, o := range olds {
				if done := tx.Bucket(bktDone).Bucket(o.bucket); done != nil {
					if err := done.Delete(o.k); err != nil {
						return nil, err
					}
				}
			}
			return nil, nil
		}})
		if err != nil || len(olds) < maxBatch {
			return err
		}
	}
}

// collectUploadsLoop aborts stale uploads now and then until Close.
func (s *Store) collectUploadsLoop(maxAge time.Duration) {
	defer s.bg.Done()
	interval := min(maxAge/4, time.Hour)
	for {
		if n, err := s.CollectUploads(context.Background(), time.Now().Add(-maxAge)); err != nil {
			s.log.Warn("storage: collecting stale uploads", "err", err)
		} else if n > 0 {
			s.log.Info("storage: aborted stale multipart uploads", "count", n, "max_age", maxAge.String())
		}
		select {
		case <-s.stop:
			return
		case <-time.After(interval):
		}
	}
}
