// Package sigv4 verifies AWS Signature Version 4 as S3 uses it: in the
// Authorization header or in presigned query parameters, with the payload
// signed as a hex digest, unsigned, or streamed as aws-chunked chunks.
//
// The canonical request is built from the request as sent: the raw path
// (percent-encoding normalised, never dot-segment or slash normalised, as S3
// requires) and the raw query. Signatures are compared in constant time, and
// derived signing keys are cached per key, day, region and service.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/s3err"
)

// Payload hash values of x-amz-content-sha256 other than a hex digest.
const (
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

	algorithm   = "AWS4-HMAC-SHA256"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDate     = "20060102T150405Z"
	// MaxPresignExpiry is the longest validity of a presigned URL: 7 days.
	MaxPresignExpiry = 604800
)

// Verifier checks SigV4 signatures. Its zero value is not usable; set Lookup,
// Region and MaxSkew.
type Verifier struct {
	// Lookup resolves access keys (credentials.ErrUnknownKey for none).
	Lookup credentials.Lookup
	// Region is expected in the credential scope when the key's record
	// names none.
	Region string
	// MaxSkew is how far a request's date may be from now, either way.
	MaxSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// service and payloadHash are fixed for S3; tests of the official
	// vectors (which sign for a generic service) override them.
	service     string
	payloadHash func(r *http.Request, presigned bool) (string, error)

	keys keyCache
}

// Result is a verified request.
type Result struct {
	Record *credentials.Record
	// Presigned is true for query-string authentication.
	Presigned bool
	// PayloadHash is the request's x-amz-content-sha256 (for presigned
	// requests, UNSIGNED-PAYLOAD unless the URL signs a digest).
	PayloadHash string
	// seed is what streaming payloads chain their chunk signatures from.
	seed chainSeed
}

// chainSeed is what an aws-chunked body needs to verify its signatures.
type chainSeed struct {
	key       []byte
	date      string // x-amz-date
	scope     string
	signature string
}

// IsSigV4 reports whether r carries SigV4 credentials, in its Authorization
// header or its query.
func IsSigV4(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), algorithm) {
		return true
	}
	return strings.Contains(r.URL.RawQuery, "X-Amz-Credential=") || strings.Contains(r.URL.RawQuery, "X-Amz-Algorithm=")
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) svc() string {
	if v.service != "" {
		return v.service
	}
	return "s3"
}

// authInput is what the header and query forms have in common.
type authInput struct {
	accessKey, date, region, service, terminator string
	signedHeaders                                string
	signature                                    string
	amzDate                                      string // the request's timestamp, x-amz-date format
}

// Verify authenticates r by its Authorization header or presigned query.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return v.verifyHeader(r, h)
	}
	return v.verifyQuery(r)
}

func (v *Verifier) verifyHeader(r *http.Request, h string) (*Result, error) {
	in, err := parseAuthorization(h)
	if err != nil {
		return nil, err
	}
	if r.Header.Get("X-Amz-Security-Token") != "" {
		return nil, errSessionToken
	}
	t, amz, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	in.amzDate = amz
	if d := v.now().Sub(t); d > v.MaxSkew || d < -v.MaxSkew {
		return nil, s3err.RequestTimeTooSkewed
	}
	if in.date != amz[:8] {
		return nil, s3err.AuthorizationHeaderMalformed.With("The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	rec, err := v.checkScope(r.Context(), &in, s3err.AuthorizationHeaderMalformed)
	if err != nil {
		return nil, err
	}
	payload, err := v.hashOf(r, false)
	if err != nil {
		return nil, err
	}
	res := &Result{Record: rec, PayloadHash: payload}
	return res, v.check(r, &in, rec, payload, false, res)
}

func (v *Verifier) verifyQuery(r *http.Request) (*Result, error) {
	q := r.URL.Query()
	if q.Get("X-Amz-Security-Token") != "" {
		return nil, errSessionToken
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		if alg == "" {
			return nil, errQueryParams
		}
		return nil, s3err.AuthorizationQueryParametersError.With("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	cred, amz, expires := q.Get("X-Amz-Credential"), q.Get("X-Amz-Date"), q.Get("X-Amz-Expires")
	in := authInput{signedHeaders: q.Get("X-Amz-SignedHeaders"), signature: q.Get("X-Amz-Signature"), amzDate: amz}
	if cred == "" || amz == "" || expires == "" || in.signedHeaders == "" || in.signature == "" {
		return nil, errQueryParams
	}
	if !parseCredential(cred, &in) {
		return nil, s3err.AuthorizationQueryParametersError.With("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	t, err := time.Parse(amzDate, amz)
	if err != nil {
		return nil, s3err.AuthorizationQueryParametersError.With("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	exp, err := strconv.Atoi(expires)
	if err != nil || exp < 0 {
		return nil, s3err.AuthorizationQueryParametersError.With("X-Amz-Expires should be a number")
	}
	if exp > MaxPresignExpiry {
		return nil, s3err.AuthorizationQueryParametersError.With("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
	}
	if in.date != amz[:8] {
		return nil, s3err.AuthorizationQueryParametersError.With("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	now := v.now()
	if t.Sub(now) > v.MaxSkew {
		return nil, s3err.AccessDenied.With("Request is not valid yet")
	}
	if now.After(t.Add(time.Duration(exp) * time.Second)) {
		return nil, s3err.AccessDenied.With("Request has expired")
	}
	rec, err := v.checkScope(r.Context(), &in, s3err.AuthorizationQueryParametersError)
	if err != nil {
		return nil, err
	}
	payload, err := v.hashOf(r, true)
	if err != nil {
		return nil, err
	}
	res := &Result{Record: rec, Presigned: true, PayloadHash: payload}
	return res, v.check(r, &in, rec, payload, true, res)
}

var (
	errSessionToken = &s3err.Error{Code: "InvalidToken", Status: http.StatusBadRequest,
		Message: "Session tokens (X-Amz-Security-Token) are not supported by this gateway; sign with a long-term access key."}
	errQueryParams = s3err.AuthorizationQueryParametersError.With("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
)

// requestTime reads x-amz-date, or else Date, returning the time and its
// x-amz-date form.
func requestTime(r *http.Request) (time.Time, string, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDate, v)
		if err != nil {
			return time.Time{}, "", s3err.AccessDenied.With("AWS authentication requires a valid Date or x-amz-date header")
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			return t, t.UTC().Format(amzDate), nil
		}
	}
	return time.Time{}, "", s3err.AccessDenied.With("AWS authentication requires a valid Date or x-amz-date header")
}

// checkScope checks the credential scope against the key's record and the
// gateway's region, and returns the record.
func (v *Verifier) checkScope(ctx context.Context, in *authInput, malformed *s3err.Error) (*credentials.Record, error) {
	if in.terminator != "aws4_request" {
		return nil, malformed.With("The credential scope must end with aws4_request.")
	}
	rec, err := v.Lookup(ctx, in.accessKey)
	if err != nil {
		if errors.Is(err, credentials.ErrUnknownKey) {
			return nil, s3err.InvalidAccessKeyID
		}
		return nil, err
	}
	region := rec.Region
	if region == "" {
		region = v.Region
	}
	if in.region != region {
		return nil, malformed.With("The authorization header is malformed; the region '" + in.region + "' is wrong; expecting '" + region + "'")
	}
	service := rec.Service
	if service == "" {
		service = v.svc()
	}
	if in.service != service {
		return nil, malformed.With("The authorization header is malformed; incorrect service '" + in.service + "'. This endpoint belongs to '" + service + "'.")
	}
	return rec, nil
}

// hashOf returns the payload hash the signature covers.
func (v *Verifier) hashOf(r *http.Request, presigned bool) (string, error) {
	if v.payloadHash != nil {
		return v.payloadHash(r, presigned)
	}
	h := r.Header.Get("X-Amz-Content-Sha256")
	if presigned {
		if q := r.URL.Query().Get("X-Amz-Content-Sha256"); q != "" {
			h = q
		}
		if h == "" {
			return UnsignedPayload, nil
		}
	}
	switch h {
	case UnsignedPayload, StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		if presigned && h != UnsignedPayload {
			return "", s3err.InvalidRequest.With("Streaming payloads cannot be used with presigned URLs.")
		}
		return h, nil
	case "":
		return "", s3err.InvalidRequest.With("Missing required header for this request: x-amz-content-sha256")
	}
	if len(h) != 64 || !isLowerHex(h) {
		return "", s3err.InvalidArgument.With("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	}
	return h, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// check computes the request's signature and compares it with the one sent.
func (v *Verifier) check(r *http.Request, in *authInput, rec *credentials.Record, payload string, presigned bool, res *Result) error {
	signed := strings.Split(in.signedHeaders, ";")
	if !slices.Contains(signed, "host") {
		return s3err.AccessDenied.With("The host header must be signed.")
	}
	if !slices.IsSorted(signed) {
		return s3err.SignatureDoesNotMatch
	}
	if name := unsignedAmzHeader(r.Header, signed); name != "" {
		return s3err.AccessDenied.With("There were headers present in the request which were not signed: " + name)
	}
	scope := in.date + "/" + in.region + "/" + in.service + "/aws4_request"
	key := v.keys.get(rec.AccessKey, rec.SecretKey, in.date, in.region, in.service)

	h := sha256.New()
	writeCanonicalRequest(h, r, signed, in.signedHeaders, payload, presigned)
	var crHash [sha256.Size]byte
	h.Sum(crHash[:0])

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(algorithm + "\n"))
	mac.Write([]byte(in.amzDate))
	mac.Write([]byte{'\n'})
	mac.Write([]byte(scope))
	mac.Write([]byte{'\n'})
	var hexHash [2 * sha256.Size]byte
	hex.Encode(hexHash[:], crHash[:])
	mac.Write(hexHash[:])
	var want [sha256.Size]byte
	mac.Sum(want[:0])

	var got [sha256.Size]byte
	if len(in.signature) != 2*sha256.Size {
		return s3err.SignatureDoesNotMatch
	}
	if _, err := hex.Decode(got[:], []byte(in.signature)); err != nil || !hmac.Equal(got[:], want[:]) {
		return s3err.SignatureDoesNotMatch
	}
	res.seed = chainSeed{key: key, date: in.amzDate, scope: scope, signature: in.signature}
	return nil
}

// unsignedAmzHeader returns an x-amz-* header present but not signed. S3
// refuses such requests so that no one can add, say, an x-amz-copy-source to
// a signed request.
func unsignedAmzHeader(h http.Header, signed []string) string {
	for name := range h {
		if len(name) < 6 || !strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		lower := strings.ToLower(name)
		if lower == "x-amz-content-sha256" && !slices.Contains(signed, lower) {
			// Presigned requests may carry it unsigned.
			continue
		}
		if !slices.Contains(signed, lower) {
			return lower
		}
	}
	return ""
}

// writeCanonicalRequest writes the SigV4 canonical request of r to w.
func writeCanonicalRequest(w hash.Hash, r *http.Request, signed []string, signedHeaders, payload string, presigned bool) {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	writeCanonicalURI(&b, r.URL.EscapedPath())
	b.WriteByte('\n')
	writeCanonicalQuery(&b, r.URL.RawQuery, presigned)
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		if name == "host" {
			b.WriteString(strings.TrimSpace(r.Host))
		} else {
			writeHeaderValues(&b, r.Header[http.CanonicalHeaderKey(name)])
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payload)
	w.Write([]byte(b.String()))
}

// writeHeaderValues joins a header's values with commas, trimming each and
// collapsing runs of spaces.
func writeHeaderValues(b *strings.Builder, values []string) {
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		v = strings.TrimSpace(v)
		space := false
		for j := 0; j < len(v); j++ {
			c := v[j]
			if c == ' ' || c == '\t' {
				space = true
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// writeCanonicalURI writes the raw path with its percent-encoding
// normalised: unreserved bytes literal, every other byte %XX in upper case.
// A literal slash separates segments; an encoded one (%2F) stays encoded.
// Dot segments and empty segments are kept: S3 keys may contain them.
func writeCanonicalURI(b *strings.Builder, raw string) {
	if raw == "" {
		b.WriteByte('/')
		return
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) && ishex(raw[i+1]) && ishex(raw[i+2]) {
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
			writeEscaped(b, c)
			continue
		}
		if c == '/' {
			b.WriteByte('/')
			continue
		}
		writeEscaped(b, c)
	}
}

func writeEscaped(b *strings.Builder, c byte) {
	if unreserved(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// writeCanonicalQuery writes the query's parameters, each name and value
// decoded and re-encoded the SigV4 way, sorted by name then value. A
// presigned request's signature parameter is left out.
func writeCanonicalQuery(b *strings.Builder, raw string, presigned bool) {
	if raw == "" {
		return
	}
	type pair struct{ k, v string }
	var stack [8]pair
	pairs := stack[:0]
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, val = encodeQueryComponent(k), encodeQueryComponent(val)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{k, val})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
}

// encodeQueryComponent decodes a raw query component ("+" is a space) and
// encodes it the SigV4 way. It returns s unchanged when that is already the
// result, which is the common case.
func encodeQueryComponent(s string) string {
	canonical := true
	for i := 0; i < len(s) && canonical; i++ {
		c := s[i]
		switch {
		case unreserved(c):
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) &&
			!unreserved(unhex(s[i+1])<<4|unhex(s[i+2])):
			i += 2
		default:
			canonical = false
		}
	}
	if canonical {
		return s
	}
	dec, err := url.QueryUnescape(s)
	if err != nil {
		dec = s // not valid encoding: sign the bytes as they are
	}
	var b strings.Builder
	for i := 0; i < len(dec); i++ {
		writeEscaped(&b, dec[i])
	}
	return b.String()
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// keyCache holds derived signing keys: deriving one costs four HMACs, and a
// key is valid for a whole day.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	secret string
	key    []byte
}

// maxCachedKeys bounds the cache; it is cleared when full (keys change
// daily, so a simple reset is enough).
const maxCachedKeys = 10000

func (c *keyCache) get(accessKey, secret, date, region, service string) []byte {
	id := accessKey + "\x00" + date + "\x00" + region + "\x00" + service
	c.mu.RLock()
	ck, ok := c.m[id]
	c.mu.RUnlock()
	if ok && hmac.Equal([]byte(ck.secret), []byte(secret)) {
		return ck.key
	}
	key := deriveKey(secret, date, region, service)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[string]cachedKey)
	}
	c.m[id] = cachedKey{secret: secret, key: key}
	c.mu.Unlock()
	return key
}

func deriveKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
