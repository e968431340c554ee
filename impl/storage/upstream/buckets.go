package upstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
)

// A bucket's creation must have one winner and refuse an existing name,
// but radosgw (like S3 in us-east-1) answers 200 to re-creating a bucket
// one owns. So a creation first looks for the bucket, then takes the
// name's marker in the metadata bucket with a conditional create (the
// atomic step), and only then creates the bucket; a deletion drops the
// marker after the bucket. A marker whose bucket is missing is either a
// creation in flight or left by a gateway that died between the two
// steps: after markerGrace it is taken over, atomically (If-Match on its
// ETag, which a random body makes unique).

// markerGrace is how long a marker without its bucket counts as a
// creation in flight.
const markerGrace = 30 * time.Second

func markerKey(bucket string) string { return "bucketmarks/" + bucket }

// reserveName takes the bucket name's marker, or answers ErrBucketExists.
func (s *Store) reserveName(ctx context.Context, name string) error {
	if _, err := s.HeadBucket(ctx, name); err == nil {
		return fmt.Errorf("create bucket %q: %w", name, storage.ErrBucketExists)
	} else if !errors.Is(err, storage.ErrNoSuchBucket) {
		return err
	}
	err := s.putMarker(ctx, name, &s3.PutObjectInput{IfNoneMatch: aws.String("*")})
	if !errors.Is(err, storage.ErrPreconditionFailed) {
		return err
	}
	// Taken: by a creation in flight, an existing bucket, or a gateway
	// that died half-way.
	out, herr := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.meta), Key: aws.String(markerKey(name))})
	if herr != nil || out.LastModified == nil || time.Since(*out.LastModified) < markerGrace {
		return fmt.Errorf("create bucket %q: %w", name, storage.ErrBucketExists)
	}
	if _, err := s.HeadBucket(ctx, name); !errors.Is(err, storage.ErrNoSuchBucket) {
		return fmt.Errorf("create bucket %q: %w", name, storage.ErrBucketExists)
	}
	err = s.putMarker(ctx, name, &s3.PutObjectInput{IfMatch: aws.String(unquote(aws.ToString(out.ETag)))})
	if errors.Is(err, storage.ErrPreconditionFailed) {
		return fmt.Errorf("create bucket %q: %w", name, storage.ErrBucketExists)
	}
	return err
}

// putMarker writes the name's marker with in's condition.
func (s *Store) putMarker(ctx context.Context, name string, in *s3.PutObjectInput) error {
	body := make([]byte, 16)
	rand.Read(body)
	in.Bucket, in.Key = aws.String(s.meta), aws.String(markerKey(name))
	in.Body, in.ContentLength = strings.NewReader(hex.EncodeToString(body)), aws.Int64(32)
	_, err := s.s3.PutObject(ctx, in)
	if st := status(err); st == http.StatusPreconditionFailed || st == http.StatusConflict {
		return fmt.Errorf("create bucket %q: marker taken: %w", name, storage.ErrPreconditionFailed)
	}
	if err != nil {
		return mapErr(ctx, err, "create bucket %q: marker", name)
	}
	return nil
}

// releaseName drops the marker of a deleted bucket, best effort: a marker
// left behind is taken over after markerGrace.
func (s *Store) releaseName(ctx context.Context, name string) {
	s.deleteRecords(ctx, markerKey(name))
}
