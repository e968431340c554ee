package presign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/postpolicy"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/secrets"
)

// A POST form the gateway mints is an S3 POST policy signed with a key
// derived from PRESIGN_SECRET instead of an access key's: its
// x-amz-algorithm is auth.GatewayPostAlgorithm and its x-amz-credential
// names the project and the credential that minted it
// ("<project>/key:<access key>" or "<project>/token:<id>"), which the
// policy's conditions pin like every other field. The policy's
// conditions are the caller's scope (bucket, key or key prefix), its
// expiration the URL's, capped by the minting token's.

// postMAC is the signature of a policy under secret.
func postMAC(secret, policy string) []byte {
	m := hmac.New(sha256.New, secrets.Derive(secret, secrets.PostPolicy))
	m.Write([]byte(policy))
	return m.Sum(nil)
}

// SignPost returns the fields of a browser upload form for req, minted
// for project by cred, valid until expires. The Signer must be Enabled.
func (s *Signer) SignPost(req presignRequest, project, cred string, expires time.Time) map[string]string {
	credential := project + "/" + cred
	date := s.now().UTC().Format("20060102T150405Z")
	key := req.Key
	conds := []any{
		map[string]string{"bucket": req.Bucket},
		map[string]string{"x-amz-algorithm": auth.GatewayPostAlgorithm},
		map[string]string{"x-amz-credential": credential},
		map[string]string{"x-amz-date": date},
	}
	if key != "" {
		conds = append(conds, map[string]string{"key": key})
	} else {
		key = req.KeyPrefix + "${filename}"
		conds = append(conds, []any{"starts-with", "$key", req.KeyPrefix})
	}
	if r := req.ContentLengthRange; r != nil {
		conds = append(conds, []any{"content-length-range", r[0], r[1]})
	}
	if req.ContentType != nil {
		conds = append(conds, []any{"starts-with", "$Content-Type", *req.ContentType})
	}
	extra := map[string]string{}
	for name, v := range map[string]string{"success_action_status": req.SuccessActionStatus, "success_action_redirect": req.SuccessActionRedirect} {
		if v != "" {
			conds = append(conds, map[string]string{name: v})
			extra[name] = v
		}
	}
	doc, _ := json.Marshal(map[string]any{"expiration": expires.UTC().Format(time.RFC3339), "conditions": conds})
	policy := base64.StdEncoding.EncodeToString(doc)
	fields := map[string]string{
		"key":              key,
		"policy":           policy,
		"x-amz-algorithm":  auth.GatewayPostAlgorithm,
		"x-amz-credential": credential,
		"x-amz-date":       date,
		"x-amz-signature":  hex.EncodeToString(postMAC(s.Secrets[0], policy)),
	}
	for name, v := range extra {
		fields[name] = v
	}
	return fields
}

// httpURL reports whether v is an absolute http or https URL.
func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// VerifyPolicy authenticates a form SignPost minted, for its bucket and
// key: the principal may put that one key, and only while the credential
// that minted it still allows that. The policy's own conditions and
// expiration are the caller's to check.
func (s *Signer) VerifyPolicy(ctx context.Context, p sigv4.Policy) (*auth.Principal, error) {
	if !s.Enabled() {
		return nil, errDisabled
	}
	got, err := hex.DecodeString(p.Signature)
	if err != nil || len(got) != sha256.Size {
		return nil, s3err.SignatureDoesNotMatch
	}
	ok := false
	for _, secret := range s.Secrets {
		if hmac.Equal(got, postMAC(secret, p.Policy)) {
			ok = true
		}
	}
	if !ok {
		return nil, s3err.SignatureDoesNotMatch
	}
	// The credential named must be the one the signed policy pins before
	// it is looked up: a form's fields can be changed, its policy not.
	pol, err := postpolicy.Parse(p.Policy)
	if err != nil {
		return nil, err
	}
	if !pol.Pins("x-amz-credential", p.Credential) || !pol.Pins("bucket", p.Bucket) {
		return nil, s3err.AccessDenied.With("Invalid according to Policy: the form's credential or bucket is not the policy's.")
	}
	project, cred, found := strings.Cut(p.Credential, "/")
	if !found || project == "" {
		return nil, s3err.AccessDenied.With("The form's x-amz-credential does not name the project and credential that minted it.")
	}
	pr := &auth.Principal{Project: project, Bucket: p.Bucket, Prefix: p.Key, Actions: []auth.Action{auth.Put}, Method: "gateway-presign-post"}
	if err := s.checkCredential(ctx, cred, pr, auth.Put, p.Bucket, p.Key); err != nil {
		return nil, err
	}
	return pr, nil
}
