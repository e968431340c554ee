package upstream_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/upstream"
)

// errBody is a body's failure at its end, as the API layer's verifying
// readers report one.
var errBody = errors.New("body failed verification")

// tailFails returns data, then errBody instead of io.EOF.
type tailFails struct{ r io.Reader }

func (f *tailFails) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = errBody
	}
	return n, err
}

// onlyReader hides a body's other methods (WriteTo, Seek), as the API
// layer's readers do.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestLargeBodies covers what the battery's small bodies do not reach:
// bodies beyond the 8 MiB buffer stream (declared size) or spill to a file
// (unknown size), and still commit only after a clean end.
func TestLargeBodies(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16) // 9 MiB
	sum := md5.Sum(big)
	n := int64(len(big))
	for _, c := range []struct {
		name string
		body func() io.Reader
		opts storage.PutOptions
		want error // nil: stored
	}{
		{"streamed", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n}, nil},
		{"streamed, late checksums", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n,
			Metadata:      storage.Metadata{Checksums: map[string]string{"sha1": "early"}},
			LateChecksums: func() map[string]string { return map[string]string{"crc32": "late"} }}, nil},
		{"streamed with Content-MD5", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n, ContentMD5: sum[:]}, nil},
		{"spilled", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: -1}, nil},
		{"streamed, failing at the end", func() io.Reader { return &tailFails{bytes.NewReader(big)} }, storage.PutOptions{Size: n}, errBody},
		{"spilled, failing at the end", func() io.Reader { return &tailFails{bytes.NewReader(big)} }, storage.PutOptions{Size: -1}, errBody},
		{"streamed, Content-MD5 mismatch", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n, ContentMD5: make([]byte, 16)}, storage.ErrBadDigest},
		{"streamed, shorter than declared", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n + 1}, storage.ErrIncompleteBody},
		{"streamed, longer than declared", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: n - 1}, storage.ErrIncompleteBody},
		{"spilled, longer than MaxSize", func() io.Reader { return onlyReader{bytes.NewReader(big)} }, storage.PutOptions{Size: -1, MaxSize: n - 1}, storage.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := strings.ReplaceAll(c.name, " ", "-")
			info, err := s.PutObject(ctx, "bkt", key, c.body(), c.opts)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("PutObject = %v, want %v", err, c.want)
				}
				if _, _, err := s.StatObject(ctx, "bkt", key, storage.ReadOptions{}); !errors.Is(err, storage.ErrNoSuchKey) {
					t.Errorf("after the refused write StatObject = %v, want ErrNoSuchKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != n || info.ETag != string(hexOf(sum[:])) {
				t.Errorf("PutObject = %+v", info)
			}
			st, _, err := s.StatObject(ctx, "bkt", key, storage.ReadOptions{})
			if err != nil || fmt.Sprint(st.Checksums) != fmt.Sprint(info.Checksums) || st.ChecksumType != info.ChecksumType {
				t.Errorf("StatObject = %+v, %v; PutObject said %+v", st, err, info)
			}
			if c.opts.LateChecksums != nil && st.Checksums["crc32"] != "late" {
				t.Errorf("late checksums not kept: %+v", st.Checksums)
			}
			o, err := s.OpenObject(ctx, "bkt", key, storage.ReadOptions{Range: &storage.RangeSpec{First: n - 5, Last: -1}})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			var buf bytes.Buffer
			if _, err := o.WriteTo(&buf); err != nil || buf.String() != string(big[n-5:]) {
				t.Errorf("tail %q, %v", buf.String(), err)
			}
		})
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// TestReservedMetadata: a client's key in the gateway's reserved prefix is
// kept as the client's, and cannot pose as the gateway's records.
func TestReservedMetadata(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	meta := storage.Metadata{
		User:    map[string]string{"s3gw-content-type": "not mine", "s3gw-ck-crc32": "AAAAAA==", "plain": "v"},
		Headers: map[string]string{"Expires": "Thu, 01 Dec 1994 16:00:00 GMT", "Content-Encoding": "gzip"},
	}
	if _, err := s.PutObject(ctx, "bkt", "k", strings.NewReader("x"), storage.PutOptions{Size: 1, Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	info, _, err := s.StatObject(ctx, "bkt", "k", storage.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "" || len(info.Checksums) != 0 || len(info.User) != 3 || info.User["s3gw-content-type"] != "not mine" ||
		info.Headers["Expires"] != meta.Headers["Expires"] || info.Headers["Content-Encoding"] != "gzip" {
		t.Errorf("metadata read back: %+v", info.Metadata)
	}
}

// TestUnavailable: a store that cannot be reached is an error at Open
// within its deadline, and ErrUnavailable afterwards.
func TestUnavailable(t *testing.T) {
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = upstream.Open(t.Context(), upstream.Options{Endpoint: "http://" + ln.Addr().String(), AccessKey: "a", SecretKey: "bkt", OpenTimeout: 300 * time.Millisecond})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("Open of a silent store = %v after %v, want an error within the deadline", err, time.Since(start))
	}

	// A store that was there and went away.
	srv := newUpstream(t)
	s, err := upstream.Open(t.Context(), upstream.Options{Endpoint: srv.URL, AccessKey: accessKey, SecretKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.HeadBucket(ctx, "bkt"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("HeadBucket of a store gone away: %v, want ErrUnavailable", err)
	}
	if _, err := s.PutObject(ctx, "bkt", "k", strings.NewReader("x"), storage.PutOptions{Size: 1}); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("PutObject to a store gone away: %v, want ErrUnavailable", err)
	}
}

// TestMetadataAtTheLimit: user metadata up to the store's 2 KiB leaves no
// room for the gateway's keys, which then live in a record; every way of
// writing an object keeps them.
func TestMetadataAtTheLimit(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{2000, 2043, 2048} { // with and without room for the marker
		meta := storage.Metadata{
			ContentType: "text/plain",
			Headers:     map[string]string{"Cache-Control": "no-cache"},
			User:        map[string]string{"big": strings.Repeat("v", size-len("big"))},
			Checksums:   map[string]string{"crc32": "AAAAAA=="},
		}
		key := fmt.Sprint("k", size)
		if _, err := s.PutObject(ctx, "bkt", key, strings.NewReader("x"), storage.PutOptions{Size: 1, Metadata: meta}); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		check := func(key string) {
			t.Helper()
			info, _, err := s.StatObject(ctx, "bkt", key, storage.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.ContentType != "text/plain" || info.Headers["Cache-Control"] != "no-cache" || info.User["big"] != meta.User["big"] ||
				info.Checksums["crc32"] != "AAAAAA==" || info.ChecksumType != "FULL_OBJECT" || len(info.User) != 1 {
				t.Errorf("%s: metadata read back %+v", key, info.Metadata)
			}
		}
		check(key)
		if _, err := s.CopyObject(ctx, storage.ObjectRef{Bucket: "bkt", Key: key}, storage.ObjectRef{Bucket: "bkt", Key: key + "-copy"}, storage.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		check(key + "-copy")
	}
}
