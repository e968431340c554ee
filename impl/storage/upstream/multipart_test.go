package upstream_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/storage"
)

// The battery's multipart cases use parts of a few bytes, which a real S3
// store refuses at completion (every part but the last must be 5 MiB).
// TestMultipart covers the same ground with a first part of 5 MiB.

func sumOf(alg string, parts ...string) string {
	h := checksum.New(alg)
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func compositeOf(alg string, parts ...string) string {
	h := checksum.New(alg)
	for _, p := range parts {
		raw := checksum.New(alg)
		raw.Write([]byte(p))
		h.Write(raw.Sum(nil))
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts))
}

func etagOf(parts ...string) string {
	var all []byte
	for _, p := range parts {
		h := md5.Sum([]byte(p))
		all = append(all, h[:]...)
	}
	h := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h[:]), len(parts))
}

func md5Of(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestMultipart(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const bkt = "bkt"
	if err := s.CreateBucket(ctx, bkt); err != nil {
		t.Fatal(err)
	}
	first := strings.Repeat("a", 5<<20)
	bodies := []string{first, "tail"}
	whole := first + "tail"
	meta := storage.Metadata{ContentType: "text/x", Headers: map[string]string{"Content-Language": "en"}, User: map[string]string{"m": "v"}}
	for _, c := range []struct {
		alg, typ string
		sums     map[string]string // stored
		answered map[string]string // answered by the completion
	}{
		{"", "", nil, map[string]string{"crc64nvme": sumOf("crc64nvme", whole)}},
		{"crc32", "COMPOSITE", map[string]string{"crc32": compositeOf("crc32", bodies...)}, nil},
		{"crc32c", "FULL_OBJECT", map[string]string{"crc32c": sumOf("crc32c", whole)}, nil},
	} {
		t.Run(c.alg+" "+c.typ, func(t *testing.T) {
			key := "k-" + c.alg
			if c.answered == nil {
				c.answered = c.sums
			}
			up, err := s.CreateUpload(ctx, bkt, key, storage.UploadOptions{Metadata: meta, ChecksumAlgorithm: c.alg, ChecksumType: c.typ})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetUpload(ctx, bkt, key, up.ID)
			if err != nil || got.ChecksumAlgorithm != c.alg || got.Metadata.ContentType != "text/x" || !got.Initiated.Equal(up.Initiated) {
				t.Errorf("GetUpload = %+v, %v; want %+v", got, err, up)
			}
			var parts []storage.CompletedPart
			for i, body := range bodies {
				var opts storage.PartOptions
				opts.Size = int64(len(body))
				want := map[string]string{}
				if c.alg != "" {
					want[c.alg] = sumOf(c.alg, body)
					opts.LateChecksums = func() map[string]string { return want }
				} else {
					def := sumOf("crc64nvme", body)
					opts.DefaultChecksum = func() string { return def }
				}
				p, err := s.PutPart(ctx, bkt, key, up.ID, i+1, strings.NewReader(body), opts)
				if err != nil {
					t.Fatal(err)
				}
				if p.ETag != md5Of(body) || p.Size != int64(len(body)) || len(p.Checksums) != len(want) {
					t.Errorf("PutPart %d = %+v", i+1, p)
				}
				parts = append(parts, storage.CompletedPart{Number: p.Number, ETag: p.ETag, Checksums: p.Checksums})
			}
			l, err := s.ListParts(ctx, bkt, key, up.ID, 0, 1)
			if err != nil || len(l.Parts) != 1 || !l.Truncated || l.Next != 1 || l.Parts[0].ETag != parts[0].ETag {
				t.Errorf("ListParts page = %+v, %v", l, err)
			}
			info, err := s.CompleteUpload(ctx, bkt, key, up.ID, parts, storage.CompleteOptions{MinPartSize: 5 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if info.ETag != etagOf(bodies...) || info.Size != int64(len(whole)) || info.PartsCount != 2 || fmt.Sprint(info.Checksums) != fmt.Sprint(c.answered) {
				t.Errorf("CompleteUpload = %+v; want ETag %s, checksums %v", info, etagOf(bodies...), c.answered)
			}
			again, err := s.CompleteUpload(ctx, bkt, key, up.ID, parts, storage.CompleteOptions{})
			if err != nil || again.ETag != info.ETag {
				t.Errorf("retried completion = %+v, %v", again, err)
			}
			st, _, err := s.StatObject(ctx, bkt, key, storage.ReadOptions{})
			if err != nil || st.ETag != info.ETag || st.PartsCount != 2 || fmt.Sprint(st.Checksums) != fmt.Sprint(c.sums) || st.ContentType != "text/x" || st.User["m"] != "v" {
				t.Errorf("StatObject = %+v, %v", st, err)
			}
			o, err := s.OpenObject(ctx, bkt, key, storage.ReadOptions{PartNumber: 2})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			o.WriteTo(&buf)
			o.Close()
			if want := (storage.Section{Start: 5 << 20, Length: 4, Partial: true, PartsCount: 2}); o.Section() != want || buf.String() != "tail" {
				t.Errorf("part 2: %+v %q", o.Section(), buf.String())
			}
			o, err = s.OpenObject(ctx, bkt, key, storage.ReadOptions{Range: &storage.RangeSpec{First: 5<<20 - 2, Last: 5<<20 + 1}})
			if err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			o.WriteTo(&buf)
			o.Close()
			if buf.String() != "aata" {
				t.Errorf("range across parts: %q", buf.String())
			}
			cp, err := s.CopyObject(ctx, storage.ObjectRef{Bucket: bkt, Key: key}, storage.ObjectRef{Bucket: bkt, Key: key + "-copy"}, storage.CopyOptions{})
			wantCopy := c.sums
			if c.typ == "COMPOSITE" {
				wantCopy = nil
			}
			if err != nil || cp.ETag != md5Of(whole) || fmt.Sprint(cp.Checksums) != fmt.Sprint(wantCopy) {
				t.Errorf("copy of the multipart object = %+v, %v", cp, err)
			}
		})
	}
	t.Run("CopyPart", func(t *testing.T) {
		if _, err := s.PutObject(ctx, bkt, "src", strings.NewReader("0123456789"), storage.PutOptions{Size: 10}); err != nil {
			t.Fatal(err)
		}
		up, err := s.CreateUpload(ctx, bkt, "dst", storage.UploadOptions{ChecksumAlgorithm: "sha1", ChecksumType: "COMPOSITE"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CopyPart(ctx, storage.ObjectRef{Bucket: bkt, Key: "src"}, bkt, "dst", up.ID, 1, storage.CopyPartOptions{Ranged: true, First: 2, Last: 5})
		if err != nil {
			t.Fatal(err)
		}
		if p.ETag != md5Of("2345") || p.Size != 4 || p.Checksums["sha1"] != sumOf("sha1", "2345") {
			t.Errorf("CopyPart = %+v", p)
		}
		info, err := s.CompleteUpload(ctx, bkt, "dst", up.ID, []storage.CompletedPart{{Number: 1, ETag: p.ETag}}, storage.CompleteOptions{})
		if err != nil || info.Checksums["sha1"] != compositeOf("sha1", "2345") {
			t.Errorf("completion of a copied part = %+v, %v", info, err)
		}
	})
}
