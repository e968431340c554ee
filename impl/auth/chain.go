package auth

import (
	"net/http"
	"strings"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/s3err"
)

// Chain picks the authentication method a request uses. A request that
// carries credentials is always verified, whatever RequireAuth says, so that
// scopes apply in development too; RequireAuth only decides what happens to
// requests that carry none.
type Chain struct {
	SigV4       *sigv4.Verifier
	RequireAuth bool
}

// Authenticate implements Authenticator.
func (c *Chain) Authenticate(r *http.Request) (*Principal, error) {
	if sigv4.IsSigV4(r) {
		res, err := c.SigV4.Verify(r)
		if err != nil {
			return nil, lookupFailure(err)
		}
		if err := res.WrapBody(r); err != nil {
			return nil, err
		}
		return FromRecord(res.Record), nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, _, _ := strings.Cut(h, " ")
		return nil, s3err.InvalidRequest.With("The authorization mechanism " + scheme + " is not supported. Please use AWS4-HMAC-SHA256.")
	}
	if c.RequireAuth {
		return nil, s3err.AccessDenied.With("Anonymous requests are not allowed: sign the request with an access key.")
	}
	if err := sigv4.WrapAnonymousBody(r); err != nil {
		return nil, err
	}
	p, _ := Anonymous.Authenticate(r)
	return p, nil
}

// lookupFailure turns a failure to resolve a key (the control plane being
// unreachable) into a retryable 503 rather than a 500.
func lookupFailure(err error) error {
	if _, ok := s3err.As(err); ok {
		return err
	}
	return s3err.ServiceUnavailable.With("The access key could not be resolved right now; retry shortly.")
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
