package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// earlyAnswer is what earlyServer sends for one request.
type earlyAnswer struct {
	status int
	header string // extra header lines, each ending in "\r\n"
	body   string
}

// earlyServer is an HTTP/1.1 server that answers a request before reading
// its body, as radosgw does (issue 13): it sends the status line and
// headers as soon as it has the request's head, the body of its answer a
// moment later, and only then reads (and discards) the request body, keeping
// the connection open for the next request. Until it reads, a request body
// larger than the sockets' buffers is still being written when the client
// has the answer's head.
type earlyServer struct {
	ln     net.Listener
	answer func(*http.Request) earlyAnswer
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// earlyAnswerGap is how long earlyServer waits between the head of its
// answer and the body: long enough for the client to act on the head.
const earlyAnswerGap = 5 * time.Millisecond

func startEarlyServer(t *testing.T, answer func(*http.Request) earlyAnswer) *earlyServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &earlyServer{ln: ln, answer: answer, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *earlyServer) target() *Target {
	return &Target{
		Name:     "early-answer",
		Endpoint: "http://" + s.ln.Addr().String(),
		Region:   "us-east-1",
		Full:     Credentials{AccessKey: "AKEARLY", SecretKey: "early-secret"},
	}
}

func (s *earlyServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *earlyServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *earlyServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	br, bw := bufio.NewReader(c), bufio.NewWriter(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		a := s.answer(req)
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\nx-amz-request-id: early\r\n%s\r\n",
			a.status, http.StatusText(a.status), len(a.body), a.header)
		if bw.Flush() != nil {
			return
		}
		time.Sleep(earlyAnswerGap)
		bw.WriteString(a.body)
		if bw.Flush() != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
	}
}

// earlyKeys are 1000 keys of 1000 bytes: a DeleteObjects of them has a body
// of about 1 MB, more than loopback sockets buffer for a reader that has not
// started reading.
func earlyKeys() []string {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("%04d-%s", i, strings.Repeat("k", 995))
	}
	return keys
}

// earlyS3 answers a ListObjectsV2 with earlyKeys, a DeleteObjects with a
// quiet DeleteResult, a DeleteBucket with 204, and a PutObject with a 400
// EntityTooLarge, all before reading the request body.
func earlyS3(req *http.Request) earlyAnswer {
	q := req.URL.Query()
	switch {
	case req.Method == http.MethodGet && q.Get("list-type") == "2":
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`)
		for _, k := range earlyKeys() {
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>`, k)
		}
		b.WriteString(`</ListBucketResult>`)
		return earlyAnswer{status: http.StatusOK, body: b.String()}
	case req.Method == http.MethodPost && q.Has("delete"):
		return earlyAnswer{status: http.StatusOK, body: `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>`}
	case req.Method == http.MethodDelete:
		return earlyAnswer{status: http.StatusNoContent}
	case req.Method == http.MethodPut:
		return earlyAnswer{status: http.StatusBadRequest, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size.</Message><RequestId>early</RequestId></Error>`}
	}
	return earlyAnswer{status: http.StatusNotImplemented, body: `<Error><Code>NotImplemented</Code></Error>`}
}

// TestEarlyAnswer reproduces issue 13: a server that answers before it has
// read the whole request body must not make the suite's SDK client fail
// with "use of closed network connection" (aws/aws-sdk-go-v2#2737). The
// answer the server sent, success or error, is what the caller must see.
func TestEarlyAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 110 MB over loopback")
	}
	// Before the fix, about half the iterations of each failed. The
	// cleanup path runs fewer: decoding a listing of 1000 long keys is
	// slow under the race detector.
	for _, tc := range []struct {
		name       string
		iterations int
		call       func(ctx context.Context, c *s3.Client) error
	}{
		{"DeleteObjects", 50, func(ctx context.Context, c *s3.Client) error {
			ids := make([]types.ObjectIdentifier, 0, 1000)
			for _, k := range earlyKeys() {
				ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
			}
			_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String("b"), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
			})
			return err
		}},
		// The cleanup path every case's bucket goes through.
		{"EmptyBucket", 10, func(ctx context.Context, c *s3.Client) error {
			if err := EmptyBucket(ctx, c, "b"); err != nil {
				return err
			}
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("b")})
			return err
		}},
		// An error answered early: the case must see its code.
		{"PutObject refused", 50, func(ctx context.Context, c *s3.Client) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("b"), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1<<20)),
			})
			if code := ErrorCode(err); code != "EntityTooLarge" {
				return fmt.Errorf("error code %q, want EntityTooLarge (error: %v)", code, err)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startEarlyServer(t, earlyS3)
			target := srv.target()
			c := NewSDKClient(target, target.Full)
			failed := 0
			for i := range tc.iterations {
				if err := tc.call(t.Context(), c); err != nil {
					failed++
					if failed <= 3 {
						t.Errorf("iteration %d: %v", i, err)
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d of %d iterations failed", failed, tc.iterations)
			}
		})
	}
}
