// Package controlplane is the gateway's client of the control plane: it
// resolves access keys, verifies tokens, delivers usage and checks health.
// The contract (JSON over HTTP, with "Authorization: Bearer
// <INTERNAL_API_TOKEN>" when a token is configured) is package wire, which
// the mock control plane uses too; docs/architecture.md describes it.
package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/controlplane/wire"
	"github.com/s3gw/gateway/impl/redact"
)

// ErrUnavailable wraps every failure to get an answer from the control
// plane (as opposed to an answer that says no).
var ErrUnavailable = errors.New("control plane unavailable")

// Client calls the control plane.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
	// Observe, when set, sees every call: its endpoint, its result ("ok",
	// "refused" for a 4xx answer, "error" otherwise) and its latency.
	Observe func(endpoint, result string, d time.Duration)
}

// New returns a client with sane timeouts.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

// call sends a JSON request and decodes a 2xx JSON answer into out. It
// returns the status for the caller to interpret non-2xx answers.
func (c *Client) call(ctx context.Context, method, path string, in, out any) (int, error) {
	return c.callDecode(ctx, method, path, in, out, nil)
}

// callDecode is call that also decodes a 4xx JSON answer into refusal.
func (c *Client) callDecode(ctx context.Context, method, path string, in, out, refusal any) (status int, err error) {
	if c.Observe != nil {
		start := time.Now()
		defer func() {
			result := "ok"
			switch {
			case err != nil || status/100 == 5:
				result = "error"
			case status/100 == 4:
				result = "refused"
			}
			c.Observe(path, result, time.Since(start))
		}()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("encode %s request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, redactURL(err))
	}
	req.Header.Set("Content-Type", wire.ContentType)
	if c.Token != "" {
		req.Header.Set(wire.AuthHeader, wire.Bearer(c.Token))
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, redactURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		if refusal != nil && resp.StatusCode/100 == 4 {
			_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(refusal)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, nil
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, wire.MaxBodyBytes)).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("%w: decode %s answer: %v", ErrUnavailable, path, err)
		}
	}
	return resp.StatusCode, nil
}

// ResolveKey asks for an access key's record: POST /v1/sigv4/resolve.
func (c *Client) ResolveKey(ctx context.Context, accessKey string) (*credentials.Record, error) {
	var ans wire.ResolveKeyResponse
	status, err := c.call(ctx, wire.MethodResolveKey, wire.PathResolveKey, wire.ResolveKeyRequest{AccessKey: accessKey}, &ans)
	switch {
	case err != nil:
		return nil, err
	case status == wire.StatusUnknownKey:
		return nil, credentials.ErrUnknownKey
	case status/100 != 2:
		return nil, fmt.Errorf("%w: resolve answered %d", ErrUnavailable, status)
	}
	// The answer is a credential record field for field: the conversion
	// stops compiling if the two ever differ.
	rec := credentials.Record(ans)
	if rec.AccessKey == "" {
		rec.AccessKey = accessKey
	}
	if rec.AccessKey != accessKey {
		return nil, fmt.Errorf("%w: resolve answered for another key", ErrUnavailable)
	}
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: resolve answered an invalid record: %v", ErrUnavailable, err)
	}
	return &rec, nil
}

// TokenError is the control plane's refusal of a token: Status 401 for a
// bad or expired token, 403 for a request outside its caveats.
type TokenError struct {
	Status int
	Reason string
}

func (e *TokenError) Error() string { return fmt.Sprintf("token refused (%d): %s", e.Status, e.Reason) }

// VerifyToken asks whether token allows op on bucket and key:
// POST /v1/macaroons/verify.
func (c *Client) VerifyToken(ctx context.Context, token, op, bucket, key string) (*wire.Grant, error) {
	var g wire.Grant
	var refusal wire.Refusal
	req := wire.VerifyTokenRequest{Token: token, Op: op, Bucket: bucket, Key: key}
	status, err := c.callDecode(ctx, wire.MethodVerifyToken, wire.PathVerifyToken, req, &g, &refusal)
	switch {
	case err != nil:
		return nil, err
	case status == wire.StatusTokenInvalid || status == wire.StatusTokenForbidden:
		return nil, &TokenError{Status: status, Reason: refusal.Reason}
	case status/100 != 2:
		return nil, fmt.Errorf("%w: verify answered %d", ErrUnavailable, status)
	case g.ProjectID == "" || g.ExpiresAt.IsZero():
		return nil, fmt.Errorf("%w: verify answered an incomplete grant", ErrUnavailable)
	}
	return &g, nil
}

// SendUsage delivers a batch of events: POST /v1/usage.
func (c *Client) SendUsage(ctx context.Context, events []wire.UsageEvent) error {
	status, err := c.call(ctx, wire.MethodUsage, wire.PathUsage, wire.UsageBatch{Events: events}, nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("%w: usage answered %d", ErrUnavailable, status)
	}
	return nil
}

// StatusError is a control-plane answer with an unexpected HTTP status.
type StatusError struct {
	Endpoint string
	Status   int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v: %s answered HTTP %d", ErrUnavailable, e.Endpoint, e.Status)
}

// Unwrap makes a StatusError an ErrUnavailable.
func (e *StatusError) Unwrap() error { return ErrUnavailable }

// Ping checks that the control plane is healthy (GET /healthz answers 2xx),
// for readiness: a 404 or a 500 is as unhealthy as no answer.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, wire.MethodHealth, c.BaseURL+wire.PathHealth, nil)
	if err != nil {
		return redactURL(err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, redactURL(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &StatusError{Endpoint: wire.PathHealth, Status: resp.StatusCode}
	}
	return nil
}

// redactURL hides what the URL in a request's error may carry (a password
// in CONTROL_PLANE_URL) before the error is logged: net/http strips the
// password from the errors of a call, but url.Parse's errors quote the URL
// whole.
func redactURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: redact.URL(ue.URL), Err: ue.Err}
	}
	return err
}
