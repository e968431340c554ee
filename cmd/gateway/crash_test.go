package main

import (
	"bytes"
	"crypto/md5"
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
	g, err := launch.Start(launch.Options{Dir: dir, Env: map[string]string{"REQUIRE_AUTH": "false", "S3_FSYNC": "true",
		"S3_INLINE_MAX_BYTES": strconv.Itoa(crashInlineMax)}})
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

// crashInlineMax splits the crash test's bodies (1 B to 192 KiB) between
// objects inline in the index and objects in files, so both paths crash.
const crashInlineMax = 64 << 10

func verifyAfterCrash(t *testing.T, g *launch.Gateway, do func(string, string, []byte) (*http.Response, error), acked, inflight map[string]int) {
	t.Helper()
	listed := map[string]bool{}
	inFiles := 0 // objects too large to be inline
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
			if c.Size > crashInlineMax {
				inFiles++
			}
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
	if blobs != inFiles {
		t.Errorf("%d blob files for %d objects stored in files: orphans survived start-up", blobs, inFiles)
	}
}

// TestCrashDuringComplete kills the gateway while CompleteMultipartUpload
// calls are in flight. After restart each upload is either a whole object
// (always so when its Complete was acknowledged) or still an upload that
// completes on retry; nothing is torn, and no part file is lost or orphaned.
func TestCrashDuringComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts and kills gateway processes; skipped in -short mode")
	}
	const uploads = 12
	dir := t.TempDir()
	g, err := launch.Start(launch.Options{Dir: dir, Env: map[string]string{"REQUIRE_AUTH": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	client := &http.Client{Timeout: 60 * time.Second}
	do := func(method, path string, body []byte) (int, []byte, error) {
		req, _ := http.NewRequest(method, g.Endpoint+path, bytes.NewReader(body))
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	must := func(method, path string, body []byte) []byte {
		t.Helper()
		code, b, err := do(method, path, body)
		if err != nil || code != 200 {
			t.Fatalf("%s %s: %d %v %s", method, path, code, err, b)
		}
		return b
	}
	must(http.MethodPut, "/s3/mpcrash", nil)

	type upload struct {
		key, id  string
		parts    [][]byte
		complete []byte // the CompleteMultipartUpload body
	}
	ups := make([]*upload, uploads)
	for i := range ups {
		u := &upload{key: fmt.Sprintf("obj-%02d", i)}
		var res struct{ UploadId string }
		if err := xml.Unmarshal(must(http.MethodPost, "/s3/mpcrash/"+u.key+"?uploads", nil), &res); err != nil {
			t.Fatal(err)
		}
		u.id = res.UploadId
		u.parts = [][]byte{crashBody(u.key, 1), crashBody(u.key, 2)}
		u.parts[0] = append(u.parts[0], bytes.Repeat([]byte{byte(i)}, 5<<20)...) // every part but the last is >= 5 MiB
		var list strings.Builder
		list.WriteString("<CompleteMultipartUpload>")
		for n, p := range u.parts {
			must(http.MethodPut, fmt.Sprintf("/s3/mpcrash/%s?partNumber=%d&uploadId=%s", u.key, n+1, u.id), p)
			fmt.Fprintf(&list, "<Part><PartNumber>%d</PartNumber><ETag>%x</ETag></Part>", n+1, md5.Sum(p))
		}
		list.WriteString("</CompleteMultipartUpload>")
		u.complete = []byte(list.String())
		ups[i] = u
	}

	acked := make([]bool, uploads)
	var wg sync.WaitGroup
	first := make(chan struct{}, uploads)
	for i, u := range ups {
		wg.Add(1)
		go func(i int, u *upload) {
			defer wg.Done()
			code, _, err := do(http.MethodPost, "/s3/mpcrash/"+u.key+"?uploadId="+u.id, u.complete)
			if err == nil && code == 200 {
				acked[i] = true
				first <- struct{}{}
			}
		}(i, u)
	}
	<-first // kill as soon as one completion is acknowledged
	g.Kill()
	wg.Wait()
	done := 0
	for _, a := range acked {
		if a {
			done++
		}
	}
	t.Logf("killed with %d of %d completions acknowledged", done, uploads)

	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	for i, u := range ups {
		want := bytes.Join(u.parts, nil)
		code, body, err := do(http.MethodGet, "/s3/mpcrash/"+u.key, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case code == 200:
			if !bytes.Equal(body, want) {
				t.Errorf("%s is torn: %d bytes, want %d", u.key, len(body), len(want))
			}
		case code == 404 && !acked[i]:
			// Not completed: the upload must still be whole and completable.
			must(http.MethodPost, "/s3/mpcrash/"+u.key+"?uploadId="+u.id, u.complete)
			if _, body, _ := do(http.MethodGet, "/s3/mpcrash/"+u.key, nil); !bytes.Equal(body, want) {
				t.Errorf("%s completed after the crash is torn", u.key)
			}
		default:
			t.Errorf("%s: GET answered %d after the crash (acknowledged: %v)", u.key, code, acked[i])
		}
	}
	// Every part is now an object's; none lost, none orphaned.
	parts := 0
	filepath.WalkDir(filepath.Join(dir, "multipart", "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			parts++
		}
		return nil
	})
	if parts != 2*uploads {
		t.Errorf("%d part files for %d two-part objects", parts, uploads)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
}
