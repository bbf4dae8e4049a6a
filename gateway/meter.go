package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
)

// TransportMeter is told of transport connections and bytes; the web
// server's metrics satisfy it.
type TransportMeter interface {
	TransportConnection(transport string)
	TransportBytes(transport, direction string, n int)
}

// meter holds the gateway's TransportMeter, set once the web server exists.
type meter struct {
	mu sync.RWMutex
	m  TransportMeter
}

func (mt *meter) get() TransportMeter {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	return mt.m
}

// SetMeter makes the transports report connections and bytes to m.
func (g *Gateway) SetMeter(m TransportMeter) {
	g.meter.mu.Lock()
	g.meter.m = m
	g.meter.mu.Unlock()
}

func (g *Gateway) connection(transport string) {
	if m := g.meter.get(); m != nil {
		m.TransportConnection(transport)
	}
}

func (g *Gateway) bytes(transport, direction string, n int) {
	if m := g.meter.get(); m != nil && n > 0 {
		m.TransportBytes(transport, direction, n)
	}
}

// meteredListener counts the connections it accepts and their bytes.
type meteredListener struct {
	net.Listener
	g         *Gateway
	transport string
}

func (l meteredListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.g.connection(l.transport)
	return meteredConn{Conn: c, g: l.g, transport: l.transport}, nil
}

type meteredConn struct {
	net.Conn
	g         *Gateway
	transport string
}

func (c meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.g.bytes(c.transport, "in", n)
	return n, err
}

func (c meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.g.bytes(c.transport, "out", n)
	return n, err
}

// sftpService listens on the SFTP address through a metered listener.
func (g *Gateway) sftpService(serve func(context.Context, net.Listener) error) Service {
	return ServiceFunc(func(ctx context.Context) error {
		ln, err := net.Listen("tcp", g.Config.SFTP.Listen)
		if err != nil {
			return err
		}
		return serve(ctx, meteredListener{Listener: ln, g: g, transport: "sftp"})
	})
}

// MeteredHandler counts each request to h as a connection of transport,
// and the bytes of its body and of the response.
func (g *Gateway) MeteredHandler(transport string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.connection(transport)
		r.Body = &countingBody{ReadCloser: r.Body, count: func(n int) { g.bytes(transport, "in", n) }}
		h.ServeHTTP(&countingWriter{ResponseWriter: w, count: func(n int) { g.bytes(transport, "out", n) }}, r)
	})
}

type countingBody struct {
	io.ReadCloser
	count func(int)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.count(n)
	return n, err
}

type countingWriter struct {
	http.ResponseWriter
	count func(int)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.count(n)
	return n, err
}
