package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/s3gw/gateway/impl/storage"
)

// errNoMultipart refuses multipart uploads, which phase 1 does not
// implement (the ADR's sealed upload ids and part records are phase 2).
var errNoMultipart = fmt.Errorf("upstream: multipart uploads: %w", errors.ErrUnsupported)

// unsupported answers a Multipart method: the bucket's absence first, as
// the contract wants of every operation, then the refusal.
func (s *Store) unsupported(ctx context.Context, bucket string) error {
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	return errNoMultipart
}

// CreateUpload is not implemented yet.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts storage.UploadOptions) (storage.Upload, error) {
	return storage.Upload{}, s.unsupported(ctx, bucket)
}

// GetUpload is not implemented yet.
func (s *Store) GetUpload(ctx context.Context, bucket, key, id string) (storage.Upload, error) {
	return storage.Upload{}, s.unsupported(ctx, bucket)
}

// PutPart is not implemented yet.
func (s *Store) PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts storage.PartOptions) (storage.Part, error) {
	return storage.Part{}, s.unsupported(ctx, bucket)
}

// CopyPart is not implemented yet.
func (s *Store) CopyPart(ctx context.Context, src storage.ObjectRef, bucket, key, id string, number int, opts storage.CopyPartOptions) (storage.Part, error) {
	return storage.Part{}, s.unsupported(ctx, bucket)
}

// ListParts is not implemented yet.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string, after, limit int) (storage.PartList, error) {
	return storage.PartList{}, s.unsupported(ctx, bucket)
}

// CompleteUpload is not implemented yet.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, id string, parts []storage.CompletedPart, opts storage.CompleteOptions) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, s.unsupported(ctx, bucket)
}

// AbortUpload is not implemented yet.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, id string) error {
	return s.unsupported(ctx, bucket)
}

// ListUploads is not implemented yet.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts storage.ListUploadsOptions) (storage.UploadList, error) {
	return storage.UploadList{}, s.unsupported(ctx, bucket)
}
