// Package auth decides who is asking and what they may do.
//
// The S3 layer calls exactly two things: an Authenticator, which turns a
// request into a Principal (or an S3 error), and Principal.Allows, which
// checks the principal's scope. Bucket ownership (tenancy) is checked by the
// S3 layer against the bucket's owning project.
package auth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

// Action is the class of operation a credential can be scoped to. Every S3
// operation maps to exactly one.
type Action string

// The actions, as the credentials JSON spells them.
const (
	Put    Action = "put"
	Get    Action = "get"
	Head   Action = "head"
	List   Action = "list"
	Delete Action = "delete"
)

// AnonymousProject owns what anonymous development requests create.
const AnonymousProject = "anonymous"

// Principal is an authenticated caller and its scope.
type Principal struct {
	Project   string
	AccessKey string // empty unless authenticated by an access key
	// Bucket, when set, is the only bucket the principal may touch.
	Bucket string
	// Prefix, when set, is the key prefix the principal is confined to.
	Prefix string
	// Actions, when non-nil, are the only actions allowed.
	Actions []Action
	// Anonymous marks the development principal of REQUIRE_AUTH=false,
	// which bypasses tenancy.
	Anonymous bool
	// Method names how the principal authenticated, for logs and metrics:
	// "sigv4", "presigned", "token", "gateway-presign" or "anonymous".
	Method string
	// TokenID identifies the bearer token that authenticated the principal
	// without revealing it (a prefix of its SHA-256), for binding what the
	// token mints to it; empty for other methods.
	TokenID string
	// Expires, when not zero, is when the credential itself stops being
	// valid (a token's expiry): nothing it mints may outlive it.
	Expires time.Time
}

// Target is what a request asks to do: its action, bucket and key (for a
// listing, the requested prefix). Token verification sends it to the
// control plane.
type Target struct {
	Action      Action
	Bucket, Key string
}

// Allows reports whether the principal's scope covers action on bucket and
// key. For listings key is the requested prefix, which must lie inside the
// principal's prefix. Bucket-wide operations (key "") are allowed only to
// principals without a prefix, except listing within it.
func (p *Principal) Allows(action Action, bucket, key string) bool {
	return p.Authorize(action, bucket, key) == nil
}

// Authorize is Allows with the reason: nil, or a *Denial saying which part
// of the request lies outside which part of the principal's scope.
func (p *Principal) Authorize(action Action, bucket, key string) error {
	if p.Actions != nil && !slices.Contains(p.Actions, action) {
		return p.deny(fmt.Sprintf("operation %s is not among the credential's operations %v", action, p.Actions))
	}
	if p.Bucket != "" && bucket != "" && bucket != p.Bucket {
		return p.deny(fmt.Sprintf("bucket %q is not the credential's bucket %q", bucket, p.Bucket))
	}
	if p.Prefix != "" && bucket != "" && !strings.HasPrefix(key, p.Prefix) {
		what := fmt.Sprintf("key %q", key)
		switch {
		case action == List:
			what = fmt.Sprintf("listing prefix %q", key)
		case key == "":
			what = "a bucket-wide " + string(action)
		}
		return p.deny(fmt.Sprintf("%s in bucket %q is outside the credential's prefix %q", what, bucket, p.Prefix))
	}
	return nil
}

// deny names the credential in a denial.
func (p *Principal) deny(reason string) *Denial {
	who := p.Method
	switch {
	case p.AccessKey != "":
		who = "access key " + p.AccessKey
	case p.TokenID != "":
		who = "token " + p.TokenID
	}
	return &Denial{Reason: who + ": " + reason}
}

// Denial is a refusal the client sees as S3's bare AccessDenied, as S3
// answers, and whose Reason (which part of the request lies outside which
// scope) goes to the gateway's log.
type Denial struct{ Reason string }

func (d *Denial) Error() string { return "AccessDenied: " + d.Reason }

// Unwrap makes a Denial an AccessDenied for the S3 layer.
func (d *Denial) Unwrap() error { return s3err.AccessDenied }

// Deny returns a Denial with reason, for refusals decided outside the
// principal's scope (a bucket another project owns).
func Deny(reason string) error { return &Denial{Reason: reason} }

// Authenticator identifies the sender of a request about target. It may
// replace r.Body with a reader that verifies the payload as it streams; such
// a reader returns an *s3err.Error when verification fails.
type Authenticator interface {
	Authenticate(r *http.Request, target Target) (*Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request, target Target) (*Principal, error)

// Authenticate calls f(r, target).
func (f AuthenticatorFunc) Authenticate(r *http.Request, target Target) (*Principal, error) {
	return f(r, target)
}

// anonymous is the development principal of REQUIRE_AUTH=false.
func anonymous() *Principal {
	return &Principal{Project: AnonymousProject, Anonymous: true, Method: "anonymous"}
}

// Anonymous serves every request as the development principal.
var Anonymous Authenticator = AuthenticatorFunc(func(*http.Request, Target) (*Principal, error) {
	return anonymous(), nil
})
