package upstream

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// CopyObject copies server-side. The source's info comes from a HEAD,
// which SourceCheck judges, and the copy names the ETag the HEAD saw
// (x-amz-copy-source-if-match; radosgw 16.2 ignores it, a window). The
// destination's conditions are checked by a HEAD and forwarded as
// If-Match / If-None-Match, atomic only where the store honours them on
// copies. The metadata is always written (REPLACE): the source's, or the
// caller's, with the checksums the copied bytes have.
func (s *Store) CopyObject(ctx context.Context, src, dst storage.ObjectRef, opts storage.CopyOptions) (storage.ObjectInfo, error) {
	info, _, err := s.head(ctx, src.Bucket, src.Key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(info); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	if err := s.checkDestination(ctx, dst, opts.Conditions); err != nil {
		return storage.ObjectInfo{}, err
	}
	// A COMPOSITE checksum describes parts, which a copy does not keep.
	sums := info.Checksums
	if info.ChecksumType == "COMPOSITE" {
		sums = nil
	}
	if opts.Checksum != nil {
		if alg := opts.Checksum(info); alg != "" {
			v, err := s.checksumOf(ctx, src, info.ETag, alg)
			if err != nil {
				return storage.ObjectInfo{}, err
			}
			sums = map[string]string{alg: v}
		}
	}
	meta := info.Metadata
	if opts.Metadata != nil {
		meta = *opts.Metadata
	}
	meta.Checksums = maps.Clone(sums)
	if info.PartsCount > 0 || multipartCount(info.ETag) > 0 {
		return s.copyThrough(ctx, src, dst, info, meta, opts.Conditions)
	}

	in := &s3.CopyObjectInput{
		Bucket:            aws.String(dst.Bucket),
		Key:               aws.String(dst.Key),
		CopySource:        aws.String(copySource(src)),
		CopySourceIfMatch: aws.String(info.ETag),
		MetadataDirective: s3types.MetadataDirectiveReplace,
		Metadata:          encodeMeta(meta, ""),
	}
	if meta.ContentType != "" {
		in.ContentType = aws.String(meta.ContentType)
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(opts.IfMatch)
	}
	var displaced map[string]string
	in.Metadata, displaced = fitMeta(in.Metadata)
	out, err := s.s3.CopyObject(ctx, in)
	if err != nil {
		return storage.ObjectInfo{}, mapErr(ctx, err, "copy %q to %q", src.Key, dst.Key)
	}
	if r := out.CopyObjectResult; r != nil {
		if err := s.writeSidecar(ctx, dst.Bucket, dst.Key, aws.ToString(r.ETag), displaced); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	res := storage.ObjectInfo{Key: dst.Key, Size: info.Size, Metadata: meta, LastModified: nowUTC()}
	if r := out.CopyObjectResult; r != nil {
		res.ETag = unquote(aws.ToString(r.ETag))
		if r.LastModified != nil {
			res.LastModified = *r.LastModified
		}
	}
	if len(meta.Checksums) > 0 {
		res.ChecksumType = "FULL_OBJECT"
	}
	return res, nil
}

// copyThrough copies a multipart object by reading it and writing it
// back, streamed: S3 makes a copy one piece, with the MD5 of its bytes as
// ETag and no parts, but radosgw 16.2 copies the source's multipart ETag
// and parts, which would then be wrong. The read is pinned to the ETag the
// source check saw.
func (s *Store) copyThrough(ctx context.Context, src, dst storage.ObjectRef, info storage.ObjectInfo, meta storage.Metadata, c storage.Conditions) (storage.ObjectInfo, error) {
	o, err := s.OpenObject(ctx, src.Bucket, src.Key, storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: info.ETag}})
	if err != nil {
		if errors.Is(err, storage.ErrPreconditionFailed) {
			// Replaced since the check: as if the copy had come first
			// and the source were read again, which S3 does not do;
			// the caller retries.
			return storage.ObjectInfo{}, fmt.Errorf("copy %q: source changed: %w", src.Key, storage.ErrUnavailable)
		}
		return storage.ObjectInfo{}, err
	}
	defer o.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := o.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	res, err := s.PutObject(ctx, dst.Bucket, dst.Key, pr, storage.PutOptions{Metadata: meta, Size: info.Size, Conditions: c})
	pr.CloseWithError(errors.New("copy ended"))
	return res, err
}

// checkDestination decides a copy's destination conditions on a HEAD.
func (s *Store) checkDestination(ctx context.Context, dst storage.ObjectRef, c storage.Conditions) error {
	if !c.IfNoneMatch && c.IfMatch == "" {
		return nil
	}
	cur, _, err := s.head(ctx, dst.Bucket, dst.Key)
	switch {
	case err != nil && c.IfNoneMatch && isNoSuchKey(err):
		return nil
	case err != nil:
		return err
	case c.IfNoneMatch:
		return fmt.Errorf("copy to %q: exists: %w", dst.Key, storage.ErrPreconditionFailed)
	case c.IfMatch != "*" && c.IfMatch != cur.ETag:
		return fmt.Errorf("copy to %q: ETag %s: %w", dst.Key, cur.ETag, storage.ErrPreconditionFailed)
	}
	return nil
}

// checksumOf reads the object at ref, version etag, and returns its
// checksum with alg, base64 encoded.
func (s *Store) checksumOf(ctx context.Context, ref storage.ObjectRef, etag, alg string) (string, error) {
	h := checksum.New(alg)
	if h == nil {
		return "", fmt.Errorf("upstream: checksum %q: unknown algorithm", alg)
	}
	o, err := s.OpenObject(ctx, ref.Bucket, ref.Key, storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: etag}})
	if err != nil {
		return "", err
	}
	defer o.Close()
	if _, err := o.WriteTo(h); err != nil {
		return "", fmt.Errorf("upstream: checksum of %q: %w", ref.Key, err)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// copySource is the x-amz-copy-source of ref: bucket and key, the key's
// segments escaped.
func copySource(ref storage.ObjectRef) string {
	segs := strings.Split(ref.Key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return ref.Bucket + "/" + strings.Join(segs, "/")
}
