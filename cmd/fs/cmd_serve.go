package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	fshttp "github.com/fs-dev/fs/http"
)

type serveOptions struct {
	addr, tokens, outputs string
	dataRoots             []string
	tlsCert, tlsKey       string
	logRequests           bool
	maxBody               int64
	requestTimeout, grace time.Duration
	quiet                 bool
	jobs                  fshttp.Limits
	memoryLimit           string
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
and admin); without tokens it answers only to loopback names (no DNS
rebinding), and no server takes a change sent by another site's page. Every
file a request names (entity files, sources, outputs) must lie under a
--data-root (default: the working directory, unless it holds the tokens file
or TLS key), and none may be the store, the outputs, the tokens file or the
TLS key and certificate. --tls-cert and --tls-key serve HTTPS.

Jobs: at most --max-jobs run at once, each within its share of
--memory-limit; --max-queued more wait their turn; one token may have
--jobs-per-token running or waiting. Past that a request is refused with 429
and Retry-After.

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
	f.IntVar(&o.jobs.Running, "max-jobs", 0, "jobs run at once, each with an equal share of --memory-limit (default: the processors, at least 2)")
	f.IntVar(&o.jobs.Queued, "max-queued", 0, "jobs that may wait for a turn beyond those running (default: 4 x --max-jobs); more are refused with 429")
	f.IntVar(&o.jobs.PerToken, "jobs-per-token", 0, "jobs one token may have running or waiting (default: --max-jobs); more are refused with 429")
	f.StringVar(&a.onlineFlag, "online", "", "the online store: redis://HOST:PORT[/DB] (default $FS_ONLINE, else embedded beside the store)")
	f.BoolVar(&o.logRequests, "log-requests", false, "keep each online request answered, with its answer, for fs online check (a week)")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "memory all running jobs may take together, e.g. 16GB (default: three quarters of the machine's)")
	return cmd
}

func (a *cli) runServe(ctx context.Context, o serveOptions) error {
	if a.remote() {
		return a.localOnly("fs serve")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError{fmt.Errorf("give --tls-cert and --tls-key together")}
	}
	if err := o.checkLimits(); err != nil {
		return err
	}
	mem, err := sizeFlag("--memory-limit", o.memoryLimit)
	if err != nil {
		return err
	}
	o.jobs.Memory = mem
	var tokens *fshttp.Tokens
	if o.tokens != "" {
		var err error
		if tokens, err = fshttp.ReadTokens(o.tokens); err != nil {
			return err
		}
	}
	if err := fshttp.CheckBind(o.addr, tokens != nil); err != nil {
		return err
	}
	svc, shared, err := app.OpenServe(app.ServeConfig{Store: a.storeDir(), DataRoots: o.dataRoots, Outputs: o.outputs,
		Protected: o.protected(), Getenv: a.st.Getenv, Online: a.onlineURL(), LogRequests: o.logRequests})
	if err != nil {
		return err
	}
	defer shared.Close()
	defer svc.CloseOnline()
	opts := fshttp.Options{OutDir: svc.Outputs, MaxBody: o.maxBody, RequestTimeout: o.requestTimeout, Jobs: o.jobs}
	if !o.quiet {
		opts.Log = a.st.Stderr
	}
	srv, err := fshttp.NewServer(svc, tokens, opts)
	if err != nil {
		return err
	}
	return a.serve(ctx, srv, shared, o)
}

// checkLimits refuses sizes and durations no server can work with.
func (o serveOptions) checkLimits() error {
	switch {
	case o.maxBody < 1024:
		return usageError{fmt.Errorf("--max-body %d: give at least 1024 bytes", o.maxBody)}
	case o.requestTimeout <= 0:
		return usageError{fmt.Errorf("--request-timeout %v: give a positive duration", o.requestTimeout)}
	case o.grace < 0:
		return usageError{fmt.Errorf("--shutdown-grace %v: give zero or a positive duration", o.grace)}
	case o.jobs.Running < 0 || o.jobs.Queued < 0 || o.jobs.PerToken < 0:
		return usageError{fmt.Errorf("--max-jobs, --max-queued and --jobs-per-token take a positive number")}
	}
	return nil
}

// protected are the server's own files: no request may read or write them.
func (o serveOptions) protected() []app.Protected {
	var out []app.Protected
	for _, p := range []app.Protected{{Path: o.tokens, What: "the server's tokens file"},
		{Path: o.tlsKey, What: "the server's TLS key"}, {Path: o.tlsCert, What: "the server's TLS certificate"}} {
		if p.Path != "" {
			out = append(out, p)
		}
	}
	return out
}

// serve answers requests until ctx ends, then stops: new work refused,
// jobs given the grace period, requests in flight finished.
func (a *cli) serve(ctx context.Context, srv *fshttp.Server, shared *app.Shared, o serveOptions) error {
	url, err := srv.Open(o.addr, o.tlsCert, o.tlsKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.st.Stderr, "fs: serving the store %s at %s (Ctrl-C stops)\n", shared.Dir(), url)
	defer shared.MarkServing(url)()
	select {
	case err := <-srv.Failed():
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(a.st.Stderr, "fs: stopping: new work is refused; running jobs have %v to finish\n", o.grace)
	if err := srv.Close(o.grace); err != nil {
		return err
	}
	shared.Drain()
	fmt.Fprintf(a.st.Stderr, "fs: stopped; the store is closed\n")
	return nil
}
