package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
)

// The gateway's own records are small JSON objects in the metadata bucket,
// named by hashes of what they describe so that any bucket name, key and
// upload id fit in a key:
//
//	uploads/<h(bucket, key, id)>            an upload's metadata and checksum settings
//	parts/<h(bucket, key, id)>/<number>     a part's checksums, bound to its ETag
//	manifests/<h(bucket, key)>/<etag>       a multipart object's part sizes and checksums
//	objmeta/<h(bucket, key)>/<etag>         the gateway's metadata keys that did not fit
//
// A record bound to an ETag that is no longer the object's (or part's) is
// stale and ignored.

func recordHash(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func uploadRecordKey(bucket, key, id string) string {
	return "uploads/" + recordHash(bucket, key, id)
}

func partRecordKey(bucket, key, id string, n int) string {
	return fmt.Sprintf("parts/%s/%05d", recordHash(bucket, key, id), n)
}

func manifestKey(bucket, key, etag string) string {
	return "manifests/" + recordHash(bucket, key) + "/" + etag
}

// putRecord writes v as JSON at key in the metadata bucket.
func (s *Store) putRecord(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("upstream: record %s: %w", key, err)
	}
	_, err = s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.meta),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/json"),
	})
	if err != nil {
		return mapErr(ctx, err, "write record %s", key)
	}
	return nil
}

// getRecord reads the record at key into v; found is false when there is
// none.
func (s *Store) getRecord(ctx context.Context, key string, v any) (found bool, err error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.meta), Key: aws.String(key)})
	if err != nil {
		if status(err) == http.StatusNotFound {
			return false, nil
		}
		return false, mapErr(ctx, err, "read record %s", key)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return false, mapErr(ctx, err, "read record %s", key)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("upstream: record %s: %w", key, err)
	}
	return true, nil
}

// deleteRecords removes records, best effort: a record left behind is
// stale, never wrong.
func (s *Store) deleteRecords(ctx context.Context, keys ...string) {
	for _, k := range keys {
		_, _ = s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.meta), Key: aws.String(k)})
	}
}

// manifest is a multipart object's record: what the store does not keep
// about it.
type manifest struct {
	Sizes        []int64           `json:"sizes"`
	Numbers      []int             `json:"numbers"`
	Checksums    map[string]string `json:"checksums,omitempty"`
	ChecksumType string            `json:"checksumType,omitempty"`
	// Upload and Parts identify the completion that made the object, so
	// that a retry of it is recognised.
	Upload string                  `json:"upload"`
	Parts  []storage.CompletedPart `json:"parts"`
}

// partRefs lists the manifest's parts.
func (m *manifest) partRefs() []storage.PartRef {
	out := make([]storage.PartRef, len(m.Sizes))
	for i, n := range m.Sizes {
		out[i] = storage.PartRef{Number: m.Numbers[i], Size: n}
	}
	return out
}

// writeSidecar records the gateway's metadata keys an object's write
// displaced (nothing when none were).
func (s *Store) writeSidecar(ctx context.Context, bucket, key, etag string, displaced map[string]string) error {
	if displaced == nil {
		return nil
	}
	return s.putRecord(ctx, sidecarKey(bucket, key, unquote(etag)), displaced)
}

// withSidecar adds to an object's upstream metadata the gateway's keys
// recorded for its ETag, when they were displaced. A record that holds only
// late checksums is not read when skipChecksums is set.
func (s *Store) withSidecar(ctx context.Context, bucket, key, etag string, meta map[string]string, skipChecksums bool) (map[string]string, error) {
	if !displacedMeta(meta) {
		return meta, nil
	}
	name := sidecarKey(bucket, key, unquote(etag))
	if id, late := strings.CutPrefix(meta[metaMarker], markerLate); late && id != "" {
		if skipChecksums {
			return meta, nil
		}
		name = lateKey(bucket, key, id)
	}
	var rec map[string]string
	found, err := s.getRecord(ctx, name, &rec)
	if err != nil || !found {
		return meta, err
	}
	out := make(map[string]string, len(meta)+len(rec))
	for k, v := range meta {
		if k != metaMarker {
			out[k] = v
		}
	}
	for k, v := range rec {
		out[k] = v
	}
	return out, nil
}
