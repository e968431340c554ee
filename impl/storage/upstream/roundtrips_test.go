package upstream_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/upstream"
)

// counter is an HTTP client that records each upstream request as
// "METHOD path" (query left out, "?partNumber" etc. do not matter here).
type counter struct {
	mu   sync.Mutex
	reqs []string
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// countedStore opens the backend over a fresh upstream through a counter,
// with a bucket "bkt".
func countedStore(t *testing.T) (*upstream.Store, *counter) {
	t.Helper()
	c := &counter{}
	s, err := upstream.Open(t.Context(), upstream.Options{Endpoint: newUpstream(t).URL, AccessKey: accessKey, SecretKey: secretKey,
		HTTPClient: &http.Client{Transport: c}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(t.Context(), "bkt"); err != nil {
		t.Fatal(err)
	}
	return s, c
}

// take returns the requests since the last call.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

// TestReadRoundTrips: a read is one upstream GET, whatever its range or
// conditions (judged on the answer's headers), and gets the same answer
// as the backends that decide reads locally; a read by part number, whose
// bytes only the manifest knows, and a range the object cannot satisfy
// (whose error names the size) take a HEAD first.
func TestReadRoundTrips(t *testing.T) {
	s, c := countedStore(t)
	ctx := t.Context()
	body := "0123456789"
	put, err := s.PutObject(ctx, "bkt", "k", strings.NewReader(body), storage.PutOptions{Size: int64(len(body)),
		Metadata: storage.Metadata{ContentType: "text/plain", Checksums: map[string]string{"crc32": "AAAAAA=="}}})
	if err != nil {
		t.Fatal(err)
	}
	c.take()

	rng := func(first, last int64) *storage.RangeSpec { return &storage.RangeSpec{First: first, Last: last} }
	for _, tc := range []struct {
		name string
		opts storage.ReadOptions
		want string // the bytes read
		err  error
		reqs int
	}{
		{"whole", storage.ReadOptions{}, body, nil, 1},
		{"range", storage.ReadOptions{Range: rng(2, 4)}, "234", nil, 1},
		{"open range", storage.ReadOptions{Range: rng(7, -1)}, "789", nil, 1},
		{"range past the end", storage.ReadOptions{Range: rng(8, 100)}, "89", nil, 1},
		{"suffix", storage.ReadOptions{Range: &storage.RangeSpec{IsSuffix: true, Suffix: 3}}, "789", nil, 1},
		{"reversed range: the whole object", storage.ReadOptions{Range: rng(5, 2)}, body, nil, 1},
		{"If-Match", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: `"` + put.ETag + `"`}}, body, nil, 1},
		{"If-Match another", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfMatch: `"abc"`}}, "", storage.ErrPreconditionFailed, 1},
		{"If-None-Match", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfNoneMatch: put.ETag}}, "", storage.ErrNotModified, 1},
		{"If-Modified-Since later", storage.ReadOptions{ReadConditions: storage.ReadConditions{IfModifiedSince: put.LastModified.Add(time.Hour)}}, "", storage.ErrNotModified, 1},
		{"unsatisfiable range", storage.ReadOptions{Range: rng(10, -1)}, "", storage.ErrInvalidRange, 2},
		{"part 1", storage.ReadOptions{PartNumber: 1}, body, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := s.OpenObject(ctx, "bkt", "k", tc.opts)
			reqs := c.take()
			if len(reqs) != tc.reqs {
				t.Errorf("%d upstream requests %v, want %d", len(reqs), reqs, tc.reqs)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("OpenObject = %v, want %v", err, tc.err)
				}
				var ce *storage.ConditionError
				if errors.As(err, &ce) && (ce.ETag != put.ETag || !ce.LastModified.Equal(put.LastModified)) {
					t.Errorf("condition error names %s, %v; want %s, %v", ce.ETag, ce.LastModified, put.ETag, put.LastModified)
				}
				var re *storage.RangeError
				if errors.As(err, &re) && re.Size != int64(len(body)) {
					t.Errorf("range error names size %d", re.Size)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			var buf bytes.Buffer
			if _, err := o.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("read %q, want %q", buf.String(), tc.want)
			}
			info := o.Info()
			if info.Size != int64(len(body)) || info.ETag != put.ETag || info.ContentType != "text/plain" ||
				info.Checksums["crc32"] != "AAAAAA==" || info.ChecksumType != "FULL_OBJECT" || !info.LastModified.Equal(put.LastModified) {
				t.Errorf("info %+v, want that of %+v", info, put)
			}
		})
	}

	// Missing keys and buckets are told apart by the GET's error code,
	// without a HEAD of the bucket.
	if _, err := s.OpenObject(ctx, "bkt", "nope", storage.ReadOptions{}); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := s.OpenObject(ctx, "nobkt", "k", storage.ReadOptions{}); !errors.Is(err, storage.ErrNoSuchBucket) {
		t.Errorf("missing bucket: %v", err)
	}
	if reqs := c.take(); len(reqs) != 2 {
		t.Errorf("reads of a missing key and bucket: upstream requests %v, want one GET each", reqs)
	}
}

// TestPutRoundTrips: a small PUT is one upstream request, but when its
// timing leaves the second of the store's stamp in doubt (commitTime);
// then one HEAD follows. Its Last-Modified is the store's either way.
func TestPutRoundTrips(t *testing.T) {
	s, c := countedStore(t)
	ctx := t.Context()
	single := 0
	for i := range 10 {
		c.take()
		info, err := s.PutObject(ctx, "bkt", "k", io.LimitReader(strings.NewReader("0123456789"), 10), storage.PutOptions{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		reqs := c.take()
		switch {
		case len(reqs) == 1:
			single++
		case len(reqs) != 2 || !strings.HasPrefix(reqs[1], http.MethodHead):
			t.Fatalf("PUT %d: upstream requests %v, want a PUT and at most a HEAD", i, reqs)
		}
		st, _, err := s.StatObject(ctx, "bkt", "k", storage.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !st.LastModified.Equal(info.LastModified) {
			t.Errorf("PUT %d: Last-Modified %v, the store's %v", i, info.LastModified, st.LastModified)
		}
	}
	if single == 0 {
		t.Errorf("none of 10 PUTs was a single upstream request")
	}
}

// TestListRoundTrips: a page of ListObjects is one upstream request; only
// a caller that asks for checksums (ListObjectVersions shows them) pays a
// HEAD per object listed, and gets them.
func TestListRoundTrips(t *testing.T) {
	s, c := countedStore(t)
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := s.PutObject(ctx, "bkt", k, strings.NewReader(k), storage.PutOptions{Size: 1,
			Metadata: storage.Metadata{Checksums: map[string]string{"crc32": "AAAAAA=="}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sums := range []bool{false, true} {
		c.take()
		res, err := s.ListObjects(ctx, "bkt", storage.ListOptions{Limit: 10, Checksums: sums})
		if err != nil {
			t.Fatal(err)
		}
		reqs := c.take()
		want := 1
		if sums {
			want = 1 + len(res.Objects)
		}
		if len(res.Objects) != 3 || len(reqs) != want {
			t.Errorf("Checksums %v: %d objects in %d upstream requests %v; want 3 in %d", sums, len(res.Objects), len(reqs), reqs, want)
		}
		for _, o := range res.Objects {
			if got := o.Checksums["crc32"] == "AAAAAA==" && o.ChecksumType == "FULL_OBJECT"; got != sums {
				t.Errorf("Checksums %v: %s lists checksums %v (%s)", sums, o.Key, o.Checksums, o.ChecksumType)
			}
		}
	}
}
