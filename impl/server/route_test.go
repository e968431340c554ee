package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loggedServer serves stub S3 and /v1/presign handlers below /s3 on
// loopback, with its access log (JSON) in the returned buffer.
func loggedServer(t *testing.T) (string, *lockedBuffer) {
	t.Helper()
	var logs lockedBuffer
	stub := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/boom") {
				w.WriteHeader(http.StatusInternalServerError) // no Code set
				return
			}
			io.WriteString(w, name)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{S3: stub("s3"), Prefix: "/s3", Routes: map[string]http.Handler{"/v1/presign": stub("presign")},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), ShutdownTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), &logs
}

// An S3 client pointed at the server's root, not at /s3, gets an S3 error
// document it can show, saying where the API is; the gateway's own
// endpoints and other requests keep their JSON answers. Every answer of 400
// or more carries an error code in the access log.
func TestRequestsOutsideThePrefix(t *testing.T) {
	addr, logs := loggedServer(t)
	sigv4 := "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	cases := []struct {
		method, path string
		header       map[string]string
		status       int
		want         string // "xml", "json" or the stub's body
		bucket       string // BucketName of the XML document
	}{
		{"GET", "/", nil, 404, "xml", ""},
		{"GET", "/", map[string]string{"Authorization": sigv4, "X-Amz-Date": "20260101T000000Z"}, 404, "xml", ""},
		{"HEAD", "/demo/hello.txt", nil, 404, "xml", ""},
		{"PUT", "/demo/hello.txt", nil, 404, "xml", "demo"},
		{"DELETE", "/demo", nil, 404, "xml", "demo"},
		{"POST", "/demo?delete", map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, 404, "xml", "demo"},
		{"POST", "/demo/k?uploads", map[string]string{"Authorization": sigv4}, 404, "xml", "demo"},
		{"GET", "/demo/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x", nil, 404, "xml", "demo"},
		{"GET", "/s3x/k", nil, 404, "xml", "s3x"},
		{"POST", "/nothing", nil, 404, "json", ""},
		{"GET", "/v1/unknown", nil, 404, "json", ""},
		{"PUT", "/v1/unknown", map[string]string{"Authorization": sigv4}, 404, "json", ""},
		{"GET", "/metrics/x", nil, 404, "json", ""},
		{"POST", "/v1/presign", nil, 200, "presign", ""},
		{"GET", "/s3/demo/k", nil, 200, "s3", ""},
		{"GET", "/s3", nil, 200, "s3", ""},
		{"GET", "/s3/boom", nil, 500, "", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, "http://"+addr+c.path, nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			id := resp.Header.Get("X-Amz-Request-Id")
			switch {
			case c.want == "xml":
				if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
					t.Fatalf("Content-Type %q, want application/xml", ct)
				}
				if c.method == http.MethodHead {
					if len(body) != 0 {
						t.Fatalf("HEAD answered a body: %s", body)
					}
					break
				}
				var doc struct {
					Code, Message, BucketName, RequestId string
				}
				if err := xml.Unmarshal(body, &doc); err != nil {
					t.Fatalf("not an S3 error document: %v: %s", err, body)
				}
				wantMsg := "use the endpoint http://" + addr + "/s3 "
				if doc.Code != "NoSuchBucket" || !strings.Contains(doc.Message, "under /s3/") || !strings.Contains(doc.Message, wantMsg) ||
					doc.BucketName != c.bucket || doc.RequestId != id {
					t.Fatalf("error document %+v: want NoSuchBucket saying %q, bucket %q, request id %s", doc, wantMsg, c.bucket, id)
				}
			case c.want == "json":
				var doc map[string]any
				if err := json.Unmarshal(body, &doc); err != nil || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("want the gateway's JSON answer, got %q: %s", resp.Header.Get("Content-Type"), body)
				}
			case c.want != "" && string(body) != c.want:
				t.Fatalf("body %q, want %q", body, c.want)
			}
			if c.status >= 400 {
				line := accessLine(t, logs, id)
				if line["code"] == "" || line["code"] == nil {
					t.Fatalf("access log line without an error code: %v", line)
				}
			}
		})
	}
}

// accessLine returns the access log line of a request.
func accessLine(t *testing.T, logs *lockedBuffer, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		for _, l := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" && m["request_id"] == id {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for request %s:\n%s", id, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
