package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

// testSeed is a signature chain for the chunk-size tests, in the scope of
// AWS's examples.
var testSeed = chainSeed{
	key:       deriveKey(exampleSecret, "20130524", "us-east-1", "s3"),
	date:      "20130524T000000Z",
	scope:     "20130524/us-east-1/s3/aws4_request",
	signature: strings.Repeat("ab", 32),
}

// encodeChunks returns an aws-chunked body of chunks of the given sizes
// (of 'a's) and the final zero-length chunk, signed from testSeed when
// signed, followed by tail (the trailer section and what follows it; for
// the signed mode "\r\n").
func encodeChunks(signed bool, sizes []int, tail string) string {
	var b strings.Builder
	prev := testSeed.signature
	for _, n := range append(sizes, 0) {
		data := strings.Repeat("a", n)
		if signed {
			sum := sha256.Sum256([]byte(data))
			m := hmac.New(sha256.New, testSeed.key)
			m.Write([]byte("AWS4-HMAC-SHA256-PAYLOAD\n" + testSeed.date + "\n" + testSeed.scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum[:])))
			prev = hex.EncodeToString(m.Sum(nil))
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, prev)
		} else {
			fmt.Fprintf(&b, "%x\r\n", n)
		}
		if n > 0 {
			b.WriteString(data + "\r\n")
		}
	}
	return b.String() + tail
}

// decodeChunks reads body through the decoder of mode.
func decodeChunks(mode, body, trailer string) (string, error) {
	r := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader(body))
	if trailer != "" {
		r.Header.Set("X-Amz-Trailer", trailer)
	}
	res := &Result{PayloadHash: mode, seed: testSeed}
	if err := res.WrapBody(r); err != nil {
		return "", err
	}
	got, err := io.ReadAll(r.Body)
	return string(got), err
}

// TestChunkSize: every chunk but the last data chunk (and the final empty
// one) must hold at least 8192 bytes. S3 answers 403 InvalidChunkSizeError
// with <Chunk>, the number of the chunk after the short one, and
// <BadChunkSize>, the short chunk's size (openstack/swift
// test/s3api/test_input_errors.py test_strm_sgnd_pyld_too_small_chunks,
// run against AWS: chunks of 1024, 4096 and 3072 bytes give Chunk 2 and
// BadChunkSize 1024), in the unsigned-trailer mode too
// (aws/aws-sdk-cpp#3132, aws/aws-sdk-js-v3#7598).
func TestChunkSize(t *testing.T) {
	type want struct {
		chunk, size string // "" for accepted
	}
	cases := []struct {
		sizes []int
		want  want
	}{
		{nil, want{}},
		{[]int{1}, want{}},
		{[]int{8191}, want{}},
		{[]int{8192, 1}, want{}},
		{[]int{8192, 8192, 100}, want{}},
		{[]int{65536, 1024}, want{}},
		{[]int{1024, 4096, 3072}, want{"2", "1024"}},
		{[]int{8191, 8192}, want{"2", "8191"}},
		{[]int{8192, 1000, 8192, 100}, want{"3", "1000"}},
		{[]int{8192, 8192, 1, 1}, want{"4", "1"}},
	}
	for _, mode := range []string{StreamingSigned, StreamingUnsignedTrailer} {
		signed := mode == StreamingSigned
		for _, c := range cases {
			tail := "\r\n"
			total := 0
			for _, n := range c.sizes {
				total += n
			}
			got, err := decodeChunks(mode, encodeChunks(signed, c.sizes, tail), "")
			name := fmt.Sprintf("%s %v", mode, c.sizes)
			if c.want.chunk == "" {
				if err != nil || len(got) != total {
					t.Errorf("%s: %d bytes, %v; want accepted", name, len(got), err)
				}
				continue
			}
			e, ok := s3err.As(err)
			if !ok || e.Code != "InvalidChunkSizeError" || e.Status != http.StatusForbidden ||
				e.Message != "Only the last chunk is allowed to have a size less than 8192 bytes" {
				t.Errorf("%s: %v, want 403 InvalidChunkSizeError", name, err)
				continue
			}
			wantDetails := []s3err.Detail{{Name: "Chunk", Value: c.want.chunk}, {Name: "BadChunkSize", Value: c.want.size}}
			if len(e.Details) != 2 || e.Details[0] != wantDetails[0] || e.Details[1] != wantDetails[1] {
				t.Errorf("%s: details %v, want %v", name, e.Details, wantDetails)
			}
		}
	}
}

// TestUnsignedTrailerEnd: after the trailers, S3 ignores whatever follows
// their terminating blank line, and an unsigned-trailer body may end without
// that blank line (openstack/swift test/s3api/test_input_errors.py, run
// against AWS: test_strm_unsgnd_pyld_trl_with_trailer_ok,
// _no_trailing_crlf_ok, _with_trailer_extra_line_junk_ok,
// _extra_line_then_trailer_ok; a trailer line cut short is IncompleteBody:
// _with_trailer_no_crlf, _no_lf, _no_trailing_lf).
func TestUnsignedTrailerEnd(t *testing.T) {
	const crc = "x-amz-checksum-crc32:NhCmhg==" // not checked here
	data := []int{8192, 100}
	for _, c := range []struct {
		name, tail, trailer string
		code                string // "" for accepted
	}{
		{"trailer and blank line", crc + "\r\n\r\n", "x-amz-checksum-crc32", ""},
		{"trailer without the blank line", crc + "\r\n", "x-amz-checksum-crc32", ""},
		{"no trailer, no blank line", "", "", ""},
		{"no trailer, blank line", "\r\n", "", ""},
		{"junk after the blank line", crc + "\r\n\r\n\xff\xde\xad\xbe\xef\xff", "x-amz-checksum-crc32", ""},
		{"lines after the blank line", crc + "\r\n\r\nbonus: trailer\r\n\r\n", "x-amz-checksum-crc32", ""},
		{"declared trailer not sent, no blank line", "", "x-amz-checksum-crc32", "MalformedTrailerError"},
		{"undeclared trailer", "bonus: trailer\r\n\r\n", "", "MalformedTrailerError"},
		{"trailer cut before its CRLF", crc, "x-amz-checksum-crc32", "IncompleteBody"},
		{"trailer ending in CR", crc + "\r", "x-amz-checksum-crc32", "IncompleteBody"},
		{"trailer ending in a bare LF", crc + "\n", "x-amz-checksum-crc32", "IncompleteBody"},
		{"trailer ending in LF then CRLF (minio-go)", crc + "\n\r\n\r\n", "x-amz-checksum-crc32", ""},
		{"trailer ending in LF then CRLF, no blank line", crc + "\n\r\n", "x-amz-checksum-crc32", ""},
		{"trailer with a space before its value", "x-amz-checksum-crc32: NhCmhg==\r\n\r\n", "x-amz-checksum-crc32", ""},
		{"two trailers joined by a bare LF (one invalid value, for the checksum to refuse)", crc + "\nbonus: trailer\r\n\r\n", "x-amz-checksum-crc32", ""},
		{"a bare LF before the blank line", crc + "\r\n\n\r\n", "x-amz-checksum-crc32", "MalformedTrailerError"},
		{"trailer longer than allowed", "x-amz-checksum-crc32:" + strings.Repeat("A", maxTrailers) + "\r\n\r\n", "x-amz-checksum-crc32", "MalformedTrailerError"},
		{"blank line ending in CR", "\r", "", "IncompleteBody"},
	} {
		got, err := decodeChunks(StreamingUnsignedTrailer, encodeChunks(false, data, c.tail), c.trailer)
		if c.code == "" {
			if err != nil || len(got) != 8292 {
				t.Errorf("%s: %d bytes, %v; want accepted", c.name, len(got), err)
			}
			continue
		}
		if e, ok := s3err.As(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	// The signed modes keep their final CRLF.
	if _, err := decodeChunks(StreamingSigned, encodeChunks(true, data, ""), ""); err == nil {
		t.Errorf("signed body without its final CRLF accepted")
	}
}
