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
	scopeDate   = "20060102"
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
	// amzDate is the request's timestamp as sent (x-amz-date, or the Date
	// header standing in for it): the second line of the string to sign.
	amzDate string
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
	now := v.now()
	if d := now.Sub(t); d > v.MaxSkew || d < -v.MaxSkew {
		return nil, v.skewed(amz, now)
	}
	if in.date != t.UTC().Format(scopeDate) {
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

// presignParams are the query parameters of SigV4 query authentication.
var presignParams = [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"}

func (v *Verifier) verifyQuery(r *http.Request) (*Result, error) {
	q := r.URL.Query()
	// One value each: the signature check and the rest of the gateway must
	// not read different ones.
	for _, name := range presignParams {
		if len(q[name]) > 1 {
			return nil, s3err.AuthorizationQueryParametersError.With(name + " must be given only once.")
		}
	}
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
	exp, err := parseExpires(expires)
	if err != nil {
		return nil, err
	}
	if in.date != t.Format(scopeDate) {
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

// parseExpires reads X-Amz-Expires: decimal digits, at most a week. The
// messages are S3's (kitware-resonant/cookiecutter-resonant#369 for 21600.0,
// fog/fog#3528 for a negative value, bryanjos/aws_auth#31 for over a week);
// refusing a sign or spaces is the gateway's own strictness.
func parseExpires(v string) (int64, error) {
	digits, negative := strings.CutPrefix(v, "-")
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || !allDigits(digits) {
		return 0, s3err.AuthorizationQueryParametersError.With("X-Amz-Expires should be a number")
	}
	if negative {
		return 0, s3err.AuthorizationQueryParametersError.With("X-Amz-Expires must be non-negative")
	}
	if n > MaxPresignExpiry {
		return 0, s3err.AuthorizationQueryParametersError.With("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	return n, nil
}

// allDigits reports whether s is one or more ASCII digits (ParseInt also
// takes a sign).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// singleHeader returns the value of a header the signature depends on,
// refusing it given twice: the canonical request would join the values
// while the rest of the verifier reads one.
func singleHeader(h http.Header, key, lower string) (string, error) {
	switch vs := h[key]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", s3err.InvalidArgument.With("Only one " + lower + " header is allowed.")
}

// ErrUnsupportedAuthorization is S3's answer to an Authorization header in a
// scheme it does not know (anything but SigV4, a bearer token or SigV2).
var ErrUnsupportedAuthorization = s3err.InvalidArgument.With("Unsupported Authorization Type")

var (
	errSessionToken = &s3err.Error{Code: "InvalidToken", Status: http.StatusBadRequest,
		Message: "Session tokens (X-Amz-Security-Token) are not supported by this gateway; sign with a long-term access key."}
	errQueryParams = s3err.AuthorizationQueryParametersError.With("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
)

// requestTime reads x-amz-date, or else Date, returning the time and the
// value as sent, which S3 puts in the string to sign unchanged whatever its
// form (ceph/s3-tests#346 quotes S3's StringToSign for a Date of
// "Wed, 06 May 2020 15:42:30 -0000").
func requestTime(r *http.Request) (time.Time, string, error) {
	v, err := singleHeader(r.Header, "X-Amz-Date", "x-amz-date")
	if err != nil {
		return time.Time{}, "", err
	}
	if v != "" {
		t, err := time.Parse(amzDate, v)
		if err != nil {
			return time.Time{}, "", errNoDate
		}
		return t, v, nil
	}
	if v, err = singleHeader(r.Header, "Date", "date"); err != nil {
		return time.Time{}, "", err
	}
	if t, ok := parseDate(v); ok {
		return t, v, nil
	}
	return time.Time{}, "", errNoDate
}

var errNoDate = s3err.AccessDenied.With("AWS authentication requires a valid Date or x-amz-date header")

// dateLayouts are the forms a Date header dating a signed request may take:
// ISO 8601 basic, which AWS documents for it ("If the Date header is
// specified in the ISO 8601 basic format, X-Amz-Date is not required"),
// RFC 1123 with a zone name or a numeric zone (what botocore's
// email.utils.formatdate sends: "-0000"), and the two obsolete HTTP forms
// RFC 9110 asks recipients to accept.
var dateLayouts = [...]string{
	amzDate,
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	time.RFC850,
	time.ANSIC,
}

// parseDate reads a Date header in one of dateLayouts. A zone name other
// than GMT or UTC does not match: time.Parse would take an unknown one (or a
// numeric zone, where a name is expected) for UTC.
func parseDate(v string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if name, off := t.Zone(); off == 0 && name != "" && name != "GMT" && name != "UTC" {
			continue
		}
		return t, true
	}
	return time.Time{}, false
}

// skewed is S3's RequestTimeTooSkewed, with the request's time as sent, the
// server's and the skew allowed, which clients read to correct their clock
// (aws/aws-sdk-php#612, versity/versitygw#1514 quote the document).
func (v *Verifier) skewed(requestTime string, now time.Time) error {
	return s3err.RequestTimeTooSkewed.WithDetails(
		s3err.Detail{Name: "RequestTime", Value: requestTime},
		s3err.Detail{Name: "ServerTime", Value: now.UTC().Format("2006-01-02T15:04:05Z")},
		s3err.Detail{Name: "MaxAllowedSkewMilliseconds", Value: strconv.FormatInt(v.MaxSkew.Milliseconds(), 10)},
	)
}

// checkScope checks the credential scope against the key's record and the
// gateway's region, and returns the record. Its refusals are malformed (the
// header's or the query's error), worded as S3 words them for that form.
func (v *Verifier) checkScope(ctx context.Context, in *authInput, malformed *s3err.Error) (*credentials.Record, error) {
	prefix := "The authorization header is malformed; "
	if malformed == s3err.AuthorizationQueryParametersError {
		prefix = "Error parsing the X-Amz-Credential parameter; "
	}
	if in.terminator != "aws4_request" {
		return nil, malformed.With("The credential scope must end with aws4_request.")
	}
	rec, err := v.Lookup(ctx, in.accessKey)
	if err != nil {
		if errors.Is(err, credentials.ErrUnknownKey) {
			return nil, s3err.InvalidAccessKeyID.WithDetails(s3err.Detail{Name: "AWSAccessKeyId", Value: in.accessKey})
		}
		return nil, err
	}
	region := rec.Region
	if region == "" {
		region = v.Region
	}
	if in.region != region {
		// The SDKs read <Region> to sign again for the right one
		// (botocore's S3RegionRedirector; jsoma/flatware#10 and
		// ai-dock/comfyui#34 quote the documents).
		return nil, malformed.With(prefix + "the region '" + in.region + "' is wrong; expecting '" + region + "'").
			WithDetails(s3err.Detail{Name: "Region", Value: region})
	}
	service := rec.Service
	if service == "" {
		service = v.svc()
	}
	if in.service != service {
		return nil, malformed.With(prefix + "incorrect service '" + in.service + "'. This endpoint belongs to '" + service + "'.")
	}
	return rec, nil
}

// hashOf returns the payload hash the signature covers.
func (v *Verifier) hashOf(r *http.Request, presigned bool) (string, error) {
	if v.payloadHash != nil {
		return v.payloadHash(r, presigned)
	}
	h, err := singleHeader(r.Header, "X-Amz-Content-Sha256", "x-amz-content-sha256")
	if err != nil {
		return "", err
	}
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
	signed := in.signedHeaders
	if !hasListItem(signed, "host") {
		return s3err.AccessDenied.With("The host header must be signed.")
	}
	if !sortedList(signed) {
		return mismatch(r, in, signed, payload, presigned)
	}
	if name := unsignedAmzHeader(r.Header, signed); name != "" {
		return s3err.AccessDenied.With("There were headers present in the request which were not signed: " + name)
	}
	var got [sha256.Size]byte
	if len(in.signature) != 2*sha256.Size {
		return mismatch(r, in, signed, payload, presigned)
	}
	if _, err := hex.Decode(got[:], []byte(in.signature)); err != nil {
		return mismatch(r, in, signed, payload, presigned)
	}
	ck := v.keys.get(rec.AccessKey, rec.SecretKey, in.date, in.region, in.service)

	bp := bufPool.Get().(*[]byte)
	buf := appendCanonicalRequest((*bp)[:0], r, signed, payload, presigned)
	crHash := sha256.Sum256(buf)
	buf = appendStringToSign(buf[:0], in, crHash)
	want := ck.sign(buf)
	ok := hmac.Equal(got[:], want[:])
	scope := ""
	if ok && res != nil && strings.HasPrefix(payload, "STREAMING-") {
		scope = scopeOf(in)
	}
	*bp = buf
	bufPool.Put(bp)
	if !ok {
		return mismatch(r, in, signed, payload, presigned)
	}
	res.seed = chainSeed{key: ck.key, date: in.amzDate, scope: scope, signature: in.signature}
	return nil
}

// appendStringToSign appends the string to sign of a request whose
// canonical request hashes to crHash.
func appendStringToSign(b []byte, in *authInput, crHash [sha256.Size]byte) []byte {
	b = append(b, algorithm+"\n"...)
	b = append(b, in.amzDate...)
	b = append(b, '\n')
	b = appendScope(b, in)
	b = append(b, '\n')
	return hex.AppendEncode(b, crHash[:])
}

func appendScope(b []byte, in *authInput) []byte {
	b = append(b, in.date...)
	b = append(b, '/')
	b = append(b, in.region...)
	b = append(b, '/')
	b = append(b, in.service...)
	return append(b, "/aws4_request"...)
}

func scopeOf(in *authInput) string { return string(appendScope(nil, in)) }

// mismatch is S3's SignatureDoesNotMatch with what it computed, so that a
// client can see which part of its signing differs: the access key, the
// signature sent, the string to sign and the canonical request, each also
// as bytes (minio/minio#2986 quotes AWS's whole document). None of it is
// secret: the secret key only keys the HMAC.
func mismatch(r *http.Request, in *authInput, signed, payload string, presigned bool) error {
	cr := appendCanonicalRequest(nil, r, signed, payload, presigned)
	sts := appendStringToSign(nil, in, sha256.Sum256(cr))
	return s3err.SignatureDoesNotMatch.WithDetails(
		s3err.Detail{Name: "AWSAccessKeyId", Value: in.accessKey},
		s3err.Detail{Name: "StringToSign", Value: string(sts)},
		s3err.Detail{Name: "SignatureProvided", Value: in.signature},
		s3err.Detail{Name: "StringToSignBytes", Value: spacedHex(sts)},
		s3err.Detail{Name: "CanonicalRequest", Value: string(cr)},
		s3err.Detail{Name: "CanonicalRequestBytes", Value: spacedHex(cr)},
	)
}

// spacedHex spells b as S3 does in its *Bytes elements: two lower-case hex
// digits a byte, separated by spaces.
func spacedHex(b []byte) string {
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&15])
	}
	return string(out)
}

const hexDigits = "0123456789abcdef"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// hasListItem reports whether a ;-separated list holds item.
func hasListItem(list, item string) bool {
	for list != "" {
		var head string
		head, list, _ = strings.Cut(list, ";")
		if head == item {
			return true
		}
	}
	return false
}

// sortedList reports whether a ;-separated list is in ascending order, as
// SigV4 requires SignedHeaders to be.
func sortedList(list string) bool {
	prev := ""
	for list != "" {
		var head string
		head, list, _ = strings.Cut(list, ";")
		if head < prev {
			return false
		}
		prev = head
	}
	return true
}

// unsignedAmzHeader returns an x-amz-* header present but not signed. S3
// refuses such requests so that no one can add, say, an x-amz-copy-source to
// a signed request.
func unsignedAmzHeader(h http.Header, signed string) string {
	for name := range h {
		if len(name) < 6 || !strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		if signedHas(signed, name) {
			continue
		}
		lower := strings.ToLower(name)
		if lower == "x-amz-content-sha256" {
			// Presigned requests may carry it unsigned.
			continue
		}
		return lower
	}
	return ""
}

// signedHas reports whether the ;-separated lower-case list names the
// header name (any case), without allocating.
func signedHas(list, name string) bool {
	for list != "" {
		var head string
		head, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(head, name) {
			return true
		}
	}
	return false
}

// appendCanonicalRequest appends the SigV4 canonical request of r.
func appendCanonicalRequest(b []byte, r *http.Request, signed, payload string, presigned bool) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r.URL.EscapedPath())
	b = append(b, '\n')
	b = appendCanonicalQuery(b, r.URL.RawQuery, presigned)
	b = append(b, '\n')
	for list := signed; list != ""; {
		var name string
		name, list, _ = strings.Cut(list, ";")
		b = append(b, name...)
		b = append(b, ':')
		switch values := r.Header[canonicalKey(name)]; {
		case name == "host":
			b = append(b, strings.TrimSpace(r.Host)...)
		case name == "transfer-encoding" && len(values) == 0:
			// net/http's server moves the header into r.TransferEncoding.
			// It takes a single "chunked" coding only, in any case, and
			// records it in lower case, the way clients send it.
			b = appendHeaderValues(b, r.TransferEncoding)
		default:
			b = appendHeaderValues(b, values)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	return append(b, payload...)
}

// commonKeys saves converting the usual signed header names.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Md5", "Content-Encoding", "Content-Disposition",
		"Cache-Control", "Expires", "Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
		"X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Decoded-Content-Length", "X-Amz-Trailer", "X-Amz-Sdk-Checksum-Algorithm",
		"X-Amz-Checksum-Crc32", "X-Amz-Checksum-Crc32c", "X-Amz-Checksum-Crc64nvme", "X-Amz-Checksum-Sha1", "X-Amz-Checksum-Sha256",
		"X-Amz-Copy-Source", "X-Amz-Metadata-Directive", "X-Amz-Storage-Class", "X-Amz-Checksum-Mode", "Amz-Sdk-Invocation-Id",
		"Amz-Sdk-Request", "User-Agent", "Accept-Encoding", "X-Amz-User-Agent", "Date"} {
		m[strings.ToLower(k)] = k
	}
	return m
}()

func canonicalKey(lower string) string {
	if k, ok := commonKeys[lower]; ok {
		return k
	}
	return http.CanonicalHeaderKey(lower)
}

// appendHeaderValues joins a header's values with commas, trimming each and
// collapsing runs of spaces.
func appendHeaderValues(b []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
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
				b = append(b, ' ')
				space = false
			}
			b = append(b, c)
		}
	}
	return b
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// appendCanonicalURI appends the raw path with its percent-encoding
// normalised: unreserved bytes literal, every other byte %XX in upper case.
// A literal slash separates segments; an encoded one (%2F) stays encoded.
// Dot segments and empty segments are kept: S3 keys may contain them.
func appendCanonicalURI(b []byte, raw string) []byte {
	if raw == "" {
		return append(b, '/')
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) && ishex(raw[i+1]) && ishex(raw[i+2]) {
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
			b = appendEscaped(b, c)
			continue
		}
		if c == '/' {
			b = append(b, '/')
			continue
		}
		b = appendEscaped(b, c)
	}
	return b
}

func appendEscaped(b []byte, c byte) []byte {
	if unreserved(c) {
		return append(b, c)
	}
	return append(b, '%', upperHex[c>>4], upperHex[c&15])
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

// appendCanonicalQuery appends the query's parameters, each name and value
// decoded and re-encoded the SigV4 way, sorted by name then value. A
// presigned request's signature parameter is left out.
func appendCanonicalQuery(b []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return b
	}
	type pair struct{ k, v string }
	var stack [8]pair
	pairs := stack[:0]
	for rest := raw; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
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
			b = append(b, '&')
		}
		b = append(b, p.k...)
		b = append(b, '=')
		b = append(b, p.v...)
	}
	return b
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
	var b []byte
	for i := 0; i < len(dec); i++ {
		b = appendEscaped(b, dec[i])
	}
	return string(b)
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// keyCache holds derived signing keys: deriving one costs four HMACs, and a
// key is valid for a whole day.
type keyCache struct {
	mu sync.RWMutex
	m  map[keyID]*cachedKey
}

type keyID struct{ accessKey, date, region, service string }

type cachedKey struct {
	secret string
	key    []byte
	macs   sync.Pool // HMAC-SHA256 instances keyed with key
}

// sign returns HMAC-SHA256(key, msg) with a pooled HMAC.
func (ck *cachedKey) sign(msg []byte) [sha256.Size]byte {
	m, _ := ck.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, ck.key)
	}
	m.Reset()
	m.Write(msg)
	var out [sha256.Size]byte
	m.Sum(out[:0])
	ck.macs.Put(m)
	return out
}

// maxCachedKeys bounds the cache; it is cleared when full (keys change
// daily, so a simple reset is enough).
const maxCachedKeys = 10000

func (c *keyCache) get(accessKey, secret, date, region, service string) *cachedKey {
	id := keyID{accessKey, date, region, service}
	c.mu.RLock()
	ck, ok := c.m[id]
	c.mu.RUnlock()
	if ok && hmac.Equal([]byte(ck.secret), []byte(secret)) {
		return ck
	}
	ck = &cachedKey{secret: secret, key: deriveKey(secret, date, region, service)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[keyID]*cachedKey)
	}
	c.m[id] = ck
	c.mu.Unlock()
	return ck
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
