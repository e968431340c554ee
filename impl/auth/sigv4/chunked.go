package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// Limits of the aws-chunked framing, generous for every client seen.
const (
	maxChunkHeader = 4 << 10  // one chunk-size line
	maxTrailers    = 16 << 10 // all trailer lines together
	// minChunkSize is S3's least size of every chunk but the last data
	// chunk (and the final empty one).
	minChunkSize = 8192
)

// WrapBody replaces r.Body, when the payload needs it, with a reader that
// verifies it while it streams: a hex digest is checked at EOF, aws-chunked
// bodies are decoded and every chunk signature checked, and trailers are
// parsed (and their signature checked) into r.Trailer. Verification failures
// surface as read errors carrying S3 errors, so nothing is stored.
func (res *Result) WrapBody(r *http.Request) error {
	switch p := res.PayloadHash; p {
	case UnsignedPayload:
		return nil
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		declared, err := declaredTrailers(r.Header.Get("X-Amz-Trailer"))
		if err != nil {
			return err
		}
		if r.Trailer == nil {
			r.Trailer = make(http.Header)
		}
		r.Body = &chunkedReader{
			body:     r.Body,
			r:        bufio.NewReaderSize(r.Body, 64<<10),
			signed:   p != StreamingUnsignedTrailer,
			trailers: p != StreamingSigned,
			seed:     res.seed,
			prevSig:  res.seed.signature,
			declared: declared,
			out:      r.Trailer,
		}
		return nil
	default:
		if r.Body == nil || r.Body == http.NoBody {
			if p != emptySHA256 {
				// Refused when read, not now: a handler that reads no
				// body ignores the digest, as S3 does on a GET, and one
				// that needs a body can first say that its length is
				// missing (411), as S3 does.
				r.Body = emptyMismatch{}
			}
			return nil
		}
		want, _ := hex.DecodeString(p)
		r.Body = &digestReader{ReadCloser: r.Body, h: sha256.New(), want: want}
		return nil
	}
}

// declaredTrailers parses x-amz-trailer: the trailer names the client will
// send. Only checksum trailers are meaningful to S3. A trailing payload may
// declare none.
func declaredTrailers(h string) ([]string, error) {
	var names []string
	for n := range strings.SplitSeq(h, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n == "" {
			continue
		}
		if !strings.HasPrefix(n, "x-amz-checksum-") {
			// S3's words (openstack/swift, run against AWS:
			// test_strm_unsgnd_pyld_trl_non_checksum_trailer).
			return nil, s3err.InvalidRequest.With("The value specified in the x-amz-trailer header is not supported")
		}
		names = append(names, n)
	}
	return names, nil
}

// emptyMismatch is an empty body whose x-amz-content-sha256 names other
// bytes.
type emptyMismatch struct{}

func (emptyMismatch) Read([]byte) (int, error) { return 0, s3err.XAmzContentSHA256Mismatch }
func (emptyMismatch) Close() error             { return nil }

// digestReader checks the body's SHA-256 against x-amz-content-sha256.
type digestReader struct {
	io.ReadCloser
	h    hash.Hash
	want []byte
	done bool
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	d.h.Write(p[:n])
	if err == io.EOF && !d.done {
		d.done = true
		if !bytes.Equal(d.h.Sum(nil), d.want) {
			return n, s3err.XAmzContentSHA256Mismatch
		}
	}
	return n, err
}

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n
//	[trailer-name:value\r\n ...][x-amz-trailer-signature:sig\r\n]\r\n
//
// Each chunk's signature chains from the previous one, starting at the
// request's own signature, so chunks cannot be dropped, reordered or altered.
type chunkedReader struct {
	body     io.Closer
	r        *bufio.Reader
	signed   bool
	trailers bool
	seed     chainSeed
	prevSig  string
	declared []string
	out      http.Header

	chunks  int       // chunk headers read
	size    int64     // size of the current chunk
	left    int64     // data bytes left in the current chunk
	wantSig string    // the current chunk's signature
	h       hash.Hash // hashes the current chunk's data
	started bool
	done    bool
	err     error
}

func (c *chunkedReader) Close() error { return c.body.Close() }

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		if c.started {
			if err := c.endChunk(); err != nil {
				return 0, c.fail(err)
			}
		}
		c.started = true
		if err := c.beginChunk(); err != nil {
			return 0, c.fail(err)
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.signed {
		c.h.Write(p[:n])
	}
	if err == io.EOF {
		err = errIncomplete
	}
	if err != nil {
		return n, c.fail(err)
	}
	return n, nil
}

func (c *chunkedReader) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errIncomplete
	}
	c.err = err
	return err
}

var (
	errIncomplete = s3err.IncompleteBody.With("The request body ended before the aws-chunked encoding did.")
	errFraming    = s3err.IncompleteBody.With("The aws-chunked encoding of the request body is malformed.")
)

// errChunkSize is S3's refusal of a short chunk followed by more data. Like
// S3's, it numbers the chunk after the short one and gives the short one's
// size (openstack/swift test_strm_sgnd_pyld_too_small_chunks, run against
// AWS: "Yeah, it points at the wrong chunk number").
func errChunkSize(next int, short int64) error {
	return s3err.InvalidChunkSizeError.WithDetails(
		s3err.Detail{Name: "Chunk", Value: strconv.Itoa(next)},
		s3err.Detail{Name: "BadChunkSize", Value: strconv.FormatInt(short, 10)})
}

// beginChunk reads a chunk header; for the final (empty) chunk it also
// verifies its signature and reads the trailers.
func (c *chunkedReader) beginChunk() error {
	line, err := c.line(maxChunkHeader)
	if err != nil {
		return err
	}
	sizeHex, ext, hasExt := strings.Cut(line, ";")
	size, err := strconv.ParseInt(sizeHex, 16, 64)
	if err != nil || size < 0 || len(sizeHex) > 16 {
		return errFraming
	}
	if c.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !hasExt || !ok || len(sig) != 64 || !isLowerHex(sig) {
			return errFraming
		}
		c.wantSig = sig
		if c.h == nil {
			c.h = sha256.New()
		}
		c.h.Reset()
	} else if hasExt {
		return errFraming
	}
	c.chunks++
	if size > 0 && c.chunks > 1 && c.size < minChunkSize {
		return errChunkSize(c.chunks, c.size)
	}
	c.size, c.left = size, size
	if size > 0 {
		return nil
	}
	if err := c.verifyChunk(); err != nil {
		return err
	}
	if c.trailers {
		if err := c.readTrailers(); err != nil {
			return err
		}
	} else if err := c.crlf(); err != nil {
		return err
	}
	c.done = true
	return nil
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	if err := c.crlf(); err != nil {
		return err
	}
	return c.verifyChunk()
}

func (c *chunkedReader) verifyChunk() error {
	if !c.signed {
		return nil
	}
	var dataHash [sha256.Size]byte
	c.h.Sum(dataHash[:0])
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.seed.date + "\n" + c.seed.scope + "\n" + c.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(dataHash[:])
	if !c.matches(sts, c.wantSig) {
		return s3err.SignatureDoesNotMatch.With("The chunk signature of the streamed payload does not match.")
	}
	c.prevSig = c.wantSig
	return nil
}

func (c *chunkedReader) matches(stringToSign, sig string) bool {
	m := hmac.New(sha256.New, c.seed.key)
	m.Write([]byte(stringToSign))
	var got [sha256.Size]byte
	if len(sig) != 2*sha256.Size {
		return false
	}
	_, err := hex.Decode(got[:], []byte(sig))
	return err == nil && hmac.Equal(got[:], m.Sum(nil))
}

// readTrailers reads "name:value" lines up to an empty line, then checks
// that every declared trailer came, and (when signed) the trailer signature.
func (c *chunkedReader) readTrailers() error {
	var canonical strings.Builder
	var sig string
	total := 0
	for {
		line, err := c.trailerLine(maxTrailers)
		if err == io.EOF && !c.signed {
			// S3 takes the end of an unsigned-trailer body, at the start
			// of a line, for the blank line that ends the trailers
			// (openstack/swift test_strm_unsgnd_pyld_trl_with_trailer_ok
			// and _no_trailing_crlf_ok, run against AWS).
			break
		}
		if err != nil {
			if err == errFraming {
				return errMalformedTrailer
			}
			return err
		}
		if line == "" {
			// Whatever follows is not read: S3 ignores it (Swift's
			// _with_trailer_extra_line_junk_ok).
			break
		}
		if total += len(line); total > maxTrailers {
			return errMalformedTrailer
		}
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if !ok || name == "" {
			return errMalformedTrailer
		}
		if name == "x-amz-trailer-signature" {
			sig = value
			continue
		}
		if !containsString(c.declared, name) {
			return s3err.MalformedTrailerError.With("The trailer " + name + " was not declared in x-amz-trailer.")
		}
		canonical.WriteString(name + ":" + value + "\n")
		c.out.Set(name, value)
	}
	for _, name := range c.declared {
		if c.out.Get(name) == "" {
			return s3err.MalformedTrailerError.With("The trailer " + name + " declared in x-amz-trailer was not sent.")
		}
	}
	if !c.signed {
		return nil
	}
	if sig == "" {
		return s3err.MalformedTrailerError.With("The trailer signature is missing.")
	}
	sum := sha256.Sum256([]byte(canonical.String()))
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.seed.date + "\n" + c.seed.scope + "\n" + c.prevSig + "\n" + hex.EncodeToString(sum[:])
	if !c.matches(sts, sig) {
		return s3err.SignatureDoesNotMatch.With("The trailer signature of the streamed payload does not match.")
	}
	return nil
}

var errMalformedTrailer = s3err.MalformedTrailerError

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// line reads one CRLF-terminated line of at most max bytes. It returns
// io.EOF only when the body ends where the line would start.
func (c *chunkedReader) line(max int) (string, error) {
	var buf []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > max {
			return "", errFraming
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			return "", io.ErrUnexpectedEOF
		}
		if err != nil {
			return "", err
		}
		break
	}
	if len(buf) < 2 || buf[len(buf)-2] != '\r' {
		return "", errFraming
	}
	return string(buf[:len(buf)-2]), nil
}

// trailerLine reads one trailer line: the bytes up to CRLF, of at most max
// bytes. A bare LF does not end it: minio-go ends each trailer with "\n"
// and then sends "\r\n" (pkg/signer, StreamingUSReader.addTrailer), which
// AWS accepts (minio/minio-go#1817, "validated against AWS S3"), so the LF
// belongs to the value, whose surrounding whitespace is trimmed. A line the
// body ends inside, bare LF or not, is cut short: IncompleteBody, as S3
// answers (openstack/swift test_strm_unsgnd_pyld_trl_with_trailer_no_cr).
// It returns io.EOF only when the body ends where the line would start.
func (c *chunkedReader) trailerLine(max int) (string, error) {
	var buf []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > max {
			return "", errFraming
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) > 0:
			return "", io.ErrUnexpectedEOF
		case err != nil:
			return "", err
		}
		if n := len(buf); n >= 2 && buf[n-2] == '\r' {
			return string(buf[:n-2]), nil
		}
	}
}

func (c *chunkedReader) crlf() error {
	var b [2]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return errFraming
	}
	return nil
}

// WrapAnonymousBody decodes an unsigned body that declares its framing in
// x-amz-content-sha256 (an anonymous client may still send aws-chunked
// bodies with trailers, or a digest to check).
func WrapAnonymousBody(r *http.Request) error {
	p, err := singleHeader(r.Header, "X-Amz-Content-Sha256", "x-amz-content-sha256")
	if err != nil {
		return err
	}
	switch {
	case p == "" || p == UnsignedPayload:
		return nil
	case p == StreamingUnsignedTrailer:
	case len(p) == 64 && isLowerHex(p):
	default:
		return s3err.AccessDenied.With("A signed payload requires a signed request.")
	}
	return (&Result{PayloadHash: p}).WrapBody(r)
}
