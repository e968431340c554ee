package conformance

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The aws-chunked encoder against the worked examples of AWS's SigV4
// streaming documentation (sigv4-streaming.html, sigv4-streaming-trailers.html):
// 66560 bytes of 'a' in chunks of 64 KiB, signed on 24 May 2013 in us-east-1
// with the documentation's example key. These tests start no gateway.

const (
	chunkExampleAccessKey = "AKIAIOSFODNN7EXAMPLE"
	chunkExampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var chunkExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func chunkExampleData() []byte { return bytes.Repeat([]byte("a"), 66560) }

// TestChunkedEncoderMatchesAWSExample rebuilds the request of the
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD example, signs it with the SDK signer
// to get the seed signature, and checks every chunk signature and the
// encoded length against the published ones.
func TestChunkedEncoderMatchesAWSExample(t *testing.T) {
	data := chunkExampleData()
	const chunkSize = 65536
	wantLen := encodedAWSChunkedLen(StreamingSigned, data, chunkSize, nil)
	if wantLen != 66824 {
		t.Fatalf("encoded length = %d, want 66824 (the example's Content-Length)", wantLen)
	}

	req, err := http.NewRequest(http.MethodPut, "https://s3.amazonaws.com/examplebucket/chunkObject.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(wantLen)
	req.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
	req.Header.Set("X-Amz-Content-Sha256", StreamingSigned)
	creds := aws.Credentials{AccessKeyID: chunkExampleAccessKey, SecretAccessKey: chunkExampleSecret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), creds, req, StreamingSigned, "s3", "us-east-1", chunkExampleTime); err != nil {
		t.Fatal(err)
	}
	seed := streamSeedSignature(req.Header.Get("Authorization"))
	if want := "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"; seed != want {
		t.Fatalf("seed signature = %s, want %s\nAuthorization: %s", seed, want, req.Header.Get("Authorization"))
	}

	b := encodeAWSChunked(StreamingSigned, data, chunkSize, nil,
		newChunkSigner(chunkExampleSecret, chunkExampleTime, "us-east-1", "s3", seed))
	if len(b.Chunks) != 2 || len(b.Chunks[0].Data) != 65536 || len(b.Chunks[1].Data) != 1024 {
		t.Fatalf("chunks: %d, want 65536 + 1024 bytes", len(b.Chunks))
	}
	for i, want := range []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
	} {
		if got := b.Chunks[i].Signature; got != want {
			t.Errorf("chunk %d signature = %s, want %s", i+1, got, want)
		}
	}
	if want := "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"; b.Final.Signature != want {
		t.Errorf("final chunk signature = %s, want %s", b.Final.Signature, want)
	}
	enc := b.Bytes()
	if len(enc) != wantLen {
		t.Errorf("serialised length = %d, want %d", len(enc), wantLen)
	}
	wantHead := "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
	if !bytes.HasPrefix(enc, []byte(wantHead)) {
		t.Errorf("body starts %q, want %q", enc[:len(wantHead)], wantHead)
	}
	wantTail := "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
		strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
	if !bytes.HasSuffix(enc, []byte(wantTail)) {
		t.Errorf("body does not end with the example's last chunks")
	}
}

// TestChunkedEncoderMatchesAWSTrailerExample checks the chunk chain and the
// trailer signature of the STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
// example, from its published seed signature.
func TestChunkedEncoderMatchesAWSTrailerExample(t *testing.T) {
	data := chunkExampleData()
	crc := cksValue("CRC32C", data)
	if crc != "sOO8/Q==" {
		t.Fatalf("CRC32C of the example data = %s, want sOO8/Q==", crc)
	}
	const seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	b := encodeAWSChunked(StreamingSignedTrailer, data, 65536,
		[]awsTrailer{{Name: "x-amz-checksum-crc32c", Value: crc}},
		newChunkSigner(chunkExampleSecret, chunkExampleTime, "us-east-1", "s3", seed))
	got := []string{b.Chunks[0].Signature, b.Chunks[1].Signature, b.Final.Signature}
	want := []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("chunk %d signature = %s, want %s", i+1, got[i], want[i])
		}
	}
	if want := "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"; b.TrailerSignature != want {
		t.Errorf("trailer signature = %s, want %s", b.TrailerSignature, want)
	}
	wantTail := "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n" +
		"x-amz-checksum-crc32c:sOO8/Q==\r\n" +
		"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
	if enc := b.Bytes(); !bytes.HasSuffix(enc, []byte(wantTail)) {
		t.Errorf("body ends %q, want %q", enc[max(0, len(enc)-len(wantTail)):], wantTail)
	}
}

// TestChunkedUnsignedTrailerFraming checks the unsigned framing: bare hex
// sizes, and the trailer after the zero-length chunk.
func TestChunkedUnsignedTrailerFraming(t *testing.T) {
	data := []byte("hello, world")
	b := encodeAWSChunked(StreamingUnsignedTrailer, data, 8, []awsTrailer{{Name: "x-amz-checksum-crc32", Value: "AAAAAA=="}}, nil)
	want := "8\r\nhello, w\r\n4\r\norld\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
	if got := string(b.Bytes()); got != want {
		t.Fatalf("body = %q, want %q", got, want)
	}
	if n := encodedAWSChunkedLen(StreamingUnsignedTrailer, data, 8, b.Trailers); n != len(want) {
		t.Fatalf("encoded length = %d, want %d", n, len(want))
	}
	empty := encodeAWSChunked(StreamingUnsignedTrailer, nil, 8, []awsTrailer{{Name: "x-amz-checksum-crc32", Value: "AAAAAA=="}}, nil)
	if got, want := string(empty.Bytes()), "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"; got != want {
		t.Fatalf("empty body = %q, want %q", got, want)
	}
}

// TestChunkedTrailerChecksumVectors checks the checksum values the cases
// send and expect against the standard check input "123456789".
func TestChunkedTrailerChecksumVectors(t *testing.T) {
	for alg, want := range map[string]string{
		"CRC32":     "y/Q5Jg==",
		"CRC32C":    "4waSgw==",
		"CRC64NVME": "rosUhgp5mIg=",
		"SHA1":      "98O8HYCOBHMq32eZZczDTKeuNEE=",
		"SHA256":    "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
		"SHA512":    "2eZ2LdHI6vbWGzxhkvxAjU1tXxF20MKRabwk5xw/J0rSf81YEbMT1oH35V7ALXPUmclUVba1u1A6z1dPuo/+hQ==",
		"MD5":       "JfnnlDI7RTiF9RgfG2JNCw==",
	} {
		if got := cksValue(alg, []byte("123456789")); got != want {
			t.Errorf("%s(123456789) = %s, want %s", alg, got, want)
		}
	}
	// The xxHash family has no catalogue check value: AWS's own vectors over
	// "Hello world" (awslabs/aws-checksums tests/xxhash_test.c), in base64.
	for alg, want := range map[string]string{
		"XXHASH64":  "xQCwyRKzdtg=",
		"XXHASH3":   "tqy52Eo4/3Q=",
		"XXHASH128": "c1H4mBL5c4K5HQWzHgTdfw==",
	} {
		if got := cksValue(alg, []byte("Hello world")); got != want {
			t.Errorf("%s(Hello world) = %s, want %s", alg, got, want)
		}
	}
}
