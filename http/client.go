package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/reproduce"
	"github.com/fs-dev/fs/trainer"
)

// Client runs fs's use cases on an fs server. It returns what a local
// app.Service returns: the same results, the same error codes, messages
// and hints; warnings go to the context's notifier and job progress to
// its progress function. File paths in requests are made absolute: the
// server reads them on a file system it shares with the client.
type Client struct {
	Base   string // http://HOST:PORT
	Token  string // the bearer token, if the server needs one
	HTTP   *http.Client
	Limits AnswerLimits
}

// AnswerLimits bounds what the client waits for and takes from a server
// (NewClient sets the defaults below).
type AnswerLimits struct {
	JSON    time.Duration // the whole of a JSON answer
	Idle    time.Duration // the wait for the next bytes of any answer
	MaxJSON int64         // a JSON answer's size
}

var _ app.API = (*Client)(nil)

// What the client waits for and takes from a server, so that a server
// that hangs, trickles or streams for ever cannot hold or fill the
// client: AnswerWithin bounds the wait for an answer to start (longer than
// the server's own limit on a request, one minute, and its longest wait
// for a job, ten seconds), JSONWithin the whole of a JSON answer, IdleWithin
// the wait for the next bytes of any answer, MaxJSON a JSON answer's size.
// A job's output file must come with its length and is held to it.
const (
	AnswerWithin = 2 * time.Minute
	JSONWithin   = 5 * time.Minute
	IdleWithin   = time.Minute
	MaxJSON      = 256 << 20
)

// NewClient returns a client of the server at base.
func NewClient(base, token string) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = AnswerWithin
	return &Client{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{Transport: t},
		Limits: AnswerLimits{JSON: JSONWithin, Idle: IdleWithin, MaxJSON: MaxJSON}}
}

// do sends a request and decodes a 2xx JSON answer into out (when not
// nil); any other answer is the error it carries.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.Limits.JSON)
	defer cancel()
	resp, err := c.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.Limits.MaxJSON+1))
	switch {
	case errors.Is(err, context.DeadlineExceeded) || err != nil && ctx.Err() == context.DeadlineExceeded:
		return featurestore.Errorf(featurestore.EINTERNAL, "the fs server at %s did not finish its answer to %s %s within %v", c.Base, method, path, c.Limits.JSON).
			WithHint("check the server's log; retry when it answers again")
	case err != nil:
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	case int64(len(data)) > c.Limits.MaxJSON:
		return featurestore.Errorf(featurestore.EINTERNAL, "the fs server at %s sent more than %s for %s %s", c.Base, membudget.Human(c.Limits.MaxJSON), method, path).
			WithHint("is it an fs server? no answer of fs is that large")
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// idleBody is an answer's body that gives up when no byte arrives for
// IdleWithin (it cancels the request), and holds a body to its length.
type idleBody struct {
	body   io.ReadCloser
	timer  *time.Timer
	cancel context.CancelFunc
	idle   atomic.Bool // set when the timer gave up
	after  time.Duration
	base   string
}

func newIdleBody(body io.ReadCloser, cancel context.CancelFunc, after time.Duration, base string) *idleBody {
	b := &idleBody{body: body, cancel: cancel, after: after, base: base}
	b.timer = time.AfterFunc(after, func() { b.idle.Store(true); cancel() })
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.timer.Reset(b.after)
	}
	if err != nil && err != io.EOF && b.idle.Load() {
		err = featurestore.Errorf(featurestore.EINTERNAL, "the fs server at %s sent nothing for %v in the middle of an answer", b.base, b.after).
			WithHint("check the server's log; retry when it answers again")
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	b.cancel()
	return b.body.Close()
}

// send sends a request and returns a 2xx response, having passed its
// notices on; any other answer is the error it carries.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.Base + Prefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		cancel()
		return nil, featurestore.Errorf(featurestore.EINVALID, "bad server URL %s: %v", c.Base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		cancel()
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		return nil, featurestore.Errorf(featurestore.ENOSTORE, "cannot reach the fs server at %s: %v", c.Base, rootCause(err)).
			WithHint("start it with fs serve, or check --store and FS_STORE")
	}
	resp.Body = newIdleBody(resp.Body, cancel, c.Limits.Idle, c.Base)
	for _, n := range resp.Header.Values(Notice) {
		notify(ctx, n)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct {
		Error *ErrorBody `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e); err != nil || e.Error == nil {
		return nil, featurestore.Errorf(featurestore.EINTERNAL, "the fs server at %s answered %s to %s %s", c.Base, resp.Status, method, path).
			WithHint("is it an fs server? GET %s%s/health should answer", c.Base, Prefix)
	}
	return nil, e.Error.Err()
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// WireJob is a job as a client reads it: its result left as JSON.
type WireJob struct {
	Job
	Result json.RawMessage `json:"result,omitempty"`
}

// job starts a job, follows it to its end, and decodes its result into
// out. When ctx ends first the job is cancelled.
func (c *Client) job(ctx context.Context, path string, body, out any) (*WireJob, error) {
	var j WireJob
	if err := c.do(ctx, http.MethodPost, path, nil, body, &j); err != nil {
		return nil, err
	}
	seen := 0
	for {
		for _, n := range j.Notices[min(seen, len(j.Notices)):] {
			notify(ctx, n)
		}
		seen = len(j.Notices)
		if fn := app.Progress(ctx); fn != nil && j.Progress != nil {
			fn(j.Progress.Done, j.Progress.Total)
		}
		if j.State != JobRunning && j.State != JobQueued {
			break
		}
		q := url.Values{"wait": {"10"}}
		if err := c.do(ctx, http.MethodGet, "/jobs/"+j.ID, q, nil, &j); err != nil {
			if ctx.Err() != nil {
				c.cancel(j.ID)
			}
			return nil, err
		}
	}
	var err error
	if j.Error != nil {
		err = j.Error.Err()
	}
	if len(j.Result) > 0 && out != nil {
		if derr := json.Unmarshal(j.Result, out); derr != nil {
			return nil, fmt.Errorf("read the result of job %s: %w", j.ID, derr)
		}
	}
	return &j, err
}

// cancel cancels a job after its client was interrupted.
func (c *Client) cancel(id string) {
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	c.do(ctx, http.MethodDelete, "/jobs/"+id, nil, nil, nil)
}

// createOutput opens the temporary file a job's output is fetched into,
// before the job starts: an output that cannot be written fails the
// command before the server records anything.
func createOutput(path string) (*atomicfile.File, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot write %s: %v", path, rootCause(err)).
			WithHint("check that the output directory exists and is writable")
	}
	return f, nil
}

// fetch copies a job's output file into f and renames it into place.
func (c *Client) fetch(ctx context.Context, id string, f *atomicfile.File) error {
	resp, err := c.send(ctx, http.MethodGet, "/jobs/"+id+"/output", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ContentLength < 0 {
		return featurestore.Errorf(featurestore.EINTERNAL, "the fs server at %s sent the output of job %s without its length", c.Base, id)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, resp.ContentLength+1))
	if err == nil && n != resp.ContentLength {
		err = fmt.Errorf("%d bytes came where the server announced %d", n, resp.ContentLength)
	}
	if err != nil {
		return fmt.Errorf("fetch the output of job %s: %w", id, err)
	}
	return f.Commit()
}

// pathsKey carries, in a request's context, the paths the client made
// absolute, so that messages name them as the user did.
type pathsKey struct{}

// absPaths returns ctx carrying the pairs (absolute, as given) and a
// function putting the given paths back into an error.
func absPaths(ctx context.Context, given ...string) (context.Context, func(error) error) {
	var pairs []string
	for _, g := range given {
		if a := abs(g); a != g && g != "" {
			pairs = append(pairs, a, g)
		}
	}
	r := strings.NewReplacer(pairs...)
	return context.WithValue(ctx, pathsKey{}, r), func(err error) error { return unabs(r, err) }
}

// notify passes a server's warning on, with paths as the user gave them.
func notify(ctx context.Context, msg string) {
	if r, ok := ctx.Value(pathsKey{}).(*strings.Replacer); ok {
		msg = r.Replace(msg)
	}
	app.Notify(ctx, msg)
}

func unabs(r *strings.Replacer, err error) error {
	var list featurestore.Errors
	var fe *featurestore.Error
	switch {
	case errors.As(err, &list):
		out := featurestore.Errors{}
		for _, e := range list {
			out = append(out, unabs(r, e))
		}
		return out
	case errors.As(err, &fe) && fe.Err == nil:
		c := *fe
		c.Message, c.Hint = r.Replace(c.Message), r.Replace(c.Hint)
		c.Detail = nil
		for _, d := range fe.Detail {
			c.Detail = append(c.Detail, r.Replace(d))
		}
		return &c
	}
	return err
}

// abs makes a path absolute for the server, which resolves nothing
// against the client's working directory.
func abs(p string) string {
	if p == "" || featurestore.IsURI(p) {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// absIfFile makes arg absolute when it names a file here (it may instead
// be an id or a source name).
func absIfFile(arg string) string {
	if _, err := os.Stat(arg); err == nil {
		return abs(arg)
	}
	return arg
}

// Register sends the definitions to the server: the request's Content,
// else the file it names, read here (the server cannot read this
// machine's files), with the directory its relative paths start from.
func (c *Client) Register(ctx context.Context, req app.RegisterRequest) (res *app.RegisterResult, err error) {
	if req.Content == "" && req.File != "" {
		data, dir, err := yaml.ReadDefinitionFile(req.File)
		if err != nil {
			return nil, err
		}
		req.Content, req.Dir = string(data), dir
	}
	return res, c.do(ctx, http.MethodPost, "/register", nil, req, &res)
}

func (c *Client) Features(ctx context.Context) (res []featurestore.FeatureHead, err error) {
	return res, c.do(ctx, http.MethodGet, "/features", nil, nil, &res)
}

func (c *Client) Feature(ctx context.Context, name string) (res *app.FeatureDetail, err error) {
	return res, c.do(ctx, http.MethodGet, "/features/"+url.PathEscape(name), nil, nil, &res)
}

func (c *Client) Diff(ctx context.Context, a, b string) (res *app.Diff, err error) {
	return res, c.do(ctx, http.MethodGet, "/diff", url.Values{"a": {a}, "b": {b}}, nil, &res)
}

func (c *Client) FeatureSets(ctx context.Context) (res []app.FeatureSetInfo, err error) {
	return res, c.do(ctx, http.MethodGet, "/feature-sets", nil, nil, &res)
}

func (c *Client) Materialize(ctx context.Context, req app.MaterializeRequest) (ds *featurestore.Dataset, err error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	if err := featurestore.CheckOutput("--out", req.Out, []string{req.Entities}, nil); err != nil {
		return nil, err
	}
	ctx, unabs := absPaths(ctx, req.Entities, req.Out)
	req.Entities, req.Out = abs(req.Entities), abs(req.Out)
	if featurestore.IsURI(req.Out) {
		req.ServerSideOut = true // an object the server writes, with its own credentials
	}
	return ds, unabs(c.outputJob(ctx, "/materialize", req, req.Out, req.ServerSideOut, &ds))
}

// outputJob runs a job that writes a file (materialize, predict) and,
// unless the file stays on the server, fetches it to out. The file is
// opened before the job starts: an output that cannot be written fails
// the command before the server records anything.
func (c *Client) outputJob(ctx context.Context, path string, req any, out string, serverSide bool, res any) error {
	var f *atomicfile.File
	if !serverSide {
		var err error
		if f, err = createOutput(out); err != nil {
			return err
		}
		defer f.Abort()
	}
	j, err := c.job(ctx, path, req, res)
	if err == nil && j.Output {
		err = c.fetch(ctx, j.ID, f)
	}
	return err
}

func (c *Client) Datasets(ctx context.Context) (res []featurestore.Dataset, err error) {
	return res, c.do(ctx, http.MethodGet, "/datasets", nil, nil, &res)
}

func (c *Client) Dataset(ctx context.Context, id string) (res *featurestore.Dataset, err error) {
	return res, c.do(ctx, http.MethodGet, "/datasets/"+url.PathEscape(id), nil, nil, &res)
}

func (c *Client) Train(ctx context.Context, req app.TrainRequest) (*app.TrainResult, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	ctx, unabs := absPaths(ctx, req.Dataset, req.ModelDir)
	if _, err := os.Stat(req.Dataset); err == nil || !featurestore.IsIDPrefix(req.Dataset) {
		req.Dataset = abs(req.Dataset)
	}
	req.ModelDir = abs(req.ModelDir)
	var res *app.TrainResult
	_, err := c.job(ctx, "/train", req, &res)
	return res, unabs(err)
}

func (c *Client) Predict(ctx context.Context, req app.PredictRequest) (res *app.PredictResult, err error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	if err := featurestore.CheckOutput("--out", req.Out, []string{req.Input}, nil); err != nil {
		return nil, err
	}
	given := req.Out
	ctx, unabs := absPaths(ctx, req.Input, req.Out)
	req.Input, req.Out = abs(req.Input), abs(req.Out)
	err = c.outputJob(ctx, "/predict", req, req.Out, req.ServerSideOut, &res)
	if res != nil && !req.ServerSideOut {
		res.Out = given
	}
	return res, unabs(err)
}

func (c *Client) Runs(ctx context.Context) (res []trainer.Run, err error) {
	return res, c.do(ctx, http.MethodGet, "/runs", nil, nil, &res)
}

func (c *Client) Run(ctx context.Context, id string) (res *app.RunDetail, err error) {
	return res, c.do(ctx, http.MethodGet, "/runs/"+url.PathEscape(id), nil, nil, &res)
}

func (c *Client) Compare(ctx context.Context, ids []string) (res *trainer.Comparison, err error) {
	return res, c.do(ctx, http.MethodGet, "/compare", url.Values{"run": ids}, nil, &res)
}

func (c *Client) Sync(ctx context.Context, req app.SyncRequest) (res []*trainer.Run, err error) {
	_, err = c.job(ctx, "/sync", req, &res)
	return res, err
}

func (c *Client) Lineage(ctx context.Context, req app.LineageRequest) (res []*lineage.Tree, err error) {
	q := url.Values{"id": {req.ID}, "direction": {string(req.Direction)}, "depth": {fmt.Sprint(req.Depth)}}
	var t Trees
	err = c.do(ctx, http.MethodGet, "/lineage", q, nil, &t)
	return t.Trees, err
}

func (c *Client) Impact(ctx context.Context, arg string) (res *lineage.Impact, err error) {
	return res, c.do(ctx, http.MethodGet, "/impact", url.Values{"id": {arg}}, nil, &res)
}

func (c *Client) OpenLineage(ctx context.Context, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/openlineage", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

func (c *Client) Reproduce(ctx context.Context, run string) (res *reproduce.Report, err error) {
	_, err = c.job(ctx, "/reproduce", RunRef{Run: run}, &res)
	return res, err
}

func (c *Client) Profile(ctx context.Context, req app.ProfileRequest) (res *profile.Profile, err error) {
	given := req.Target
	ctx, unabs := absPaths(ctx, given)
	req.Target = absIfFile(given)
	_, err = c.job(ctx, "/profile", req, &res)
	if res != nil && res.Path == req.Target {
		res.Path = given // as the user named it, as a local profile says
	}
	return res, unabs(err)
}

func (c *Client) Validate(ctx context.Context, req app.ValidateRequest) (res *app.Validation, err error) {
	if err := req.ReadExpectations(); err != nil { // this machine's file: the server cannot read it
		return nil, err
	}
	given := req.Target
	ctx, unabs := absPaths(ctx, given)
	req.Target = absIfFile(given)
	_, err = c.job(ctx, "/validate", req, &res)
	if res != nil && res.Path == req.Target {
		res.Path = given
	}
	return res, unabs(err)
}

// Jobs lists the caller's jobs on the server (an admin token: everyone's).
func (c *Client) Jobs(ctx context.Context) (jobs []Job, err error) {
	return jobs, c.do(ctx, http.MethodGet, "/jobs", nil, nil, &jobs)
}

// Job reads one job, its result included once it has one.
func (c *Client) Job(ctx context.Context, id string) (j *WireJob, err error) {
	return j, c.do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id), nil, nil, &j)
}

// CancelJob cancels a job: it records nothing.
func (c *Client) CancelJob(ctx context.Context, id string) (j *WireJob, err error) {
	return j, c.do(ctx, http.MethodDelete, "/jobs/"+url.PathEscape(id), nil, nil, &j)
}

func (c *Client) OnlineSync(ctx context.Context, req app.OnlineSyncRequest) (res *app.OnlineSyncResult, err error) {
	_, err = c.job(ctx, "/online/sync", req, &res)
	return res, err
}

func (c *Client) OnlineGet(ctx context.Context, req app.OnlineRequest) (res *app.OnlineResult, err error) {
	return res, c.do(ctx, http.MethodPost, "/online", nil, req, &res)
}

func (c *Client) OnlineCheck(ctx context.Context, req app.OnlineCheckRequest) (res *app.OnlineCheckResult, err error) {
	_, err = c.job(ctx, "/online/check", req, &res)
	return res, err
}

func (c *Client) Push(ctx context.Context, req app.PushRequest) (res *app.PushResult, err error) {
	given := req.Input
	ctx, unabs := absPaths(ctx, given)
	req.Input = absIfFile(given)
	_, err = c.job(ctx, "/push", req, &res)
	return res, unabs(err)
}
