package s3api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// tokenMACSize is the length of the truncated MAC in a continuation token.
const tokenMACSize = 16

// encodeToken makes an opaque continuation token that resumes a listing of
// bucket after the entry last. It is MACed so a forged or altered token is
// refused rather than silently listing from a random place.
func (h *Handler) encodeToken(bucket, last string) string {
	mac := tokenMAC(h.opts.TokenKeys[0], bucket, last)
	return base64.RawURLEncoding.EncodeToString(append(mac, last...))
}

// decodeToken returns the resume position of a token made by encodeToken
// for the same bucket, under any of the token keys.
func (h *Handler) decodeToken(bucket, token string) (string, error) {
	// S3 names the argument but does not echo the token.
	bad := s3err.InvalidArgument.With("The continuation token provided is incorrect").
		WithDetails(s3err.Detail{Name: "ArgumentName", Value: "continuation-token"})
	// The decoder skips CR and LF even in strict mode; refuse them so that
	// each position has exactly one token spelling.
	if strings.ContainsAny(token, "\r\n") {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < tokenMACSize {
		return "", bad
	}
	mac, last := raw[:tokenMACSize], string(raw[tokenMACSize:])
	for _, k := range h.opts.TokenKeys {
		if hmac.Equal(mac, tokenMAC(k, bucket, last)) {
			return last, nil
		}
	}
	return "", bad
}

func tokenMAC(key []byte, bucket, last string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("list-token\x00"))
	m.Write([]byte(bucket))
	m.Write([]byte{0})
	m.Write([]byte(last))
	return m.Sum(nil)[:tokenMACSize]
}
