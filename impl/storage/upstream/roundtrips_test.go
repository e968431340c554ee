package upstream_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
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
		// Spread over a second: PUTs in a burst could all fall in the
		// margins at a second's edges, where a HEAD is right.
		time.Sleep(97 * time.Millisecond)
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
	// A caller that does not use the Last-Modified never waits for a HEAD.
	for i := range 10 {
		time.Sleep(97 * time.Millisecond)
		c.take()
		if _, err := s.PutObject(ctx, "bkt", "k", strings.NewReader("0123456789"), storage.PutOptions{Size: 10, NoModTime: true}); err != nil {
			t.Fatal(err)
		}
		if reqs := c.take(); len(reqs) != 1 {
			t.Fatalf("PUT %d without Last-Modified: upstream requests %v, want one", i, reqs)
		}
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

// TestStreamedPutRoundTrips: a body too large to buffer streams to the
// store. Checksums known before it (sent as headers) travel with it, so
// its PUT and each later read are one request; checksums known only at
// its end cost a record written after the PUT and read with each GET.
func TestStreamedPutRoundTrips(t *testing.T) {
	s, c := countedStore(t)
	ctx := t.Context()
	body := bytes.Repeat([]byte("s"), 9<<20)
	sum := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)))
	n := int64(len(body))
	for _, tc := range []struct {
		name       string
		opts       storage.PutOptions
		puts, gets int
	}{
		{"declared", storage.PutOptions{Size: n, Metadata: storage.Metadata{Checksums: map[string]string{"crc32": sum}}}, 1, 1},
		{"late", storage.PutOptions{Size: n, LateChecksums: func() map[string]string { return map[string]string{"crc32": sum} }}, 2, 2},
	} {
		c.take()
		if _, err := s.PutObject(ctx, "bkt", tc.name, bytes.NewReader(body), tc.opts); err != nil {
			t.Fatal(err)
		}
		if puts := count(c.take(), http.MethodPut); puts != tc.puts {
			t.Errorf("%s: %d upstream PUTs, want %d", tc.name, puts, tc.puts)
		}
		if info := readCounted(t, s, c, tc.name, storage.ReadOptions{}, tc.gets); info.Checksums["crc32"] != sum {
			t.Errorf("%s: read checksum %q, want %q", tc.name, info.Checksums["crc32"], sum)
		}
		// A read that shows no checksums does not fetch their record.
		readCounted(t, s, c, tc.name, storage.ReadOptions{SkipChecksums: true}, 1)
	}
}

// readCounted reads key whole and checks how many upstream requests that
// took.
func readCounted(t *testing.T, s *upstream.Store, c *counter, key string, opts storage.ReadOptions, want int) storage.ObjectInfo {
	t.Helper()
	c.take()
	obj, err := s.OpenObject(t.Context(), "bkt", key, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.WriteTo(io.Discard); err != nil {
		t.Fatal(err)
	}
	obj.Close()
	if reqs := c.take(); len(reqs) != want {
		t.Errorf("%s %+v: upstream requests %v, want %d", key, opts, reqs, want)
	}
	return obj.Info()
}

// TestMultipartReadRoundTrips: a multipart object's manifest (part sizes
// and checksums) is read with the object when the read shows checksums or
// selects a part, and not otherwise.
func TestMultipartReadRoundTrips(t *testing.T) {
	s, c := countedStore(t)
	ctx := t.Context()
	up, err := s.CreateUpload(ctx, "bkt", "mp", storage.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []storage.CompletedPart
	for i, body := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")} {
		p, err := s.PutPart(ctx, "bkt", "mp", up.ID, i+1, bytes.NewReader(body), storage.PartOptions{Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, storage.CompletedPart{Number: p.Number, ETag: p.ETag})
	}
	if _, err := s.CompleteUpload(ctx, "bkt", "mp", up.ID, parts, storage.CompleteOptions{MinPartSize: 5 << 20}); err != nil {
		t.Fatal(err)
	}
	if info := readCounted(t, s, c, "mp", storage.ReadOptions{}, 2); info.PartsCount != 2 {
		t.Errorf("parts count %d", info.PartsCount)
	}
	if info := readCounted(t, s, c, "mp", storage.ReadOptions{SkipChecksums: true}, 1); info.PartsCount != 2 || info.Size != 5<<20+4 {
		t.Errorf("lean read: parts count %d, size %d", info.PartsCount, info.Size)
	}
	c.take()
	obj, err := s.OpenObject(ctx, "bkt", "mp", storage.ReadOptions{PartNumber: 2, SkipChecksums: true})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := obj.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	obj.Close()
	if got.String() != "tail" {
		t.Errorf("part 2 read %q", got.String())
	}
	// The part's bytes are known from the manifest: HEAD, manifest, GET.
	if reqs := c.take(); len(reqs) != 3 {
		t.Errorf("a lean read of part 2: upstream requests %v, want 3", reqs)
	}
}

// count is how many of reqs have the method.
func count(reqs []string, method string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}
