package mem

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// upload is a multipart upload in progress.
type upload struct {
	storage.Upload
	parts map[int]*part
}

type part struct {
	storage.Part
	data []byte
	// def is the part's CRC64NVME for an upload without an algorithm,
	// kept for completion and never listed.
	def string
}

// done remembers how an upload finished, so that a client retrying a
// Complete or an Abort whose answer it lost gets the first answer.
type done struct {
	key     string
	aborted bool
	list    []storage.CompletedPart // the completion's parts list
	obj     *entry                  // and the object it made
}

// CreateUpload starts a multipart upload.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts storage.UploadOptions) (storage.Upload, error) {
	var random [8]byte
	_, _ = rand.Read(random[:]) // documented never to fail
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucket)
	if err != nil {
		return storage.Upload{}, err
	}
	s.seq++
	up := &upload{
		Upload: storage.Upload{
			Bucket: bucket, Key: key,
			ID:        fmt.Sprintf("%016x%x", s.seq, random),
			Initiated: now(),
			Metadata: storage.Metadata{
				ContentType: opts.ContentType, Headers: clone(opts.Headers), User: clone(opts.User),
			},
			ChecksumAlgorithm: opts.ChecksumAlgorithm,
			ChecksumType:      opts.ChecksumType,
		},
		parts: make(map[int]*part),
	}
	b.uploads[up.ID] = up
	return up.info(), nil
}

// info returns a copy of the upload's record, its maps its own.
func (up *upload) info() storage.Upload {
	out := up.Upload
	out.Metadata = cloneMeta(up.Metadata)
	return out
}

// uploadLocked returns an upload bound to bucket and key; the caller holds
// s.mu. A missing bucket has no uploads.
func (s *Store) uploadLocked(bucket, key, id string) (*bucket, *upload, error) {
	b := s.buckets[bucket]
	if b != nil {
		if up := b.uploads[id]; up != nil && up.Key == key {
			return b, up, nil
		}
	}
	return b, nil, fmt.Errorf("upload %q of %q: %w", id, key, storage.ErrNoSuchUpload)
}

// GetUpload returns an upload in progress.
func (s *Store) GetUpload(ctx context.Context, bucket, key, id string) (storage.Upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, up, err := s.uploadLocked(bucket, key, id)
	if err != nil {
		return storage.Upload{}, err
	}
	return up.info(), nil
}

// PutPart stores a part once its body has been read whole, replacing any
// earlier part with its number.
func (s *Store) PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts storage.PartOptions) (storage.Part, error) {
	if !validPartNumber(number) {
		return storage.Part{}, fmt.Errorf("part number %d: %w", number, storage.ErrInvalidPart)
	}
	if _, err := s.GetUpload(ctx, bucket, key, id); err != nil {
		return storage.Part{}, err
	}
	data, etag, err := readBody(body, opts.Size, opts.MaxSize, opts.ContentMD5)
	if err != nil {
		return storage.Part{}, err
	}
	p := &part{Part: storage.Part{Number: number, Size: int64(len(data)), ETag: etag}, data: data}
	if opts.LateChecksums != nil {
		p.Checksums = clone(opts.LateChecksums())
	}
	if opts.DefaultChecksum != nil {
		p.def = opts.DefaultChecksum()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, up, err := s.uploadLocked(bucket, key, id)
	if err != nil {
		return storage.Part{}, err
	}
	p.LastModified = now()
	up.parts[number] = p
	return p.info(), nil
}

func (p *part) info() storage.Part {
	out := p.Part
	out.Checksums = clone(p.Checksums)
	return out
}

// validPartNumber is S3's range of part numbers.
func validPartNumber(n int) bool { return n >= 1 && n <= 10000 }

// CopyPart stores a range of src's snapshot as a part, with the checksums
// PutPart would compute.
func (s *Store) CopyPart(ctx context.Context, src storage.ObjectRef, bucket, key, id string, number int, opts storage.CopyPartOptions) (storage.Part, error) {
	up, err := s.GetUpload(ctx, bucket, key, id)
	if err != nil {
		return storage.Part{}, err
	}
	from, err := s.lookup(src.Bucket, src.Key)
	if err != nil {
		return storage.Part{}, err
	}
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(from.info(src.Key)); err != nil {
			return storage.Part{}, err
		}
	}
	size := int64(len(from.data))
	off, n := storage.CopyRange(size, opts)
	if off < 0 || n < 0 || off+n > size {
		return storage.Part{}, &storage.RangeError{Size: size}
	}
	popts := storage.PartOptions{Size: n}
	body := storage.CopiedPartChecksums(bytes.NewReader(from.data[off:off+n]), up, &popts)
	return s.PutPart(ctx, bucket, key, id, number, body, popts)
}

// ListParts returns up to limit parts numbered after after.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string, after, limit int) (storage.PartList, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, up, err := s.uploadLocked(bucket, key, id)
	if err != nil {
		return storage.PartList{}, err
	}
	var out storage.PartList
	for _, n := range slices.Sorted(maps.Keys(up.parts)) {
		if n <= after {
			continue
		}
		if len(out.Parts) == limit {
			out.Truncated = true
			break
		}
		out.Parts = append(out.Parts, up.parts[n].info())
	}
	if out.Truncated {
		out.Next = after
		if len(out.Parts) > 0 {
			out.Next = out.Parts[len(out.Parts)-1].Number
		}
	}
	return out, nil
}

// CompleteUpload makes the listed parts the object, in one step under the
// lock: the list is checked, opts.Check and the conditions decided, the
// object stored and the upload replaced by its done record.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, id string, list []storage.CompletedPart, opts storage.CompleteOptions) (storage.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, up, err := s.uploadLocked(bucket, key, id)
	if err != nil {
		return completedBefore(b, key, id, list, err)
	}
	e, def, err := assemble(up, list, opts.MinPartSize)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if opts.Check != nil {
		if err := opts.Check(withDefault(e.info(key), def)); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	info, err := b.commitLocked(key, e, opts.Conditions)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	delete(b.uploads, id)
	kept := slices.Clone(list)
	for i := range kept {
		kept[i].Checksums = clone(kept[i].Checksums)
	}
	b.done[id] = &done{key: key, list: kept, obj: e}
	return withDefault(info, def), nil
}

// completedBefore answers a Complete of an upload not in progress: the
// object a completion with the same parts made while it is still the key's,
// else notFound.
func completedBefore(b *bucket, key, id string, list []storage.CompletedPart, notFound error) (storage.ObjectInfo, error) {
	if b == nil {
		return storage.ObjectInfo{}, notFound
	}
	d := b.done[id]
	if d == nil || d.key != key || d.aborted || d.obj != b.objects[key] || !sameParts(d.list, list) {
		return storage.ObjectInfo{}, notFound
	}
	return d.obj.info(key), nil
}

func sameParts(a, b []storage.CompletedPart) bool {
	return slices.EqualFunc(a, b, func(x, y storage.CompletedPart) bool {
		return x.Number == y.Number && x.ETag == y.ETag && maps.Equal(x.Checksums, y.Checksums)
	})
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

// assemble checks a completion's list against the stored parts and builds
// the object: its bytes, its ETag (the MD5 of the parts' binary MD5s, then
// "-N") and the whole-object checksum of the upload's algorithm. For an
// upload without one it also returns the CRC64NVME combined from the
// parts' defaults, "" when a part has none.
func assemble(up *upload, list []storage.CompletedPart, minPart int64) (*entry, string, error) {
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return nil, "", storage.ErrInvalidPartOrder
		}
	}
	alg := up.ChecksumAlgorithm
	var (
		md5s       []byte
		sums, defs []string
		sizes      []int64
		chosen     []*part
		total      int
	)
	for i, want := range list {
		p := up.parts[want.Number]
		switch {
		case !validPartNumber(want.Number):
			return nil, "", fmt.Errorf("part number %d: %w", want.Number, storage.ErrInvalidPart)
		case p == nil:
			return nil, "", fmt.Errorf("part %d was not uploaded: %w", want.Number, storage.ErrInvalidPart)
		case want.ETag != p.ETag:
			return nil, "", fmt.Errorf("part %d has another ETag: %w", want.Number, storage.ErrInvalidPart)
		}
		for a, v := range want.Checksums {
			if p.Checksums[a] != v {
				return nil, "", fmt.Errorf("part %d has another %s: %w", want.Number, a, storage.ErrInvalidPart)
			}
		}
		if i < len(list)-1 && int64(len(p.data)) < minPart {
			return nil, "", fmt.Errorf("part %d is %d bytes: %w", want.Number, len(p.data), storage.ErrEntityTooSmall)
		}
		if alg != "" {
			sum, ok := p.Checksums[alg]
			if !ok {
				return nil, "", fmt.Errorf("part %d has no %s checksum: %w", want.Number, alg, storage.ErrInvalidPart)
			}
			sums = append(sums, sum)
		}
		if p.def != "" {
			defs = append(defs, p.def)
		}
		raw, _ := hex.DecodeString(p.ETag) // made by readBody
		md5s = append(md5s, raw...)
		sizes = append(sizes, int64(len(p.data)))
		chosen = append(chosen, p)
		total += len(p.data)
	}

	e := &entry{
		data:  make([]byte, 0, total),
		parts: make([]storage.PartRef, 0, len(list)),
		meta:  cloneMeta(storage.Metadata{ContentType: up.Metadata.ContentType, Headers: up.Metadata.Headers, User: up.Metadata.User}),
	}
	for i, p := range chosen {
		e.data = append(e.data, p.data...)
		e.parts = append(e.parts, storage.PartRef{Number: list[i].Number, Size: int64(len(p.data))})
	}
	sum := md5.Sum(md5s)
	e.etag = hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(list))
	if alg != "" {
		var whole string
		var err error
		if up.ChecksumType == "FULL_OBJECT" {
			whole, err = checksum.FullObject(alg, sums, sizes)
		} else {
			whole, err = checksum.Composite(alg, sums)
		}
		if err != nil {
			return nil, "", fmt.Errorf("%v: %w", err, storage.ErrInvalidPart)
		}
		e.meta.Checksums = map[string]string{alg: whole}
		e.checksumType = up.ChecksumType
		return e, "", nil
	}
	if len(defs) < len(list) {
		return e, "", nil
	}
	def, err := checksum.FullObject(checksum.Default, defs, sizes)
	if err != nil {
		// A corrupt default costs the answer its checksum, not the upload.
		def = ""
	}
	return e, def, nil
}

// AbortUpload discards an upload and its parts; an upload that finished
// already is left as it is.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _, err := s.uploadLocked(bucket, key, id)
	if err != nil {
		if b != nil && b.done[id] != nil && b.done[id].key == key {
			return nil
		}
		return err
	}
	delete(b.uploads, id)
	b.done[id] = &done{key: key, aborted: true}
	return nil
}

// ListUploads lists uploads in progress by key, then age.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts storage.ListUploadsOptions) (storage.UploadList, error) {
	s.mu.RLock()
	b, err := s.bucketLocked(bucket)
	var ups []storage.Upload
	if err == nil {
		for _, up := range b.uploads {
			if afterMarker(up.Key, up.ID, opts) {
				ups = append(ups, up.info())
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return storage.UploadList{}, err
	}
	slices.SortFunc(ups, func(x, y storage.Upload) int {
		return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.ID, y.ID))
	})

	keys := make([]string, len(ups))
	for i, up := range ups {
		keys[i] = up.Key
	}
	var out storage.UploadList
	out.Truncated = page(keys, opts.Prefix, opts.Delimiter, opts.KeyMarker, opts.Limit, func(i int, cp string) {
		if cp != "" {
			out.CommonPrefixes = append(out.CommonPrefixes, cp)
			out.NextKey, out.NextID = cp, ""
			return
		}
		out.Uploads = append(out.Uploads, ups[i])
		out.NextKey, out.NextID = ups[i].Key, ups[i].ID
	})
	if !out.Truncated {
		out.NextKey, out.NextID = "", ""
	}
	return out, nil
}

// afterMarker reports whether an upload comes after the markers: uploads of
// keys after KeyMarker, and of KeyMarker itself after IDMarker when set.
func afterMarker(key, id string, opts storage.ListUploadsOptions) bool {
	switch {
	case opts.KeyMarker == "":
		return true
	case opts.IDMarker != "":
		return key > opts.KeyMarker || key == opts.KeyMarker && id > opts.IDMarker
	}
	return key > opts.KeyMarker
}
