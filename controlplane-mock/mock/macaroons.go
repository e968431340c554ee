package mock

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/macaroon.v2"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/controlplane/wire"
)

// Macaroons are minted with first-party caveats, one per restriction:
//
//	project_id = prj_demo
//	bucket = acme            (optional)
//	prefix = datasets/       (optional)
//	ops = get,put            (optional: all when absent)
//	expires = 2026-11-28T20:00:00Z
//
// A holder may add caveats to narrow a token further (that is what
// macaroons are for): every caveat must hold. A caveat this control plane
// does not understand fails verification.

// location names the control plane in minted macaroons.
const location = "s3-gateway-control-plane"

// LoadRootKey reads the root key from path, creating it (32 random bytes) if
// the file does not exist, so tokens survive a restart.
func LoadRootKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("root key file %s holds %d bytes, want at least 32", path, len(b))
		}
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read root key: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create root key dir: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write root key: %w", err)
	}
	return key, nil
}

// MintRequest is the body of POST /v1/macaroons.
type MintRequest struct {
	ProjectID  string   `json:"project_id"`
	Bucket     string   `json:"bucket,omitempty"`
	Prefix     string   `json:"prefix,omitempty"`
	Ops        []string `json:"ops,omitempty"`
	TTLSeconds int64    `json:"ttl_seconds"`
}

// Mint makes a macaroon for req with rootKey, returned base64url-encoded.
func Mint(rootKey []byte, req MintRequest, now time.Time) (string, error) {
	if req.ProjectID == "" {
		return "", errors.New("project_id is required")
	}
	if req.TTLSeconds <= 0 {
		return "", errors.New("ttl_seconds must be positive")
	}
	for _, op := range req.Ops {
		if !slices.Contains(credentials.Ops, op) {
			return "", fmt.Errorf("unknown op %q", op)
		}
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	m, err := macaroon.New(rootKey, id, location, macaroon.V2)
	if err != nil {
		return "", fmt.Errorf("new macaroon: %w", err)
	}
	caveats := []string{"project_id = " + req.ProjectID}
	if req.Bucket != "" {
		caveats = append(caveats, "bucket = "+req.Bucket)
	}
	if req.Prefix != "" {
		caveats = append(caveats, "prefix = "+req.Prefix)
	}
	if len(req.Ops) > 0 {
		caveats = append(caveats, "ops = "+strings.Join(req.Ops, ","))
	}
	exp := now.Add(time.Duration(req.TTLSeconds) * time.Second).UTC().Truncate(time.Second)
	caveats = append(caveats, "expires = "+exp.Format(time.RFC3339))
	for _, c := range caveats {
		if err := m.AddFirstPartyCaveat([]byte(c)); err != nil {
			return "", fmt.Errorf("add caveat: %w", err)
		}
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("encode macaroon: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenError is a verification failure: Status wire.StatusTokenInvalid (401)
// for a bad or expired token, wire.StatusTokenForbidden (403) for a valid
// token asked for something outside its caveats.
type tokenError struct {
	Status int
	Reason string
}

func (e *tokenError) Error() string { return e.Reason }

func bad(reason string) *tokenError {
	return &tokenError{Status: wire.StatusTokenInvalid, Reason: reason}
}

// Verify checks a token's signature and caveats, and whether it allows op on
// bucket and key; the grant it returns is the answer of
// wire.PathVerifyToken.
func Verify(rootKey []byte, token, op, bucket, key string, now time.Time) (*wire.Grant, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad("malformed token")
	}
	var m macaroon.Macaroon
	if err := m.UnmarshalBinary(raw); err != nil {
		return nil, bad("malformed token")
	}
	conditions, err := m.VerifySignature(rootKey, nil)
	if err != nil {
		return nil, bad("invalid token signature")
	}
	g := &wire.Grant{}
	var opSets [][]string
	for _, c := range conditions {
		name, value, ok := strings.Cut(c, " = ")
		if !ok {
			return nil, bad("unknown caveat " + c)
		}
		switch name {
		case "project_id":
			if g.ProjectID != "" && g.ProjectID != value {
				return nil, bad("conflicting project_id caveats")
			}
			g.ProjectID = value
		case "bucket":
			if g.Bucket != "" && g.Bucket != value {
				return nil, bad("conflicting bucket caveats")
			}
			g.Bucket = value
		case "prefix":
			// Narrowing only: every prefix caveat must hold, so the
			// effective one is the longest, and the others its prefixes.
			switch {
			case strings.HasPrefix(value, g.Prefix):
				g.Prefix = value
			case !strings.HasPrefix(g.Prefix, value):
				return nil, bad("conflicting prefix caveats")
			}
		case "ops":
			opSets = append(opSets, strings.Split(value, ","))
		case "expires":
			t, err := time.Parse(time.RFC3339, value)
			if err != nil {
				return nil, bad("malformed expires caveat")
			}
			if g.ExpiresAt.IsZero() || t.Before(g.ExpiresAt) {
				g.ExpiresAt = t
			}
		default:
			return nil, bad("unknown caveat " + name)
		}
	}
	if g.ProjectID == "" || g.ExpiresAt.IsZero() {
		return nil, bad("token lacks a project_id or expires caveat")
	}
	if !now.Before(g.ExpiresAt) {
		return nil, bad("token expired")
	}
	g.Ops = credentials.Ops
	for _, set := range opSets {
		g.Ops = slices.DeleteFunc(slices.Clone(g.Ops), func(op string) bool { return !slices.Contains(set, op) })
	}
	switch {
	case op != "" && !slices.Contains(g.Ops, op):
		return nil, &tokenError{wire.StatusTokenForbidden, "operation " + op + " is outside the token's caveats"}
	case bucket != "" && g.Bucket != "" && bucket != g.Bucket:
		return nil, &tokenError{wire.StatusTokenForbidden, "bucket " + bucket + " is outside the token's caveats"}
	case g.Prefix != "" && bucket != "" && key != "" && !strings.HasPrefix(key, g.Prefix):
		// An empty key is a bucket-wide request (a batch delete, say)
		// whose keys the gateway checks against the grant itself.
		return nil, &tokenError{wire.StatusTokenForbidden, "key is outside the token's prefix"}
	}
	return g, nil
}
