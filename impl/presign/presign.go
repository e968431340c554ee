// Package presign makes and checks the gateway's own presigned URLs, minted
// by POST /v1/presign for a caller who may do the operation: a URL carries
// its method, expiry, project and the credential that minted it, and an HMAC
// over all of it and the exact path and query, with PRESIGN_SECRET. The first
// secret signs and every one verifies, so secrets rotate without breaking
// URLs in flight. Without a secret the feature is off: nothing is minted and
// every such URL is refused.
//
// A URL lives no longer than its credential: one minted with a bearer token
// expires with the token, and one minted with an access key stops working
// once the key no longer resolves (checked through the key cache, so a valid
// URL costs no control-plane call).
package presign

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/s3path"
	"github.com/s3gw/gateway/impl/secrets"
	"github.com/s3gw/gateway/impl/tenancy"
)

// Query parameters of a gateway presigned URL; the signature comes last.
const (
	paramExpires    = "X-Gw-Expires"
	paramMethod     = "X-Gw-Method"
	paramProject    = "X-Gw-Project"
	paramCredential = "X-Gw-Credential"
	paramSignature  = "X-Gw-Signature"
)

// Credential prefixes of X-Gw-Credential: an access key, or a bearer token's
// id (a hash prefix, never the token).
const (
	credKey   = "key:"
	credToken = "token:"
)

// MaxExpiry is the longest validity of a presigned URL.
const MaxExpiry = 7 * 24 * time.Hour

// actions maps the methods a URL may be minted for to scope actions.
var actions = map[string]auth.Action{
	http.MethodGet: auth.Get, http.MethodHead: auth.Head, http.MethodPut: auth.Put, http.MethodDelete: auth.Delete,
}

// Signer signs and verifies URLs. It implements auth.PresignVerifier.
type Signer struct {
	// Secrets sign (the first) and verify (all); none turns URLs off.
	Secrets []string
	// Prefix is the S3 API's mount point, to read a URL's bucket and key.
	Prefix string
	// Keys resolves the access key that minted a URL; nil refuses URLs
	// minted by access keys.
	Keys credentials.Lookup
	Now  func() time.Time
}

// Enabled reports whether the gateway has a secret to sign URLs with.
func (s *Signer) Enabled() bool { return len(s.Secrets) > 0 }

var errDisabled = s3err.AccessDenied.With("Gateway presigned URLs are disabled on this gateway (PRESIGN_SECRET is not set).")

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// mac is a URL's signature. It is keyed by the secret itself, not by a key
// from secrets.Derive: URLs have always been signed this way, and a derived
// key would refuse every URL in flight across an upgrade. The label that
// begins the message keeps it apart from the keys derived from the same
// secret (see package secrets).
func mac(secret, method, escapedPath, query string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(secrets.PresignURL + method + "\n" + escapedPath + "\n" + query))
	return m.Sum(nil)
}

// Sign returns the URL for method on u (whose path is the object's), valid
// until expires, for project, naming the credential that minted it. The
// Signer must be Enabled.
func (s *Signer) Sign(u *url.URL, method, project, credential string, expires time.Time) string {
	q := url.Values{}
	q.Set(paramExpires, strconv.FormatInt(expires.Unix(), 10))
	q.Set(paramMethod, method)
	q.Set(paramProject, project)
	q.Set(paramCredential, credential)
	query := q.Encode()
	sig := mac(s.Secrets[0], method, u.EscapedPath(), query)
	out := *u
	out.RawQuery = query + "&" + paramSignature + "=" + hex.EncodeToString(sig)
	return out.String()
}

// IsPresigned reports whether r carries a gateway signature.
func (s *Signer) IsPresigned(r *http.Request) bool {
	return strings.Contains(r.URL.RawQuery, paramSignature+"=")
}

// Principal verifies a presigned request and returns who minted it, allowed
// only the URL's one action (the signature pins the path).
func (s *Signer) Principal(r *http.Request) (*auth.Principal, error) {
	if !s.Enabled() {
		return nil, errDisabled
	}
	raw := r.URL.RawQuery
	i := strings.LastIndex(raw, "&"+paramSignature+"=")
	if i < 0 {
		return nil, s3err.AccessDenied.With("The gateway presigned URL is malformed.")
	}
	query, sigHex := raw[:i], raw[i+len(paramSignature)+2:]
	got, err := hex.DecodeString(sigHex)
	if err != nil || len(got) != sha256.Size {
		return nil, s3err.SignatureDoesNotMatch
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, s3err.SignatureDoesNotMatch
	}
	ok := false
	for _, secret := range s.Secrets {
		if hmac.Equal(got, mac(secret, q.Get(paramMethod), r.URL.EscapedPath(), query)) {
			ok = true
		}
	}
	if !ok {
		return nil, s3err.SignatureDoesNotMatch
	}
	if q.Get(paramMethod) != r.Method {
		return nil, s3err.SignatureDoesNotMatch.With("The presigned URL was made for " + q.Get(paramMethod) + ", not " + r.Method + ".")
	}
	exp, err := strconv.ParseInt(q.Get(paramExpires), 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return nil, s3err.AccessDenied.With("Request has expired")
	}
	action, known := actions[r.Method]
	if !known {
		return nil, s3err.AccessDenied
	}
	// The signature pins the path; the principal is confined to it too, so
	// the S3 layer's own scope check agrees.
	bucket, key, err := s3path.Split(r.URL.EscapedPath(), s.Prefix)
	if err != nil || bucket == "" || key == "" {
		return nil, s3err.AccessDenied.With("The gateway presigned URL does not name an object.")
	}
	p := &auth.Principal{Project: q.Get(paramProject), Bucket: bucket, Prefix: key,
		Actions: []auth.Action{action}, Method: "gateway-presign"}
	if err := s.checkCredential(r.Context(), q.Get(paramCredential), p, action, bucket, key); err != nil {
		return nil, err
	}
	return p, nil
}

// checkCredential refuses a URL whose minting credential no longer allows
// what the URL does. A token's URL carries the token's expiry as its own
// (capped when minted); an access key must still resolve, to the same
// project, with a scope that still covers the URL.
func (s *Signer) checkCredential(ctx context.Context, cred string, p *auth.Principal, action auth.Action, bucket, key string) error {
	switch {
	case strings.HasPrefix(cred, credToken) && len(cred) > len(credToken):
		p.TokenID = cred[len(credToken):]
		return nil
	case strings.HasPrefix(cred, credKey) && len(cred) > len(credKey) && s.Keys != nil:
		ak := cred[len(credKey):]
		rec, err := s.Keys(ctx, ak)
		if errors.Is(err, credentials.ErrUnknownKey) {
			return s3err.AccessDenied.With("The access key that minted this presigned URL or form no longer exists.")
		}
		if err != nil {
			return auth.LookupFailure(err)
		}
		if rec.ProjectID != p.Project || !auth.FromRecord(rec).Allows(action, bucket, key) {
			return s3err.AccessDenied.With("The access key that minted this presigned URL or form no longer allows it.")
		}
		p.AccessKey = ak
		return nil
	}
	return s3err.AccessDenied.With("The presigned URL does not name the credential that minted it; mint it again.")
}

// Handler serves POST /v1/presign.
type Handler struct {
	Auth   auth.Authenticator
	Signer *Signer
	// Prefix is the S3 API's mount point, for the URLs' paths.
	Prefix string
	// BaseURL, when set ("https://s3.example.com"), is the scheme and host
	// of minted URLs; otherwise the request's own are used.
	BaseURL string
	// Owners says who owns a bucket. An unclaimed name passes (a PUT may
	// then create the bucket); an owner that cannot be read refuses.
	Owners tenancy.Registry
	Logger *slog.Logger
}

type presignRequest struct {
	Method    string `json:"method"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	ExpiresIn int64  `json:"expires_in"`
	// For POST (a browser upload form): KeyPrefix instead of Key lets the
	// form choose the key under it (the file's name by default);
	// ContentLengthRange bounds the file; ContentType is a prefix the
	// form's Content-Type must start with.
	KeyPrefix          string  `json:"key_prefix,omitempty"`
	ContentLengthRange []int64 `json:"content_length_range,omitempty"`
	ContentType        *string `json:"content_type,omitempty"`
	// SuccessActionStatus (200, 201 or 204) and SuccessActionRedirect
	// (an http or https URL) become the form's fields of those names, so
	// that a form submitted without JavaScript can answer or return to
	// the page.
	SuccessActionStatus   string `json:"success_action_status,omitempty"`
	SuccessActionRedirect string `json:"success_action_redirect,omitempty"`
}

type presignResponse struct {
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expires_at"`
	// Fields are a POST form's fields, to send before the file.
	Fields map[string]string `json:"fields,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	entry := accesslog.FromContext(r.Context())
	entry.Op = "Presign"
	writeError := func(w http.ResponseWriter, status int, code, msg string) {
		entry.Code = code
		writeJSON(w, status, map[string]string{"error": code, "message": msg})
	}
	writeS3Error := func(w http.ResponseWriter, err error) {
		e, ok := s3err.As(err)
		if !ok {
			e = s3err.InternalError.With("could not mint the URL")
		}
		writeError(w, e.Status, e.Code, e.Message)
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use POST")
		return
	}
	if !h.Signer.Enabled() {
		writeError(w, http.StatusNotImplemented, "NotImplemented", "gateway presigned URLs are off: PRESIGN_SECRET is not set on this gateway")
		return
	}
	// The body names the target the caller must be authenticated for, so
	// it is read first; it is then replayed through authentication, whose
	// payload check (x-amz-content-sha256) runs when the replay is drained.
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeS3Error(w, err)
		return
	}
	var req presignRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "body must be JSON: {\"method\",\"bucket\",\"key\",\"expires_in\"}")
		return
	}
	req.Method = strings.ToUpper(req.Method)
	action, ok := actions[req.Method]
	post := req.Method == http.MethodPost
	if post {
		action, ok = auth.Put, true
	}
	// What the caller must be allowed to put to: the key, or for a POST
	// form the prefix its keys are under.
	scopeKey := req.Key
	if post && req.Key == "" {
		scopeKey = req.KeyPrefix
	}
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "method must be GET, PUT, HEAD, DELETE or POST (a browser upload form)")
		return
	case !s3path.ValidBucketName(req.Bucket):
		writeError(w, http.StatusBadRequest, "InvalidBucketName", "bucket must be a valid S3 bucket name")
		return
	case post && req.Key != "" && req.KeyPrefix != "":
		writeError(w, http.StatusBadRequest, "InvalidRequest", "give key or key_prefix, not both")
		return
	case post && (len(scopeKey) > s3path.MaxKeyBytes || !utf8.ValidString(scopeKey)):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "key and key_prefix must be at most 1024 bytes of UTF-8")
		return
	case post && req.ContentLengthRange != nil && (len(req.ContentLengthRange) != 2 || req.ContentLengthRange[0] < 0 || req.ContentLengthRange[1] < req.ContentLengthRange[0]):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "content_length_range must be [min, max] bytes, 0 <= min <= max")
		return
	case post && req.SuccessActionStatus != "" && req.SuccessActionStatus != "200" && req.SuccessActionStatus != "201" && req.SuccessActionStatus != "204":
		writeError(w, http.StatusBadRequest, "InvalidRequest", "success_action_status must be 200, 201 or 204")
		return
	case post && req.SuccessActionRedirect != "" && !httpURL(req.SuccessActionRedirect):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "success_action_redirect must be an http or https URL")
		return
	case !post && (req.Key == "" || len(req.Key) > s3path.MaxKeyBytes || !utf8.ValidString(req.Key)):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "key must be 1 to 1024 bytes of UTF-8")
		return
	case req.ExpiresIn <= 0 || time.Duration(req.ExpiresIn)*time.Second > MaxExpiry:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "expires_in must be from 1 to 604800 seconds")
		return
	}
	entry.Bucket = req.Bucket
	r.Body = io.NopCloser(bytes.NewReader(body))
	p, err := h.Auth.Authenticate(r, auth.Target{Action: action, Bucket: req.Bucket, Key: scopeKey})
	if err == nil {
		_, err = io.Copy(io.Discard, r.Body)
	}
	if err != nil {
		writeS3Error(w, err)
		return
	}
	entry.Project = p.Project
	if p.Anonymous {
		writeError(w, http.StatusForbidden, "AccessDenied", "presigned URLs are minted for authenticated callers only")
		return
	}
	if !p.Allows(action, req.Bucket, scopeKey) {
		writeError(w, http.StatusForbidden, "AccessDenied", "the caller may not "+string(action)+" "+req.Bucket+"/"+scopeKey)
		return
	}
	claim, err := h.Owners.Owner(r.Context(), req.Bucket)
	switch {
	case errors.Is(err, tenancy.ErrUnclaimed):
	case err != nil:
		// Fail closed: without the owner, the bucket may be another's.
		h.log().Warn("presign: bucket owner lookup failed", "request_id", entry.RequestID, "err", err)
		writeS3Error(w, s3err.ServiceUnavailable.With("The bucket's owner could not be checked right now; retry shortly."))
		return
	case claim.Owner != p.Project:
		writeError(w, http.StatusForbidden, "AccessDenied", "the bucket belongs to another project")
		return
	}
	var cred string
	switch {
	case p.AccessKey != "":
		cred = credKey + p.AccessKey
	case p.TokenID != "":
		cred = credToken + p.TokenID
	default:
		writeError(w, http.StatusForbidden, "AccessDenied", "only access keys and bearer tokens mint presigned URLs")
		return
	}
	expires := h.Signer.now().Add(time.Duration(req.ExpiresIn) * time.Second)
	if !p.Expires.IsZero() && p.Expires.Before(expires) {
		expires = p.Expires // a URL never outlives the token that minted it
	}
	expires = expires.Truncate(time.Second)
	u := &url.URL{Path: h.Prefix + "/" + req.Bucket + "/" + req.Key}
	if post {
		u.Path = h.Prefix + "/" + req.Bucket
	}
	if base, err := url.Parse(h.BaseURL); h.BaseURL != "" && err == nil {
		u.Scheme, u.Host = base.Scheme, base.Host
	} else {
		u.Scheme, u.Host = "http", r.Host
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	if post {
		writeJSON(w, http.StatusOK, presignResponse{URL: u.String(), Method: req.Method, ExpiresAt: expires.UTC(),
			Fields: h.Signer.SignPost(req, p.Project, cred, expires)})
		return
	}
	writeJSON(w, http.StatusOK, presignResponse{URL: h.Signer.Sign(u, req.Method, p.Project, cred, expires), Method: req.Method, ExpiresAt: expires.UTC()})
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // URLs keep their & as is
	_ = enc.Encode(v)
}
