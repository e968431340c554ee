package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/s3err"
)

// Chain picks the authentication method a request uses: SigV4 (header or
// presigned query), a bearer token, or a gateway presigned URL. A request
// that carries credentials is always verified, whatever RequireAuth says, so
// that scopes apply in development too; RequireAuth only decides what
// happens to requests that carry none.
type Chain struct {
	SigV4 *sigv4.Verifier
	// Tokens verifies "Authorization: Bearer" tokens; nil refuses them.
	Tokens TokenVerifier
	// Presigned verifies the gateway's own presigned URLs; nil refuses them.
	Presigned PresignVerifier
	// PresignedPost verifies the POST policies the gateway mints (their
	// x-amz-algorithm is GatewayPostAlgorithm); nil refuses them.
	PresignedPost PolicyVerifier
	RequireAuth   bool
}

// GatewayPostAlgorithm is the x-amz-algorithm of POST policies the gateway
// signs itself (POST /v1/presign), with PRESIGN_SECRET.
const GatewayPostAlgorithm = "S3GW-HMAC-SHA256"

// PolicyVerifier authenticates a browser upload's signed policy.
type PolicyVerifier interface {
	VerifyPolicy(ctx context.Context, p sigv4.Policy) (*Principal, error)
}

// TokenVerifier turns a bearer token into a principal for a target.
type TokenVerifier interface {
	Principal(r *http.Request, token string, target Target) (*Principal, error)
}

// PresignVerifier recognises and verifies the gateway's presigned URLs.
type PresignVerifier interface {
	IsPresigned(r *http.Request) bool
	Principal(r *http.Request) (*Principal, error)
}

// errTwoMechanisms is S3's answer to a request that authenticates twice: an
// Authorization header and a presigned query together. S3 names the header
// and echoes its value (twoMechanisms adds it).
var errTwoMechanisms = s3err.InvalidArgument.With("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified").
	WithDetails(s3err.Detail{Name: "ArgumentName", Value: "Authorization"})

// twoMechanisms is errTwoMechanisms echoing the header as S3 does, except a
// bearer token: the gateway's own credential, long-lived, not to be copied
// into responses that clients and proxies log.
func twoMechanisms(authorization string) error {
	if scheme, _, _ := strings.Cut(authorization, " "); strings.EqualFold(scheme, "Bearer") {
		return errTwoMechanisms
	}
	return errTwoMechanisms.WithDetails(s3err.Detail{Name: "ArgumentValue", Value: authorization})
}

// queryAuthenticated reports whether the query carries presigned-URL
// credentials: SigV4's, SigV2's or the gateway's own.
func (c *Chain) queryAuthenticated(r *http.Request) bool {
	q := r.URL.RawQuery
	if q == "" {
		return false
	}
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "Signature"} {
		if hasParam(q, name) {
			return true
		}
	}
	return c.Presigned != nil && c.Presigned.IsPresigned(r)
}

// errSigV2 is S3's answer to Signature Version 2, in the Authorization
// header or in a presigned query (ravsau/aws-labs#4, s3tools/s3cmd#1376).
var errSigV2 = s3err.InvalidRequest.With("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")

// sigV2Query reports whether a raw query carries SigV2 query credentials:
// its signature or its access key parameter.
func sigV2Query(raw string) bool {
	return hasParam(raw, "Signature") || hasParam(raw, "AWSAccessKeyId")
}

// hasParam reports whether the raw query has a parameter named name.
func hasParam(raw, name string) bool {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		if k == name {
			return true
		}
	}
	return false
}

// Authenticate implements Authenticator.
func (c *Chain) Authenticate(r *http.Request, target Target) (*Principal, error) {
	if auths := r.Header.Values("Authorization"); len(auths) > 1 {
		return nil, s3err.InvalidArgument.With("Only one Authorization header is allowed.")
	} else if len(auths) == 1 && c.queryAuthenticated(r) {
		return nil, twoMechanisms(auths[0])
	}
	if sigv4.IsSigV4(r) {
		res, err := c.SigV4.Verify(r)
		if err != nil {
			return nil, LookupFailure(err)
		}
		if err := res.WrapBody(r); err != nil {
			return nil, err
		}
		p := FromRecord(res.Record)
		p.Method = "sigv4"
		if res.Presigned {
			p.Method = "presigned"
		}
		return p, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") && c.Tokens != nil {
			p, err := c.Tokens.Principal(r, strings.TrimSpace(token), target)
			if err != nil {
				return nil, err
			}
			return p, sigv4.WrapAnonymousBody(r)
		}
		if scheme == "AWS" {
			// Signature V2: S3 names the mechanism to use instead.
			return nil, errSigV2
		}
		return nil, sigv4.ErrUnsupportedAuthorization
	}
	if sigV2Query(r.URL.RawQuery) {
		// A SigV2 presigned URL (boto3's default presigner, aws-cli v1)
		// carries credentials too: whatever RequireAuth says, it gets S3's
		// answer, not the anonymous one.
		return nil, errSigV2
	}
	if c.Presigned != nil && c.Presigned.IsPresigned(r) {
		p, err := c.Presigned.Principal(r)
		if err != nil {
			return nil, err
		}
		return p, sigv4.WrapAnonymousBody(r)
	}
	if c.RequireAuth {
		return nil, s3err.AccessDenied.With("Anonymous requests are not allowed: sign the request with an access key.")
	}
	if err := sigv4.WrapAnonymousBody(r); err != nil {
		return nil, err
	}
	return anonymous(), nil
}

// errKeyUnresolved answers a key that only the control plane could know
// while it does not answer.
var errKeyUnresolved = s3err.ServiceUnavailable.With("The access key is not known to this gateway and the control plane that resolves access keys did not answer; retry shortly.")

// LookupFailure turns a failure to resolve a key (the control plane being
// unreachable) into a retryable 503 rather than a 500. The cause stays
// wrapped for the log; the client sees the S3 error only.
func LookupFailure(err error) error {
	if _, ok := s3err.As(err); ok {
		return err
	}
	if errors.Is(err, credentials.ErrThrottled) {
		return s3err.SlowDown
	}
	return fmt.Errorf("%w (%w)", errKeyUnresolved, err)
}

// FromRecord returns the principal a credential record describes. A record
// without ops may do everything within its bucket and prefix.
func FromRecord(rec *credentials.Record) *Principal {
	p := &Principal{Project: rec.ProjectID, AccessKey: rec.AccessKey, Bucket: rec.Bucket, Prefix: rec.Prefix}
	if len(rec.Ops) > 0 {
		p.Actions = make([]Action, len(rec.Ops))
		for i, op := range rec.Ops {
			p.Actions[i] = Action(op)
		}
	}
	return p
}

// VerifyPolicy authenticates a browser upload (POST Object) by its signed
// policy and returns the credential's principal.
func (c *Chain) VerifyPolicy(ctx context.Context, p sigv4.Policy) (*Principal, error) {
	if p.Algorithm == GatewayPostAlgorithm {
		if c.PresignedPost == nil {
			return nil, s3err.AccessDenied.With("Gateway presigned POST policies are off on this gateway.")
		}
		return c.PresignedPost.VerifyPolicy(ctx, p)
	}
	rec, err := c.SigV4.VerifyPolicy(ctx, p)
	if err != nil {
		return nil, LookupFailure(err)
	}
	pr := FromRecord(rec)
	pr.Method = "post-policy"
	return pr, nil
}
