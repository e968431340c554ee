// Package storage defines what the S3 API needs from a place that keeps
// buckets and objects. The embedded backend (storage/fs) is the default;
// storage/mem is a small in-memory one for tests, and a backend in front of
// another object store implements the same interface so that gateway
// instances become stateless.
//
// Backends know nothing about HTTP or about who owns a bucket: the API layer
// parses headers into options (ReadOptions, Conditions, CopyPartOptions) and
// renders errors; package tenancy keeps ownership. A backend owns what must
// be decided where the bytes are: conditional writes, read conditions and
// ranges, and snapshots. The helpers in this package (CheckRead,
// SelectSection, PartChecksums, HoldBack) let every backend decide them the
// same way. docs/architecture.md describes the contract as a whole.
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
	ErrBucketExists       = errors.New("storage: bucket exists")
	ErrBucketNotEmpty     = errors.New("storage: bucket not empty")
	ErrPreconditionFailed = errors.New("storage: precondition failed")
	ErrNotModified        = errors.New("storage: not modified")
	ErrInvalidRange       = errors.New("storage: range not satisfiable")
	ErrInvalidPartNumber  = errors.New("storage: part number not satisfiable")
	ErrTooLarge           = errors.New("storage: entity too large")
	ErrBadDigest          = errors.New("storage: content digest mismatch")
	ErrIncompleteBody     = errors.New("storage: body shorter than declared")
	ErrClosed             = errors.New("storage: backend closed")
	ErrNoSuchUpload       = errors.New("storage: no such upload")
	ErrInvalidPart        = errors.New("storage: invalid part")
	ErrInvalidPartOrder   = errors.New("storage: invalid part order")
	ErrEntityTooSmall     = errors.New("storage: part too small")
	ErrNoSuchConfig       = errors.New("storage: no such bucket configuration")
	// ErrUnavailable is a refusal the caller may retry: the store is
	// overloaded or briefly unreachable. Wrap it with the cause; the API
	// layer answers S3's 503 SlowDown.
	ErrUnavailable = errors.New("storage: unavailable, retry")
)

// Backend is the storage seen by the S3 API: buckets as containers of
// objects, and nothing about who owns them (package tenancy keeps that).
// docs/architecture.md describes the contract; package storagetest checks
// it against any implementation.
//
// # Writes commit only after a clean end of body
//
// Every method that takes a body (PutObject, PutPart) must commit nothing,
// and leave nothing visible, unless body.Read has returned io.EOF with no
// earlier error. The API layer's readers verify checksums, Content-MD5 and
// aws-chunked signatures as the bytes pass and report a mismatch as the
// error of the read that reaches the end: a backend that commits as soon as
// it has the declared number of bytes would keep a body the client's
// signature refused. A backend that streams to another service uses
// HoldBack so that the service never receives the last byte of a body that
// failed.
type Backend interface {
	// CreateBucket makes an empty bucket, or answers ErrBucketExists.
	CreateBucket(ctx context.Context, name string) error
	// HeadBucket returns the bucket's record, or ErrNoSuchBucket.
	HeadBucket(ctx context.Context, name string) (Bucket, error)
	// DeleteBucket removes an empty bucket, and the uploads in progress
	// in it; a bucket with objects is ErrBucketNotEmpty.
	DeleteBucket(ctx context.Context, name string) error

	// PutObject stores body under key, replacing any previous object once the
	// new one is durable. It returns the stored object's info.
	PutObject(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// OpenObject returns a snapshot of the section of the object that opts
	// select: later writes to the key do not change what it reads. The
	// conditions, range and part number are decided here, in one call, so
	// that a backend in front of another store makes one request for them.
	OpenObject(ctx context.Context, bucket, key string, opts ReadOptions) (Object, error)
	// StatObject is OpenObject without the bytes.
	StatObject(ctx context.Context, bucket, key string, opts ReadOptions) (ObjectInfo, Section, error)
	// DeleteObjects removes objects in one commit. A missing key is not an
	// error unless the object carries a condition. The result holds one
	// entry per object, nil on success.
	DeleteObjects(ctx context.Context, bucket string, objs []ObjectDelete) ([]error, error)
	// CopyObject copies the source object's bytes into a new object.
	CopyObject(ctx context.Context, src, dst ObjectRef, opts CopyOptions) (ObjectInfo, error)
	// ListObjects returns a page of the bucket's keys in byte order.
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	BucketConfigs
	Multipart
}

// BucketConfigs keeps a bucket's configuration documents (its CORS rules,
// under "cors"), each by name, with the bucket: they go when it goes, and
// a bucket created again under the same name has none. The API layer
// validates and encodes the documents; a backend keeps the bytes, durably
// once a put returns.
type BucketConfigs interface {
	// PutBucketConfig stores doc under name, replacing any document there.
	PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error
	// BucketConfig returns the document stored under name: ErrNoSuchConfig
	// when there is none, ErrNoSuchBucket when the bucket is missing.
	BucketConfig(ctx context.Context, bucket, name string) ([]byte, error)
	// DeleteBucketConfig removes the document; none there is not an error.
	DeleteBucketConfig(ctx context.Context, bucket, name string) error
}

// Multipart is the multipart-upload half of a Backend. An upload is bound to
// its bucket and key: naming it with another key is ErrNoSuchUpload.
type Multipart interface {
	CreateUpload(ctx context.Context, bucket, key string, opts UploadOptions) (Upload, error)
	GetUpload(ctx context.Context, bucket, key, id string) (Upload, error)
	// PutPart stores a part, replacing a part with the same number.
	PutPart(ctx context.Context, bucket, key, id string, number int, body io.Reader, opts PartOptions) (Part, error)
	// CopyPart stores as a part a range of an existing object, copied
	// where the bytes are (UploadPartCopy): a backend in front of another
	// store asks it to copy rather than streaming the bytes through the
	// gateway. The part's checksums follow the upload's, as PartChecksums
	// computes them.
	CopyPart(ctx context.Context, src ObjectRef, bucket, key, id string, number int, opts CopyPartOptions) (Part, error)
	ListParts(ctx context.Context, bucket, key, id string, after, limit int) (PartList, error)
	// CompleteUpload makes the listed parts the object, atomically. For an
	// upload created without a checksum algorithm whose parts all have a
	// DefaultChecksum, the returned info carries the object's full-object
	// CRC64NVME, combined from them, which S3 answers but does not keep. A
	// repeat of a completion that succeeded, with the same parts, returns
	// the object it made while that object is still the key's; otherwise
	// a finished upload is ErrNoSuchUpload.
	CompleteUpload(ctx context.Context, bucket, key, id string, parts []CompletedPart, opts CompleteOptions) (ObjectInfo, error)
	// AbortUpload discards an upload and its parts. Aborting an upload
	// already aborted or completed succeeds and changes nothing.
	AbortUpload(ctx context.Context, bucket, key, id string) error
	ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (UploadList, error)
}

// CopyPartOptions tunes CopyPart.
type CopyPartOptions struct {
	// Ranged copies bytes First to Last, both included
	// (x-amz-copy-source-range), where the SourceCheck has found them
	// inside the source; otherwise the whole source is copied.
	Ranged      bool
	First, Last int64
	// SourceCheck sees the source's info before any byte is copied and
	// can refuse the copy (preconditions, a range outside the source,
	// size limits) by returning an error.
	SourceCheck func(ObjectInfo) error
}

// UploadOptions describes a new upload.
type UploadOptions struct {
	// Metadata is kept for the completed object.
	Metadata
	// ChecksumAlgorithm (lower case) and ChecksumType (COMPOSITE or
	// FULL_OBJECT) ask for a checksum of the whole object at completion.
	ChecksumAlgorithm string
	ChecksumType      string
}

// Upload is a multipart upload in progress.
type Upload struct {
	Bucket, Key, ID   string
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

// Object is an open snapshot of the section of an object a read selected.
type Object interface {
	Info() ObjectInfo
	Section() Section
	// WriteTo copies the section's bytes to w. Backends on local files
	// hand w an *os.File-backed reader so net/http can use the kernel's
	// zero-copy path.
	WriteTo(w io.Writer) (int64, error)
	Close() error
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
	// LateChecksums, when set, is called once the body has been read
	// (and verified) to get checksums known only then, such as trailer
	// values; they are stored with the object.
	LateChecksums func() map[string]string
	// NoModTime says the caller does not use the returned LastModified
	// (S3's PUT does not answer it): a backend that would need another
	// request to learn it may leave it zero.
	NoModTime bool
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
}

// ListOptions selects a page of a bucket listing.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// StartAfter excludes every entry (key or common prefix) that sorts at
	// or before it: S3's start-after and marker.
	StartAfter string
	// Cursor, when set, resumes the listing where the page that returned
	// it ended; it takes precedence over StartAfter.
	Cursor string
	// Limit is the most entries (keys plus common prefixes) to return.
	Limit int
	// Checksums asks for each listed object's checksums and their type,
	// which ListObjectVersions shows. Without it a backend may leave them
	// out: ListObjects v1 and v2 do not show them, and a store whose own
	// listing lacks them would pay a request per object.
	Checksums bool
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// Truncated reports that more entries follow. Cursor is then the
	// backend's opaque resume position, which the API layer seals into its
	// continuation token, and Last the last entry returned (S3's
	// NextMarker).
	Truncated bool
	Cursor    string
	Last      string
}
