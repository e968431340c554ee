// Package tokens authenticates bearer tokens (macaroons) by asking the
// control plane, which alone holds the root key, and caches its answers.
//
// The control plane answers for one request (an operation, a bucket, a key)
// and describes the token's whole grant: its project, bucket, prefix,
// operations and expiry. The grant is cached briefly, never past the token's
// expiry, and later requests with the token are checked against it locally,
// so a hot token costs one control-plane call per TTL.
package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/controlplane"
	"github.com/s3gw/gateway/impl/s3err"
)

// VerifyFunc asks the control plane about a token.
type VerifyFunc func(ctx context.Context, token, op, bucket, key string) (*controlplane.Grant, error)

// Verifier implements auth.TokenVerifier.
type Verifier struct {
	Verify VerifyFunc
	// TTL bounds how long a grant is trusted without asking again.
	TTL time.Duration
	Now func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry

	Hits, Misses atomic.Int64
}

type entry struct {
	p     *auth.Principal
	until time.Time
}

// maxEntries bounds the cache; expired entries go first.
const maxEntries = 100000

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

var (
	errExpired     = &s3err.Error{Code: "ExpiredToken", Status: http.StatusBadRequest, Message: "The provided token has expired."}
	errInvalid     = &s3err.Error{Code: "InvalidToken", Status: http.StatusBadRequest, Message: "The provided token is malformed or otherwise invalid."}
	errUnavailable = s3err.ServiceUnavailable.With("The token could not be verified right now; retry shortly.")
)

// Principal returns the principal a token grants, checked for target.
// Tokens are cached by their hash, so the map never compares secrets.
func (v *Verifier) Principal(r *http.Request, token string, target auth.Target) (*auth.Principal, error) {
	if token == "" {
		return nil, errInvalid
	}
	id := sha256.Sum256([]byte(token))
	now := v.now()
	v.mu.Lock()
	e, ok := v.entries[id]
	v.mu.Unlock()
	if ok && now.Before(e.until) {
		v.Hits.Add(1)
		return e.p, nil
	}
	v.Misses.Add(1)
	g, err := v.Verify(r.Context(), token, string(target.Action), target.Bucket, target.Key)
	if err != nil {
		var te *controlplane.TokenError
		switch {
		case errors.As(err, &te) && te.Status == http.StatusForbidden:
			return nil, s3err.AccessDenied.With("The token does not allow this request: " + te.Reason)
		case errors.As(err, &te) && strings.Contains(te.Reason, "expired"):
			return nil, errExpired
		case errors.As(err, &te):
			return nil, errInvalid
		}
		return nil, errUnavailable
	}
	p := &auth.Principal{Project: g.ProjectID, Bucket: g.Bucket, Prefix: g.Prefix, Method: "token",
		TokenID: hex.EncodeToString(id[:16]), Expires: g.ExpiresAt}
	p.Actions = make([]auth.Action, len(g.Ops))
	for i, op := range g.Ops {
		p.Actions[i] = auth.Action(op)
	}
	until := now.Add(v.TTL)
	if g.ExpiresAt.Before(until) {
		until = g.ExpiresAt
	}
	v.mu.Lock()
	if v.entries == nil || len(v.entries) >= maxEntries {
		v.prune(now)
	}
	v.entries[id] = entry{p: p, until: until}
	v.mu.Unlock()
	return p, nil
}

func (v *Verifier) prune(now time.Time) {
	if v.entries == nil {
		v.entries = make(map[[sha256.Size]byte]entry)
		return
	}
	for k, e := range v.entries {
		if !now.Before(e.until) {
			delete(v.entries, k)
		}
	}
	if len(v.entries) >= maxEntries {
		v.entries = make(map[[sha256.Size]byte]entry)
	}
}
