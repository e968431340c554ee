package upstream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
)

// headConcurrency bounds the HEADs a listing page makes for its objects'
// checksums.
const headConcurrency = 8

// maxKey is the S3 limit on a key's length in bytes.
const maxKey = 1024

// ListObjects forwards ListObjectsV2. The cursor is the store's
// continuation token (the API layer seals it). StartAfter is moved past a
// common prefix it falls in, because the contract excludes that prefix
// and S3 would list it again. ListObjectsV2 does not answer checksums:
// when the caller asks for them, each object listed is HEADed.
func (s *Store) ListObjects(ctx context.Context, bucket string, opts storage.ListOptions) (storage.ListResult, error) {
	limit := opts.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucket),
		MaxKeys: aws.Int32(int32(limit)),
	}
	if opts.Prefix != "" {
		in.Prefix = aws.String(opts.Prefix)
	}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.Cursor != "" {
		in.ContinuationToken = aws.String(opts.Cursor)
	} else if after := startAfter(opts); after != "" {
		in.StartAfter = aws.String(after)
	}
	var page listPage
	if _, err := s.s3.ListObjectsV2(ctx, in, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, decodeListPageInto(&page))
	}); err != nil {
		return storage.ListResult{}, mapErr(ctx, err, "list %q", bucket)
	}
	res := storage.ListResult{Objects: make([]storage.ObjectInfo, 0, len(page.objects)), CommonPrefixes: page.prefixes}
	for _, o := range page.objects {
		res.Objects = append(res.Objects, storage.ObjectInfo{Key: o.key, Size: o.size, ETag: unquote(o.etag), LastModified: o.modified})
	}
	if page.truncated {
		res.Truncated = true
		res.Cursor = page.next
		if n := len(res.Objects); n > 0 {
			res.Last = res.Objects[n-1].Key
		}
		if n := len(res.CommonPrefixes); n > 0 && res.CommonPrefixes[n-1] > res.Last {
			res.Last = res.CommonPrefixes[n-1]
		}
		if res.Cursor == "" {
			return storage.ListResult{}, errors.New("upstream: list: truncated page without a continuation token")
		}
	}
	if opts.Checksums {
		if err := s.addChecksums(ctx, bucket, res.Objects); err != nil {
			return storage.ListResult{}, err
		}
	}
	return res, nil
}

// startAfter is opts.StartAfter, moved past every key of the common prefix
// it falls in when a delimiter groups keys: the contract excludes such a
// prefix, which S3 would list because keys in it sort after StartAfter.
func startAfter(opts storage.ListOptions) string {
	after := opts.StartAfter
	if opts.Delimiter == "" || !strings.HasPrefix(after, opts.Prefix) {
		return after
	}
	rest := after[len(opts.Prefix):]
	i := strings.Index(rest, opts.Delimiter)
	if i < 0 {
		return after
	}
	cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
	// No key up to maxKey bytes starting with cp sorts after cp followed
	// by the highest code point repeated past that length.
	n := (maxKey-len(cp))/utf8.RuneLen(utf8.MaxRune) + 1
	return cp + strings.Repeat(string(utf8.MaxRune), max(n, 1))
}

// addChecksums fills in the checksums of listed objects from a HEAD of
// each, kept only when the HEAD saw the version listed.
func (s *Store) addChecksums(ctx context.Context, bucket string, objs []storage.ObjectInfo) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, headConcurrency)
	)
	for i := range objs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			info, _, err := s.head(ctx, bucket, objs[i].Key)
			switch {
			case isNoSuchKey(err):
				// Deleted since the listing: it is listed as it was.
			case err != nil:
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			case info.ETag == objs[i].ETag:
				objs[i].Checksums, objs[i].ChecksumType = info.Checksums, info.ChecksumType
			}
		})
	}
	wg.Wait()
	return first
}

func isNoSuchKey(err error) bool { return errors.Is(err, storage.ErrNoSuchKey) }

func isNoSuchBucket(err error) bool { return errors.Is(err, storage.ErrNoSuchBucket) }
func isNoSuchUpload(err error) bool { return errors.Is(err, storage.ErrNoSuchUpload) }
