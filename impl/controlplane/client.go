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
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
)

// ErrUnavailable wraps every failure to get an answer from the control
// plane (as opposed to an answer that says no).
var ErrUnavailable = errors.New("control plane unavailable")

// Client calls the control plane.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// New returns a client with sane timeouts.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

// post sends a JSON request and decodes a 2xx JSON answer into out. It
// returns the status for the caller to interpret non-2xx answers.
func (c *Client) post(ctx context.Context, path string, in, out any) (int, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("encode %s request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
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
