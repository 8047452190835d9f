package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fs-dev/fs/demo"
	fshttp "github.com/fs-dev/fs/http"
)

// probe calls a real fs server and checks every request and response
// against the OpenAPI document the server serves.
type probe struct {
	t      *testing.T
	base   string
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool // operation ids called
}

// rawBody reads a body the document describes as a string (JSON lines, a
// parquet file).
func rawBody(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	return string(b), err
}

func init() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", rawBody)
	openapi3filter.RegisterBodyDecoder("application/vnd.apache.parquet", rawBody)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", rawBody)
	openapi3filter.RegisterBodyDecoder("text/html", rawBody)
}

func newProbe(t *testing.T, base string) *probe {
	resp, err := http.Get(base + fshttp.Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid OpenAPI: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base + fshttp.Prefix}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &probe{t: t, base: base, doc: doc, router: router, seen: map[string]bool{}}
}

var validationOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
}

// call sends a request, checks it and its answer against the document,
// and returns the status and body.
func (p *probe) call(method, path string, body any) (int, []byte) {
	p.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, p.base+fshttp.Prefix+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	route, params, err := p.router.FindRoute(req)
	if err != nil {
		p.t.Fatalf("%s %s is not in the document: %v", method, path, err)
	}
	p.seen[route.Operation.OperationID] = true
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		p.t.Errorf("request %s %s does not match the document: %v", method, path, err)
	}
	if raw != nil {
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: validationOptions}
	rv.SetBodyBytes(out)
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		p.t.Errorf("the answer to %s %s does not match the document: %v\n%.2000s", method, path, err, out)
	}
	return resp.StatusCode, out
}

// job starts a job, follows it to its end and checks its result against
// the operation's result schema.
func (p *probe) job(path string, body any, wantState string) fshttp.Job {
	p.t.Helper()
	code, out := p.call("POST", path, body)
	if code != http.StatusAccepted {
		p.t.Fatalf("POST %s: %d %s", path, code, out)
	}
	var j fshttp.Job
	json.Unmarshal(out, &j)
	for deadline := time.Now().Add(time.Minute); j.State == fshttp.JobRunning || j.State == fshttp.JobQueued; {
		if time.Now().After(deadline) {
			p.t.Fatalf("job %s did not finish", j.ID)
		}
		_, out = p.call("GET", "/jobs/"+j.ID+"?wait=5", nil)
		j = fshttp.Job{}
		json.Unmarshal(out, &j)
	}
	if j.State != wantState {
		p.t.Fatalf("POST %s: job %s, want %s: %s", path, j.State, wantState, out)
	}
	var raw struct {
		Result any `json:"result"`
	}
	json.Unmarshal(out, &raw)
	op := strings.TrimPrefix(path, "/")
	if a, b, ok := strings.Cut(op, "/"); ok { // /online/sync: onlineSync
		op = a + strings.ToUpper(b[:1]) + b[1:]
	}
	if raw.Result != nil {
		schema := p.doc.Components.Schemas[fshttp.ResultSchema(op)]
		if err := schema.Value.VisitJSON(raw.Result); err != nil {
			p.t.Errorf("the result of %s does not match %s: %v", path, fshttp.ResultSchema(op), err)
		}
	}
	return j
}

// demoStore writes the demo data into a new directory and runs the
// workflow on it locally: a store with features, a dataset and a sweep.
func demoStore(t testing.TB) string {
	dir := t.TempDir()
	if err := demo.Write(dir, demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, ".fs")
	for _, args := range [][]string{
		{"init"},
		{"register", filepath.Join(dir, "features.yaml")},
		{"materialize", "--feature-set", "driver_ranking", "--entities", filepath.Join(dir, "orders.tsv"), "--out", filepath.Join(dir, "train.parquet")},
		{"train", "--dataset", filepath.Join(dir, "train.parquet"), "--target", "trip_completed", "--drop-nulls", "--alpha", "0.01,0.1"},
	} {
		var out bytes.Buffer
		st := &State{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), append(args, "--store", store), st); code != 0 {
			t.Fatalf("fs %v: exit %d\n%s", args, code, out.String())
		}
	}
	return dir
}

// TestOpenAPIDescribesEveryAnswer calls every operation of a real fs
// serve and checks each request and answer against the document it
// serves, job results included.
func TestOpenAPIDescribesEveryAnswer(t *testing.T) {
	dir := demoStore(t)
	base, stop := startServer(t.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet")
	defer stop()
	p := newProbe(t, base)

	p.call("GET", "/health", nil)
	p.call("GET", "/openapi.json", nil)
	content, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	p.call("POST", "/register", map[string]any{"file": "features.yaml", "dir": dir, "content": string(content), "dry_run": true})
	p.call("GET", "/features", nil)
	p.call("GET", "/features/conv_rate", nil)
	p.call("GET", "/diff?a=conv_rate&b=acc_rate", nil)
	p.call("GET", "/feature-sets", nil)
	mat := p.job("/materialize", map[string]any{"features": []string{"conv_rate", "acc_rate"},
		"entities": filepath.Join(dir, "orders.tsv"), "out": "t.parquet"}, fshttp.JobSucceeded)
	if code, out := p.call("GET", "/jobs/"+mat.ID+"/output", nil); code != 200 || !bytes.HasPrefix(out, []byte("PAR1")) {
		t.Errorf("the output of job %s: %d, %.20q", mat.ID, code, out)
	}
	_, out := p.call("GET", "/datasets", nil)
	var ds []struct{ ID string }
	json.Unmarshal(out, &ds)
	p.call("GET", "/datasets/"+ds[0].ID[:8], nil)
	p.job("/train", map[string]any{"dataset": filepath.Join(dir, "train.parquet"), "request": map[string]any{
		"target": "trip_completed", "alphas": []float64{0.5}, "l1_ratios": []float64{0.1}, "test_size": 0.2, "max_iter": 1000,
		"tol": 1e-4, "seed": 17, "drop_nulls": true}}, fshttp.JobSucceeded)
	// A classifier sweep, its gate failing: classification metrics, a
	// confusion matrix, every run answer shape.
	p.job("/train", map[string]any{"dataset": filepath.Join(dir, "train.parquet"), "request": map[string]any{
		"task": "classification", "target": "trip_completed", "cs": []float64{0.1, 1}, "l1_ratios": []float64{0.5}, "test_size": 0.2,
		"seed": 17, "stratify": true, "select": "auc", "drop_nulls": true, "gate": map[string]any{"min_auc": 0.99}}}, fshttp.JobSucceeded)
	_, out = p.call("GET", "/runs", nil)
	var runs []struct {
		ID       string
		Children []string
	}
	json.Unmarshal(out, &runs)
	var sweep, run string
	for _, r := range runs {
		if len(r.Children) > 0 {
			sweep = r.ID
		} else {
			run = r.ID
		}
	}
	p.call("GET", "/runs/"+sweep, nil)
	p.call("GET", "/runs/"+run, nil)
	p.call("GET", "/compare?run="+sweep+"&run="+run, nil)
	p.job("/predict", map[string]any{"model": run, "input": filepath.Join(dir, "train.parquet"), "out": "p.parquet"}, fshttp.JobSucceeded)
	p.job("/sync", map[string]any{}, fshttp.JobFailed) // no MLFLOW_TRACKING_URI on this server: an error, described
	p.job("/online/sync", map[string]any{"run": run}, fshttp.JobSucceeded)
	p.call("POST", "/online", map[string]any{"run": run, "predict": true, "entities": []any{map[string]any{"driver_id": 1001}}})
	p.job("/online/check", map[string]any{"last": 10}, fshttp.JobFailed)                                                  // no request logged
	p.job("/push", map[string]any{"source": "driver_stats", "input": filepath.Join(dir, "orders.tsv")}, fshttp.JobFailed) // a source of one file
	p.call("GET", "/lineage?id=conv_rate&direction=downstream&depth=3", nil)
	if code, out := p.call("GET", "/lineage.svg?id=conv_rate&direction=downstream", nil); code != 200 || !bytes.HasPrefix(out, []byte("<svg")) {
		t.Errorf("lineage.svg: %d %.40q", code, out)
	}
	p.call("GET", "/impact?id=conv_rate", nil)
	p.call("GET", "/openlineage", nil)
	p.job("/reproduce", map[string]any{"run": run}, fshttp.JobSucceeded)
	prof := p.job("/profile", map[string]any{"target": "driver_stats", "html": true}, fshttp.JobSucceeded)
	if code, out := p.call("GET", "/jobs/"+prof.ID+"/output", nil); code != 200 || !bytes.Contains(out, []byte("<html")) {
		t.Errorf("the profile HTML report: %d %s", code, out)
	}
	expect, _ := os.ReadFile(filepath.Join(dir, "expectations.yaml"))
	p.job("/validate", map[string]any{"target": filepath.Join(dir, "train.parquet"), "file": "expectations.yaml", "expectations": string(expect)}, fshttp.JobSucceeded)
	p.call("GET", "/jobs", nil)
	p.call("DELETE", "/jobs/"+mat.ID, nil)
	// Errors are described too.
	p.call("GET", "/features/nope", nil)
	p.call("POST", "/register", map[string]any{"file": "f.yaml", "dir": dir, "content": "features: [{name: x}]"})

	for _, path := range p.doc.Paths.InMatchingOrder() {
		for method, op := range p.doc.Paths.Value(path).Operations() {
			if !p.seen[op.OperationID] {
				t.Errorf("%s %s (%s) was not called", method, path, op.OperationID)
			}
		}
	}
}

// TestServerRefusesMalformedRequests: bodies that are not JSON, have
// unknown fields or are too large are refused with 400 and a message; the
// server keeps serving.
func TestServerRefusesMalformedRequests(t *testing.T) {
	dir := demoStore(t)
	base, stop := startServer(t.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet", "--max-body", "65536")
	defer stop()
	big := `{"file": "` + strings.Repeat("x", 70000) + `"}`
	for _, path := range []string{"/register", "/materialize", "/train", "/predict", "/sync", "/reproduce", "/profile", "/validate"} {
		for _, body := range []string{"not json", `{"nope": 1}`, big, `[1, 2]`, ""} {
			resp, err := http.Post(base+fshttp.Prefix+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error *fshttp.ErrorBody }
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || e.Error == nil || e.Error.Hint == "" {
				t.Errorf("POST %s %.20q: %d %+v", path, body, resp.StatusCode, e.Error)
			}
		}
	}
	if resp, err := http.Get(base + fshttp.Prefix + "/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the server stopped serving: %v", err)
	}
}
