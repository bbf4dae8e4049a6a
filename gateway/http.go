package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
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
		srv := &http.Server{Handler: recoverHTTP(g.log, handler), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: c.ReadTimeout,
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

// recoverHTTP answers 500 when a handler panics (a bug) before it started
// its response, and drops the connection when it had; either way the panic
// is logged with the request (and its AS2 Message-ID, if any), and the
// listener goes on serving.
func recoverHTTP(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			log.Error("http handler panicked", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr,
				"message_id", r.Header.Get("Message-ID"), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.started {
				panic(http.ErrAbortHandler) // half a response: drop the connection (net/http logs nothing more)
			}
			http.Error(w, "internal error (logged)", http.StatusInternalServerError)
		}()
		next.ServeHTTP(sw, r)
	})
}

// startedWriter notes whether the response was started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(code int) {
	if code >= 200 { // 1xx are informational: the response is still to come
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the connection.
func (w *startedWriter) Flush() {
	w.started = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
