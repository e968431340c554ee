package conformance

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gavv/httpexpect/v2"
)

// rawSend writes req to the target on a connection of its own, exactly as
// built: no Content-Length or Transfer-Encoding is added (net/http's client
// always frames a body), then body, and reads one response. It is for the
// cases about a request's framing itself.
func rawSend(t T, e *Env, req *http.Request, body []byte) *httpexpect.Response {
	t.Helper()
	host := req.URL.Host
	if req.URL.Port() == "" {
		port := "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(req.URL.Hostname(), port)
	}
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(t.Context(), "tcp", host)
	mustf(t, err, "dial %s", host)
	t.Cleanup(func() { conn.Close() })
	if req.URL.Scheme == "https" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: req.URL.Hostname()}
		if len(e.Target.CAPEM) > 0 {
			cfg.RootCAs = x509.NewCertPool()
			cfg.RootCAs.AppendCertsFromPEM(e.Target.CAPEM)
		}
		tc := tls.Client(conn, cfg)
		mustf(t, tc.HandshakeContext(t.Context()), "TLS handshake with %s", host)
		conn = tc
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))

	var msg bytes.Buffer
	msg.WriteString(req.Method + " " + req.URL.RequestURI() + " HTTP/1.1\r\nHost: " + req.URL.Host + "\r\n")
	mustf(t, req.Header.Write(&msg), "write headers")
	msg.WriteString("Connection: close\r\n\r\n")
	msg.Write(body)
	_, err = conn.Write(msg.Bytes())
	mustf(t, err, "send %s %s", req.Method, req.URL)

	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	mustf(t, err, "read the response to %s %s", req.Method, req.URL)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	mustf(t, err, "read the response body")
	resp.Body = io.NopCloser(bytes.NewReader(got))
	return httpexpect.NewResponse(fatalReporter{t}, resp)
}
