package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/metrics"
	"github.com/s3gw/gateway/impl/s3api"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/fs"
	"github.com/s3gw/gateway/impl/usage"
)

// BenchmarkGet4KiBUsage serves a 4 KiB GET through the full front (access
// log, metrics) with usage metering off and on. Metering only queues an
// event, so the two should not differ beyond noise. The usage sender here
// accepts every batch at once; the fault test shows a slow one changes
// nothing either.
func BenchmarkGet4KiBUsage(b *testing.B) {
	dir := b.TempDir()
	store, err := fs.Open(fs.Options{DataDir: filepath.Join(dir, "d"), MetaFile: filepath.Join(dir, "i.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	store.CreateBucket(ctx, "b")
	store.Claim(ctx, "b", auth.AnonymousProject)
	if _, err := store.PutObject(ctx, "b", "small", bytes.NewReader(make([]byte, 4096)), storage.PutOptions{Size: 4096}); err != nil {
		b.Fatal(err)
	}
	api := s3api.New(s3api.Options{Backend: store, Owners: store, Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 20})
	for _, on := range []bool{false, true} {
		name := "usage-off"
		if on {
			name = "usage-on"
		}
		b.Run(name, func(b *testing.B) {
			m := metrics.New()
			sinks := []func(*accesslog.Entry){m.Observe}
			if on {
				rec := usage.New(func(context.Context, []usage.Event) error { return nil }, usage.Options{})
				defer rec.Close(context.Background())
				sinks = append(sinks, func(e *accesslog.Entry) {
					rec.Record(usage.Event{ProjectID: e.Project, Bucket: e.Bucket, Op: e.Op, BytesOut: e.BytesOut, Status: e.Status, RequestID: e.RequestID})
				})
			}
			srv := httptest.NewServer(New(Options{S3: api, Prefix: "/s3", AccessSinks: sinks}).Handler())
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := client.Get(srv.URL + "/s3/b/small")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkGet64MiB serves a 64 MiB object through the whole front (the
// guard's write deadlines, the access log) over loopback, single-part and
// multipart, to show that renewing the write deadline every MiB keeps the
// sendfile path. Client and server share the process: compare throughput,
// not CPU.
func BenchmarkGet64MiB(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	store, err := fs.Open(fs.Options{DataDir: filepath.Join(dir, "d"), MetaFile: filepath.Join(dir, "i.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	store.CreateBucket(ctx, "b")
	store.Claim(ctx, "b", auth.AnonymousProject)
	if _, err := store.PutObject(ctx, "b", "big", bytes.NewReader(make([]byte, size)), storage.PutOptions{Size: size}); err != nil {
		b.Fatal(err)
	}
	api := s3api.New(s3api.Options{Backend: store, Owners: store, Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 30})
	srv := httptest.NewServer(New(Options{S3: api, Prefix: "/s3"}).Handler())
	defer srv.Close()
	client := srv.Client()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(srv.URL + "/s3/b/big")
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != size {
			b.Fatalf("read %d bytes", n)
		}
	}
}
