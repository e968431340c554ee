package tenancy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
	"github.com/s3gw/gateway/impl/tenancy/tenancytest"
)

func TestMemoryRegistry(t *testing.T) {
	tenancytest.TestRegistry(t, func(*testing.T) tenancy.Registry { return tenancy.NewMemory() })
}

var errBoom = errors.New("injected failure")

// bucketStore is a BucketStore in memory whose calls can be made to fail.
// Like a real backend it refuses work on a cancelled context.
type bucketStore struct {
	mu      sync.Mutex
	buckets map[string]int // name -> objects in it
	// Injected failures of each method, and a hook run inside
	// DeleteBucket after the bucket is gone.
	createErr, headErr, deleteErr error
	afterDelete                   func()
}

func newBucketStore() *bucketStore { return &bucketStore{buckets: map[string]int{}} }

func (s *bucketStore) CreateBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.createErr != nil:
		return s.createErr
	}
	if _, ok := s.buckets[name]; ok {
		return storage.ErrBucketExists
	}
	s.buckets[name] = 0
	return nil
}

func (s *bucketStore) HeadBucket(ctx context.Context, name string) (storage.Bucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return storage.Bucket{}, ctx.Err()
	case s.headErr != nil:
		return storage.Bucket{}, s.headErr
	}
	if _, ok := s.buckets[name]; !ok {
		return storage.Bucket{}, storage.ErrNoSuchBucket
	}
	return storage.Bucket{Name: name}, nil
}

func (s *bucketStore) DeleteBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	switch n, ok := s.buckets[name]; {
	case ctx.Err() != nil:
		s.mu.Unlock()
		return ctx.Err()
	case s.deleteErr != nil:
		s.mu.Unlock()
		return s.deleteErr
	case !ok:
		s.mu.Unlock()
		return storage.ErrNoSuchBucket
	case n > 0:
		s.mu.Unlock()
		return storage.ErrBucketNotEmpty
	}
	delete(s.buckets, name)
	hook := s.afterDelete
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return nil
}

func (s *bucketStore) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.buckets[name]
	return ok
}

// registry wraps a Memory: it refuses a cancelled context, as a registry
// on a network would, and its calls can be made to fail.
type registry struct {
	*tenancy.Memory
	ownerErr, releaseErr error
}

func (r *registry) Owner(ctx context.Context, bucket string) (tenancy.Claim, error) {
	if err := ctx.Err(); err != nil {
		return tenancy.Claim{}, err
	}
	if r.ownerErr != nil {
		return tenancy.Claim{}, r.ownerErr
	}
	return r.Memory.Owner(ctx, bucket)
}

func (r *registry) Claim(ctx context.Context, bucket, project string) (tenancy.Claim, error) {
	if err := ctx.Err(); err != nil {
		return tenancy.Claim{}, err
	}
	return r.Memory.Claim(ctx, bucket, project)
}

func (r *registry) Release(ctx context.Context, bucket, project string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.releaseErr != nil {
		return r.releaseErr
	}
	return r.Memory.Release(ctx, bucket, project)
}

func newBuckets() (*tenancy.Buckets, *registry, *bucketStore) {
	reg, store := &registry{Memory: tenancy.NewMemory()}, newBucketStore()
	return &tenancy.Buckets{Registry: reg, Store: store}, reg, store
}

// ownerOf returns the owner of bucket, or "-" for none.
func ownerOf(t *testing.T, r tenancy.Registry, bucket string) string {
	t.Helper()
	c, err := r.Owner(context.Background(), bucket)
	if errors.Is(err, tenancy.ErrUnclaimed) {
		return "-"
	}
	if err != nil {
		t.Fatalf("Owner(%q): %v", bucket, err)
	}
	return c.Owner
}

func TestBucketsCreate(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		prepare func(reg *registry, store *bucketStore)
		project string
		want    error
		// The outcome: the owner of the name ("-" for none) and whether
		// the bucket exists.
		owner  string
		exists bool
	}{
		{"new name", nil, "p1", nil, "p1", true},
		{"owned by the project", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p1")
			store.buckets["b"] = 0
		}, "p1", tenancy.ErrOwnedByYou, "p1", true},
		{"owned by another project", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p2")
			store.buckets["b"] = 0
		}, "p1", tenancy.ErrTaken, "p2", true},
		{"claimed by another project, bucket missing", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p2")
		}, "p1", tenancy.ErrTaken, "p2", false},
		{"store fails: the claim made is released", func(reg *registry, store *bucketStore) {
			store.createErr = errBoom
		}, "p1", errBoom, "-", false},
		{"bucket left without a claim is taken over", func(reg *registry, store *bucketStore) {
			store.buckets["b"] = 0
		}, "p1", nil, "p1", true},
		// A crash between claim and create (or between delete and
		// release) leaves a claim without its bucket: its owner's Create
		// completes it.
		{"claim without its bucket is completed", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p1")
		}, "p1", nil, "p1", true},
		{"claim without its bucket, store fails: the claim stays", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p1")
			store.createErr = errBoom
		}, "p1", errBoom, "p1", false},
		{"claim whose bucket cannot be read is as claimed", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p1")
			store.headErr = errBoom
		}, "p1", tenancy.ErrOwnedByYou, "p1", false},
		{"claim whose bucket another request made meanwhile", func(reg *registry, store *bucketStore) {
			reg.Claim(ctx, "b", "p1")
			store.buckets["b"] = 0
			store.headErr = storage.ErrNoSuchBucket // what it saw before the other request
		}, "p1", tenancy.ErrOwnedByYou, "p1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, reg, store := newBuckets()
			if c.prepare != nil {
				c.prepare(reg, store)
			}
			err := b.Create(ctx, "b", c.project)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("Create: %v, want %v", err, c.want)
			}
			store.headErr, store.createErr = nil, nil
			if got := ownerOf(t, reg, "b"); got != c.owner {
				t.Errorf("owner %s, want %s", got, c.owner)
			}
			if store.has("b") != c.exists {
				t.Errorf("bucket exists: %v, want %v", store.has("b"), c.exists)
			}
		})
	}
	t.Run("store and release fail", func(t *testing.T) {
		b, reg, store := newBuckets()
		store.createErr, reg.releaseErr = errBoom, errors.New("release failed")
		err := b.Create(ctx, "b", "p1")
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "release failed") {
			t.Errorf("Create: %v, want the store's error and the release's", err)
		}
	})
	t.Run("cancelled during the store's failure", func(t *testing.T) {
		b, reg, _ := newBuckets()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		// The claim is made before the cancellation shows, and the store
		// refuses; the release must not depend on the request's context.
		b.Registry = &claimIgnoringCancel{reg}
		if err := b.Create(cctx, "b", "p1"); !errors.Is(err, context.Canceled) {
			t.Errorf("Create: %v", err)
		}
		if got := ownerOf(t, reg, "b"); got != "-" {
			t.Errorf("claim left by a cancelled Create: owner %s", got)
		}
	})
}

// claimIgnoringCancel lets Claim through a cancelled context, as a claim
// that raced the cancellation would.
type claimIgnoringCancel struct{ *registry }

func (r *claimIgnoringCancel) Claim(ctx context.Context, bucket, project string) (tenancy.Claim, error) {
	return r.registry.Claim(context.WithoutCancel(ctx), bucket, project)
}

func TestBucketsEnsure(t *testing.T) {
	ctx := context.Background()
	b, reg, store := newBuckets()
	if made, err := b.Ensure(ctx, "b", "p1"); !made || err != nil {
		t.Errorf("Ensure of a new bucket: %v, %v; want made", made, err)
	}
	if made, err := b.Ensure(ctx, "b", "p1"); made || err != nil {
		t.Errorf("Ensure of the project's bucket: %v, %v; want not made, no error", made, err)
	}
	if made, err := b.Ensure(ctx, "b", "p2"); made || !errors.Is(err, tenancy.ErrNotOwner) {
		t.Errorf("Ensure of another's bucket: %v, %v; want ErrNotOwner", made, err)
	}
	reg.Claim(ctx, "orphan", "p1")
	if made, err := b.Ensure(ctx, "orphan", "p1"); !made || err != nil || !store.has("orphan") {
		t.Errorf("Ensure of a claim without its bucket: %v, %v; want made", made, err)
	}
	store.createErr = errBoom
	if made, err := b.Ensure(ctx, "c", "p1"); made || !errors.Is(err, errBoom) {
		t.Errorf("Ensure with a failing store: %v, %v", made, err)
	}
	if got := ownerOf(t, reg, "c"); got != "-" {
		t.Errorf("a failed Ensure left a claim by %s", got)
	}
}

func TestBucketsUndo(t *testing.T) {
	b, reg, store := newBuckets()
	ctx, cancel := context.WithCancel(context.Background())
	for _, name := range []string{"empty", "written"} {
		if made, err := b.Ensure(ctx, name, "p1"); !made || err != nil {
			t.Fatal(made, err)
		}
	}
	store.buckets["written"] = 1 // another request wrote meanwhile
	cancel()                     // the failed write's request is gone
	b.Undo(ctx, "empty", "p1")
	b.Undo(ctx, "written", "p1")
	if store.has("empty") || ownerOf(t, reg, "empty") != "-" {
		t.Errorf("Undo left the bucket (%v) or its claim (%s)", store.has("empty"), ownerOf(t, reg, "empty"))
	}
	if !store.has("written") || ownerOf(t, reg, "written") != "p1" {
		t.Errorf("Undo removed a bucket written to (%v) or its claim (%s)", store.has("written"), ownerOf(t, reg, "written"))
	}
}

func TestBucketsDelete(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		prepare func(reg *registry, store *bucketStore)
		want    error
		owner   string // "-" for none, "" for either
		exists  bool
	}{
		{"empty bucket", nil, nil, "-", false},
		{"bucket with objects", func(reg *registry, store *bucketStore) { store.buckets["b"] = 1 }, storage.ErrBucketNotEmpty, "p1", true},
		// A claim left without its bucket (a crash between the steps) is
		// released: the name is free again.
		{"claim without its bucket", func(reg *registry, store *bucketStore) { delete(store.buckets, "b") }, nil, "-", false},
		{"neither bucket nor claim", func(reg *registry, store *bucketStore) {
			delete(store.buckets, "b")
			reg.Release(ctx, "b", "p1")
		}, storage.ErrNoSuchBucket, "-", false},
		{"bucket without a claim", func(reg *registry, store *bucketStore) { reg.Release(ctx, "b", "p1") }, nil, "-", false},
		{"release fails", func(reg *registry, store *bucketStore) { reg.releaseErr = errBoom }, errBoom, "p1", false},
		{"owner unreadable", func(reg *registry, store *bucketStore) { reg.ownerErr = errBoom }, errBoom, "p1", false},
		{"store fails", func(reg *registry, store *bucketStore) { store.deleteErr = errBoom }, errBoom, "p1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, reg, store := newBuckets()
			if err := b.Create(ctx, "b", "p1"); err != nil {
				t.Fatal(err)
			}
			if c.prepare != nil {
				c.prepare(reg, store)
			}
			err := b.Delete(ctx, "b")
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("Delete: %v, want %v", err, c.want)
			}
			reg.ownerErr, reg.releaseErr = nil, nil
			if got := ownerOf(t, reg, "b"); c.owner != "" && got != c.owner {
				t.Errorf("owner %s, want %s", got, c.owner)
			}
			if store.has("b") != c.exists {
				t.Errorf("bucket exists: %v, want %v", store.has("b"), c.exists)
			}
		})
	}
	t.Run("cancelled once the bucket is gone", func(t *testing.T) {
		b, reg, store := newBuckets()
		if err := b.Create(ctx, "b", "p1"); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		store.afterDelete = cancel
		if err := b.Delete(cctx, "b"); err != nil {
			t.Errorf("Delete: %v", err)
		}
		if got := ownerOf(t, reg, "b"); got != "-" {
			t.Errorf("the claim outlived its bucket: owner %s", got)
		}
	})
}

func TestBucketsCheck(t *testing.T) {
	ctx := context.Background()
	b, reg, _ := newBuckets()
	if err := b.Create(ctx, "b", "p1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		project string
		bucket  string
		want    error
		owner   string
	}{
		{"owner", "p1", "b", nil, "p1"},
		{"another project", "p2", "b", tenancy.ErrNotOwner, ""},
		{"the empty project is a project", "", "b", tenancy.ErrNotOwner, ""},
		{"unclaimed", "p1", "none", tenancy.ErrUnclaimed, ""},
	} {
		got, err := b.Check(ctx, c.project, c.bucket)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: Check = %v, want %v", c.name, err, c.want)
		}
		if err == nil && (got.Owner != c.owner || got.Bucket != c.bucket) {
			t.Errorf("%s: Check returned %+v", c.name, got)
		}
	}
	reg.ownerErr = errBoom
	if _, err := b.Check(ctx, "p1", "b"); !errors.Is(err, tenancy.ErrUnknownOwner) || !errors.Is(err, errBoom) {
		t.Errorf("Check with an unreadable owner: %v, want ErrUnknownOwner wrapping the cause", err)
	}
}
