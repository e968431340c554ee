package main

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/conformance/launch"
)

// crashBody is the deterministic content of one version of one key: a header
// naming both, then bytes derived from them, so any torn, mixed or stale body
// is detected on read.
func crashBody(key string, version int) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s#%d", key, version)
	seed := h.Sum64()
	r := rand.New(rand.NewPCG(seed, seed>>1))
	size := 1 + r.IntN(192<<10)
	head := fmt.Sprintf("%s#%d#%d\n", key, version, size)
	b := make([]byte, len(head)+size)
	copy(b, head)
	for i := len(head); i < len(b); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// TestCrashDuringConcurrentWrites kills the gateway with SIGKILL while
// writers overwrite a set of keys, restarts it, and checks that every
// acknowledged write is readable byte for byte (or was superseded only by the
// write in flight at the kill), that nothing torn is listed, and that start-up
// left no temp file or orphan blob.
func TestCrashDuringConcurrentWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts and kills gateway processes; skipped in -short mode")
	}
	dir := t.TempDir()
	g, err := launch.Start(launch.Options{Dir: dir, Env: map[string]string{"REQUIRE_AUTH": "false", "S3_FSYNC": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	client := &http.Client{Timeout: 30 * time.Second}
	do := func(method, path string, body []byte) (*http.Response, error) {
		req, err := http.NewRequest(method, g.Endpoint+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return client.Do(req)
	}
	resp, err := do(http.MethodPut, "/s3/crash", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("create bucket: %v %v", err, resp)
	}
	resp.Body.Close()

	const writers, keysPerWriter = 8, 6
	// acked[key] is the last acknowledged version; inflight[key] the version
	// being written when the gateway died (0 if none).
	var mu sync.Mutex
	acked := map[string]int{}
	inflight := map[string]int{}
	version := map[string]int{}

	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(round)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("w%d/k%d", w, r.IntN(keysPerWriter))
					mu.Lock()
					version[key]++
					v := version[key]
					inflight[key] = v
					mu.Unlock()
					resp, err := do(http.MethodPut, "/s3/crash/"+key, crashBody(key, v))
					if err != nil {
						return // the gateway is gone; this write may or may not have landed
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					if resp.StatusCode == http.StatusOK {
						acked[key] = v
						inflight[key] = 0
					}
					mu.Unlock()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("PUT %s: status %d", key, resp.StatusCode)
						return
					}
				}
			}(w)
		}
		time.Sleep(time.Duration(600+300*round) * time.Millisecond)
		g.Kill()
		close(stop)
		wg.Wait()
		if t.Failed() {
			return
		}
		mu.Lock()
		n := 0
		for _, v := range acked {
			n += v
		}
		mu.Unlock()
		t.Logf("round %d: killed after %d acknowledged versions in total", round, n)

		if err := g.Restart(); err != nil {
			t.Fatal(err)
		}
		verifyAfterCrash(t, g, do, acked, inflight)
		if t.Failed() {
			return
		}
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
}

func verifyAfterCrash(t *testing.T, g *launch.Gateway, do func(string, string, []byte) (*http.Response, error), acked, inflight map[string]int) {
	t.Helper()
	listed := map[string]bool{}
	token := ""
	for {
		q := url.Values{"list-type": {"2"}, "max-keys": {"7"}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		resp, err := do(http.MethodGet, "/s3/crash?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Contents []struct {
				Key  string
				Size int64
			}
			IsTruncated           bool
			NextContinuationToken string
		}
		err = xml.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, c := range page.Contents {
			if listed[c.Key] {
				t.Errorf("key %s listed twice", c.Key)
			}
			listed[c.Key] = true
		}
		if !page.IsTruncated {
			break
		}
		token = page.NextContinuationToken
	}
	for key, v := range acked {
		if v > 0 && !listed[key] {
			t.Errorf("acknowledged key %s (version %d) is not listed", key, v)
		}
	}
	for key := range listed {
		resp, err := do(http.MethodGet, "/s3/crash/"+key, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET listed key %s: %d %v", key, resp.StatusCode, err)
			continue
		}
		nl := bytes.IndexByte(body, '\n')
		if nl < 0 {
			t.Errorf("%s: body has no header (%d bytes)", key, len(body))
			continue
		}
		parts := strings.Split(string(body[:nl]), "#")
		if len(parts) != 3 {
			t.Errorf("%s: bad header %q", key, body[:nl])
			continue
		}
		gotKey := parts[0]
		gotVersion, _ := strconv.Atoi(parts[1])
		if gotKey != key {
			t.Errorf("%s holds the body of %s", key, gotKey)
			continue
		}
		if !bytes.Equal(body, crashBody(key, gotVersion)) {
			t.Errorf("%s version %d is torn (%d bytes)", key, gotVersion, len(body))
			continue
		}
		if gotVersion != acked[key] && gotVersion != inflight[key] {
			t.Errorf("%s reads version %d; acknowledged %d, in flight %d", key, gotVersion, acked[key], inflight[key])
		}
		// What is now stored is what later rounds build on.
		acked[key], inflight[key] = gotVersion, 0
	}
	// Start-up must have collected every temp file and orphan blob.
	tmp, _ := os.ReadDir(filepath.Join(g.Dir, "data", "tmp"))
	if len(tmp) != 0 {
		t.Errorf("%d temp files survived start-up", len(tmp))
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(g.Dir, "data", "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			blobs++
		}
		return nil
	})
	if blobs != len(listed) {
		t.Errorf("%d blob files for %d objects: orphans survived start-up", blobs, len(listed))
	}
}
