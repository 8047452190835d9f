package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// Client speaks MLflow's REST API.
type Client struct {
	BaseURL  string // the tracking URI, http or https
	Token    string
	User     string
	Password string
	HTTP     *http.Client
	// Retries is how many times a retryable failure is tried again (the
	// Python client's default: 7 tries in all); Backoff the first wait,
	// doubled each time.
	Retries int
	Backoff time.Duration
	// Notify, when set, is told of each retry: what failed and how long
	// the client waits before trying again.
	Notify func(msg string)
}

// FromEnv returns a client configured as MLflow's own client would be, or
// nil when MLFLOW_TRACKING_URI is unset.
func FromEnv(getenv func(string) string) (*Client, error) {
	uri := strings.TrimRight(getenv("MLFLOW_TRACKING_URI"), "/")
	if uri == "" {
		return nil, nil
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, featurestore.Errorf(featurestore.EINVALID, "MLFLOW_TRACKING_URI %q is not an http(s) tracking server", uri).
			WithHint("point it at a running mlflow server, e.g. http://127.0.0.1:5000, or unset it to keep runs local")
	}
	timeout := 120 * time.Second
	if s := getenv("MLFLOW_HTTP_REQUEST_TIMEOUT"); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 {
			timeout = time.Duration(v * float64(time.Second))
		}
	}
	c := &Client{BaseURL: uri, Token: getenv("MLFLOW_TRACKING_TOKEN"), User: getenv("MLFLOW_TRACKING_USERNAME"),
		Password: getenv("MLFLOW_TRACKING_PASSWORD"), HTTP: &http.Client{Timeout: timeout}, Retries: 5, Backoff: time.Second}
	if s := getenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v >= 0 {
			c.Retries = v
		}
	}
	if s := getenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 {
			c.Backoff = time.Duration(v * float64(time.Second))
		}
	}
	return c, nil
}

// APIError is an error answer of the server.
type APIError struct {
	Status  int
	Code    string `json:"error_code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("MLflow answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("MLflow: %s (%s)", e.Message, e.Code)
}

// IsCode reports whether err is an MLflow error with that error_code.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// unreachable wraps failures to reach the server at all.
type unreachable struct{ err error }

func (u unreachable) Error() string { return u.err.Error() }
func (u unreachable) Unwrap() error { return u.err }

// Unreachable reports whether err means the server could not be reached
// or kept failing, so the work should be kept for fs sync.
func Unreachable(err error) bool {
	var u unreachable
	var api *APIError
	return errors.As(err, &u) || (errors.As(err, &api) && retryable(api.Status))
}

func retryable(status int) bool {
	return status == 408 || status == 429 || status >= 500
}

// do sends one API call with retries. in is sent as JSON (nil for GET);
// out, when not nil, receives the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
	}
	return c.send(ctx, method, path, "application/json", body, out)
}

func (c *Client) send(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	wait := c.Backoff
	var lastErr error
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("User-Agent", "fs/"+featurestore.Version)
		switch {
		case c.Token != "":
			req.Header.Set("Authorization", "Bearer "+c.Token)
		case c.User != "":
			req.SetBasicAuth(c.User, c.Password)
		}
		resp, err := c.HTTP.Do(req)
		var retryAfter time.Duration
		if err == nil {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				err = unreachable{fmt.Errorf("reading MLflow's answer to %s: %w", path, rerr)}
			case resp.StatusCode >= 200 && resp.StatusCode < 300:
				if out == nil || len(data) == 0 {
					return nil
				}
				if jerr := json.Unmarshal(data, out); jerr != nil {
					return fmt.Errorf("MLflow's answer to %s is not the JSON expected (%s): %w", path, snippet(data), jerr)
				}
				return nil
			default:
				api := &APIError{Status: resp.StatusCode}
				if json.Unmarshal(data, api) != nil || api.Message == "" {
					api.Message = fmt.Sprintf("HTTP %d from %s: %s", resp.StatusCode, path, snippet(data))
				}
				if !retryable(resp.StatusCode) {
					return api
				}
				err = api
				if s := resp.Header.Get("Retry-After"); s != "" {
					if secs, perr := strconv.Atoi(s); perr == nil {
						retryAfter = time.Duration(secs) * time.Second
					} else if t, perr := http.ParseTime(s); perr == nil {
						retryAfter = time.Until(t)
					}
				}
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else {
			err = unreachable{err}
		}
		lastErr = err
		if attempt >= c.Retries {
			return lastErr
		}
		d := wait
		if retryAfter > d {
			d = min(retryAfter, 5*time.Minute)
		}
		if c.Notify != nil {
			c.Notify(fmt.Sprintf("MLflow at %s: %v; trying again in %v (try %d of %d)", c.BaseURL, lastErr, d.Round(time.Millisecond), attempt+2, c.Retries+1))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = time.Duration(math.Min(float64(wait*2), float64(time.Minute)))
	}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "empty body"
	}
	return strconv.Quote(s)
}

// Experiment returns the id of the named experiment, creating it if need
// be (a concurrent creation is handled).
func (c *Client) Experiment(ctx context.Context, name string) (string, error) {
	var got struct {
		Experiment struct {
			ID string `json:"experiment_id"`
		} `json:"experiment"`
	}
	err := c.do(ctx, "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name="+url.QueryEscape(name), nil, &got)
	if err == nil {
		return got.Experiment.ID, nil
	}
	if !IsCode(err, "RESOURCE_DOES_NOT_EXIST") {
		return "", err
	}
	var created struct {
		ID string `json:"experiment_id"`
	}
	err = c.do(ctx, "POST", "/api/2.0/mlflow/experiments/create", map[string]any{"name": name}, &created)
	if IsCode(err, "RESOURCE_ALREADY_EXISTS") {
		return c.Experiment(ctx, name)
	}
	return created.ID, err
}

// Tag is a key and a value.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Metric is one metric value.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
	// ModelID links the value to a logged model (MLflow 3), with the
	// dataset it was measured on.
	ModelID       string `json:"model_id,omitempty"`
	DatasetName   string `json:"dataset_name,omitempty"`
	DatasetDigest string `json:"dataset_digest,omitempty"`
}

// RunInfo is what MLflow says of a run.
type RunInfo struct {
	RunID        string `json:"run_id"`
	ExperimentID string `json:"experiment_id"`
	ArtifactURI  string `json:"artifact_uri"`
	Status       string `json:"status"`
}

// CreateRun creates a run.
func (c *Client) CreateRun(ctx context.Context, experimentID, name string, start time.Time, tags []Tag) (*RunInfo, error) {
	var out struct {
		Run struct {
			Info RunInfo `json:"info"`
		} `json:"run"`
	}
	err := c.do(ctx, "POST", "/api/2.0/mlflow/runs/create", map[string]any{
		"experiment_id": experimentID, "run_name": name, "start_time": start.UnixMilli(), "tags": tags}, &out)
	return &out.Run.Info, err
}

// FindOrCreateRun returns the experiment's run tagged with identity, or
// creates one with tags. Creating is not idempotent, so a failed create is
// never sent again blindly: each try first looks for the run an earlier
// try may have created before its answer was lost.
func (c *Client) FindOrCreateRun(ctx context.Context, experimentID, name string, start time.Time, identity, tags []Tag) (*RunInfo, error) {
	once := *c
	once.Retries = 0
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		info, err := c.FindRun(ctx, experimentID, identity)
		if err != nil || info != nil {
			return info, err
		}
		info, err = once.CreateRun(ctx, experimentID, name, start, tags)
		if err == nil || attempt >= c.Retries || !isRetryable(err) {
			return info, err
		}
		if c.Notify != nil {
			c.Notify(fmt.Sprintf("MLflow at %s: creating the run: %v; looking for it, then trying again in %v", c.BaseURL, err, wait))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// isRetryable reports whether a failed request may succeed if sent again.
func isRetryable(err error) bool {
	var api *APIError
	if errors.As(err, &api) {
		return retryable(api.Status)
	}
	return Unreachable(err)
}

// FindRun returns the run of the experiment whose tags have the given
// values (the first, by MLflow's order), or nil.
func (c *Client) FindRun(ctx context.Context, experimentID string, tags []Tag) (*RunInfo, error) {
	var filter []string
	for _, t := range tags {
		filter = append(filter, fmt.Sprintf("tags.`%s` = '%s'", t.Key, strings.ReplaceAll(t.Value, "'", "\\'")))
	}
	var out struct {
		Runs []struct {
			Info RunInfo `json:"info"`
		} `json:"runs"`
	}
	err := c.do(ctx, "POST", "/api/2.0/mlflow/runs/search", map[string]any{
		"experiment_ids": []string{experimentID}, "filter": strings.Join(filter, " and "), "max_results": 1,
		"run_view_type": "ALL"}, &out)
	if err != nil || len(out.Runs) == 0 {
		return nil, err
	}
	return &out.Runs[0].Info, nil
}

// GetRun reads a run.
func (c *Client) GetRun(ctx context.Context, runID string) (*RunInfo, error) {
	var out struct {
		Run struct {
			Info RunInfo `json:"info"`
		} `json:"run"`
	}
	err := c.do(ctx, "GET", "/api/2.0/mlflow/runs/get?run_id="+url.QueryEscape(runID), nil, &out)
	return &out.Run.Info, err
}

// Batch limits of log-batch.
const (
	maxBatchItems   = 1000
	maxBatchParams  = 100
	maxBatchTags    = 100
	maxBatchMetrics = 1000
)

// LogBatch logs params, metrics and tags in as few log-batch requests as
// MLflow's limits allow.
func (c *Client) LogBatch(ctx context.Context, runID string, params []Tag, metrics []Metric, tags []Tag) error {
	for len(params)+len(metrics)+len(tags) > 0 {
		np := min(len(params), maxBatchParams)
		nt := min(len(tags), maxBatchTags, maxBatchItems-np)
		nm := min(len(metrics), maxBatchMetrics, maxBatchItems-np-nt)
		err := c.do(ctx, "POST", "/api/2.0/mlflow/runs/log-batch", map[string]any{
			"run_id": runID, "params": params[:np], "metrics": metrics[:nm], "tags": tags[:nt]}, nil)
		if err != nil {
			return err
		}
		params, metrics, tags = params[np:], metrics[nm:], tags[nt:]
	}
	return nil
}

// DatasetInput is a dataset logged as a run input.
type DatasetInput struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	SourceType string `json:"source_type"`
	Source     string `json:"source"`
	Schema     string `json:"schema,omitempty"`
	Profile    string `json:"profile,omitempty"`
}

// LogInput logs a dataset input of the run with a context tag.
func (c *Client) LogInput(ctx context.Context, runID string, d DatasetInput, context string) error {
	return c.do(ctx, "POST", "/api/2.0/mlflow/runs/log-inputs", map[string]any{
		"run_id": runID,
		"datasets": []map[string]any{{
			"tags":    []Tag{{Key: "mlflow.data.context", Value: context}},
			"dataset": d,
		}},
	}, nil)
}

// UploadArtifact puts one file under the run's artifact root through the
// server's artifact proxy. artifactURI is the run's
// mlflow-artifacts:/<experiment>/<run>/artifacts.
func (c *Client) UploadArtifact(ctx context.Context, artifactURI, relPath string, data []byte) error {
	root, ok := strings.CutPrefix(artifactURI, "mlflow-artifacts:")
	if !ok {
		return featurestore.Errorf(featurestore.EINVALID, "the run's artifact location %s is not served by the tracking server", artifactURI).
			WithHint("start the server with artifact serving (the default: mlflow server --artifacts-destination DIR)")
	}
	root = strings.TrimLeft(root, "/")
	var parts []string
	for _, p := range strings.Split(root+"/"+relPath, "/") {
		parts = append(parts, url.PathEscape(p))
	}
	return c.send(ctx, "PUT", "/api/2.0/mlflow-artifacts/artifacts/"+strings.Join(parts, "/"), "application/octet-stream", data, nil)
}

// EndRun marks a run terminated.
func (c *Client) EndRun(ctx context.Context, runID, status string, end time.Time) error {
	return c.do(ctx, "POST", "/api/2.0/mlflow/runs/update", map[string]any{
		"run_id": runID, "status": status, "end_time": end.UnixMilli()}, nil)
}

// RegisterModel creates a model version of name (creating the registered
// model if needed) from a run's model (its logged model when modelID is
// set) and returns its version.
func (c *Client) RegisterModel(ctx context.Context, name, source, runID, modelID string, tags []Tag) (string, error) {
	err := c.do(ctx, "POST", "/api/2.0/mlflow/registered-models/create", map[string]any{"name": name}, nil)
	if err != nil && !IsCode(err, "RESOURCE_ALREADY_EXISTS") {
		return "", err
	}
	var out struct {
		ModelVersion struct {
			Version string `json:"version"`
		} `json:"model_version"`
	}
	req := map[string]any{"name": name, "source": source, "run_id": runID, "tags": tags}
	if modelID != "" {
		req["model_id"] = modelID
	}
	err = c.do(ctx, "POST", "/api/2.0/mlflow/model-versions/create", req, &out)
	return out.ModelVersion.Version, err
}

// UserName is the mlflow.user tag MLflow's client would set.
func UserName(getenv func(string) string) string {
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	// As MLflow's client does (getpass.getuser): the login name of the
	// process's user, also when no variable names it (cron, CI, containers).
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}
