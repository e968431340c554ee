package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/s3err"
)

// At the connection cap a new connection is not queued (a client would only
// see a connect timeout) but answered at once: 503 SlowDown, which every AWS
// SDK retries with backoff, then closed. Answering costs a goroutine for at
// most refuseTimeout; at most maxRefusing run at once, beyond which a
// connection is closed without an answer.
const (
	refuseTimeout = time.Second
	maxRefusing   = 128
)

// connStats counts client connections for metrics.
type connStats struct {
	open, refused atomic.Int64
}

// OpenConnections is the number of client connections open now.
func (s *Server) OpenConnections() int64 { return s.conns.open.Load() }

// RefusedConnections is how many connections were refused at the cap.
func (s *Server) RefusedConnections() int64 { return s.conns.refused.Load() }

type limitListener struct {
	net.Listener
	s        *Server
	max      int64
	refusing atomic.Int64
}

func (s *Server) limitListener(ln net.Listener, max int) net.Listener {
	return &limitListener{Listener: ln, s: s, max: int64(max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.conns.open.Add(1) <= l.max {
			return &countedConn{Conn: c, open: &l.s.conns.open}, nil
		}
		l.s.conns.open.Add(-1)
		l.s.conns.refused.Add(1)
		if l.refusing.Add(1) > maxRefusing {
			l.refusing.Add(-1)
			c.Close()
			continue
		}
		go func() {
			defer l.refusing.Add(-1)
			refuse(c, l.s.opts.TLS)
		}()
	}
}

// refuse answers a connection over the cap with 503 SlowDown. It reads the
// request head first (briefly) so that the client, still sending, is not
// reset before it can read the answer.
func refuse(c net.Conn, tlsConfig *tls.Config) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(refuseTimeout))
	if tlsConfig != nil {
		tc := tls.Server(c, tlsConfig)
		if err := tc.Handshake(); err != nil {
			return
		}
		c = tc
	}
	resource := "/"
	br := bufio.NewReaderSize(c, 4096)
	if line, err := br.ReadSlice('\n'); err == nil {
		if f := bytes.Fields(line); len(f) == 3 {
			resource = string(f[1])
		}
		for {
			l, err := br.ReadSlice('\n')
			if err != nil || len(bytes.TrimSpace(l)) == 0 {
				break
			}
		}
	}
	if i := bytes.IndexByte([]byte(resource), '?'); i >= 0 {
		resource = resource[:i]
	}
	id := accesslog.NewRequestID()
	body := s3err.SlowDown.Document(resource, id).Marshal()
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\nRetry-After: 1\r\n")
	b.WriteString("x-amz-request-id: " + id + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	_, _ = c.Write(b.Bytes())
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// ReadFrom keeps the socket's sendfile(2) path for file bodies.
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// CloseWrite lets net/http half-close before it closes, so a client gets
// the last response before the connection goes.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
