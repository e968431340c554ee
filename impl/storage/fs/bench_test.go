package fs

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/s3gw/gateway/impl/storage"
)

// BenchmarkCompleteUpload measures CompleteMultipartUpload alone (uploading
// the parts is outside the timer), with fsync on: 100 parts making 1 GiB
// against 2 parts making 10 MiB. Completion writes one index entry whatever
// the size, so both should cost about the same. Each iteration of the 1 GiB
// case writes 1 GiB of parts first: run it with -benchtime=3x.
func BenchmarkCompleteUpload(b *testing.B) {
	for _, c := range []struct {
		name     string
		parts    int
		partSize int
	}{
		{"1GiB-100parts", 100, (1 << 30) / 100},
		{"10MiB-2parts", 2, 5 << 20},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			s, err := Open(Options{DataDir: filepath.Join(dir, "d"), MetaFile: filepath.Join(dir, "i.db"), Fsync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			if err := s.CreateBucket(ctx, "b"); err != nil {
				b.Fatal(err)
			}
			data := bytes.Repeat([]byte("0123456789abcdef"), c.partSize/16+1)[:c.partSize]
			b.ReportMetric(float64(c.parts*c.partSize)/(1<<20), "MiB/object")
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				key := fmt.Sprintf("k%d", i)
				up, err := s.CreateUpload(ctx, "b", key, storage.UploadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				var list []storage.CompletedPart
				for n := 1; n <= c.parts; n++ {
					p, err := s.PutPart(ctx, "b", key, up.ID, n, bytes.NewReader(data), storage.PartOptions{Size: int64(len(data))})
					if err != nil {
						b.Fatal(err)
					}
					list = append(list, storage.CompletedPart{Number: n, ETag: p.ETag})
				}
				b.StartTimer()
				if _, err := s.CompleteUpload(ctx, "b", key, up.ID, list, storage.CompleteOptions{MinPartSize: 5 << 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutSmall measures durable 4 KiB PUTs (fsync on, inline) from 8
// concurrent writers at the storage layer, without HTTP: what the group
// commit can do. It reports PUTs per index commit.
func BenchmarkPutSmall(b *testing.B) {
	for _, inline := range []int64{0, 32 << 10} {
		b.Run(fmt.Sprintf("inline=%d", inline), func(b *testing.B) {
			dir := b.TempDir()
			s, err := Open(Options{DataDir: filepath.Join(dir, "d"), MetaFile: filepath.Join(dir, "i.db"), Fsync: true, InlineMaxBytes: inline})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			s.CreateBucket(ctx, "b")
			body := bytes.Repeat([]byte("x"), 4096)
			var seq atomic.Int64
			commits := s.Commits()
			b.SetParallelism(4) // 8 writers on 2 CPUs
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("k%09d", seq.Add(1))
					if _, err := s.PutObject(ctx, "b", key, bytes.NewReader(body), storage.PutOptions{Size: 4096}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/float64(s.Commits()-commits), "puts/commit")
		})
	}
}
