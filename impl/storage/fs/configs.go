package fs

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/storage"
)

// A bucket's configuration documents live in the index beside its
// objects (configs/<bucket>/<name>), committed like any write, and go
// with the bucket in DeleteBucket's transaction.

// PutBucketConfig stores doc under name.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		if _, err := objects(tx, bucket); err != nil {
			return nil, err
		}
		b, err := tx.Bucket(bktConfigs).CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return nil, err
		}
		return nil, b.Put([]byte(name), bytes.Clone(doc))
	}})
}

// BucketConfig returns the document stored under name.
func (s *Store) BucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	var doc []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := objects(tx, bucket); err != nil {
			return err
		}
		if b := tx.Bucket(bktConfigs).Bucket([]byte(bucket)); b != nil {
			doc = bytes.Clone(b.Get([]byte(name)))
		}
		if doc == nil {
			return fmt.Errorf("bucket %q: %s: %w", bucket, name, storage.ErrNoSuchConfig)
		}
		return nil
	})
	return doc, err
}

// DeleteBucketConfig drops the document stored under name.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		if _, err := objects(tx, bucket); err != nil {
			return nil, err
		}
		if b := tx.Bucket(bktConfigs).Bucket([]byte(bucket)); b != nil {
			return nil, b.Delete([]byte(name))
		}
		return nil, nil
	}})
}
