package fs

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/tenancy"
)

// The Store is also the tenancy.Registry of a single gateway: claims are
// the records under buckets/, committed through the same group commit as
// everything else.
var _ tenancy.Registry = (*Store)(nil)

func claimOf(name string, v []byte) (tenancy.Claim, error) {
	var rec bucketRecord
	if err := decode(v, &rec); err != nil {
		return tenancy.Claim{}, err
	}
	return tenancy.Claim{Bucket: name, Owner: rec.Owner, Created: time.Unix(0, rec.Created).UTC()}, nil
}

// Owner implements tenancy.Registry.
func (s *Store) Owner(ctx context.Context, bucket string) (tenancy.Claim, error) {
	var c tenancy.Claim
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktBuckets).Get([]byte(bucket))
		if v == nil {
			return tenancy.ErrUnclaimed
		}
		var err error
		c, err = claimOf(bucket, v)
		return err
	})
	return c, err
}

// Claim implements tenancy.Registry.
func (s *Store) Claim(ctx context.Context, bucket, project string) (tenancy.Claim, error) {
	var c tenancy.Claim
	err := s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		buckets := tx.Bucket(bktBuckets)
		if v := buckets.Get([]byte(bucket)); v != nil {
			var err error
			if c, err = claimOf(bucket, v); err != nil {
				return nil, err
			}
			if c.Owner == project {
				return nil, tenancy.ErrOwnedByYou
			}
			return nil, tenancy.ErrTaken
		}
		c = tenancy.Claim{Bucket: bucket, Owner: project, Created: time.Now().UTC()}
		v, err := encode(bucketRecord{Owner: project, Created: c.Created.UnixNano()})
		if err != nil {
			return nil, err
		}
		return nil, buckets.Put([]byte(bucket), v)
	}})
	return c, err
}

// Release implements tenancy.Registry.
func (s *Store) Release(ctx context.Context, bucket, project string) error {
	return s.submit(&commit{apply: func(tx *bolt.Tx) ([]string, error) {
		buckets := tx.Bucket(bktBuckets)
		v := buckets.Get([]byte(bucket))
		if v == nil {
			return nil, nil
		}
		c, err := claimOf(bucket, v)
		if err != nil {
			return nil, err
		}
		if c.Owner != project {
			return nil, tenancy.ErrNotOwner
		}
		return nil, buckets.Delete([]byte(bucket))
	}})
}

// List implements tenancy.Registry. A project's claims are found by a scan
// of every claim: the index keeps no per-project order, and the scan reads
// only the small claim records.
func (s *Store) List(ctx context.Context, project string, opts tenancy.ListOptions) ([]tenancy.Claim, bool, error) {
	var out []tenancy.Claim
	more := false
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktBuckets).Cursor()
		prefix := []byte(opts.Prefix)
		k, v := c.Seek(prefix)
		if opts.After >= opts.Prefix {
			k, v = c.Seek([]byte(opts.After))
			if k != nil && string(k) == opts.After {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			claim, err := claimOf(string(k), v)
			if err != nil {
				return err
			}
			if project != "" && claim.Owner != project {
				continue
			}
			if opts.Limit > 0 && len(out) == opts.Limit {
				more = true
				return nil
			}
			out = append(out, claim)
		}
		return nil
	})
	return out, more, err
}
