package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// patternReader yields n bytes from a repeated random block, each block
// salted with its index so no two blocks are equal.
type patternReader struct {
	block []byte
	n     int64
	off   int64
}

func newPatternReader(n int64) *patternReader {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &patternReader{block: b, n: n}
}

func (p *patternReader) Read(buf []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	bs := int64(len(p.block))
	i := p.off % bs
	k := copy(buf, p.block[i:min(bs, i+p.n-p.off)])
	if i == 0 && k > 0 {
		buf[0] ^= byte(p.off / bs) // salt the block
	}
	p.off += int64(k)
	return k, nil
}

// TestLargeObjectMemory streams a 1 GiB object in and out and checks the
// gateway's peak resident memory stays under 100 MiB: bodies stream, they are
// never held. So over the embedded store, and over Ceph's radosgw
// (STORAGE_BACKEND=s3), where the body is forwarded as it arrives.
func TestLargeObjectMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 GiB through the gateway; skipped in -short mode")
	}
	t.Run("fs", func(t *testing.T) { testLargeObjectMemory(t, nil) })
	t.Run("s3 over radosgw", func(t *testing.T) {
		c := ceph.StartForTest(t, ceph.Options{})
		testLargeObjectMemory(t, map[string]string{
			"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": c.Endpoints()[0], "UPSTREAM_REGION": c.Region,
			"UPSTREAM_ACCESS_KEY": c.AccessKey, "UPSTREAM_SECRET_KEY": c.SecretKey,
		})
	})
}

func testLargeObjectMemory(t *testing.T, extra map[string]string) {
	const size = 1 << 30
	const limit = 100 << 20
	env := map[string]string{"REQUIRE_AUTH": "false", "MAX_BODY_BYTES": strconv.Itoa(2 * size)}
	maps.Copy(env, extra)
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()

	put := func(path string, body io.Reader, n int64) {
		req, _ := http.NewRequest(http.MethodPut, g.Endpoint+path, body)
		req.ContentLength = n
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, msg)
		}
	}
	put("/s3/mem", nil, 0)
	want := sha256.New()
	put("/s3/mem/big", io.TeeReader(newPatternReader(size), want), size)

	resp, err := http.Get(g.Endpoint + "/s3/mem/big")
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		t.Fatalf("GET read %d bytes, %v", n, err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("GET body differs from what was PUT")
	}
	rss, err := g.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gateway peak RSS after a 1 GiB PUT and GET: %.1f MiB", float64(rss)/(1<<20))
	if rss > limit {
		t.Fatalf("peak RSS %.1f MiB exceeds %d MiB", float64(rss)/(1<<20), limit>>20)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
}
