package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/conformance"
)

var allWorkloads = []string{"put-4k", "get-4k", "put-1m", "get-1m", "put-16m", "get-16m", "put-64m", "get-64m", "list", "list-delim", "multipart-1g"}

// result is one workload's measurements.
type result struct {
	ops     int64 // operations, or keys for listings
	bytes   int64
	elapsed time.Duration
	lat     []time.Duration
	peakRSS int64
}

func (r result) opsPerSec() float64 { return float64(r.ops) / r.elapsed.Seconds() }
func (r result) mibPerSec() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

func (r result) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

// bench runs workloads against one endpoint.
type bench struct {
	client      *s3.Client
	concurrency int
	duration    time.Duration
	pid         int
	// populated holds the bucket each read workload filled, reused when
	// the workload runs again.
	populated map[string]string
}

// newBench makes a client that measures the server rather than itself: no
// client-side checksums and UNSIGNED-PAYLOAD (the body is not hashed twice
// on a 2-core machine the server shares); requests are still signed.
func newBench(t *conformance.Target, concurrency int, d time.Duration, pid int) *bench {
	client := conformance.NewSDKClient(t, t.Full, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	return &bench{client: client, concurrency: concurrency, duration: d, pid: pid, populated: map[string]string{}}
}

func (b *bench) bucket(ctx context.Context, name string) (string, error) {
	bucket := fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano()%1e9)
	_, err := b.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return bucket, err
}

func (b *bench) run(ctx context.Context, w string) (result, error) {
	switch w {
	case "put-4k":
		return b.puts(ctx, 4<<10)
	case "get-4k":
		return b.gets(ctx, 4<<10, 1000)
	case "put-1m":
		return b.puts(ctx, 1<<20)
	case "get-1m":
		return b.gets(ctx, 1<<20, 64)
	case "put-16m":
		return b.puts(ctx, 16<<20)
	case "get-16m":
		return b.gets(ctx, 16<<20, 16)
	case "put-64m":
		return b.puts(ctx, 64<<20)
	case "get-64m":
		return b.gets(ctx, 64<<20, 8)
	case "list":
		return b.list(ctx, "")
	case "list-delim":
		return b.list(ctx, "/")
	case "multipart-1g":
		return b.multipart(ctx, 1<<30)
	}
	return result{}, fmt.Errorf("unknown workload %s", w)
}

func payload(size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// loop runs op from concurrency workers for the duration and gathers
// latencies; op returns the bytes it moved.
func (b *bench) loop(ctx context.Context, op func(worker, i int) (int64, error)) (result, error) {
	b.resetPeakRSS()
	var wg sync.WaitGroup
	lats := make([][]time.Duration, b.concurrency)
	moved := make([]int64, b.concurrency)
	errs := make([]error, b.concurrency)
	deadline := time.Now().Add(b.duration)
	start := time.Now()
	for w := 0; w < b.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				t := time.Now()
				n, err := op(w, i)
				if err != nil {
					errs[w] = err
					return
				}
				lats[w] = append(lats[w], time.Since(t))
				moved[w] += n
			}
		}(w)
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), peakRSS: b.peakRSS()}
	for w := range lats {
		if errs[w] != nil {
			return r, errs[w]
		}
		r.lat = append(r.lat, lats[w]...)
		r.bytes += moved[w]
	}
	r.ops = int64(len(r.lat))
	slices.Sort(r.lat)
	return r, nil
}

func (b *bench) puts(ctx context.Context, size int) (result, error) {
	bucket, err := b.bucket(ctx, "put")
	if err != nil {
		return result{}, err
	}
	body := payload(size)
	r, err := b.loop(ctx, func(w, i int) (int64, error) {
		_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("w%d/%08d", w, i)),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(size)),
		})
		return int64(size), err
	})
	// What a PUT workload wrote goes again, untimed: runs repeated over a
	// store of bounded size (Ceph's OSD file) must not fill it.
	if cerr := b.remove(ctx, bucket); cerr != nil {
		fmt.Fprintf(os.Stderr, "s3bench: cleaning up %s: %v\n", bucket, cerr)
	}
	return r, err
}

// remove deletes a bucket and every object in it.
func (b *bench) remove(ctx context.Context, bucket string) error {
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		out, err := b.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: del})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("deleting %s: %s", aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Code))
		}
	}
	_, err := b.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	return err
}

func (b *bench) gets(ctx context.Context, size, objects int) (result, error) {
	bucket, err := b.filled(ctx, fmt.Sprintf("get-%d", size), "get", objects, func(i int) string { return fmt.Sprintf("obj-%06d", i) }, payload(size))
	if err != nil {
		return result{}, err
	}
	buf := make([][]byte, b.concurrency)
	for i := range buf {
		buf[i] = make([]byte, 256<<10)
	}
	return b.loop(ctx, func(w, i int) (int64, error) {
		out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("obj-%06d", (i*b.concurrency+w)%objects))})
		if err != nil {
			return 0, err
		}
		n, err := io.CopyBuffer(io.Discard, out.Body, buf[w])
		out.Body.Close()
		return n, err
	})
}

// filled returns a bucket holding n objects named by name with body: the
// one made for the same use (id) on an earlier run, or a new one.
func (b *bench) filled(ctx context.Context, id, prefix string, n int, name func(int) string, body []byte) (string, error) {
	if bucket, ok := b.populated[id]; ok {
		return bucket, nil
	}
	bucket, err := b.bucket(ctx, prefix)
	if err != nil {
		return "", err
	}
	if err := b.populate(ctx, bucket, n, name, body); err != nil {
		return "", err
	}
	b.populated[id] = bucket
	return bucket, nil
}

// populate stores n objects with body, concurrently.
func (b *bench) populate(ctx context.Context, bucket string, n int, name func(int) string, body []byte) error {
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for w := 0; w < max(b.concurrency, 16); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(name(i)), Body: bytes.NewReader(body)})
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("populate: %w", err)
	}
	return nil
}

// list pages through a 10 000-key bucket (100 "directories" of 100 keys)
// again and again; keys (and common prefixes) returned count as ops.
func (b *bench) list(ctx context.Context, delimiter string) (result, error) {
	name := func(i int) string { return fmt.Sprintf("dir%03d/key-%05d", i/100, i) }
	bucket, err := b.filled(ctx, "list", "list", 10000, name, []byte("x"))
	if err != nil {
		return result{}, err
	}
	var keys atomic.Int64
	r, err := b.loop(ctx, func(w, i int) (int64, error) {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
		if delimiter != "" {
			in.Delimiter = aws.String(delimiter)
			in.Prefix = aws.String(fmt.Sprintf("dir%03d/", (i*b.concurrency+w)%100))
		}
		p := s3.NewListObjectsV2Paginator(b.client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return 0, err
			}
			keys.Add(int64(len(page.Contents) + len(page.CommonPrefixes)))
		}
		return 0, nil
	})
	r.ops = keys.Load()
	return r, err
}

// multipart uploads size bytes with the SDK's upload manager (16 MiB parts,
// the bench's concurrency), repeatedly until the duration is spent.
func (b *bench) multipart(ctx context.Context, size int64) (result, error) {
	bucket, err := b.bucket(ctx, "mp")
	if err != nil {
		return result{}, err
	}
	body := payload(16 << 20)
	up := manager.NewUploader(b.client, func(u *manager.Uploader) {
		u.PartSize = 16 << 20
		u.Concurrency = b.concurrency
	})
	saved := b.concurrency
	b.concurrency = 1 // one upload at a time; its parts go in parallel
	defer func() { b.concurrency = saved }()
	return b.loop(ctx, func(w, i int) (int64, error) {
		_, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big-" + strconv.Itoa(i)),
			Body: &repeatReader{block: body, left: size}})
		return size, err
	})
}

// repeatReader yields left bytes by repeating block.
type repeatReader struct {
	block []byte
	left  int64
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), r.left)], r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	r.left -= int64(n)
	return n, nil
}

// resetPeakRSS clears the launched gateway's VmHWM so each workload reports
// its own peak (Linux: writing 5 to clear_refs).
func (b *bench) resetPeakRSS() {
	if b.pid > 0 {
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", b.pid), []byte("5"), 0)
	}
}

func (b *bench) peakRSS() int64 {
	if b.pid <= 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
