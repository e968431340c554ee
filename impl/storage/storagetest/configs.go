package storagetest

import (
	"bytes"
	"errors"

	"github.com/s3gw/gateway/impl/storage"
)

// testBucketConfigs: documents are kept by name, replaced, deleted (a
// missing one too), refused for a missing bucket, and go with the bucket:
// one created again under the name starts without them.
func testBucketConfigs(e *env) {
	t, b, ctx := e.t, e.b, e.ctx
	if _, err := b.BucketConfig(ctx, bucket, "cors"); !errors.Is(err, storage.ErrNoSuchConfig) {
		t.Errorf("BucketConfig before any put: %v, want ErrNoSuchConfig", err)
	}
	if err := b.DeleteBucketConfig(ctx, bucket, "cors"); err != nil {
		t.Errorf("DeleteBucketConfig of a missing document: %v", err)
	}
	want := func(name string, doc []byte) {
		t.Helper()
		got, err := b.BucketConfig(ctx, bucket, name)
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("BucketConfig(%s) = %q, %v; want %q", name, got, err, doc)
		}
	}
	first := []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`)
	if err := b.PutBucketConfig(ctx, bucket, "cors", first); err != nil {
		t.Fatalf("PutBucketConfig: %v", err)
	}
	first[1] = 'X' // the backend keeps its own copy
	want("cors", []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`))
	if err := b.PutBucketConfig(ctx, bucket, "other", []byte{0, 1, 2}); err != nil {
		t.Fatalf("PutBucketConfig(other): %v", err)
	}
	if err := b.PutBucketConfig(ctx, bucket, "cors", []byte("second")); err != nil {
		t.Fatalf("PutBucketConfig again: %v", err)
	}
	want("cors", []byte("second"))
	want("other", []byte{0, 1, 2})
	if err := b.DeleteBucketConfig(ctx, bucket, "cors"); err != nil {
		t.Fatalf("DeleteBucketConfig: %v", err)
	}
	if _, err := b.BucketConfig(ctx, bucket, "cors"); !errors.Is(err, storage.ErrNoSuchConfig) {
		t.Errorf("BucketConfig after its delete: %v, want ErrNoSuchConfig", err)
	}
	want("other", []byte{0, 1, 2})

	if err := b.PutBucketConfig(ctx, "missing", "cors", []byte("x")); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("PutBucketConfig on a missing bucket: %v, want ErrNoSuchBucket", err)
	}
	if _, err := b.BucketConfig(ctx, "missing", "cors"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("BucketConfig of a missing bucket: %v, want ErrNoSuchBucket", err)
	}
	if _, err := b.HeadBucket(ctx, "missing"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("a refused PutBucketConfig made the bucket: %v", err)
	}

	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	if _, err := b.BucketConfig(ctx, bucket, "other"); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("BucketConfig of the deleted bucket: %v, want ErrNoSuchBucket", err)
	}
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatalf("CreateBucket again: %v", err)
	}
	if got, err := b.BucketConfig(ctx, bucket, "other"); !errors.Is(err, storage.ErrNoSuchConfig) {
		t.Errorf("BucketConfig of the bucket created again = %q, %v; want ErrNoSuchConfig", got, err)
	}
}
