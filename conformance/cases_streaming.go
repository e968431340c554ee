package conformance

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
)

// Cases for aws-chunked request bodies (SigV4 streaming): signed chunks,
// unsigned chunks with a checksum trailer, and signed chunks with a signed
// trailer. Bodies come from the encoder in chunked.go; a case breaks one
// part of a correctly signed body and checks the error and that nothing was
// stored.

// streamSeedSignature returns the signature of a signed Authorization
// header: the seed of the chunk signature chain.
func streamSeedSignature(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return strings.TrimSpace(sig)
}

// streamPut is one aws-chunked PutObject.
type streamPut struct {
	mode      string
	data      []byte
	chunkSize int // 0: 64 KiB
	// chunkSizes, when set, are the data chunks' sizes instead.
	chunkSizes []int
	algorithm  string // trailer checksum algorithm in the trailer modes; "": CRC32
	noTrailer  bool   // send no trailer (and no X-Amz-Trailer) in a trailer mode
	// trailerValue replaces the computed trailer checksum when not "".
	trailerValue string
	// encoding is the Content-Encoding; "": aws-chunked.
	encoding string
	// tamper breaks the signed body; it must keep every signature's length.
	tamper func(b *awsChunkedBody)
	// keep truncates the serialised body to keep(len) bytes.
	keep func(n int) int
	// tail is sent after the (truncated) body, within its Content-Length.
	tail []byte
	// decodedLength replaces X-Amz-Decoded-Content-Length when not ""
	// ("-": the header is left out).
	decodedLength string
	// teChunked sends the body with Transfer-Encoding: chunked and no
	// Content-Length.
	teChunked bool
	// trailerLineEnd ends each trailer line instead of CRLF when not "".
	trailerLineEnd string
	// trailerName names the trailer (and X-Amz-Trailer) instead of
	// x-amz-checksum-<algorithm> when not "".
	trailerName string
}

// build encodes the body with s, then tampers and truncates it.
func (p streamPut) build(s *chunkSigner, trailers []awsTrailer) []byte {
	size := p.chunkSize
	if size == 0 {
		size = 64 << 10
	}
	b := splitAWSChunked(p.mode, p.data, size, trailers)
	if p.chunkSizes != nil {
		b = splitAWSChunkedSizes(p.mode, p.data, p.chunkSizes, trailers)
	}
	b.sign(s)
	b.TrailerLineEnd = p.trailerLineEnd
	if p.tamper != nil {
		p.tamper(b)
	}
	enc := b.Bytes()
	if p.keep != nil {
		enc = enc[:p.keep(len(enc))]
	}
	return append(enc, p.tail...)
}

// send uploads p.data to bucket/key as an aws-chunked body and returns the
// response.
func (p streamPut) send(t T, e *Env, bucket, key string) *httpexpect.Response {
	t.Helper()
	var trailers []awsTrailer
	if streamingHasTrailer(p.mode) && !p.noTrailer {
		alg := p.algorithm
		if alg == "" {
			alg = "CRC32"
		}
		v := p.trailerValue
		if v == "" {
			v = cksValue(alg, p.data)
		}
		name := cksHeader(alg)
		if p.trailerName != "" {
			name = p.trailerName
		}
		trailers = []awsTrailer{{Name: name, Value: v}}
	}
	at := time.Now().UTC()
	region := e.Target.Region
	creds := e.Target.Full
	// The request signs its Content-Length: measure the final body with
	// placeholder signatures of the same length first.
	n := len(p.build(newChunkSigner("placeholder", at, region, "s3", strings.Repeat("0", 64)), trailers))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, e.URL(bucket, key), nil)
	mustf(t, err, "build PUT")
	req.ContentLength = int64(n)
	if p.teChunked {
		req.ContentLength = -1 // net/http then sends the body chunked
	}
	enc := p.encoding
	if enc == "" {
		enc = "aws-chunked"
	}
	req.Header.Set("Content-Encoding", enc)
	switch p.decodedLength {
	case "":
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(p.data)))
	case "-":
	default:
		req.Header.Set("X-Amz-Decoded-Content-Length", p.decodedLength)
	}
	req.Header.Set("X-Amz-Content-Sha256", p.mode)
	if len(trailers) > 0 {
		req.Header.Set("X-Amz-Trailer", trailers[0].Name)
	}
	err = sigv4Signer().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: creds.AccessKey, SecretAccessKey: creds.SecretKey},
		req, p.mode, "s3", region, at)
	mustf(t, err, "sign PUT")
	seed := streamSeedSignature(req.Header.Get("Authorization"))
	body := p.build(newChunkSigner(creds.SecretKey, at, region, "s3", seed), trailers)
	if len(body) != n {
		t.Fatalf("encoded body is %d bytes, signed Content-Length %d", len(body), n)
	}
	req.Body = http.NoBody
	if n > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return sigv4Send(t, e, req)
}

// streamWantStored fails the case unless bucket/key reads back as data,
// with no aws-chunked framing and the stored Content-Encoding wantEncoding
// ("" for none).
func streamWantStored(t T, e *Env, bucket, key string, data []byte, wantEncoding string) {
	t.Helper()
	resp := e.Request(http.MethodGet, bucket, key).Expect()
	wantStatus(t, resp, http.StatusOK)
	got := []byte(resp.Body().Raw())
	if !bytes.Equal(got, data) {
		t.Fatalf("stored body = %q, want %q", objShort(got), objShort(data))
	}
	wantContentLength(t, resp, len(data))
	eq(t, "ETag", header(resp, "ETag"), md5ETag(data))
	eq(t, "stored Content-Encoding", header(resp, "Content-Encoding"), wantEncoding)
}

// streamData returns n bytes of a varied pattern.
func streamData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i*7+i/251)%26)
	}
	return b
}

// streamFlipByte flips a byte of chunk i's data, in a copy.
func streamFlipByte(i int) func(b *awsChunkedBody) {
	return func(b *awsChunkedBody) {
		d := append([]byte(nil), b.Chunks[i].Data...)
		d[len(d)/2] ^= 0x01
		b.Chunks[i].Data = d
	}
}

var streamModes = []struct{ name, mode string }{
	{"signed", StreamingSigned},
	{"unsigned-trailer", StreamingUnsignedTrailer},
	{"signed-trailer", StreamingSignedTrailer},
}

// streamFailCase uploads a broken body and checks the error and that no
// object was stored.
func streamFailCase(id, desc string, p streamPut, status int, code string) Case {
	return Case{
		ID: id, Feature: StreamingPayloads, Ops: ops("PutObject"), Desc: desc,
		Run: func(t T, e *Env) {
			b := e.NewBucket()
			wantError(t, p.send(t, e, b, "k"), status, code)
			wantAbsent(t, e, b, "k")
		},
	}
}

// streamRecorder is an SDK HTTP client that records the x-amz-content-sha256
// of each PUT it sends.
type streamRecorder struct {
	next *http.Client
	mu   sync.Mutex
	sent []string
}

func (r *streamRecorder) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		r.mu.Lock()
		r.sent = append(r.sent, req.Header.Get("X-Amz-Content-Sha256"))
		r.mu.Unlock()
	}
	return r.next.Do(req)
}

func init() {
	for _, m := range streamModes {
		register(
			Case{
				ID: "streaming/" + m.name + "/roundtrip", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
				Desc: "a " + m.mode + " body in 64 KiB chunks is stored decoded: GET returns exactly the data, no framing, no aws-chunked encoding",
				Run:  streamingRoundtrip(m.mode),
			},
			Case{
				ID: "streaming/" + m.name + "/small-chunks", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
				Desc: "a " + m.mode + " body of 100 KiB in 8 KiB chunks (the smallest S3 allows) is stored decoded",
				Run:  streamingSmallChunks(m.mode),
			},
			Case{
				ID: "streaming/" + m.name + "/empty", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
				Desc: "a " + m.mode + " body with only the final zero-length chunk stores an empty object",
				Run:  streamingEmpty(m.mode),
			},
			Case{
				ID: "streaming/" + m.name + "/short-chunk-before-last", Feature: StreamingPayloads, Ops: ops("PutObject"),
				Desc: "a " + m.mode + " body with a chunk under 8192 bytes before the last data chunk gives 403 InvalidChunkSizeError naming the next chunk and the short size, and stores nothing",
				Run:  streamingShortChunkBeforeLast(m.mode),
			},
			Case{
				ID: "streaming/" + m.name + "/transfer-encoding-chunked", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
				Desc: "a " + m.mode + " body sent with Transfer-Encoding: chunked and X-Amz-Decoded-Content-Length, without Content-Length, is stored decoded",
				Run:  streamingTransferEncodingChunked(m.mode),
			},
			streamFailCase("streaming/"+m.name+"/truncated",
				"a "+m.mode+" body cut off inside a chunk gives 400 IncompleteBody and stores nothing",
				streamPut{mode: m.mode, data: streamData(20000), chunkSize: 8 << 10, keep: func(n int) int { return 4000 }},
				http.StatusBadRequest, "IncompleteBody"),
		)
		if streamingSigned(m.mode) {
			register(
				streamFailCase("streaming/"+m.name+"/tampered-data",
					"a "+m.mode+" body with one data byte changed after signing gives 403 SignatureDoesNotMatch and stores nothing",
					streamPut{mode: m.mode, data: streamData(30000), chunkSize: 8 << 10, tamper: streamFlipByte(1)},
					http.StatusForbidden, "SignatureDoesNotMatch"),
				streamFailCase("streaming/"+m.name+"/tampered-chunk-signature",
					"a "+m.mode+" body with one chunk signature changed gives 403 SignatureDoesNotMatch and stores nothing",
					streamPut{mode: m.mode, data: streamData(30000), chunkSize: 8 << 10, tamper: func(b *awsChunkedBody) {
						b.Chunks[1].Signature = presignFlipHex(b.Chunks[1].Signature)
					}},
					http.StatusForbidden, "SignatureDoesNotMatch"),
				streamFailCase("streaming/"+m.name+"/dropped-chunk",
					"a "+m.mode+" body with a middle chunk left out breaks the signature chain: 403 SignatureDoesNotMatch, nothing stored",
					streamPut{mode: m.mode, data: streamData(30000), chunkSize: 8 << 10, tamper: func(b *awsChunkedBody) {
						b.Chunks = append(b.Chunks[:1:1], b.Chunks[2:]...)
					}},
					http.StatusForbidden, "SignatureDoesNotMatch"),
			)
		}
		if streamingHasTrailer(m.mode) {
			register(
				streamFailCase("streaming/"+m.name+"/trailer-checksum-mismatch",
					"a "+m.mode+" body whose trailing x-amz-checksum-crc32 does not match the data gives 400 BadDigest and stores nothing",
					streamPut{mode: m.mode, data: streamData(30000), trailerValue: cksValue("CRC32", []byte("other data"))},
					http.StatusBadRequest, "BadDigest"),
				Case{
					ID: "streaming/" + m.name + "/trailer-crc64nvme", Feature: StreamingPayloads, Ops: ops("PutObject", "HeadObject"),
					Desc: "a " + m.mode + " body with a trailing x-amz-checksum-crc64nvme is stored and the checksum returned with checksum mode",
					Run:  streamingTrailerCrc64nvme(m.mode),
				},
			)
		}
	}
	register(
		streamFailCase("streaming/unsigned-trailer/tampered-data",
			"an unsigned-trailer body with one data byte changed no longer matches its trailing checksum: 400 BadDigest, nothing stored",
			streamPut{mode: StreamingUnsignedTrailer, data: streamData(30000), chunkSize: 8 << 10, tamper: streamFlipByte(1)},
			http.StatusBadRequest, "BadDigest"),
		streamFailCase("streaming/unsigned-trailer/dropped-chunk",
			"an unsigned-trailer body with a middle chunk left out (its trailing checksum matching what is sent) falls short of X-Amz-Decoded-Content-Length: 400 IncompleteBody, nothing stored",
			streamPut{mode: StreamingUnsignedTrailer, data: streamData(30000), chunkSize: 8 << 10,
				tamper: func(b *awsChunkedBody) {
					b.Chunks = append(b.Chunks[:1:1], b.Chunks[2:]...)
					var sent []byte
					for _, c := range b.Chunks {
						sent = append(sent, c.Data...)
					}
					b.Trailers = []awsTrailer{{Name: b.Trailers[0].Name, Value: cksValue("CRC32", sent)}}
				}},
			http.StatusBadRequest, "IncompleteBody"),
		streamFailCase("streaming/signed-trailer/tampered-trailer-signature",
			"a signed-trailer body with its trailer signature changed gives 403 SignatureDoesNotMatch and stores nothing",
			streamPut{mode: StreamingSignedTrailer, data: streamData(30000), tamper: func(b *awsChunkedBody) {
				b.TrailerSignature = presignFlipHex(b.TrailerSignature)
			}},
			http.StatusForbidden, "SignatureDoesNotMatch"),
		Case{
			ID: "streaming/unsigned-trailer/no-decoded-length", Feature: StreamingPayloads, Ops: ops("PutObject"),
			Desc: "an unsigned-trailer body without a valid X-Amz-Decoded-Content-Length (left out, with or without Content-Length, or not a number) gives 411 MissingContentLength and stores nothing",
			Run:  streamingUnsignedTrailerNoDecodedLength,
		},
		Case{
			ID: "streaming/unsigned-trailer/no-trailer", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
			Desc: "an unsigned-trailer body that declares and sends no trailer is stored decoded",
			Run:  streamingUnsignedTrailerNoTrailer,
		},
		Case{
			ID: "streaming/unsigned-trailer/bytes-after-trailers", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
			Desc: "an unsigned-trailer body with bytes after the blank line that ends its trailers (binary junk, another header line) is stored decoded, the extra bytes ignored",
			Run:  streamingUnsignedTrailerBytesAfterTrailers,
		},
		Case{
			ID: "streaming/unsigned-trailer/no-final-crlf", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
			Desc: "an unsigned-trailer body that ends without the blank line after its trailer (or after the final chunk, with no trailer) is stored decoded",
			Run:  streamingUnsignedTrailerNoFinalCrlf,
		},
		Case{
			ID: "streaming/unsigned-trailer/trailer-line-bare-lf", Feature: StreamingPayloads, Ops: ops("PutObject", "HeadObject"),
			Desc: "an unsigned-trailer body whose trailer line ends in a bare LF before the CRLF, as minio-go sends it (0\\r\\nx-amz-checksum-crc32c:<v>\\n\\r\\n\\r\\n), is stored with its checksum",
			Run:  streamingUnsignedTrailerTrailerLineBareLf,
		},
		Case{
			ID: "streaming/unsigned-trailer/trailer-line-unterminated", Feature: StreamingPayloads, Ops: ops("PutObject"),
			Desc: "an unsigned-trailer body that ends inside its trailer line (after a bare LF, a bare CR, or the value) gives 400 IncompleteBody and stores nothing",
			Run:  streamingUnsignedTrailerTrailerLineUnterminated,
		},
		Case{
			ID: "streaming/unsigned-trailer/trailer-not-a-checksum", Feature: StreamingPayloads, Ops: ops("PutObject"),
			Desc: "an unsigned-trailer body whose X-Amz-Trailer names no S3 checksum (foo, content-md5, x-amz-checksum-crc16) gives 400 InvalidRequest and stores nothing",
			Run:  streamingUnsignedTrailerTrailerNotAChecksum,
		},
		Case{
			ID: "streaming/unsigned-trailer/trailer-checksum-invalid", Feature: StreamingPayloads, Ops: ops("PutObject"),
			Desc: "an unsigned-trailer body whose trailing x-amz-checksum-crc32 is not a CRC32 in base64 gives 400 InvalidRequest naming the trailing header and stores nothing",
			Run:  streamingUnsignedTrailerTrailerChecksumInvalid,
		},
		Case{
			ID: "streaming/unsigned-trailer/gzip-content-encoding", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
			Desc: "Content-Encoding \"gzip, aws-chunked\" stores the decoded (still gzipped) bytes with Content-Encoding gzip",
			Run:  streamingUnsignedTrailerGzipContentEncoding,
		},
		Case{
			ID: "streaming/sdk/https-default-put", Feature: StreamingPayloads, Ops: ops("PutObject", "GetObject"),
			Desc: "over HTTPS the SDK's default PutObject sends STREAMING-UNSIGNED-PAYLOAD-TRAILER and the upload is stored intact",
			Run:  streamingSdkHttpsDefaultPut,
		},
	)
}

// streamingRoundtrip makes the streaming/<mode>/roundtrip case.
func streamingRoundtrip(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		data := streamData(66560)
		resp := streamPut{mode: mode, data: data}.send(t, e, b, "k")
		wantStatus(t, resp, http.StatusOK)
		eq(t, "PutObject ETag", header(resp, "ETag"), md5ETag(data))
		streamWantStored(t, e, b, "k", data, "")
	}
}

// streamingSmallChunks makes the streaming/<mode>/small-chunks case.
func streamingSmallChunks(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		data := streamData(100 << 10)
		wantStatus(t, streamPut{mode: mode, data: data, chunkSize: 8 << 10}.send(t, e, b, "k"), http.StatusOK)
		streamWantStored(t, e, b, "k", data, "")
	}
}

// streamingEmpty makes the streaming/<mode>/empty case.
func streamingEmpty(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		wantStatus(t, streamPut{mode: mode, data: []byte{}}.send(t, e, b, "k"), http.StatusOK)
		streamWantStored(t, e, b, "k", []byte{}, "")
	}
}

// streamingShortChunkBeforeLast makes the
// streaming/<mode>/short-chunk-before-last case.
func streamingShortChunkBeforeLast(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		// S3's answer to chunks of 1024, 4096 and 3072 bytes:
		// openstack/swift test/s3api/test_input_errors.py
		// test_strm_sgnd_pyld_too_small_chunks, run against AWS
		// (<Chunk> is the chunk after the short one); the same
		// error for the unsigned trailer mode: aws/aws-sdk-cpp#3132,
		// aws/aws-sdk-js-v3#7598; the 8 KiB minimum for every
		// chunk but the last: AWS's sigv4-streaming page, which
		// sigv4-streaming-trailers follows for the chunks.
		b := e.NewBucket()
		p := streamPut{mode: mode, data: streamData(8 << 10), chunkSizes: []int{1024, 4096, 3072}}
		doc := wantError(t, p.send(t, e, b, "k"), http.StatusForbidden, "InvalidChunkSizeError")
		eq(t, "error <Message>", doc.Message, "Only the last chunk is allowed to have a size less than 8192 bytes")
		wantElem(t, doc, "Chunk", "2")
		wantElem(t, doc, "BadChunkSize", "1024")
		wantAbsent(t, e, b, "k")
	}
}

// streamingTransferEncodingChunked makes the
// streaming/<mode>/transfer-encoding-chunked case.
func streamingTransferEncodingChunked(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		// AWS's sigv4-streaming page: send Content-Length or
		// Transfer-Encoding (then no Content-Length), and always
		// x-amz-decoded-content-length; botocore sends this.
		// openstack/swift test_strm_unsgnd_pyld_trl_te_chunked_ok,
		// run against AWS.
		b := e.NewBucket()
		data := streamData(20000)
		wantStatus(t, streamPut{mode: mode, data: data, chunkSize: 8 << 10, teChunked: true}.send(t, e, b, "k"), http.StatusOK)
		streamWantStored(t, e, b, "k", data, "")
	}
}

// streamingTrailerCrc64nvme makes the streaming/<mode>/trailer-crc64nvme
// case of a mode with a trailer.
func streamingTrailerCrc64nvme(mode string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		data := streamData(70000)
		wantStatus(t, streamPut{mode: mode, data: data, algorithm: "CRC64NVME"}.send(t, e, b, "k"), http.StatusOK)
		streamWantStored(t, e, b, "k", data, "")
		head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
		wantStatus(t, head, http.StatusOK)
		eq(t, "HeadObject x-amz-checksum-crc64nvme", header(head, "x-amz-checksum-crc64nvme"), cksValue("CRC64NVME", data))
	}
}

func streamingUnsignedTrailerNoDecodedLength(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_strm_unsgnd_pyld_trl_te_chunked_no_decoded_content_length,
	// test_no_md5_streaming_unsigned_no_encoding_no_length and
	// _bad_decoded_content_length ("they really mean
	// X-Amz-Decoded-Content-Length").
	b := e.NewBucket()
	data := streamData(20000)
	for _, p := range []streamPut{
		{decodedLength: "-", teChunked: true},
		{decodedLength: "-"},
		{decodedLength: "not an int"},
	} {
		p.mode, p.data = StreamingUnsignedTrailer, data
		doc := wantError(t, p.send(t, e, b, "k"), http.StatusLengthRequired, "MissingContentLength")
		eq(t, "error <Message>", doc.Message, "You must provide the Content-Length HTTP header.")
	}
	wantAbsent(t, e, b, "k")
}

func streamingUnsignedTrailerNoTrailer(t T, e *Env) {
	b := e.NewBucket()
	data := streamData(20000)
	wantStatus(t, streamPut{mode: StreamingUnsignedTrailer, data: data, chunkSize: 8 << 10, noTrailer: true}.send(t, e, b, "k"), http.StatusOK)
	streamWantStored(t, e, b, "k", data, "")
}

func streamingUnsignedTrailerBytesAfterTrailers(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_strm_unsgnd_pyld_trl_with_trailer_extra_line_junk_ok
	// ("really??") and _extra_line_then_trailer_ok.
	b := e.NewBucket()
	data := streamData(20000)
	for i, tail := range []string{"\xff\xde\xad\xbe\xef\xff", "bonus: trailer\r\n"} {
		key := "k" + strconv.Itoa(i)
		wantStatus(t, streamPut{mode: StreamingUnsignedTrailer, data: data, tail: []byte(tail)}.send(t, e, b, key), http.StatusOK)
		streamWantStored(t, e, b, key, data, "")
	}
}

func streamingUnsignedTrailerNoFinalCrlf(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_strm_unsgnd_pyld_trl_with_trailer_ok
	// and _no_trailing_crlf_ok ("dafuk?").
	b := e.NewBucket()
	data := streamData(20000)
	dropCRLF := func(n int) int { return n - 2 }
	for i, noTrailer := range []bool{false, true} {
		key := "k" + strconv.Itoa(i)
		p := streamPut{mode: StreamingUnsignedTrailer, data: data, noTrailer: noTrailer, keep: dropCRLF}
		wantStatus(t, p.send(t, e, b, key), http.StatusOK)
		streamWantStored(t, e, b, key, data, "")
	}
}

func streamingUnsignedTrailerTrailerLineBareLf(t T, e *Env) {
	// minio-go (pkg/signer, StreamingUSReader.addTrailer) ends each
	// trailer with "\n" and then writes "\r\n\r\n"; its trailing
	// checksums were "validated against AWS S3" (minio/minio-go#1817)
	// and "confirmed to work against AWS" (minio/minio#16484). S3
	// reads CRLF-terminated lines, so the LF is the end of the
	// value, and bytes after the blank line are ignored (Swift's
	// test_strm_unsgnd_pyld_trl_extra_lines_after_trailer_ok).
	b := e.NewBucket()
	data := streamData(20000)
	p := streamPut{mode: StreamingUnsignedTrailer, data: data, algorithm: "CRC32C", trailerLineEnd: "\n\r\n"}
	wantStatus(t, p.send(t, e, b, "k"), http.StatusOK)
	streamWantStored(t, e, b, "k", data, "")
	head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantStatus(t, head, http.StatusOK)
	eq(t, "HeadObject x-amz-checksum-crc32c", header(head, "x-amz-checksum-crc32c"), cksValue("CRC32C", data))
}

func streamingUnsignedTrailerTrailerLineUnterminated(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_strm_unsgnd_pyld_trl_with_trailer_no_cr,
	// _no_lf and _no_crlf. A line ends at CRLF only, so a bare LF
	// at the end of the body leaves the line unfinished.
	b := e.NewBucket()
	for _, c := range []struct {
		end  string
		drop int // bytes cut from the end: the final CRLF, and the line's own
	}{{"\n", 2}, {"\r", 2}, {"\r\n", 4}} {
		p := streamPut{mode: StreamingUnsignedTrailer, data: streamData(20000), trailerLineEnd: c.end,
			keep: func(n int) int { return n - c.drop }}
		wantError(t, p.send(t, e, b, "k"), http.StatusBadRequest, "IncompleteBody")
	}
	wantAbsent(t, e, b, "k")
}

func streamingUnsignedTrailerTrailerNotAChecksum(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_strm_unsgnd_pyld_trl_non_checksum_trailer
	// and _unsupported_trailer_declared (assertUnsupportedTrailerHeader).
	b := e.NewBucket()
	for _, name := range []string{"foo", "content-md5", "x-amz-checksum-crc16"} {
		p := streamPut{mode: StreamingUnsignedTrailer, data: streamData(20000), trailerName: name}
		doc := wantError(t, p.send(t, e, b, "k"), http.StatusBadRequest, "InvalidRequest")
		eq(t, "error <Message> for "+name, doc.Message, "The value specified in the x-amz-trailer header is not supported")
	}
	wantAbsent(t, e, b, "k")
}

func streamingUnsignedTrailerTrailerChecksumInvalid(t T, e *Env) {
	// Swift's test_strm_unsgnd_pyld_trl_with_trailer_checksum_invalid,
	// run against AWS.
	b := e.NewBucket()
	p := streamPut{mode: StreamingUnsignedTrailer, data: streamData(20000), trailerValue: "not=base-64"}
	doc := wantError(t, p.send(t, e, b, "k"), http.StatusBadRequest, "InvalidRequest")
	eq(t, "error <Message>", doc.Message, "Value for x-amz-checksum-crc32 trailing header is invalid.")
	wantAbsent(t, e, b, "k")
}

func streamingUnsignedTrailerGzipContentEncoding(t T, e *Env) {
	b := e.NewBucket()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(streamData(50000))
	mustf(t, w.Close(), "gzip")
	data := gz.Bytes()
	wantStatus(t, streamPut{mode: StreamingUnsignedTrailer, data: data, encoding: "gzip, aws-chunked"}.send(t, e, b, "k"), http.StatusOK)
	streamWantStored(t, e, b, "k", data, "gzip")
}

func streamingSdkHttpsDefaultPut(t T, e *Env) {
	if !strings.HasPrefix(e.Target.Endpoint, "https://") {
		t.Skipf("the SDK streams aws-chunked bodies only over HTTPS and this target is %s; "+
			"the suite's HTTPS run (TestGatewayTLS) covers this case", e.Target.Endpoint)
	}
	rec := &streamRecorder{next: e.Target.HTTPClient()}
	c := sigv4DefaultSDK(e, func(o *s3.Options) { o.HTTPClient = rec })
	b := e.NewBucket()
	data := streamData(200 << 10)
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(data),
	})
	mustf(t, err, "PutObject")
	rec.mu.Lock()
	sent := append([]string(nil), rec.sent...)
	rec.mu.Unlock()
	wantStrings(t, "x-amz-content-sha256 the SDK sent", sent, []string{StreamingUnsignedTrailer})
	streamWantStored(t, e, b, "k", data, "")
}
