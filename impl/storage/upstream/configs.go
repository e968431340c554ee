package upstream

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
)

// A bucket's configuration documents live in its name's marker
// (buckets.go): the marker is made when the bucket is and dropped with it,
// and a takeover rewrites it, so a bucket created again under the name
// starts without them. A marker's body is its nonce, or this JSON when it
// holds documents; changes are read-modify-write under If-Match.

// markerBody is a marker holding configuration documents.
type markerBody struct {
	Nonce   string            `json:"nonce"`
	Configs map[string][]byte `json:"configs,omitempty"`
}

// configRetries bounds the rewrites of a marker that others keep changing.
const configRetries = 5

// PutBucketConfig stores doc under name in the bucket's marker.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	return s.editConfigs(ctx, bucket, func(c map[string][]byte) { c[name] = bytes.Clone(doc) })
}

// DeleteBucketConfig removes the document under name from the marker.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	return s.editConfigs(ctx, bucket, func(c map[string][]byte) { delete(c, name) })
}

// BucketConfig returns the document under name.
func (s *Store) BucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	m, _, err := s.readMarker(ctx, bucket)
	if err != nil {
		return nil, err
	}
	doc, ok := m.Configs[name]
	if !ok {
		// No marker or no document: tell a missing bucket apart.
		if _, err := s.HeadBucket(ctx, bucket); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("bucket %q: %s: %w", bucket, name, storage.ErrNoSuchConfig)
	}
	return doc, nil
}

// editConfigs applies edit to the marker's documents and writes it back,
// conditionally on the version read; a bucket made before the gateway
// managed it gets its marker here.
func (s *Store) editConfigs(ctx context.Context, bucket string, edit func(map[string][]byte)) error {
	if bucket == s.meta {
		return fmt.Errorf("bucket %q: %w", bucket, storage.ErrNoSuchBucket)
	}
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	for range configRetries {
		m, etag, err := s.readMarker(ctx, bucket)
		if err != nil {
			return err
		}
		if m.Configs == nil {
			m.Configs = make(map[string][]byte)
		}
		edit(m.Configs)
		data, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("upstream: marker of %q: %w", bucket, err)
		}
		in := &s3.PutObjectInput{Bucket: aws.String(s.meta), Key: aws.String(markerKey(bucket)),
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))}
		if etag == "" {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = aws.String(etag)
		}
		_, err = s.s3.PutObject(ctx, in)
		if st := status(err); st == http.StatusPreconditionFailed || st == http.StatusConflict {
			continue // changed meanwhile: read again
		}
		if err != nil {
			return mapErr(ctx, err, "bucket %q: write configuration", bucket)
		}
		return nil
	}
	return fmt.Errorf("bucket %q: configuration changed %d times during a write: %w", bucket, configRetries, storage.ErrUnavailable)
}

// readMarker reads the bucket's marker and its ETag ("" and an empty body
// when there is none). A marker whose body is a bare nonce holds no
// documents.
func (s *Store) readMarker(ctx context.Context, bucket string) (markerBody, string, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.meta), Key: aws.String(markerKey(bucket))})
	if status(err) == http.StatusNotFound {
		return markerBody{Nonce: newNonce()}, "", nil
	}
	if err != nil {
		return markerBody{}, "", mapErr(ctx, err, "bucket %q: read marker", bucket)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 4<<20))
	if err != nil {
		return markerBody{}, "", mapErr(ctx, err, "bucket %q: read marker", bucket)
	}
	etag := unquote(aws.ToString(out.ETag))
	if len(data) == 0 || data[0] != '{' {
		return markerBody{Nonce: string(data)}, etag, nil
	}
	var m markerBody
	if err := json.Unmarshal(data, &m); err != nil {
		return markerBody{}, "", errors.Join(fmt.Errorf("upstream: marker of %q", bucket), err)
	}
	return m, etag, nil
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
