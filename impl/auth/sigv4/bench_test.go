package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkVerifyHeaderGET verifies a GET signed by the AWS SDK, as the SDK
// sends it, with the signing key already cached.
func BenchmarkVerifyHeaderGET(b *testing.B) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	v := exampleVerifier(now)
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:9009/s3/my-bucket/photos/2026/cat.jpg?x-id=GetObject", nil)
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/s3#1.114.10")
	r.Header.Set("Amz-Sdk-Invocation-Id", "9b2c6f3e-7d1a-4c55-a1b4-5b2d9d6c0e11")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("Accept-Encoding", "identity")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSecret},
		r, emptySHA256, "s3", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// encodeSigned frames data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD chunks of
// chunkSize, chained from seed.
func encodeSigned(data []byte, chunkSize int, seed chainSeed) []byte {
	var out bytes.Buffer
	prev := seed.signature
	sign := func(chunk []byte) string {
		h := sha256.Sum256(chunk)
		m := hmac.New(sha256.New, seed.key)
		fmt.Fprintf(m, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", seed.date, seed.scope, prev, emptySHA256, hex.EncodeToString(h[:]))
		prev = hex.EncodeToString(m.Sum(nil))
		return prev
	}
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", n, sign(data[:n]))
		out.Write(data[:n])
		out.WriteString("\r\n")
		data = data[n:]
	}
	fmt.Fprintf(&out, "0;chunk-signature=%s\r\n\r\n", sign(nil))
	return out.Bytes()
}

// BenchmarkStreamingSigned decodes and verifies a signed aws-chunked body of
// 64 KiB chunks: the cost of STREAMING-AWS4-HMAC-SHA256-PAYLOAD per byte.
func BenchmarkStreamingSigned(b *testing.B) {
	const size = 16 << 20
	seed := chainSeed{
		key:       deriveKey(exampleSecret, "20130524", "us-east-1", "s3"),
		date:      "20130524T000000Z",
		scope:     "20130524/us-east-1/s3/aws4_request",
		signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}
	body := encodeSigned(bytes.Repeat([]byte("0123456789abcdef"), size/16), 64<<10, seed)
	buf := make([]byte, 256<<10)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodPut, "/b/k", bytes.NewReader(body))
		res := &Result{PayloadHash: StreamingSigned, seed: seed}
		if err := res.WrapBody(r); err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r.Body}, buf)
		if err != nil || n != size {
			b.Fatalf("%d %v", n, err)
		}
	}
}
