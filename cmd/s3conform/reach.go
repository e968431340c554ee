package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/s3gw/gateway/conformance"
)

// reachTimeout bounds the reachability check: long enough for a slow
// server's first answer, short enough that a wrong endpoint fails at once.
const reachTimeout = 5 * time.Second

// checkReachable makes sure something answers HTTP at the target's S3 root
// before the suite runs, so a wrong endpoint costs one line rather than a
// report of hundreds of identical failures. It opens a TCP connection, then
// sends one unsigned GET through the target's own HTTP client (its CA, no
// proxy); any HTTP answer, 403 and 404 included, counts as reachable.
func checkReachable(ctx context.Context, t *conformance.Target, timeout time.Duration) error {
	root := t.S3URL()
	if err := reach(ctx, t, root, timeout); err != nil {
		return fmt.Errorf("endpoint %s unreachable: %w", root, err)
	}
	return nil
}

func reach(ctx context.Context, t *conformance.Target, root string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := url.Parse(root)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an http(s) URL")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return err
	}
	conn.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+"/", nil)
	if err != nil {
		return err
	}
	resp, err := t.HTTPClient().Do(req)
	if err != nil {
		// The URL is already in the message; keep the cause only.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("GET %s: %w", u.Path+"/", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil
}
