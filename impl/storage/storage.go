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
	ErrNoSuchUpload       = errors.New("storage: no such upload")
	ErrInvalidPart        = errors.New("storage: invalid part")
	ErrInvalidPartOrder   = errors.New("storage: invalid part order")
	ErrEntityTooSmall     = errors.New("storage: part too small")
	// ErrNotOwner refuses a write into a bucket another project owns (a
	// bucket that appeared while the write was streaming).
	ErrNotOwner = errors.New("storage: bucket owned by another project")
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
	// DeleteObjects removes objects in one commit. A missing key is not an
	// error unless the object carries a condition. The result holds one
	// entry per object, nil on success.
	DeleteObjects(ctx context.Context, bucket string, objs []ObjectDelete) ([]error, error)
	// CopyObject copies the source object's bytes into a new object.
	CopyObject(ctx context.Context, src, dst ObjectRef, opts CopyOptions) (ObjectInfo, error)
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	Multipart

	// Check reports whether the backend can currently serve requests.
	Check(ctx context.Context) error
	Close() error
}

// Multipart is the multipart-upload half of a Backend. An upload is bound to
// its bucket and key: naming it with another key is ErrNoSuchUpload.
type Multipart interface {
	CreateUpload(ctx context.Context, bucket, key string, opts UploadOptions) (Upload, error)
	GetUpload(ctx context.Context, bucket, key, id string) (Upload, error)
	// PutPart stores a part, replacing a part with the same number.
	PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts PartOptions) (Part, error)
	ListParts(ctx context.Context, bucket, key, id string, after, limit int) (PartList, error)
	// CompleteUpload makes the listed parts the object, atomically: the
	// object is a manifest of the part blobs, so this costs O(parts). For an
	// upload created without a checksum algorithm whose parts all have a
	// DefaultChecksum, the returned info carries the object's full-object
	// CRC64NVME, combined from them, which S3 answers but does not keep. A
	// repeat of a completion that succeeded, with the same parts, returns
	// the object it made while that object is still the key's; otherwise
	// a finished upload is ErrNoSuchUpload.
	CompleteUpload(ctx context.Context, bucket, key, id string, parts []CompletedPart, opts CompleteOptions) (ObjectInfo, error)
	// AbortUpload discards an upload and its parts. Aborting an upload
	// already aborted or completed succeeds and changes nothing.
	//
	// Both remember a finished upload until CollectUploads passes a cutoff
	// later than its finishing.
	AbortUpload(ctx context.Context, bucket, key, id string) error
	ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (UploadList, error)
	// CollectUploads aborts uploads initiated before cutoff and forgets
	// uploads finished before it.
	CollectUploads(ctx context.Context, cutoff time.Time) (int, error)
}

// UploadOptions describes a new upload.
type UploadOptions struct {
	// Metadata is kept for the completed object.
	Metadata
	// Owner is the uploader's project; as in PutOptions, a bucket another
	// project owns refuses the upload.
	Owner string
	// ChecksumAlgorithm (lower case) and ChecksumType (COMPOSITE or
	// FULL_OBJECT) ask for a checksum of the whole object at completion.
	ChecksumAlgorithm string
	ChecksumType      string
	CreateBucketFor   string
}

// Upload is a multipart upload in progress.
type Upload struct {
	Bucket, Key, ID   string
	Owner             string
	Initiated         time.Time
	Metadata          Metadata
	ChecksumAlgorithm string
	ChecksumType      string
}

// PartOptions tunes PutPart.
type PartOptions struct {
	Size          int64
	MaxSize       int64
	ContentMD5    []byte
	LateChecksums func() map[string]string
	// DefaultChecksum, when set, is called once the body has been read to
	// get the part's CRC64NVME (base64) for an upload created without an
	// algorithm: kept for completion, never listed with the part.
	DefaultChecksum func() string
}

// Part is a stored part.
type Part struct {
	Number       int
	Size         int64
	ETag         string // hex MD5, unquoted
	LastModified time.Time
	Checksums    map[string]string
}

// PartList is a page of ListParts.
type PartList struct {
	Parts     []Part
	Truncated bool
	// Next is the part number to pass as after for the next page.
	Next int
}

// CompletedPart is one entry of a CompleteMultipartUpload request.
type CompletedPart struct {
	Number    int
	ETag      string // unquoted
	Checksums map[string]string
}

// CompleteOptions tunes CompleteUpload.
type CompleteOptions struct {
	// MinPartSize is the least size of every part but the last.
	MinPartSize int64
	Conditions
	// Check, when set, sees the assembled object (size, checksums) before it
	// is committed and can refuse it by returning an error; the upload then
	// stays as it was.
	Check func(ObjectInfo) error
}

// ListUploadsOptions selects a page of ListMultipartUploads.
type ListUploadsOptions struct {
	Prefix, Delimiter string
	// KeyMarker and IDMarker resume after an upload: uploads of keys after
	// KeyMarker, and of KeyMarker itself after IDMarker when it is set.
	KeyMarker, IDMarker string
	Limit               int
}

// UploadList is a page of ListMultipartUploads.
type UploadList struct {
	Uploads        []Upload
	CommonPrefixes []string
	Truncated      bool
	// NextKey and NextID resume the listing when it is truncated.
	NextKey, NextID string
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
	// PartsCount is the number of parts of a multipart object, else 0.
	PartsCount int
	// ChecksumType is COMPOSITE or FULL_OBJECT when Checksums is set.
	ChecksumType string
}

// Object is an open snapshot of an object's bytes.
type Object interface {
	Info() ObjectInfo
	// WriteRange copies length bytes starting at off to w. Backends on
	// local files hand w an *os.File-backed reader so net/http can use the
	// kernel's zero-copy path.
	WriteRange(w io.Writer, off, length int64) (int64, error)
	// Reader reads length bytes starting at off.
	Reader(off, length int64) io.ReadCloser
	// Parts returns the sizes of the parts the object was assembled from,
	// in order, or nil for an object written in one piece.
	Parts() []PartRef
	Close() error
}

// PartRef is one part of a multipart object as GET ?partNumber sees it.
type PartRef struct {
	Number int
	Size   int64
}

// Conditions are the preconditions of a write, checked atomically with it.
type Conditions struct {
	IfMatch     string // ETag (unquoted) the current object must have
	IfNoneMatch bool   // the key must not exist (If-None-Match: *)
}

// ObjectDelete is one object of a DeleteObjects call.
type ObjectDelete struct {
	Key string
	// IfMatch, when set, is the ETag (unquoted) or "*" the object must
	// have to be deleted, decided in the delete's commit: another ETag is
	// ErrPreconditionFailed, no object ErrNoSuchKey.
	IfMatch string
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
	// Owner, when non-empty, is the writer's project: the commit refuses
	// (ErrNotOwner) a bucket that another project owns.
	Owner string
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
	// Checksum, when set, sees the source's info and names the algorithm of
	// a checksum to compute over the copied bytes, which replaces the
	// source's checksums ("" keeps them).
	Checksum func(ObjectInfo) string
	Conditions
	CreateBucketFor string
	// Owner is as in PutOptions.
	Owner string
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
