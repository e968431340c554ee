package s3api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// bigSource is a backend holding one source object of any size, without its
// bytes: enough for the copy operations' checks. Calling any other method
// panics (the embedded interface is nil).
type bigSource struct {
	storage.Backend
	size     int64
	copied   bool
	partSize int64 // size of the part PutPart was asked to store, -1 for none
}

func (b *bigSource) info() storage.ObjectInfo {
	return storage.ObjectInfo{Key: "big", Size: b.size, ETag: "0cc175b9c0f1b6a831c399e269772661", LastModified: time.Now()}
}

func (b *bigSource) CopyObject(_ context.Context, _, _ storage.ObjectRef, opts storage.CopyOptions) (storage.ObjectInfo, error) {
	if opts.SourceCheck != nil {
		if err := opts.SourceCheck(b.info()); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	b.copied = true
	return b.info(), nil
}

func (b *bigSource) CopyPart(_ context.Context, _ storage.ObjectRef, _, _, _ string, n int, opts storage.CopyPartOptions) (storage.Part, error) {
	if err := opts.SourceCheck(b.info()); err != nil {
		return storage.Part{}, err
	}
	_, size := storage.CopyRange(b.size, opts)
	b.partSize = size
	return storage.Part{Number: n, Size: size, ETag: "0cc175b9c0f1b6a831c399e269772661", LastModified: time.Now()}, nil
}

// TestCopySourceLimit: S3 copies at most 5 GiB in one request, CopyObject's
// whole source or UploadPartCopy's range (the whole source without one),
// and refuses more with 400 InvalidRequest (rclone/rclone#2375 and
// hashicorp/terraform-provider-aws#38102 for CopyObject,
// awslabs/amazon-s3-tar-tool#26 for a ranged UploadPartCopy). The limit is
// checked before the gateway's own MAX_BODY_BYTES (EntityTooLarge).
func TestCopySourceLimit(t *testing.T) {
	const (
		gib      = int64(1) << 30
		tooLarge = "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120"
	)
	cases := []struct {
		name     string
		size     int64
		maxBody  int64
		part     bool
		rng      string
		status   int
		code     string
		partSize int64
	}{
		{"CopyObject of 6 GiB", 6 * gib, 256 << 20, false, "", 400, "InvalidRequest", -1},
		{"CopyObject of 5 GiB + 1", 5*gib + 1, 256 << 20, false, "", 400, "InvalidRequest", -1},
		{"CopyObject of exactly 5 GiB", 5 * gib, 256 << 20, false, "", 200, "", -1},
		{"UploadPartCopy of a whole 6 GiB source", 6 * gib, 256 << 20, true, "", 400, "InvalidRequest", -1},
		{"UploadPartCopy of 6 GiB of a 7 GiB source", 7 * gib, 256 << 20, true, "bytes=0-6442450943", 400, "InvalidRequest", -1},
		{"UploadPartCopy of 5 GiB + 1", 6 * gib, 256 << 20, true, "bytes=1-5368709121", 400, "InvalidRequest", -1},
		{"UploadPartCopy of 6 GiB with a larger body limit", 6 * gib, 8 * gib, true, "", 400, "InvalidRequest", -1},
		{"UploadPartCopy of exactly 5 GiB", 6 * gib, 8 * gib, true, "bytes=1-5368709120", 200, "", 5 * gib},
		{"UploadPartCopy of 5 GiB over the body limit", 6 * gib, 256 << 20, true, "bytes=0-5368709119", 400, "EntityTooLarge", -1},
		{"UploadPartCopy of 1 MiB of a 6 GiB source", 6 * gib, 256 << 20, true, "bytes=1048576-2097151", 200, "", 1 << 20},
	}
	for _, c := range cases {
		be := &bigSource{size: c.size, partSize: -1}
		h := New(Options{Backend: be, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: c.maxBody})
		target := "/s3/dst/k"
		if c.part {
			target += "?partNumber=1&uploadId=u1"
		}
		r := httptest.NewRequest(http.MethodPut, target, nil)
		r.Header.Set("Content-Length", "0")
		r.Header.Set("X-Amz-Copy-Source", "/src/big")
		if c.rng != "" {
			r.Header.Set("X-Amz-Copy-Source-Range", c.rng)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != c.status || (c.code != "" && !strings.Contains(body, "<Code>"+c.code+"</Code>")) {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, body, c.status, c.code)
			continue
		}
		if c.code == "InvalidRequest" && !strings.Contains(body, "<Message>"+tooLarge+"</Message>") {
			t.Errorf("%s: %s, want the message %q", c.name, body, tooLarge)
		}
		if copied := c.status == 200 && !c.part; be.copied != copied {
			t.Errorf("%s: copied %v, want %v", c.name, be.copied, copied)
		}
		if be.partSize != c.partSize {
			t.Errorf("%s: part of %d bytes stored, want %d", c.name, be.partSize, c.partSize)
		}
	}
}
