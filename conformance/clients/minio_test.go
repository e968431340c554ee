package clients

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/s3gw/gateway/conformance/launch"
)

// minio-go (github.com/minio/minio-go/v7) against the launched gateway,
// over HTTP and HTTPS. Its uploads are aws-chunked with a trailing checksum
// (signed over HTTP, STREAMING-UNSIGNED-PAYLOAD-TRAILER over HTTPS) whose
// trailer line ends in a bare LF before the CRLF, a form S3 accepts
// (minio/minio-go#1817); multipart uploads send the algorithm at creation
// and each part's checksum. The client computes every checksum itself, so
// each check compares what the gateway kept with what the client sent.

// minioAlgorithms are the checksums minio-go can send.
var minioAlgorithms = []minio.ChecksumType{
	minio.ChecksumCRC32, minio.ChecksumCRC32C, minio.ChecksumCRC64NVME, minio.ChecksumSHA1,
	minio.ChecksumSHA256, minio.ChecksumSHA512, minio.ChecksumMD5,
	minio.ChecksumXXHash64, minio.ChecksumXXHash3, minio.ChecksumXXHash128,
}

// minioChecksum picks an algorithm's value from minio-go's fields.
func minioChecksum(c minio.ChecksumType, crc32, crc32c, sha1, sha256, crc64nvme, md5, sha512, xx64, xx3, xx128 string) string {
	switch {
	case c.Is(minio.ChecksumCRC32):
		return crc32
	case c.Is(minio.ChecksumCRC32C):
		return crc32c
	case c.Is(minio.ChecksumSHA1):
		return sha1
	case c.Is(minio.ChecksumSHA256):
		return sha256
	case c.Is(minio.ChecksumCRC64NVME):
		return crc64nvme
	case c.Is(minio.ChecksumMD5):
		return md5
	case c.Is(minio.ChecksumSHA512):
		return sha512
	case c.Is(minio.ChecksumXXHash64):
		return xx64
	case c.Is(minio.ChecksumXXHash3):
		return xx3
	case c.Is(minio.ChecksumXXHash128):
		return xx128
	}
	return ""
}

func statChecksum(c minio.ChecksumType, o minio.ObjectInfo) string {
	return minioChecksum(c, o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumCRC64NVME,
		o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHash64, o.ChecksumXXHash3, o.ChecksumXXHash128)
}

// newMinioClient starts a gateway serving S3 at the root (minio-go takes no
// path prefix) and returns a minio-go client for it, trusting its
// certificate over TLS.
func newMinioClient(t *testing.T, useTLS bool) (*minio.Client, *http.Client) {
	t.Helper()
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), TLS: useTLS, Env: map[string]string{"S3_PATH_PREFIX": "/"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	tg := g.Target()
	u, err := url.Parse(tg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if useTLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(tg.CAPEM)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	mc, err := minio.New(u.Host, &minio.Options{
		Creds:           credentials.NewStaticV4(tg.Full.AccessKey, tg.Full.SecretKey, ""),
		Secure:          useTLS,
		Transport:       tr,
		Region:          tg.Region,
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return mc, &http.Client{Transport: tr, Timeout: time.Minute}
}

// TestMinioGo: minio-go puts objects with every checksum it knows (the
// gateway keeps each and returns it in checksum mode), uploads a file in
// parts with composite and full-object checksums, lists, and fetches a
// presigned GET, over HTTP and HTTPS.
func TestMinioGo(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[useTLS], func(t *testing.T) {
			testMinioGo(t, useTLS)
		})
	}
}

func testMinioGo(t *testing.T, useTLS bool) {
	ctx := context.Background()
	mc, hc := newMinioClient(t, useTLS)
	const bucket = "minio-go"
	if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("minio-go checksummed bytes\n"), 4000)
	var keys []string
	for _, c := range minioAlgorithms {
		key := "put/" + strings.ToLower(c.String())
		keys = append(keys, key)
		up, err := mc.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{Checksum: c})
		if err != nil {
			t.Fatalf("PutObject with %s: %v", c, err)
		}
		want := c.EncodeToString(data)
		sent := minioChecksum(c, up.ChecksumCRC32, up.ChecksumCRC32C, up.ChecksumSHA1, up.ChecksumSHA256, up.ChecksumCRC64NVME,
			up.ChecksumMD5, up.ChecksumSHA512, up.ChecksumXXHash64, up.ChecksumXXHash3, up.ChecksumXXHash128)
		if sent != want {
			t.Errorf("PutObject with %s answered checksum %q, want %q", c, sent, want)
		}
		st, err := mc.StatObject(ctx, bucket, key, minio.StatObjectOptions{Checksum: true})
		if err != nil {
			t.Fatalf("StatObject %s: %v", key, err)
		}
		if got := statChecksum(c, st); got != want {
			t.Errorf("StatObject %s in checksum mode: %s = %q, want %q", key, c, got, want)
		}
		minioWantBody(t, mc, bucket, key, data)
	}

	// FPutObject uploads a file over 16 MiB in parts of PartSize.
	dir := t.TempDir()
	file := filepath.Join(dir, "big.bin")
	big := make([]byte, 17<<20+12345)
	for i := range big {
		big[i] = byte(i*31 + i>>11)
	}
	if err := os.WriteFile(file, big, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []minio.ChecksumType{minio.ChecksumCRC32C, minio.ChecksumFullObjectCRC32,
		minio.ChecksumCRC64NVME, minio.ChecksumSHA256, minio.ChecksumXXHash3} {
		key := "multipart/" + strings.ToLower(c.String())
		if c.FullObjectRequested() {
			key += "-full-object"
		}
		keys = append(keys, key)
		if _, err := mc.FPutObject(ctx, bucket, key, file, minio.PutObjectOptions{Checksum: c, PartSize: 5 << 20}); err != nil {
			t.Fatalf("FPutObject with %s: %v", c, err)
		}
		st, err := mc.StatObject(ctx, bucket, key, minio.StatObjectOptions{Checksum: true})
		if err != nil {
			t.Fatalf("StatObject %s: %v", key, err)
		}
		got := statChecksum(c, st)
		want, mode := minioComposite(c, big, 5<<20), "COMPOSITE"
		if c.FullObjectRequested() {
			want, mode = c.EncodeToString(big), "FULL_OBJECT"
		}
		if got != want || st.ChecksumMode != mode {
			t.Errorf("StatObject %s in checksum mode: %s %q (%s), want %q (%s)", key, c, got, st.ChecksumMode, want, mode)
		}
		minioWantBody(t, mc, bucket, key, big)
	}

	var listed []string
	for o := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		listed = append(listed, o.Key)
	}
	if len(listed) != len(keys) {
		t.Errorf("ListObjects listed %d keys %q, want %d", len(listed), listed, len(keys))
	}

	u, err := mc.PresignedGetObject(ctx, bucket, keys[0], 5*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("presigned GET: status %d, %d bytes, %v", resp.StatusCode, len(got), err)
	}
}

// minioComposite is S3's COMPOSITE checksum of data uploaded in parts of
// partSize: the checksum of the parts' binary checksums, then "-N".
func minioComposite(c minio.ChecksumType, data []byte, partSize int) string {
	whole := c.Hasher()
	n := 0
	for off := 0; off < len(data); off += partSize {
		h := c.Hasher()
		h.Write(data[off:min(off+partSize, len(data))])
		whole.Write(h.Sum(nil))
		n++
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(whole.Sum(nil)), n)
}

func minioWantBody(t *testing.T, mc *minio.Client, bucket, key string, want []byte) {
	t.Helper()
	obj, err := mc.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GetObject %s: %d bytes, want %d (%v)", key, len(got), len(want), err)
	}
}
