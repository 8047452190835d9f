package http

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// Open starts answering on addr (HOST:PORT; port 0 picks a free one),
// over TLS when cert and key are given, and returns the server's URL.
// Failed tells when the server stops on its own; Close stops it.
func (s *Server) Open(addr, cert, key string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", featurestore.Errorf(featurestore.EINVALID, "cannot listen on %s: %v", addr, err).
			WithHint("another program may use that port; give another with --addr, or port 0 for a free one")
	}
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	s.failed = make(chan error, 1)
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	go func() {
		var err error
		if cert != "" {
			err = s.hs.ServeTLS(ln, cert, key)
		} else {
			err = s.hs.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.failed <- featurestore.Errorf(featurestore.EINVALID, "the server stopped: %v", err)
		}
	}()
	return fmt.Sprintf("%s://%s", scheme, ln.Addr()), nil
}

// Failed receives the error of a server that stopped on its own.
func (s *Server) Failed() <-chan error { return s.failed }

// Close stops the server: new work is refused, running jobs get grace to
// finish (then they are cancelled, recording nothing), requests in
// flight are answered.
func (s *Server) Close(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	s.Drain(ctx)
	if s.hs == nil {
		return nil
	}
	if err := s.hs.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// CheckBind refuses to listen beyond this machine without tokens: anyone
// who could reach the server could change the store.
func CheckBind(addr string, haveTokens bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return featurestore.Errorf(featurestore.EUSAGE, "--addr %s: %v (give HOST:PORT)", addr, err)
	}
	if haveTokens || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return featurestore.Errorf(featurestore.EINVALID, "refusing to serve on %s without tokens: anyone who can reach it could change the store", addr).
		WithHint("give --tokens FILE (see docs/server.md), or listen on 127.0.0.1")
}
