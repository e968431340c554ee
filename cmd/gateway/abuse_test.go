package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
)

// The abuse test's load and bounds. The README quotes what it measures.
const (
	abuseUnauthSlowBody = 1800 // strangers: PUT headers, Content-Length 100000, no body
	abuseStalledUploads = 200  // signed PUTs whose body stops after 100 bytes
	abuseDribblers      = 300  // header dribblers, 512 bytes every 50 ms
	abuseDeadline       = 3 * time.Second
	abuseRSSLimit       = 200 << 20
	// A signed request under attack may take this many times the unloaded
	// p99, with a floor for a machine whose unloaded p99 is a millisecond.
	abuseP99Factor = 5
	abuseP99Floor  = 100 * time.Millisecond
)

// TestAbuse holds 2 000 slow-body sockets and 300 header dribblers against
// one gateway (built without the race detector, as deployed) while a client
// keeps doing signed PUT and GET. Every signed request must be answered, its
// p99 stay within a small multiple of the unloaded p99, the gateway's peak
// RSS stay bounded, and every abusive socket be closed by the server within
// its deadline.
func TestAbuse(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2 300 sockets against a gateway; skipped in -short mode")
	}
	secs := fmt.Sprint(int(abuseDeadline / time.Second))
	g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: map[string]string{
		"READ_HEADER_TIMEOUT_SECONDS": secs, "BODY_IDLE_TIMEOUT_SECONDS": secs, "MAX_CONNECTIONS": "4096",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	client := conformance.NewSDKClient(g.Target(), g.Target().Full)
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("abuse")}); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 4096)
	var failures []error
	signedOps := func(stop <-chan struct{}, n int) []time.Duration {
		var lat []time.Duration
		for i := 0; ; i++ {
			select {
			case <-stop:
				return lat
			default:
			}
			if n > 0 && i >= n {
				return lat
			}
			key := fmt.Sprintf("k%d", i%50)
			start := time.Now()
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("abuse"), Key: aws.String(key), Body: bytes.NewReader(payload)})
			if err == nil {
				var out *s3.GetObjectOutput
				if out, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("abuse"), Key: aws.String(key)}); err == nil {
					_, err = io.Copy(io.Discard, out.Body)
					out.Body.Close()
				}
			}
			if err != nil {
				failures = append(failures, err)
			}
			lat = append(lat, time.Since(start))
		}
	}
	signedOps(nil, 50) // warm up
	unloaded := p99(signedOps(nil, 300))

	type outcome struct {
		kind   string
		closed time.Duration // from the last byte sent to the server's close
		err    error
	}
	results := make(chan outcome, abuseUnauthSlowBody+abuseStalledUploads+abuseDribblers)
	var wg sync.WaitGroup
	attack := func(kind, head, body string, dribble bool) {
		defer wg.Done()
		c, err := net.DialTimeout("tcp", g.Addr, 10*time.Second)
		if err != nil {
			results <- outcome{kind: kind, err: err}
			return
		}
		defer c.Close()
		done := make(chan struct{})
		var last time.Time
		var mu sync.Mutex
		go func() {
			defer close(done)
			if !dribble {
				io.WriteString(c, head+body)
				mu.Lock()
				last = time.Now()
				mu.Unlock()
				return
			}
			io.WriteString(c, head)
			chunk := "X-Dribble: " + strings.Repeat("d", 500) + "\r\n"
			for {
				mu.Lock()
				last = time.Now()
				mu.Unlock()
				if _, err := io.WriteString(c, chunk); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		if !dribble {
			<-done
		}
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(abuseDeadline + 30*time.Second))
		_, err = io.Copy(io.Discard, c)
		end := time.Now()
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			err = nil // reset by the server: closed all the same
		}
		mu.Lock()
		if !dribble {
			start = last
		}
		mu.Unlock()
		results <- outcome{kind: kind, closed: end.Sub(start), err: err}
	}

	stop := make(chan struct{})
	loaded := make(chan []time.Duration)
	go func() { loaded <- signedOps(stop, 0) }()
	host := "Host: " + g.Addr + "\r\n"
	// Shuffle the kinds, so each arrives throughout the attack.
	var kinds []string
	for kind, n := range map[string]int{"stalled-upload": abuseStalledUploads, "header-dribbler": abuseDribblers, "slow-body": abuseUnauthSlowBody} {
		for range n {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for i, kind := range kinds {
		wg.Add(1)
		switch kind {
		case "stalled-upload":
			go attack(kind, signedHead(t, g, "PUT", fmt.Sprintf("/s3/abuse/stalled-%d", i), 100000, nil), strings.Repeat("s", 100), false)
		case "header-dribbler":
			go attack(kind, "GET /s3/abuse/k0 HTTP/1.1\r\n"+host, "", true)
		default:
			go attack(kind, "PUT /s3/abuse/x HTTP/1.1\r\n"+host+"Content-Length: 100000\r\n\r\n", "", false)
		}
		if i%100 == 99 {
			time.Sleep(20 * time.Millisecond) // stay under the listen backlog
		}
	}
	wg.Wait()
	close(stop)
	lat := <-loaded
	close(results)

	worst := map[string]time.Duration{}
	count := map[string]int{}
	held := map[string]int{}
	for r := range results {
		if r.err != nil {
			if held[r.kind]++; held[r.kind] == 1 {
				t.Errorf("a %s socket was never closed by the server: %v", r.kind, r.err)
			}
			continue
		}
		count[r.kind]++
		worst[r.kind] = max(worst[r.kind], r.closed)
	}
	rss, err := g.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	loadedP99 := p99(lat)
	t.Logf("signed PUT+GET pairs: unloaded p99 %v, under attack p99 %v over %d pairs (%.1fx)",
		unloaded.Round(time.Microsecond), loadedP99.Round(time.Microsecond), len(lat), float64(loadedP99)/float64(unloaded))
	t.Logf("sockets closed by the server: %d slow-body within %v, %d stalled uploads within %v, %d header dribblers within %v",
		count["slow-body"], worst["slow-body"].Round(time.Millisecond), count["stalled-upload"], worst["stalled-upload"].Round(time.Millisecond),
		count["header-dribbler"], worst["header-dribbler"].Round(time.Millisecond))
	t.Logf("gateway peak RSS %.1f MiB (limit %d MiB)", float64(rss)/(1<<20), abuseRSSLimit>>20)

	for kind, n := range held {
		t.Errorf("%d %s sockets were still open %v after their deadline", n, kind, 30*time.Second)
	}
	if len(failures) > 0 {
		t.Errorf("%d signed requests failed under attack, first: %v", len(failures), failures[0])
	}
	if len(lat) < 20 {
		t.Errorf("only %d signed request pairs completed during the attack", len(lat))
	}
	if bound := max(abuseP99Factor*unloaded, abuseP99Floor); loadedP99 > bound {
		t.Errorf("p99 under attack %v exceeds %v", loadedP99, bound)
	}
	if rss > abuseRSSLimit {
		t.Errorf("gateway peak RSS %d MiB exceeds %d MiB", rss>>20, abuseRSSLimit>>20)
	}
	limits := map[string]time.Duration{
		"slow-body":       time.Second,                           // answered at once, closed when no body comes (250 ms)
		"stalled-upload":  abuseDeadline + 1500*time.Millisecond, // BODY_IDLE_TIMEOUT_SECONDS
		"header-dribbler": abuseDeadline + 1500*time.Millisecond, // READ_HEADER_TIMEOUT_SECONDS
	}
	for kind, limit := range limits {
		if worst[kind] > limit {
			t.Errorf("a %s socket stayed open %v, over its deadline %v", kind, worst[kind], limit)
		}
	}
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}
