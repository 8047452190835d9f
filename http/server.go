package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/web"
)

// Server serves an app.Service over HTTP.
type Server struct {
	app    *app.Service
	tokens *Tokens
	o      Options
	jobs   *jobs
	mux    *http.ServeMux
	// draining is set when the server stops: new work is refused.
	draining atomic.Bool
	doc      []byte // the OpenAPI document
	ui       *web.Renderer
	cop      *http.CrossOriginProtection
	hs       *http.Server // once Open
	failed   chan error
}

// Options bound what a server accepts.
type Options struct {
	OutDir         string        // where outputs streamed back to clients are kept
	MaxBody        int64         // the largest request body, in bytes
	RequestTimeout time.Duration // the longest a request that is not a job may take
	Log            io.Writer     // one line per request, if set
	Jobs           Limits        // how many jobs run and wait, and their memory
}

// NewServer serves svc; tokens nil means no authentication (a loopback
// server for one person). Clients' files are kept in o.OutDir, which
// becomes svc's Outputs: only the server's own jobs write there.
func NewServer(svc *app.Service, tokens *Tokens, o Options) (*Server, error) {
	if o.MaxBody == 0 {
		o.MaxBody = 8 << 20
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = time.Minute
	}
	if o.OutDir != "" {
		roots, err := app.NewRoots([]string{o.OutDir})
		if err != nil {
			return nil, err
		}
		o.OutDir = roots[0]
		svc.Outputs = o.OutDir
	}
	s := &Server{app: svc, tokens: tokens, o: o, jobs: newJobs(o.Jobs), mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	if s.doc, err = json.MarshalIndent(doc, "", "  "); err != nil {
		return nil, err
	}
	for _, rt := range routes {
		s.mux.Handle(rt.method+" "+Prefix+rt.path, s.wrap(rt))
	}
	ui, err := web.New()
	if err != nil {
		return nil, err
	}
	s.mountUI(ui)
	s.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, featurestore.Errorf(featurestore.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path).
			WithHint("GET %s/openapi.json describes the API", Prefix))
	})
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			writeError(rec, bug(p)) // a bug: answered as one, the server keeps serving
		}
	}()
	if err := s.checkOrigin(r); err != nil {
		writeError(rec, err)
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, "fs: %s %s %s %d %s\n", start.UTC().Format(time.RFC3339), r.Method, r.URL.Path, rec.status,
			time.Since(start).Round(time.Microsecond))
	}
}

// recorder remembers a response's status for the log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int)        { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// wrap checks a request's token and role, bounds its body and time, and
// writes what the route's handler returns.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, err := s.tokens.identify(r)
		if rt.role == RoleNone {
			who, err = identity{name: "anonymous"}, nil
		}
		if err == nil && who.role < rt.role {
			err = forbidden(who, rt.role)
		}
		if err == nil && rt.method == http.MethodPost && s.draining.Load() { // reads and cancels go on
			err = featurestore.Errorf(EDRAINING, "the fs server is stopping and takes no new work").
				WithHint("retry when it is back")
		}
		if err != nil {
			writeError(w, err)
			return
		}
		if rt.body != nil {
			if err := checkJSON(r); err != nil {
				writeError(w, err)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBody)
		req := &request{Request: r, who: who, w: w}
		if rt.job {
			s.startJob(w, req, rt)
			return
		}
		ctx, cancel := context.WithTimeout(s.withUser(r.Context(), who), s.o.RequestTimeout)
		defer cancel()
		var notices []string
		req.Request = r.WithContext(app.WithNotify(ctx, func(m string) { notices = append(notices, m) }))
		res, err := rt.handle(s, req)
		for _, n := range notices {
			w.Header().Add(Notice, n)
		}
		switch {
		case err != nil:
			writeError(w, err)
		case res != nil:
			writeJSON(w, http.StatusOK, res)
		}
	})
}

// withUser records the token's name as who acts, on a server with tokens
// (without, the server's own user is recorded).
func (s *Server) withUser(ctx context.Context, who identity) context.Context {
	if s.tokens == nil {
		return ctx
	}
	return app.WithUser(ctx, who.name)
}

// request is an HTTP request with who sent it.
type request struct {
	*http.Request
	who identity
	w   http.ResponseWriter // for handlers that stream
}

// decode reads the request's JSON body into v.
func (r *request) decode(v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return featurestore.Errorf(featurestore.EINVALID, "the request body is over %d bytes", tooBig.Limit).
				WithHint("a definition file is at most 4 MiB")
		}
		return featurestore.Errorf(featurestore.EINVALID, "the request body is not the JSON expected: %v", err).
			WithHint("GET %s/openapi.json describes each request", Prefix)
	}
	return nil
}

func forbidden(who identity, need Role) error {
	return featurestore.Errorf(app.EFORBIDDEN, "token %s has the %s role; this needs %s", who.name, who.role, need).
		WithHint("ask the server's operator for a token with the %s role", need)
}

// startJob starts the route's use case as a job and answers 202 with it.
func (s *Server) startJob(w http.ResponseWriter, r *request, rt route) {
	fn, out, err := rt.start(s, r)
	if err != nil {
		writeError(w, err)
		return
	}
	run := func(ctx context.Context) (any, error) { return fn(s.withUser(ctx, r.who)) }
	j, err := s.jobs.start(rt.kind, r.who.name, out, run)
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeError(w, err)
		return
	}
	c, _ := s.jobs.get(r.Context(), j.ID, 0)
	w.Header().Set("Location", Prefix+"/jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, c)
}

// Drain stops taking new work and waits for the running jobs to finish,
// at most until ctx ends; those left are then cancelled (their writes are
// transactions: all or nothing).
func (s *Server) Drain(ctx context.Context) {
	s.draining.Store(true)
	s.jobs.wait(ctx)
}

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // > and & as they are (the body is application/json, never HTML)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	b := errorBody(err)
	writeJSON(w, status(b.Code), struct {
		Error *ErrorBody `json:"error"`
	}{b})
}

// serveFile streams a file.
func serveFile(w http.ResponseWriter, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return featurestore.Errorf(featurestore.ENOTFOUND, "the job's output is gone: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.apache.parquet")
	if strings.HasSuffix(path, ".html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
	_, err = io.Copy(w, f)
	return err
}
