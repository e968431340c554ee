package fs

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/storage"
)

// Record formats, the first byte of every index value: a JSON document, or
// a JSON document followed by raw bytes (an inline object's body), so that
// listings decode the document without touching the body.
const (
	recordVersion  = 1 // JSON
	recordWithTail = 2 // uvarint length, JSON, tail
)

type bucketRecord struct {
	Owner   string `json:"o"`
	Created int64  `json:"c"` // unix nanoseconds
}

// objectRecord is an object's index entry. Its bytes are the concatenation
// of its blobs: one for a plain PUT, one per part for a multipart upload.
type objectRecord struct {
	Blobs       []blobRef         `json:"b"`
	Size        int64             `json:"s"`
	ETag        string            `json:"e"`
	MTime       int64             `json:"t"` // unix nanoseconds
	ContentType string            `json:"ct,omitempty"`
	Headers     map[string]string `json:"h,omitempty"`
	User        map[string]string `json:"u,omitempty"`
	Checksums   map[string]string `json:"k,omitempty"`
	// ChecksumType is COMPOSITE or FULL_OBJECT for a multipart object's
	// checksum; empty means FULL_OBJECT.
	ChecksumType string `json:"kt,omitempty"`
	// Multipart is set for an object completed from an upload: its blobs
	// are the parts, each with its number.
	Multipart bool `json:"mp,omitempty"`
}

type blobRef struct {
	ID   string `json:"i"`
	Size int64  `json:"n"`
	Part int    `json:"p,omitempty"`
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return append([]byte{recordVersion}, b...), nil
}

// encodeWithTail encodes v followed by tail.
func encodeWithTail(v any, tail []byte) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(b)+len(tail))
	out = append(out, recordWithTail)
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(append(out, b...), tail...), nil
}

// split returns a record's JSON document and its tail (nil for none). The
// tail aliases b.
func split(b []byte) (doc, tail []byte, err error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("decode record: empty")
	}
	switch b[0] {
	case recordVersion:
		return b[1:], nil, nil
	case recordWithTail:
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || uint64(len(b)-1-k) < n {
			return nil, nil, fmt.Errorf("decode record: bad length")
		}
		return b[1+k : 1+k+int(n)], b[1+k+int(n):], nil
	}
	return nil, nil, fmt.Errorf("decode record: unknown format version %d", b[0])
}

func decode(b []byte, v any) error {
	doc, _, err := split(b)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

func (r *objectRecord) info(key string) storage.ObjectInfo {
	info := storage.ObjectInfo{
		Key:          key,
		Size:         r.Size,
		ETag:         r.ETag,
		LastModified: time.Unix(0, r.MTime).UTC(),
		Metadata: storage.Metadata{
			ContentType: r.ContentType,
			Headers:     r.Headers,
			User:        r.User,
			Checksums:   r.Checksums,
		},
		ChecksumType: r.ChecksumType,
	}
	if r.Multipart {
		info.PartsCount = len(r.Blobs)
	}
	if info.ChecksumType == "" && len(r.Checksums) > 0 {
		info.ChecksumType = "FULL_OBJECT"
	}
	return info
}

func (r *objectRecord) blobIDs() []string {
	ids := make([]string, len(r.Blobs))
	for i, b := range r.Blobs {
		ids[i] = b.ID
	}
	return ids
}

// objects returns the nested index bucket of an S3 bucket.
func objects(tx *bolt.Tx, bucket string) (*bolt.Bucket, error) {
	if b := tx.Bucket(bktObjects).Bucket([]byte(bucket)); b != nil {
		return b, nil
	}
	return nil, storage.ErrNoSuchBucket
}

// CreateBucket makes an empty bucket.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		if tx.Bucket(bktObjects).Bucket([]byte(name)) != nil {
			return nil, storage.ErrBucketExists
		}
		_, err := tx.Bucket(bktObjects).CreateBucket([]byte(name))
		return nil, err
	}})
}

// HeadBucket returns a bucket's record; its creation time is its claim's.
func (s *Store) HeadBucket(ctx context.Context, name string) (storage.Bucket, error) {
	out := storage.Bucket{Name: name}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktObjects).Bucket([]byte(name)) == nil {
			return storage.ErrNoSuchBucket
		}
		if v := tx.Bucket(bktBuckets).Get([]byte(name)); v != nil {
			var rec bucketRecord
			if err := decode(v, &rec); err != nil {
				return err
			}
			out.Created = time.Unix(0, rec.Created).UTC()
		}
		return nil
	})
	return out, err
}

// DeleteBucket removes an empty bucket and the uploads in progress in it.
// Its claim is the Registry's to release.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		objs, err := objects(tx, name)
		if err != nil {
			return nil, err
		}
		if k, _ := objs.Cursor().First(); k != nil {
			return nil, storage.ErrBucketNotEmpty
		}
		// Uploads in progress go with the bucket.
		var removed []string
		if ups := tx.Bucket(bktUploads).Bucket([]byte(name)); ups != nil {
			var keys [][]byte
			ups.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
			for _, k := range keys {
				key, id, ok := splitUploadKey(k)
				if !ok {
					continue
				}
				ids, err := dropUpload(tx, name, key, id)
				if err != nil {
					return nil, err
				}
				removed = append(removed, ids...)
			}
			if err := tx.Bucket(bktUploads).DeleteBucket([]byte(name)); err != nil {
				return nil, err
			}
		}
		for _, parent := range [][]byte{bktDone, bktConfigs} {
			if tx.Bucket(parent).Bucket([]byte(name)) != nil {
				if err := tx.Bucket(parent).DeleteBucket([]byte(name)); err != nil {
					return nil, err
				}
			}
		}
		return removed, tx.Bucket(bktObjects).DeleteBucket([]byte(name))
	}})
}
