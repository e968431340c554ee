package s3api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/fs"
)

// hideReaderFrom strips io.ReaderFrom from the ResponseWriter, forcing the
// user-space copy that zero-copy avoids.
type hideReaderFrom struct{ w http.ResponseWriter }

func (h hideReaderFrom) Header() http.Header         { return h.w.Header() }
func (h hideReaderFrom) Write(p []byte) (int, error) { return h.w.Write(p) }
func (h hideReaderFrom) WriteHeader(code int)        { h.w.WriteHeader(code) }

// TestHelperGetClient is not a test: BenchmarkGetLarge runs the test binary
// again with GET_CLIENT_URL set, so the client's work happens in another
// process and the benchmark's CPU accounting sees only the server.
func TestHelperGetClient(t *testing.T) {
	u := os.Getenv("GET_CLIENT_URL")
	if u == "" {
		t.Skip("helper process for BenchmarkGetLarge")
	}
	n, _ := strconv.Atoi(os.Getenv("GET_CLIENT_N"))
	for i := 0; i < n; i++ {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetLarge serves a 64 MiB object over loopback to a client in
// another process. "sendfile" is the real path (net/http hands the *os.File
// to sendfile(2)); "copy" hides io.ReaderFrom to force a user-space copy.
// Besides throughput it reports the server's CPU time per MiB sent.
func BenchmarkGetLarge(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	store, err := fs.Open(fs.Options{DataDir: filepath.Join(dir, "d"), MetaFile: filepath.Join(dir, "i.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if err := store.CreateBucket(ctx, "b"); err != nil {
		b.Fatal(err)
	}
	if _, err := store.PutObject(ctx, "b", "big", bytes.NewReader(make([]byte, size)), storage.PutOptions{Size: size}); err != nil {
		b.Fatal(err)
	}
	// The same size as a multipart object: 5 MiB parts and a remainder.
	up, err := store.CreateUpload(ctx, "b", "multipart", storage.UploadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var list []storage.CompletedPart
	for n, off := 1, 0; off < size; n, off = n+1, off+5<<20 {
		part := make([]byte, min(5<<20, size-off))
		p, err := store.PutPart(ctx, "b", "multipart", up.ID, n, bytes.NewReader(part), storage.PartOptions{Size: int64(len(part))})
		if err != nil {
			b.Fatal(err)
		}
		list = append(list, storage.CompletedPart{Number: n, ETag: p.ETag})
	}
	if _, err := store.CompleteUpload(ctx, "b", "multipart", up.ID, list, storage.CompleteOptions{MinPartSize: 5 << 20}); err != nil {
		b.Fatal(err)
	}
	h := New(Options{Backend: store, Owners: store, Auth: auth.Anonymous, Prefix: "/s3", MaxBodyBytes: 1 << 30})
	for _, variant := range []string{"sendfile", "sendfile-multipart", "copy"} {
		b.Run(variant, func(b *testing.B) {
			key := "big"
			if variant == "sendfile-multipart" {
				key = "multipart"
			}
			var handler http.Handler = h
			if variant == "copy" {
				handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(hideReaderFrom{w}, r) })
			}
			srv := httptest.NewServer(handler)
			defer srv.Close()
			client := exec.Command(os.Args[0], "-test.run=^TestHelperGetClient$")
			client.Env = append(os.Environ(), "GET_CLIENT_URL="+srv.URL+"/s3/b/"+key, fmt.Sprintf("GET_CLIENT_N=%d", b.N))
			b.SetBytes(size)
			b.ResetTimer()
			cpu0 := cpuTime()
			if out, err := client.CombinedOutput(); err != nil {
				b.Fatalf("client: %v\n%s", err, out)
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*(size>>20)), "server-cpu-µs/MiB")
		})
	}
}
