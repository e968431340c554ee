package sigv4

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/s3err"
)

// Policy is the signed part of a browser upload (POST Object): the form's
// x-amz-algorithm, x-amz-credential, x-amz-date, policy (base64, as sent)
// and x-amz-signature.
type Policy struct {
	Algorithm, Credential, Date, Policy, Signature string
	// Bucket and Key are what the form stores to, for a verifier that
	// checks its credential's scope (the gateway's own policies).
	Bucket, Key string
}

// errPolicyField is the refusal of a form whose signing fields are
// missing or malformed.
func errPolicyField(name string) error {
	return s3err.InvalidArgument.With("Bucket POST must contain a valid "+name+" field.").WithArgument(name, "")
}

// VerifyPolicy checks a browser upload's signature: the hex HMAC-SHA256 of
// the base64 policy under the signing key of the form's credential, whose
// date must be x-amz-date's day (AWS's "Calculating a signature" for POST
// policies). The policy's own expiration is the caller's to check.
func (v *Verifier) VerifyPolicy(ctx context.Context, p Policy) (*credentials.Record, error) {
	if p.Algorithm != algorithm {
		if p.Algorithm == "" {
			return nil, errPolicyField("x-amz-algorithm")
		}
		return nil, s3err.InvalidArgument.With("Only AWS4-HMAC-SHA256 is supported for x-amz-algorithm.").WithArgument("x-amz-algorithm", p.Algorithm)
	}
	var in authInput
	if p.Credential == "" || !parseCredential(p.Credential, &in) {
		return nil, errPolicyField("x-amz-credential")
	}
	t, err := time.Parse(amzDate, p.Date)
	if err != nil {
		return nil, errPolicyField("x-amz-date")
	}
	if in.date != t.Format(scopeDate) {
		return nil, s3err.InvalidArgument.With("Invalid credential date. Date is not the same as X-Amz-Date.").WithArgument("x-amz-credential", p.Credential)
	}
	if p.Signature == "" {
		return nil, errPolicyField("x-amz-signature")
	}
	rec, err := v.checkScope(ctx, &in, s3err.InvalidArgument)
	if err != nil {
		return nil, err
	}
	ck := v.keys.get(in.accessKey, rec.SecretKey, in.date, in.region, in.service)
	want := ck.sign([]byte(p.Policy))
	got, err := hex.DecodeString(p.Signature)
	if err != nil || !hmac.Equal(got, want[:]) {
		return nil, s3err.SignatureDoesNotMatch
	}
	return rec, nil
}
