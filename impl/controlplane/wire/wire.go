// Package wire is the contract between the gateway and its control plane:
// the endpoints' paths, methods and status codes, the JSON of their
// requests and answers, and how the internal API token travels. The
// gateway's client (impl/controlplane) and the mock control plane
// (controlplane-mock/mock) both speak it through this package, so the two
// sides cannot drift apart; docs/architecture.md ("Control-plane wire
// contract") describes it in prose.
//
// The package holds declarations only. It imports nothing from the rest of
// the module (an architecture test checks this), so that either side, and
// any other implementation's tests, can depend on it without pulling in the
// other.
//
// Every request and answer body is one JSON value of Content-Type
// application/json. Changing a field's name, tag or order here changes the
// bytes on the wire: the golden tests in this package pin them.
package wire

import (
	"net/http"
	"time"
)

// Paths of the endpoints the gateway calls, relative to the control plane's
// base URL, and the method of each.
const (
	// PathResolveKey resolves a SigV4 access key to its record
	// (MethodResolveKey; ResolveKeyRequest in, ResolveKeyResponse out).
	PathResolveKey   = "/v1/sigv4/resolve"
	MethodResolveKey = http.MethodPost

	// PathVerifyToken checks a bearer token (a macaroon) for one request
	// and describes its grant (MethodVerifyToken; VerifyTokenRequest in,
	// Grant out).
	PathVerifyToken   = "/v1/macaroons/verify"
	MethodVerifyToken = http.MethodPost

	// PathUsage takes a batch of usage events (MethodUsage; UsageBatch in,
	// UsageAccepted out).
	PathUsage   = "/v1/usage"
	MethodUsage = http.MethodPost

	// PathHealth answers whether the control plane is healthy
	// (MethodHealth; no body in, Health out). It needs no token.
	PathHealth   = "/healthz"
	MethodHealth = http.MethodGet
)

// Status codes with a meaning of their own in the contract. Any 2xx is a
// success; any other code not listed for an endpoint, and any 5xx, means the
// control plane could not answer, and the caller must not read it as a
// refusal. Every 4xx answer carries a Refusal.
const (
	// StatusUnknownKey (from PathResolveKey): no such access key, or it was
	// revoked. The gateway caches this answer briefly.
	StatusUnknownKey = http.StatusNotFound
	// StatusTokenInvalid (from PathVerifyToken): the token is malformed,
	// forged, expired or otherwise unusable for any request. Refusal.Reason
	// contains "expired" when expiry is why. Every guarded endpoint also
	// answers it for a missing or wrong internal API token.
	StatusTokenInvalid = http.StatusUnauthorized
	// StatusTokenForbidden (from PathVerifyToken): the token is valid but
	// the request it was asked about lies outside its caveats.
	StatusTokenForbidden = http.StatusForbidden
	// StatusBadRequest: the request body is not the JSON this contract
	// describes (unknown fields included).
	StatusBadRequest = http.StatusBadRequest
	// StatusUsageAccepted (from PathUsage): the batch was taken.
	StatusUsageAccepted = http.StatusAccepted
)

// The internal API token, when the control plane is configured with one,
// is sent by the gateway on every endpoint but PathHealth as
//
//	Authorization: Bearer <INTERNAL_API_TOKEN>
//
// and a control plane that requires it answers StatusTokenInvalid without.
const (
	AuthHeader   = "Authorization"
	BearerPrefix = "Bearer "
)

// Bearer is the AuthHeader value that carries token.
func Bearer(token string) string { return BearerPrefix + token }

// ContentType is the Content-Type of every request and answer body.
const ContentType = "application/json"

// MaxBodyBytes bounds the bodies either side reads: a request the control
// plane decodes, a 2xx answer the gateway decodes. A usage batch of the
// gateway's default size stays well within it.
const MaxBodyBytes = 1 << 20

// Refusal is the body of every 4xx answer (and of the mock's injected 5xx),
// sent by the control plane: why it said no, in words for logs. The gateway
// decodes it for PathVerifyToken, where Reason tells an expired token from
// an invalid one, and ignores it elsewhere.
type Refusal struct {
	Reason string `json:"reason"`
}

// ResolveKeyRequest is the gateway's question to PathResolveKey.
type ResolveKeyRequest struct {
	// AccessKey is the access key ID of the SigV4 request being
	// authenticated.
	AccessKey string `json:"access_key"`
}

// ResolveKeyResponse is the control plane's answer to PathResolveKey (200):
// the key's whole record, which the gateway caches and checks requests
// against. Its fields match those of the gateway's local credentials JSON.
type ResolveKeyResponse struct {
	// AccessKey is the key asked about. The gateway takes an empty one as
	// the key asked about, and refuses an answer for another key.
	AccessKey string `json:"access_key"`
	// SecretKey is the SigV4 secret; required.
	SecretKey string `json:"secret_key"`
	// ProjectID is the project the key acts for; required.
	ProjectID string `json:"project_id"`
	// Bucket, when set, is the only bucket the key may use.
	Bucket string `json:"bucket,omitempty"`
	// Prefix, when set, is the only key prefix the key may use.
	Prefix string `json:"prefix,omitempty"`
	// Ops are the operation classes the key may perform (put, get, head,
	// list, delete); empty means all of them.
	Ops []string `json:"ops,omitempty"`
	// Region and Service, when set, are the SigV4 credential-scope region
	// and service the key must sign for, instead of the gateway's own.
	Region  string `json:"region,omitempty"`
	Service string `json:"service,omitempty"`
}

// VerifyTokenRequest is the gateway's question to PathVerifyToken: may the
// token do Op on Bucket and Key? Every field is always sent, empty or not.
// The fields are in alphabetical order, the order the gateway has always
// sent them in.
type VerifyTokenRequest struct {
	// Bucket is the request's bucket; empty for a request on no bucket
	// (listing the buckets).
	Bucket string `json:"bucket"`
	// Key is the request's object key; empty for a bucket-wide request,
	// whose keys the gateway then checks against Grant.Prefix itself.
	Key string `json:"key"`
	// Op is the request's operation class (put, get, head, list, delete).
	Op string `json:"op"`
	// Token is the bearer token exactly as the S3 client presented it
	// (base64url of a macaroon).
	Token string `json:"token"`
}

// Grant is the control plane's answer to PathVerifyToken (200): everything
// the token allows, not just the request asked about, so the gateway can
// cache it and check later requests locally.
type Grant struct {
	// ProjectID is the project the token acts for; required.
	ProjectID string `json:"project_id"`
	// Bucket, when set, is the only bucket the token may use.
	Bucket string `json:"bucket,omitempty"`
	// Prefix, when set, is the only key prefix the token may use.
	Prefix string `json:"prefix,omitempty"`
	// Ops are the operation classes the token may perform. Unlike a key
	// record's, an absent or empty list allows none: the control plane
	// always lists them.
	Ops []string `json:"ops,omitempty"`
	// ExpiresAt is when the token stops being valid (RFC 3339); required.
	// The gateway never trusts the grant past it.
	ExpiresAt time.Time `json:"expires_at"`
}

// UsageBatch is the body the gateway sends to PathUsage.
type UsageBatch struct {
	Events []UsageEvent `json:"events"`
}

// UsageEvent is one finished request's usage, as the gateway reports it.
type UsageEvent struct {
	// ProjectID is the project the request was authenticated for.
	ProjectID string `json:"project_id"`
	// Bucket is the request's bucket, empty for none.
	Bucket string `json:"bucket"`
	// Op is the S3 operation's name (GetObject, PutObject, ...).
	Op string `json:"op"`
	// BytesIn and BytesOut are the body bytes received and sent.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// Status is the HTTP status the gateway answered.
	Status int `json:"status"`
	// At is when the request finished.
	At time.Time `json:"at"`
	// RequestID is the gateway's id of the request. The control plane
	// counts an id once, so a batch resent after a lost answer is not
	// counted twice.
	RequestID string `json:"request_id"`
}

// UsageAccepted is the control plane's answer to PathUsage
// (StatusUsageAccepted). The gateway ignores its body.
type UsageAccepted struct {
	// Accepted is the number of events in the batch received, duplicates
	// included.
	Accepted int `json:"accepted"`
}

// Health is the control plane's answer to PathHealth (200). The gateway
// reads only the status: any 2xx is healthy, anything else is not.
type Health struct {
	OK bool `json:"ok"`
}
