package upstream_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/upstream"
)

// cuttingStore is a real S3 API behind a proxy that, for PUTs of one key,
// reads the first MiB of the body and then drops the connection, as a
// store that crashes mid-upload does, the first cuts times.
type cuttingStore struct {
	*httptest.Server
	cuts     int32
	attempts atomic.Int32
}

func newCuttingStore(t *testing.T, path string, cuts int32) *cuttingStore {
	t.Helper()
	real, err := url.Parse(newSmallPartsUpstream(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(real)
	c := &cuttingStore{cuts: cuts}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != path || c.attempts.Add(1) > c.cuts {
			proxy.ServeHTTP(w, r)
			return
		}
		_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking the PUT's connection: %v", err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(c.Close)
	return c
}

// TestCutByTheStore: a PUT whose connection the store drops mid-body is
// ErrUnavailable (503 SlowDown to the client), after one attempt when the
// body streams (it cannot be sent again), after a successful second one
// when it was buffered. Before, the SDK waited out a backoff, failed to
// rewind the streamed body and reported that instead: an internal error.
func TestCutByTheStore(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name     string
		size     int
		cuts     int32
		attempts int32
		ok       bool
	}{
		{"streamed", 16 << 20, 1, 1, false},
		{"buffered", 2 << 20, 1, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCuttingStore(t, "/bkt/k", tc.cuts)
			s, err := upstream.Open(ctx, upstream.Options{Endpoint: c.URL, AccessKey: accessKey, SecretKey: secretKey})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateBucket(ctx, "bkt"); err != nil {
				t.Fatal(err)
			}
			body := bytes.Repeat([]byte("c"), tc.size)
			_, err = s.PutObject(ctx, "bkt", "k", onlyReader{bytes.NewReader(body)}, storage.PutOptions{Size: int64(tc.size)})
			switch {
			case tc.ok && err != nil:
				t.Fatalf("PutObject of a %s body cut once: %v, want it sent again", tc.name, err)
			case !tc.ok && !errors.Is(err, storage.ErrUnavailable):
				t.Fatalf("PutObject of a %s body the store cut: %v, want ErrUnavailable", tc.name, err)
			}
			if n := c.attempts.Load(); n != tc.attempts {
				t.Errorf("PutObject of a %s body: %d attempts, want %d", tc.name, n, tc.attempts)
			}
		})
	}
}
