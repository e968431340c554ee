package upstream

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
)

// ListUploads rebuilds ListMultipartUploads from the store's pages, which
// radosgw 16.2 gets wrong in three ways: it returns no common prefixes,
// treats the key marker as inclusive, and orders the uploads of one key by
// id instead of initiation time. So the store is asked without a
// delimiter, every answer is filtered against the markers (correct on a
// store of either kind), each key's uploads are gathered and sorted by
// initiation, and the delimiter is applied here.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts storage.ListUploadsOptions) (storage.UploadList, error) {
	limit := opts.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	p := uploadPager{s: s, bucket: bucket, prefix: opts.Prefix}
	var l storage.UploadList
	lastPrefix := ""
	full := func() bool { return len(l.Uploads)+len(l.CommonPrefixes) >= limit }
	// The page ends after its last entry, an upload or a prefix.
	markTruncated := func() { l.Truncated = true }
	addUpload := func(u storage.Upload) {
		l.Uploads = append(l.Uploads, u)
		l.NextKey, l.NextID = u.Key, u.ID
	}
	addPrefix := func(cp string) {
		l.CommonPrefixes = append(l.CommonPrefixes, cp)
		l.NextKey, l.NextID = cp, ""
		lastPrefix = cp
	}
	after := opts.KeyMarker
	if opts.KeyMarker != "" && opts.IDMarker == "" {
		after = startAfter(storage.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter, StartAfter: opts.KeyMarker})
	}
	if opts.KeyMarker != "" && opts.IDMarker != "" && strings.HasPrefix(opts.KeyMarker, opts.Prefix) {
		// The rest of the marker key's uploads, in initiation order
		// after the marker's.
		ups, err := p.keyUploads(ctx, opts.KeyMarker)
		if err != nil {
			return storage.UploadList{}, err
		}
		rest := ups
		if i := slices.IndexFunc(ups, func(u storage.Upload) bool { return u.ID == opts.IDMarker }); i >= 0 {
			rest = ups[i+1:]
		}
		for _, u := range rest {
			if full() {
				markTruncated()
				return l, nil
			}
			addUpload(u)
		}
	}
	p.after = after
	for {
		key, ups, err := p.next(ctx)
		if err != nil {
			return storage.UploadList{}, err
		}
		if key == "" {
			l.NextKey, l.NextID = "", ""
			return l, nil
		}
		if opts.Delimiter != "" {
			rest := key[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if cp == lastPrefix {
					continue
				}
				if full() {
					markTruncated()
					return l, nil
				}
				addPrefix(cp)
				continue
			}
		}
		for _, u := range ups {
			if full() {
				markTruncated()
				return l, nil
			}
			addUpload(u)
		}
	}
}

// uploadPager walks the store's uploads key by key, after a key.
type uploadPager struct {
	s              *Store
	bucket, prefix string
	after          string // keys up to this one are done
	buf            []storage.Upload
	keyMarker      string // the store's position, "" before the first page
	idMarker       string
	done           bool
}

// next returns the next key after p.after with all its uploads in
// initiation order, or "" at the end.
func (p *uploadPager) next(ctx context.Context) (string, []storage.Upload, error) {
	for {
		// Drop what the markers exclude (an inclusive store repeats the
		// marker key).
		for len(p.buf) > 0 && p.buf[0].Key <= p.after {
			p.buf = p.buf[1:]
		}
		if len(p.buf) > 0 {
			key := p.buf[0].Key
			n := 0
			for n < len(p.buf) && p.buf[n].Key == key {
				n++
			}
			if n < len(p.buf) || p.done {
				ups := p.buf[:n:n]
				p.buf = p.buf[n:]
				p.after = key
				sortByInitiation(ups)
				return key, ups, nil
			}
		} else if p.done {
			return "", nil, nil
		}
		// The last key may go on in the next page.
		if err := p.fetch(ctx); err != nil {
			return "", nil, err
		}
	}
}

// fetch appends the store's next page to p.buf.
func (p *uploadPager) fetch(ctx context.Context) error {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(p.bucket), MaxUploads: aws.Int32(1000)}
	if p.prefix != "" {
		in.Prefix = aws.String(p.prefix)
	}
	switch {
	case p.keyMarker != "":
		in.KeyMarker, in.UploadIdMarker = aws.String(p.keyMarker), aws.String(p.idMarker)
	case p.after != "":
		in.KeyMarker = aws.String(p.after)
	}
	out, err := p.s.s3.ListMultipartUploads(ctx, in)
	if err != nil {
		return mapErr(ctx, err, "list uploads of %q", p.bucket)
	}
	for _, u := range out.Uploads {
		up := storage.Upload{Bucket: p.bucket, Key: aws.ToString(u.Key), ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)}
		if p.repeated(up) {
			continue
		}
		p.buf = append(p.buf, up)
	}
	if !aws.ToBool(out.IsTruncated) || len(out.Uploads) == 0 {
		p.done = true
		return nil
	}
	p.keyMarker, p.idMarker = aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
	return nil
}

// repeated reports whether up is already buffered, as a store with an
// inclusive key marker repeats the marker key's uploads on the next page.
func (p *uploadPager) repeated(up storage.Upload) bool {
	for i := len(p.buf) - 1; i >= 0 && p.buf[i].Key == up.Key; i-- {
		if p.buf[i].ID == up.ID {
			return true
		}
	}
	return false
}

// keyUploads returns every upload of one key, in initiation order: the
// store is asked for the uploads of keys starting with it, which begin
// with its own.
func (p *uploadPager) keyUploads(ctx context.Context, key string) ([]storage.Upload, error) {
	q := uploadPager{s: p.s, bucket: p.bucket, prefix: key}
	var ups []storage.Upload
	for {
		if len(q.buf) > 0 && q.buf[len(q.buf)-1].Key != key || q.done {
			break
		}
		if err := q.fetch(ctx); err != nil {
			return nil, err
		}
	}
	for _, u := range q.buf {
		if u.Key == key {
			ups = append(ups, u)
		}
	}
	sortByInitiation(ups)
	return ups, nil
}

func sortByInitiation(ups []storage.Upload) {
	slices.SortStableFunc(ups, func(a, b storage.Upload) int {
		return cmp.Or(a.Initiated.Compare(b.Initiated), strings.Compare(a.ID, b.ID))
	})
}
