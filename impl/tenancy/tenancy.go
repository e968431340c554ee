// Package tenancy owns bucket ownership: which project owns a bucket name,
// claiming a name atomically, releasing it, and listing a project's buckets.
// Every ownership decision of the gateway goes through it, and every check
// fails closed: an owner that cannot be read refuses the request.
//
// A Registry keeps the claims. The embedded store keeps them in its bbolt
// index (fs.Store is a Registry); a gateway fleet in front of a shared
// object store needs a shared Registry. Buckets joins a Registry to the
// storage backend that holds the buckets themselves: a name is claimed
// before its bucket is made and released after its bucket is gone, so two
// projects can never both make the same bucket, and a crash between the
// two steps leaves a claim its owner can complete or remove (see
// docs/architecture.md, "Tenancy").
package tenancy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/s3gw/gateway/impl/storage"
)

// Errors of a Registry and of Buckets.
var (
	// ErrUnclaimed: no project owns the name.
	ErrUnclaimed = errors.New("tenancy: bucket name not claimed")
	// ErrOwnedByYou: the claiming project already owns the name.
	ErrOwnedByYou = errors.New("tenancy: bucket already owned by you")
	// ErrTaken: another project owns the name.
	ErrTaken = errors.New("tenancy: bucket owned by another project")
	// ErrNotOwner: the project may not act on a bucket another owns.
	ErrNotOwner = errors.New("tenancy: bucket owned by another project")
	// ErrUnknownOwner: the owner could not be read, so nothing is served.
	ErrUnknownOwner = errors.New("tenancy: bucket owner unknown")
)

// Claim is a project's ownership of a bucket name.
type Claim struct {
	Bucket  string
	Owner   string // the project; "" for the anonymous development principal
	Created time.Time
}

// ListOptions selects a page of a project's claims, in name order.
type ListOptions struct {
	Prefix string
	After  string // names at or before it are skipped
	Limit  int
}

// Registry keeps the claims on bucket names.
type Registry interface {
	// Owner returns the claim on a name, or ErrUnclaimed.
	Owner(ctx context.Context, bucket string) (Claim, error)
	// Claim gives the name to project unless someone holds it: then it is
	// ErrOwnedByYou or ErrTaken, with the existing claim. Atomic: of two
	// concurrent claims on one name, one wins.
	Claim(ctx context.Context, bucket, project string) (Claim, error)
	// Release drops project's claim on the name; no claim is not an error,
	// another project's is ErrNotOwner.
	Release(ctx context.Context, bucket, project string) error
	// List returns a page of the claims of project ("" lists every
	// project's, for the anonymous development principal) and whether more
	// follow.
	List(ctx context.Context, project string, opts ListOptions) ([]Claim, bool, error)
}

// BucketStore is what Buckets needs of a storage backend.
type BucketStore interface {
	CreateBucket(ctx context.Context, name string) error
	HeadBucket(ctx context.Context, name string) (storage.Bucket, error)
	DeleteBucket(ctx context.Context, name string) error
}

// Buckets applies ownership to a backend's buckets.
type Buckets struct {
	Registry Registry
	Store    BucketStore
}

// Check refuses project acting on a bucket another project owns. An
// unclaimed name passes, so that the operation reports the missing bucket.
// It returns the claim, or ErrUnclaimed. (The anonymous development
// principal is no project: its caller does not check.)
func (b *Buckets) Check(ctx context.Context, project, bucket string) (Claim, error) {
	c, err := b.Registry.Owner(ctx, bucket)
	switch {
	case errors.Is(err, ErrUnclaimed):
		return c, err
	case err != nil:
		return c, fmt.Errorf("%w: bucket %q: %w", ErrUnknownOwner, bucket, err)
	case c.Owner != project:
		return c, ErrNotOwner
	}
	return c, nil
}

// Create claims the name for project, then makes the bucket. A claim the
// project already held whose bucket is missing (a crash between the two
// steps of an earlier create or delete) is completed. When making the
// bucket fails, a claim made here is released.
func (b *Buckets) Create(ctx context.Context, bucket, project string) error {
	_, err := b.Registry.Claim(ctx, bucket, project)
	switch {
	case errors.Is(err, ErrOwnedByYou):
		if _, herr := b.Store.HeadBucket(ctx, bucket); !errors.Is(herr, storage.ErrNoSuchBucket) {
			return err // the bucket is there (or cannot be read): as claimed
		}
		err = b.Store.CreateBucket(ctx, bucket)
		if errors.Is(err, storage.ErrBucketExists) {
			return ErrOwnedByYou
		}
		return err
	case err != nil:
		return err
	}
	if err := b.Store.CreateBucket(ctx, bucket); err != nil && !errors.Is(err, storage.ErrBucketExists) {
		if rerr := b.Registry.Release(context.WithoutCancel(ctx), bucket, project); rerr != nil {
			return fmt.Errorf("%w (and releasing the claim: %v)", err, rerr)
		}
		return err
	}
	return nil
}

// Ensure makes a write's missing bucket for project before the write's body
// is read: claim, then create. It reports whether it made the bucket, so
// that a write that then fails can Undo it. A name another project holds
// is ErrNotOwner.
func (b *Buckets) Ensure(ctx context.Context, bucket, project string) (bool, error) {
	err := b.Create(ctx, bucket, project)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrOwnedByYou):
		return false, nil // made meanwhile by another request of the project
	case errors.Is(err, ErrTaken):
		return false, ErrNotOwner
	}
	return false, err
}

// Undo removes a bucket Ensure made for a write that failed, unless
// something was written to it meanwhile, so a refused write leaves nothing
// behind.
func (b *Buckets) Undo(ctx context.Context, bucket, project string) {
	ctx = context.WithoutCancel(ctx)
	if err := b.Store.DeleteBucket(ctx, bucket); err == nil {
		_ = b.Registry.Release(ctx, bucket, project)
	}
}

// Delete removes an empty bucket, then releases its name. The caller has
// checked that the requester may. A claim whose bucket is already gone (a
// crash between the two steps) is released, and the delete succeeds.
func (b *Buckets) Delete(ctx context.Context, bucket string) error {
	if err := b.Store.DeleteBucket(ctx, bucket); err != nil {
		if !errors.Is(err, storage.ErrNoSuchBucket) {
			return err
		}
		if _, oerr := b.Registry.Owner(ctx, bucket); oerr != nil {
			return err // no claim either: the bucket does not exist
		}
	}
	ctx = context.WithoutCancel(ctx)
	c, err := b.Registry.Owner(ctx, bucket)
	if err == nil {
		err = b.Registry.Release(ctx, bucket, c.Owner)
	}
	if err != nil && !errors.Is(err, ErrUnclaimed) {
		return fmt.Errorf("release bucket %q: %w", bucket, err)
	}
	return nil
}
