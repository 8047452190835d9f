package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	fshttp "github.com/fs-dev/fs/http"
)

type serveOptions struct {
	addr, tokens, outputs string
	dataRoots             []string
	tlsCert, tlsKey       string
	maxBody               int64
	requestTimeout, grace time.Duration
	quiet                 bool
}

func newServeCmd(a *cli) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:7070] [--tokens FILE] [--data-root DIR]...",
		Short: "Serve the store to a team over HTTP",
		Long: `Serve the store over HTTP: the JSON API under /api/v1/ (described at
/api/v1/openapi.json) that fs --store http://HOST:PORT, the Python client and
other programs use, and a web UI at /. The server owns the store: reads run in parallel, writes
take turns in short transactions, long work (materialize, train, ...) runs as
jobs that never block the rest.

Security: it listens on 127.0.0.1 unless --addr says otherwise, and refuses
any other address without --tokens (bearer tokens with the roles read, write
and admin). Every file a request names (entity files, sources, outputs) must
lie under a --data-root (default: the working directory). --tls-cert and
--tls-key serve HTTPS.

SIGTERM or Ctrl-C: new work is refused, running jobs get --shutdown-grace to
finish (then they are cancelled, recording nothing), and the store is closed.
What the server acknowledged is on disk.

Exit codes: 0 stopped cleanly, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: `  fs serve
  fs serve --addr 0.0.0.0:7070 --tokens tokens.yaml --data-root /data --tls-cert cert.pem --tls-key key.pem
  FS_STORE=http://127.0.0.1:7070 fs features list`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:7070", "address to listen on (HOST:PORT; port 0 picks a free one)")
	f.StringVar(&o.tokens, "tokens", "", "tokens file (YAML): bearer tokens and their roles")
	f.StringSliceVar(&o.dataRoots, "data-root", nil, "directory requests may name files in; repeat for several (default: the working directory)")
	f.StringVar(&o.outputs, "outputs", "", "where files streamed back to clients are kept (default: STORE-outputs beside the store)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM), with --tls-key")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM), with --tls-cert")
	f.Int64Var(&o.maxBody, "max-body", 8<<20, "the largest request body, in bytes")
	f.DurationVar(&o.requestTimeout, "request-timeout", time.Minute, "the longest a request that is not a job may take")
	f.DurationVar(&o.grace, "shutdown-grace", time.Minute, "how long running jobs may finish when the server stops")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no request log on stderr")
	return cmd
}

func (a *cli) runServe(ctx context.Context, o serveOptions) error {
	if a.remote() {
		return a.localOnly("fs serve")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError{fmt.Errorf("give --tls-cert and --tls-key together")}
	}
	var tokens *fshttp.Tokens
	if o.tokens != "" {
		var err error
		if tokens, err = fshttp.ReadTokens(o.tokens); err != nil {
			return err
		}
	}
	if err := checkBind(o.addr, tokens != nil); err != nil {
		return err
	}
	svc, shared, outputs, err := a.serveService(o)
	if err != nil {
		return err
	}
	defer shared.Close()
	opts := fshttp.Options{OutDir: outputs, MaxBody: o.maxBody, RequestTimeout: o.requestTimeout}
	if !o.quiet {
		opts.Log = a.st.Stderr
	}
	srv, err := fshttp.NewServer(svc, tokens, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return featurestore.Errorf(featurestore.EINVALID, "cannot listen on %s: %v", o.addr, err).
			WithHint("another program may use that port; give another with --addr, or port 0 for a free one")
	}
	return a.serve(ctx, srv, shared, ln, o)
}

// serveService opens the store for the server's life and builds the
// service over it.
func (a *cli) serveService(o serveOptions) (*app.Service, *app.Shared, string, error) {
	dirs := o.dataRoots
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	roots, err := app.NewRoots(dirs)
	if err != nil {
		return nil, nil, "", err
	}
	storeAbs, err := filepath.Abs(a.storeDir())
	if err != nil {
		return nil, nil, "", err
	}
	outputs := o.outputs
	if outputs == "" {
		outputs = storeAbs + "-outputs"
	}
	if err := os.MkdirAll(outputs, 0o755); err != nil {
		return nil, nil, "", featurestore.Errorf(featurestore.EINVALID, "cannot create the outputs directory %s: %v", outputs, err)
	}
	shared, err := app.OpenShared(a.storeDir())
	if err != nil {
		return nil, nil, "", err
	}
	return &app.Service{Store: shared, Getenv: a.st.Getenv, Roots: roots}, shared, outputs, nil
}

// serve answers requests until ctx ends, then drains: new work refused,
// jobs given the grace period, requests in flight finished.
func (a *cli) serve(ctx context.Context, srv *fshttp.Server, shared *app.Shared, ln net.Listener, o serveOptions) error {
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(a.st.Stderr, "fs: serving the store %s at %s://%s (Ctrl-C stops)\n", shared.Dir(), scheme, ln.Addr())
	done := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			done <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return featurestore.Errorf(featurestore.EINVALID, "the server stopped: %v", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(a.st.Stderr, "fs: stopping: new work is refused; running jobs have %v to finish\n", o.grace)
	grace, cancel := context.WithTimeout(context.Background(), o.grace)
	defer cancel()
	srv.Drain(grace)
	if err := hs.Shutdown(grace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	shared.Drain()
	fmt.Fprintf(a.st.Stderr, "fs: stopped; the store is closed\n")
	return nil
}

// checkBind refuses to listen beyond this machine without tokens.
func checkBind(addr string, haveTokens bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Errorf("--addr %s: %v (give HOST:PORT)", addr, err)}
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
