// Package auth decides who is asking and what they may do.
//
// The S3 layer calls exactly two things: an Authenticator, which turns a
// request into a Principal (or an S3 error), and Principal.Allows, which
// checks the principal's scope. Bucket ownership (tenancy) is checked by the
// S3 layer against the bucket's owning project.
package auth

import (
	"net/http"
	"slices"
	"strings"
	"time"
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
	if p.Actions != nil && !slices.Contains(p.Actions, action) {
		return false
	}
	if p.Bucket != "" && bucket != "" && bucket != p.Bucket {
		return false
	}
	if p.Prefix != "" && bucket != "" && !strings.HasPrefix(key, p.Prefix) {
		return false
	}
	return true
}

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
