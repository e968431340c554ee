// Package secrets is the one place that turns the gateway's configured
// secrets (PRESIGN_SECRET) into the keys its features use. Each feature
// derives its own key for its own purpose, so one feature's MACs can never
// stand in for another's, and every instance sharing the secrets derives
// the same keys, so they accept each other's tokens.
//
// Every use of a secret has a label here, and no label is a prefix of
// another (TestLabelsAreDistinct), which keeps the HMAC inputs of the
// different uses apart.
package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Purposes of derived keys: the labels Derive MACs. A label is part of
// the key: changing one changes every key derived for it and invalidates
// whatever was signed with them (listing tokens held by clients).
const (
	// ListToken keys the MACs of listing continuation tokens (s3api).
	ListToken = "s3-gateway list continuation token"
	// PostPolicy keys the signatures of POST policies the gateway mints
	// (presign).
	PostPolicy = "s3-gateway POST policy v1"
)

// PresignURL begins the message a gateway presigned URL's signature covers
// (impl/presign). That MAC is keyed by the secret itself, not by a key
// derived here, because URLs were signed that way before this package
// existed: deriving a key would refuse every URL in flight across an
// upgrade. It is listed here so that no purpose label is ever chosen that
// could make a derived key equal to a presigned URL's signature.
const PresignURL = "s3-gateway presigned URL v1\n"

// Derive returns the key for purpose derived from secret: HMAC-SHA256 keyed
// by the secret over the purpose label. The label is what separates uses,
// so purpose must be one of this package's constants.
func Derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// DeriveAll derives purpose's key from each secret, in order, so that a
// feature rotates keys as the secrets rotate: the first signs, all verify.
func DeriveAll(secrets []string, purpose string) [][]byte {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = Derive(s, purpose)
	}
	return keys
}
