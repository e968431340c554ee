package fs

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/storage"
)

// ListObjects returns one page of bucket's keys in byte order, rolling keys
// that share a prefix up to the delimiter into common prefixes. The page is
// read in one transaction, so it is a consistent snapshot; across pages every
// key that exists throughout is returned exactly once because a page resumes
// strictly after the last entry of the previous one.
func (s *Store) ListObjects(ctx context.Context, bucket string, opts storage.ListOptions) (storage.ListResult, error) {
	var res storage.ListResult
	err := s.db.View(func(tx *bolt.Tx) error {
		objs, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		res, err = list(objs.Cursor(), opts)
		return err
	})
	return res, err
}

func list(c *bolt.Cursor, opts storage.ListOptions) (storage.ListResult, error) {
	var res storage.ListResult
	// The cursor is the last entry returned, so resuming is starting
	// after it.
	start := opts.StartAfter
	if opts.Cursor != "" {
		start = opts.Cursor
	}
	prefix, delim, after := []byte(opts.Prefix), []byte(opts.Delimiter), []byte(start)

	seek := prefix
	if bytes.Compare(after, prefix) >= 0 {
		seek = after
	}
	k, v := c.Seek(seek)
	if k != nil && len(after) > 0 && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	entries := 0
	for k != nil && bytes.HasPrefix(k, prefix) {
		if len(delim) > 0 {
			if i := bytes.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				// A common prefix at or before After was returned by an
				// earlier page (or lies before the requested start).
				if bytes.Compare(cp, after) > 0 {
					if entries == opts.Limit {
						res.Truncated = true
						break
					}
					res.CommonPrefixes = append(res.CommonPrefixes, string(cp))
					res.Last = string(cp)
					entries++
				}
				end := prefixEnd(cp)
				if end == nil {
					break
				}
				k, v = c.Seek(end)
				continue
			}
		}
		if entries == opts.Limit {
			res.Truncated = true
			break
		}
		var rec objectRecord
		if err := decode(v, &rec); err != nil {
			return res, err
		}
		info := rec.info(string(k))
		res.Objects = append(res.Objects, storage.ObjectInfo{
			Key: info.Key, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified,
			Metadata: storage.Metadata{Checksums: info.Checksums}, ChecksumType: info.ChecksumType,
		})
		res.Last = string(k)
		entries++
		k, v = c.Next()
	}
	if !res.Truncated {
		res.Last = ""
	}
	res.Cursor = res.Last
	return res, nil
}

// prefixEnd returns the smallest key greater than every key starting with p,
// or nil when there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
