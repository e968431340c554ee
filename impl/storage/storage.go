// Package storage defines what the S3 API needs from a place that keeps
// buckets and objects. The embedded backend (storage/fs) is the default; an
// upstream-S3 backend can implement the same interface so that gateway
// instances become stateless.
//
// Backends know nothing about HTTP: conditional headers, ranges and error
// rendering belong to the API layer. They do own everything that must be
// atomic with a write, such as conditional writes and bucket auto-creation.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors a backend returns; the API layer maps them to S3 codes.
var (
	ErrNoSuchBucket       = errors.New("storage: no such bucket")
	ErrNoSuchKey          = errors.New("storage: no such key")
	ErrBucketNotEmpty     = errors.New("storage: bucket not empty")
	ErrBucketOwnedByYou   = errors.New("storage: bucket already owned by you")
	ErrBucketTaken        = errors.New("storage: bucket owned by another project")
	ErrPreconditionFailed = errors.New("storage: precondition failed")
	ErrTooLarge           = errors.New("storage: entity too large")
	ErrBadDigest          = errors.New("storage: content digest mismatch")
	ErrIncompleteBody     = errors.New("storage: body shorter than declared")
	ErrClosed             = errors.New("storage: backend closed")
)

// Backend is the storage seen by the S3 API.
type Backend interface {
	CreateBucket(ctx context.Context, name, owner string) error
	// Bucket returns the bucket's record, or ErrNoSuchBucket.
	Bucket(ctx context.Context, name string) (Bucket, error)
	DeleteBucket(ctx context.Context, name string) error
	ListBuckets(ctx context.Context) ([]Bucket, error)

	// PutObject stores body under key, replacing any previous object once the
	// new one is durable. It returns the stored object's info.
	PutObject(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// OpenObject returns a snapshot of the object: later writes to the key do
	// not change what the returned Object reads.
	OpenObject(ctx context.Context, bucket, key string) (Object, error)
	StatObject(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// DeleteObjects removes keys in one commit. A missing key is not an error.
	// The result holds one entry per key, nil on success.
	DeleteObjects(ctx context.Context, bucket string, keys []string) ([]error, error)
	// CopyObject copies the source object's bytes into a new object.
	CopyObject(ctx context.Context, src, dst ObjectRef, opts CopyOptions) (ObjectInfo, error)
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	// Check reports whether the backend can currently serve requests.
	Check(ctx context.Context) error
	Close() error
}

// Bucket is a bucket's record.
type Bucket struct {
	Name    string
	Owner   string // the owning project
	Created time.Time
}

// ObjectRef names an object.
type ObjectRef struct {
	Bucket, Key string
}

// Metadata is what a client stores with an object besides its bytes.
type Metadata struct {
	ContentType string
	// Headers holds the stored standard headers (Cache-Control,
	// Content-Disposition, Content-Encoding, Content-Language, Expires),
	// keyed by their canonical names.
	Headers map[string]string
	// User holds x-amz-meta-* values keyed by the lower-case suffix.
	User map[string]string
	// Checksums holds additional checksums keyed by algorithm name in
	// lower case (crc32, crc32c, crc64nvme, sha1, sha256), base64 encoded.
	Checksums map[string]string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // without quotes
	LastModified time.Time
	Metadata
}

// Object is an open snapshot of an object's bytes.
type Object interface {
	Info() ObjectInfo
	// WriteRange copies length bytes starting at off to w. Backends on
	// local files hand w an *os.File-backed reader so net/http can use the
	// kernel's zero-copy path.
	WriteRange(w io.Writer, off, length int64) (int64, error)
	Close() error
}

// Conditions are the preconditions of a write, checked atomically with it.
type Conditions struct {
	IfMatch     string // ETag (unquoted) the current object must have
	IfNoneMatch bool   // the key must not exist (If-None-Match: *)
}

// PutOptions tunes PutObject.
type PutOptions struct {
	Metadata
	// Size is the exact body length when known, or -1.
	Size int64
	// MaxSize bounds the body; a longer body gets ErrTooLarge.
	MaxSize int64
	// ContentMD5, when set, must equal the body's MD5 or ErrBadDigest.
	ContentMD5 []byte
	Conditions
	// CreateBucketFor, when non-empty, creates a missing bucket for this
	// project in the same commit as the object.
	CreateBucketFor string
	// LateChecksums, when set, is called once the body has been read
	// (and verified) to get checksums known only then, such as trailer
	// values; they are stored with the object.
	LateChecksums func() map[string]string
}

// CopyOptions tunes CopyObject.
type CopyOptions struct {
	// Metadata replaces the source's metadata when non-nil (the REPLACE
	// directive); otherwise the source's is kept.
	Metadata *Metadata
	// SourceCheck, when set, sees the source's info before any byte is
	// copied and can refuse the copy by returning an error.
	SourceCheck func(ObjectInfo) error
	Conditions
	CreateBucketFor string
}

// ListOptions selects a page of a bucket listing.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After excludes every entry (key or common prefix) that sorts at or
	// before it; it is the start-after key, a marker or a resume position.
	After string
	// Limit is the most entries (keys plus common prefixes) to return.
	Limit int
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// Truncated reports that more entries follow; Last is then the last
	// entry returned, to pass as After for the next page.
	Truncated bool
	Last      string
}
