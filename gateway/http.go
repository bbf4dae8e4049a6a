package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// HTTPService serves handler on the configured HTTP address with the
// configured timeouts and header limits, until ctx ends (then it shuts
// down gracefully, waiting up to 10 s for requests in flight).
func (g *Gateway) HTTPService(handler http.Handler) Service {
	return ServiceFunc(func(ctx context.Context) error {
		c := g.Config.HTTP
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: c.ReadTimeout,
			WriteTimeout: c.WriteTimeout, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
		g.log.Info("http listening", "addr", ln.Addr().String())
		defer g.writeHTTPAddress(ln.Addr().String())()
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// PublicURL is the URL partners reach the HTTP listener at.
func (g *Gateway) PublicURL() string {
	if u := g.Config.HTTP.PublicURL; u != "" {
		return u
	}
	return "http://" + g.Config.HTTP.Listen
}
