// Package controlplane is the gateway's client of the control plane: it
// resolves access keys (and, later, verifies tokens and receives usage).
// The contract is in docs/design.md: JSON over HTTP, with
// "Authorization: Bearer <INTERNAL_API_TOKEN>" when a token is configured.
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

// post sends a JSON request and decodes a 2xx JSON answer into out. It
// returns the status for the caller to interpret non-2xx answers.
func (c *Client) post(ctx context.Context, path string, in, out any) (int, error) {
	return c.postDecode(ctx, path, in, out, nil)
}

// postDecode is post that also decodes a 4xx JSON answer into refusal.
func (c *Client) postDecode(ctx context.Context, path string, in, out, refusal any) (status int, err error) {
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, redactURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
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
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("%w: decode %s answer: %v", ErrUnavailable, path, err)
		}
	}
	return resp.StatusCode, nil
}

// ResolveKey asks for an access key's record: POST /v1/sigv4/resolve.
func (c *Client) ResolveKey(ctx context.Context, accessKey string) (*credentials.Record, error) {
	var rec credentials.Record
	status, err := c.post(ctx, "/v1/sigv4/resolve", map[string]string{"access_key": accessKey}, &rec)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusNotFound:
		return nil, credentials.ErrUnknownKey
	case status/100 != 2:
		return nil, fmt.Errorf("%w: resolve answered %d", ErrUnavailable, status)
	}
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

// Grant is what a valid token allows, as /v1/macaroons/verify answers.
type Grant struct {
	ProjectID string    `json:"project_id"`
	Bucket    string    `json:"bucket"`
	Prefix    string    `json:"prefix"`
	Ops       []string  `json:"ops"`
	ExpiresAt time.Time `json:"expires_at"`
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
func (c *Client) VerifyToken(ctx context.Context, token, op, bucket, key string) (*Grant, error) {
	var g Grant
	var refusal struct {
		Reason string `json:"reason"`
	}
	status, err := c.postDecode(ctx, "/v1/macaroons/verify", map[string]string{"token": token, "op": op, "bucket": bucket, "key": key}, &g, &refusal)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, &TokenError{Status: status, Reason: refusal.Reason}
	case status/100 != 2:
		return nil, fmt.Errorf("%w: verify answered %d", ErrUnavailable, status)
	case g.ProjectID == "" || g.ExpiresAt.IsZero():
		return nil, fmt.Errorf("%w: verify answered an incomplete grant", ErrUnavailable)
	}
	return &g, nil
}

// UsageEvent is one request's usage.
type UsageEvent struct {
	ProjectID string    `json:"project_id"`
	Bucket    string    `json:"bucket"`
	Op        string    `json:"op"`
	BytesIn   int64     `json:"bytes_in"`
	BytesOut  int64     `json:"bytes_out"`
	Status    int       `json:"status"`
	At        time.Time `json:"at"`
	RequestID string    `json:"request_id"`
}

// SendUsage delivers a batch of events: POST /v1/usage.
func (c *Client) SendUsage(ctx context.Context, events []UsageEvent) error {
	status, err := c.post(ctx, "/v1/usage", map[string]any{"events": events}, nil)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/healthz", nil)
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
		return &StatusError{Endpoint: "/healthz", Status: resp.StatusCode}
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
