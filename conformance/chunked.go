package conformance

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// A client-side encoder for aws-chunked request bodies, the framing S3 reads
// when x-amz-content-sha256 names a streaming payload. It follows AWS's
// "Signature Calculations for the Authorization Header: Transferring Payload
// in Multiple Chunks" (sigv4-streaming.html) and its trailer variant
// (sigv4-streaming-trailers.html):
//
//	signed:           <hex size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n\r\n
//	signed, trailer:  ... 0;chunk-signature=<sig>\r\n<name>:<value>\r\nx-amz-trailer-signature:<sig>\r\n\r\n
//	unsigned trailer: <hex size>\r\n<data>\r\n ... 0\r\n<name>:<value>\r\n\r\n
//
// Each chunk signature signs the previous one (the first, the request's own
// seed signature), the empty-string hash and the chunk data's hash; the
// trailer signature signs the last chunk signature and the hash of the
// trailer lines ("name:value\n"). The body is built as a structure so that a
// case can break exactly one part of it after signing, then serialised.

// The streaming payload modes (x-amz-content-sha256 values).
const (
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// emptySHA256 is the hex SHA-256 of zero bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkSigner computes the chained signatures of an aws-chunked body.
type chunkSigner struct {
	key     []byte // the SigV4 signing key for the request's scope
	amzDate string // 20130524T000000Z
	scope   string // 20130524/us-east-1/s3/aws4_request
	prev    string // the signature the next one chains from
}

// newChunkSigner starts a signature chain at seed, the signature of the
// request's Authorization header, for a request signed at signTime in region
// and service with secret.
func newChunkSigner(secret string, signTime time.Time, region, service, seed string) *chunkSigner {
	signTime = signTime.UTC()
	day := signTime.Format("20060102")
	key := chunkHMAC([]byte("AWS4"+secret), day)
	key = chunkHMAC(key, region)
	key = chunkHMAC(key, service)
	key = chunkHMAC(key, "aws4_request")
	return &chunkSigner{
		key:     key,
		amzDate: signTime.Format("20060102T150405Z"),
		scope:   day + "/" + region + "/" + service + "/aws4_request",
		prev:    seed,
	}
}

func chunkHMAC(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func chunkSHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunk returns the signature of the next chunk and advances the chain.
func (s *chunkSigner) chunk(data []byte) string {
	sts := strings.Join([]string{
		"AWS4-HMAC-SHA256-PAYLOAD", s.amzDate, s.scope, s.prev, emptySHA256, chunkSHA256Hex(data),
	}, "\n")
	s.prev = hex.EncodeToString(chunkHMAC(s.key, sts))
	return s.prev
}

// trailer returns the signature of the trailing headers, given in their
// canonical form ("name:value\n" per header), chained from the final chunk.
func (s *chunkSigner) trailer(canonical []byte) string {
	sts := strings.Join([]string{
		"AWS4-HMAC-SHA256-TRAILER", s.amzDate, s.scope, s.prev, chunkSHA256Hex(canonical),
	}, "\n")
	s.prev = hex.EncodeToString(chunkHMAC(s.key, sts))
	return s.prev
}

// awsChunk is one chunk of an aws-chunked body. Signature is "" in the
// unsigned mode.
type awsChunk struct {
	Data      []byte
	Signature string
}

// awsTrailer is one trailing header.
type awsTrailer struct{ Name, Value string }

// awsChunkedBody is an encoded aws-chunked body before serialisation: the
// data chunks, the final zero-length chunk, and the trailer.
type awsChunkedBody struct {
	Mode             string
	Chunks           []awsChunk // data chunks, in order
	Final            awsChunk   // the zero-length chunk
	Trailers         []awsTrailer
	TrailerSignature string // signed-trailer mode only
	// TrailerLineEnd ends each trailer line instead of CRLF when not "".
	TrailerLineEnd string
}

// streamingSigned reports whether mode signs its chunks.
func streamingSigned(mode string) bool {
	return mode == StreamingSigned || mode == StreamingSignedTrailer
}

// streamingHasTrailer reports whether mode carries a trailer.
func streamingHasTrailer(mode string) bool {
	return mode == StreamingUnsignedTrailer || mode == StreamingSignedTrailer
}

// canonicalTrailers is what the trailer signature signs.
func canonicalTrailers(trailers []awsTrailer) []byte {
	var b bytes.Buffer
	for _, tr := range trailers {
		b.WriteString(strings.ToLower(tr.Name) + ":" + strings.TrimSpace(tr.Value) + "\n")
	}
	return b.Bytes()
}

// splitAWSChunked splits data into chunks of chunkSize bytes (the last one
// shorter), unsigned. trailers are kept only in the trailer modes.
func splitAWSChunked(mode string, data []byte, chunkSize int, trailers []awsTrailer) *awsChunkedBody {
	if chunkSize <= 0 {
		panic("splitAWSChunked: chunk size must be positive")
	}
	var sizes []int
	for off := 0; off < len(data); off += chunkSize {
		sizes = append(sizes, min(chunkSize, len(data)-off))
	}
	return splitAWSChunkedSizes(mode, data, sizes, trailers)
}

// splitAWSChunkedSizes splits data into data chunks of the given sizes,
// which must add up to len(data), unsigned.
func splitAWSChunkedSizes(mode string, data []byte, sizes []int, trailers []awsTrailer) *awsChunkedBody {
	b := &awsChunkedBody{Mode: mode, Final: awsChunk{Data: []byte{}}}
	off := 0
	for _, n := range sizes {
		if n <= 0 || off+n > len(data) {
			panic("splitAWSChunkedSizes: chunk sizes must be positive and within the data")
		}
		b.Chunks = append(b.Chunks, awsChunk{Data: data[off : off+n]})
		off += n
	}
	if off != len(data) {
		panic("splitAWSChunkedSizes: chunk sizes do not add up to the data")
	}
	if streamingHasTrailer(mode) {
		b.Trailers = trailers
	}
	return b
}

// sign fills in the chunk (and trailer) signatures from s, in order.
func (b *awsChunkedBody) sign(s *chunkSigner) {
	if !streamingSigned(b.Mode) {
		return
	}
	for i := range b.Chunks {
		b.Chunks[i].Signature = s.chunk(b.Chunks[i].Data)
	}
	b.Final.Signature = s.chunk(nil)
	if b.Mode == StreamingSignedTrailer {
		b.TrailerSignature = s.trailer(canonicalTrailers(b.Trailers))
	}
}

// encodeAWSChunked splits data into chunks of chunkSize bytes and, in the
// signed modes, signs them with s (which may be nil in the unsigned mode).
func encodeAWSChunked(mode string, data []byte, chunkSize int, trailers []awsTrailer, s *chunkSigner) *awsChunkedBody {
	b := splitAWSChunked(mode, data, chunkSize, trailers)
	b.sign(s)
	return b
}

// Bytes serialises the body.
func (b *awsChunkedBody) Bytes() []byte {
	var out bytes.Buffer
	writeChunk := func(c awsChunk) {
		if streamingSigned(b.Mode) {
			fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", len(c.Data), c.Signature)
		} else {
			fmt.Fprintf(&out, "%x\r\n", len(c.Data))
		}
	}
	for _, c := range b.Chunks {
		writeChunk(c)
		out.Write(c.Data)
		out.WriteString("\r\n")
	}
	writeChunk(b.Final)
	if streamingHasTrailer(b.Mode) {
		end := "\r\n"
		if b.TrailerLineEnd != "" {
			end = b.TrailerLineEnd
		}
		for _, tr := range b.Trailers {
			out.WriteString(tr.Name + ":" + tr.Value + end)
		}
		if b.Mode == StreamingSignedTrailer {
			out.WriteString("x-amz-trailer-signature:" + b.TrailerSignature + "\r\n")
		}
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// encodedAWSChunkedLen returns the serialised length of the body the encoder
// produces: signatures have a fixed length, so placeholders give it before
// the seed signature (which signs that length) exists.
func encodedAWSChunkedLen(mode string, data []byte, chunkSize int, trailers []awsTrailer) int {
	b := splitAWSChunked(mode, data, chunkSize, trailers)
	if streamingSigned(mode) {
		placeholder := strings.Repeat("0", 64)
		for i := range b.Chunks {
			b.Chunks[i].Signature = placeholder
		}
		b.Final.Signature = placeholder
		if mode == StreamingSignedTrailer {
			b.TrailerSignature = placeholder
		}
	}
	return len(b.Bytes())
}
