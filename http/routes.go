package http

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/reproduce"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/web"
)

// route is one endpoint: what it needs, what it answers, and how. The
// server dispatches on this table and the OpenAPI document is made from
// it, so the two cannot disagree.
type route struct {
	method, path, op, summary string
	role                      Role
	params                    []param
	body                      any // an example of the request body's type; nil: none
	result                    any // an example of the result's type
	resultType                string
	// handle answers a request that is not a job.
	handle func(s *Server, r *request) (any, error)
	// job routes start kind in the background: start checks the request
	// and returns the use case (and a file the job writes for the client).
	job   bool
	kind  string
	start startFunc
}

// param is a path or query parameter.
type param struct {
	name, in, doc string
	required      bool
	many          bool
	integer       bool
}

// RunRef names a run, for reproduce.
type RunRef struct {
	Run string `json:"run"`
}

var (
	pName  = param{name: "name", in: "path", required: true, doc: "a feature name"}
	pID    = param{name: "id", in: "path", required: true, doc: "an id or any unique prefix"}
	pJob   = param{name: "id", in: "path", required: true, doc: "a job id"}
	pWait  = param{name: "wait", in: "query", integer: true, doc: "seconds to wait for the job to finish (at most 60)"}
	pNode  = param{name: "id", in: "query", required: true, doc: "a run or dataset id (prefix), NAME@VERSION, a feature or feature set name"}
	pDir   = param{name: "direction", in: "query", doc: "upstream (default) or downstream"}
	pDepth = param{name: "depth", in: "query", integer: true, doc: "the most edges to walk (default 10)"}
)

var routes []route

func init() {
	routes = []route{
		{method: "GET", path: "/health", op: "health", summary: "Whether the server is up", role: RoleNone, result: Health{},
			handle: func(s *Server, r *request) (any, error) {
				h := Health{Status: "ok", Version: featurestore.Version, Store: s.app.Store.Dir()}
				if s.Draining() {
					h.Status = "draining"
				}
				return h, nil
			}},
		{method: "GET", path: "/openapi.json", op: "openapi", summary: "This API's OpenAPI 3 document", role: RoleNone,
			handle: func(s *Server, r *request) (any, error) {
				r.w.Header().Set("Content-Type", "application/json")
				r.w.Write(s.doc)
				return nil, nil
			}},
		{method: "POST", path: "/register", op: "register", summary: "Register a definition file's content, atomically (fs register)",
			role: RoleRead, body: app.RegisterRequest{}, result: app.RegisterResult{}, handle: handleRegister},
		{method: "GET", path: "/features", op: "listFeatures", summary: "Every feature with its current version (fs features list)",
			role: RoleRead, result: []featurestore.FeatureHead{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Features(r.Context()) }},
		{method: "GET", path: "/features/{name}", op: "showFeature", summary: "A feature's versions, newest first (fs features show)",
			role: RoleRead, params: []param{pName}, result: app.FeatureDetail{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Feature(r.Context(), r.PathValue("name")) }},
		{method: "GET", path: "/diff", op: "diffFeatures", summary: "Two feature versions field by field (fs features diff)",
			role: RoleRead, result: app.Diff{},
			params: []param{{name: "a", in: "query", required: true, doc: "NAME or NAME@VERSION"}, {name: "b", in: "query", required: true, doc: "NAME or NAME@VERSION"}},
			handle: func(s *Server, r *request) (any, error) {
				return s.app.Diff(r.Context(), r.URL.Query().Get("a"), r.URL.Query().Get("b"))
			}},
		{method: "GET", path: "/feature-sets", op: "listFeatureSets", summary: "Feature sets with their members (fs features sets)",
			role: RoleRead, result: []app.FeatureSetInfo{},
			handle: func(s *Server, r *request) (any, error) { return s.app.FeatureSets(r.Context()) }},
		{method: "POST", path: "/materialize", op: "materialize", summary: "Build a point-in-time correct training set (fs materialize); a job",
			role: RoleWrite, body: app.MaterializeRequest{}, result: featurestore.Dataset{}, job: true, kind: "materialize", start: startMaterialize},
		{method: "GET", path: "/datasets", op: "listDatasets", summary: "Datasets, newest first (fs datasets list)",
			role: RoleRead, result: []featurestore.Dataset{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Datasets(r.Context()) }},
		{method: "GET", path: "/datasets/{id}", op: "showDataset", summary: "A dataset and its inputs (fs datasets show)",
			role: RoleRead, params: []param{pID}, result: featurestore.Dataset{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Dataset(r.Context(), r.PathValue("id")) }},
		{method: "POST", path: "/train", op: "train", summary: "Fit Elastic Net as scikit-learn does (fs train); a job",
			role: RoleWrite, body: app.TrainRequest{}, result: app.TrainResult{}, job: true, kind: "train", start: startTrain},
		{method: "POST", path: "/predict", op: "predict", summary: "Predict with a run's model (fs predict); a job",
			role: RoleWrite, body: app.PredictRequest{}, result: app.PredictResult{}, job: true, kind: "predict", start: startPredict},
		{method: "GET", path: "/runs", op: "listRuns", summary: "Runs, newest first, sweeps with their runs (fs runs list)",
			role: RoleRead, result: []trainer.Run{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Runs(r.Context()) }},
		{method: "GET", path: "/runs/{id}", op: "showRun", summary: "A run, or a sweep with its runs (fs runs show)",
			role: RoleRead, params: []param{pID}, result: app.RunDetail{}, resultType: "run",
			handle: func(s *Server, r *request) (any, error) { return s.app.Run(r.Context(), r.PathValue("id")) }},
		{method: "GET", path: "/compare", op: "compareRuns", summary: "Runs side by side (fs runs compare)",
			role: RoleRead, result: trainer.Comparison{},
			params: []param{{name: "run", in: "query", required: true, many: true, doc: "a run id or prefix; two or more"}},
			handle: func(s *Server, r *request) (any, error) { return s.app.Compare(r.Context(), r.URL.Query()["run"]) }},
		{method: "POST", path: "/sync", op: "sync", summary: "Push runs to the server's MLflow, or abandon one (fs sync); a job",
			role: RoleWrite, body: app.SyncRequest{}, result: []*trainer.Run{}, job: true, kind: "sync",
			start: startSync},
		{method: "GET", path: "/lineage", op: "lineage", summary: "Walk the lineage graph (fs lineage)",
			role: RoleRead, params: []param{pNode, pDir, pDepth}, result: Trees{}, handle: handleLineage},
		{method: "GET", path: "/lineage.svg", op: "lineageSVG", summary: "The lineage graph drawn as SVG (fs lineage --format svg)",
			role: RoleRead, params: []param{pNode, pDir, pDepth}, resultType: "svg", handle: handleLineageSVG},
		{method: "GET", path: "/impact", op: "impact", summary: "What a change to a feature would affect (fs impact)",
			role: RoleRead, params: []param{pNode}, result: lineage.Impact{},
			handle: func(s *Server, r *request) (any, error) { return s.app.Impact(r.Context(), r.URL.Query().Get("id")) }},
		{method: "GET", path: "/openlineage", op: "openlineage", summary: "OpenLineage run events, one per line (fs lineage export --openlineage)",
			role: RoleRead, resultType: "ndjson",
			handle: func(s *Server, r *request) (any, error) {
				r.w.Header().Set("Content-Type", "application/x-ndjson")
				return nil, s.app.OpenLineage(r.Context(), r.w)
			}},
		{method: "POST", path: "/reproduce", op: "reproduce", summary: "Rebuild a run and compare bit for bit (fs reproduce); a job",
			role: RoleRead, body: RunRef{}, result: reproduce.Report{}, job: true, kind: "reproduce",
			start: startRepro},
		{method: "POST", path: "/profile", op: "profile", summary: "Profile a file or a registered source (fs profile); a job",
			role: RoleWrite, body: app.ProfileRequest{}, result: profile.Profile{}, job: true, kind: "profile",
			start: startProfile},
		{method: "POST", path: "/validate", op: "validate", summary: "Check data against expectations (fs validate); a job",
			role: RoleRead, body: app.ValidateRequest{}, result: app.Validation{}, job: true, kind: "validate",
			start: startValid},
		{method: "POST", path: "/online", op: "online", summary: "Online values of features for entities (fs online get)",
			role: RoleRead, body: app.OnlineRequest{}, result: app.OnlineResult{}, handle: handleOnline},
		{method: "POST", path: "/online/sync", op: "onlineSync", summary: "Compute the online values of features as of a time (fs online sync); a job",
			role: RoleWrite, body: app.OnlineSyncRequest{}, result: app.OnlineSyncResult{}, job: true, kind: "online-sync",
			start: func(s *Server, r *request) (func(context.Context) (any, error), string, error) {
				return startJSON(r, func(ctx context.Context, req app.OnlineSyncRequest) (any, error) { return s.app.OnlineSync(ctx, req) })
			}},
		{method: "POST", path: "/online/check", op: "onlineCheck", summary: "Replay logged online requests through materialize (fs online check); a job",
			role: RoleRead, body: app.OnlineCheckRequest{}, result: app.OnlineCheckResult{}, job: true, kind: "online-check",
			start: func(s *Server, r *request) (func(context.Context) (any, error), string, error) {
				return startJSON(r, func(ctx context.Context, req app.OnlineCheckRequest) (any, error) { return s.app.OnlineCheck(ctx, req) })
			}},
		{method: "POST", path: "/push", op: "push", summary: "Append rows to a source and update their online values (fs push); a job",
			role: RoleWrite, body: app.PushRequest{}, result: app.PushResult{}, job: true, kind: "push",
			start: func(s *Server, r *request) (func(context.Context) (any, error), string, error) {
				return startJSON(r, func(ctx context.Context, req app.PushRequest) (any, error) { return s.app.Push(ctx, req) })
			}},
		{method: "GET", path: "/jobs", op: "listJobs", summary: "Your jobs (an admin token: everyone's), newest first",
			role: RoleRead, result: []Job{},
			handle: func(s *Server, r *request) (any, error) {
				if r.who.role >= RoleAdmin {
					return s.jobs.list(""), nil
				}
				return s.jobs.list(r.who.name), nil
			}},
		{method: "GET", path: "/jobs/{id}", op: "getJob", summary: "A job's state, progress, warnings and, once done, its result or error",
			role: RoleRead, params: []param{pJob, pWait}, result: Job{}, handle: handleGetJob},
		{method: "DELETE", path: "/jobs/{id}", op: "cancelJob", summary: "Cancel a job (yours; an admin token: anyone's)",
			role: RoleWrite, params: []param{pJob}, result: Job{}, handle: handleCancelJob},
		{method: "GET", path: "/jobs/{id}/output", op: "getJobOutput", summary: "The parquet file a materialize or predict job wrote for its client",
			role: RoleRead, params: []param{pJob}, resultType: "parquet", handle: handleJobOutput},
	}
}

func handleRegister(s *Server, r *request) (any, error) {
	var req app.RegisterRequest
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if !req.DryRun && r.who.role < RoleWrite {
		return nil, forbidden(r.who, RoleWrite)
	}
	if req.Dir == "" {
		return nil, featurestore.Errorf(featurestore.EINVALID, "dir: give the absolute directory the file's relative paths start from").
			WithHint("the server does not read definition files itself: send their content and directory")
	}
	return s.app.Register(r.Context(), req)
}

// Trees is a lineage walk as fs lineage --json prints it.
type Trees struct {
	Trees []*lineage.Tree `json:"trees"`
}

func handleLineage(s *Server, r *request) (any, error) {
	trees, err := lineageTrees(s, r)
	if err != nil {
		return nil, err
	}
	return Trees{trees}, nil
}

func lineageTrees(s *Server, r *request) ([]*lineage.Tree, error) {
	q := r.URL.Query()
	req := app.LineageRequest{ID: q.Get("id"), Direction: lineage.Direction(q.Get("direction")), Depth: 10}
	if d := q.Get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return nil, featurestore.Errorf(featurestore.EINVALID, "depth %q: give a whole number of edges", d)
		}
		req.Depth = n
	}
	return s.app.Lineage(r.Context(), req)
}

// outputFor is the path a job keeps a client's file at: a directory of
// its own in the outputs, so the file keeps the name the client gave.
func (s *Server) outputFor(out string) string {
	return filepath.Join(s.o.OutDir, newJobID(), filepath.Base(out))
}

// keptOutput runs fn, which writes path, in a directory made for it and
// removed again if fn fails.
func keptOutput(path string, fn func(context.Context) (any, error)) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		res, err := fn(ctx)
		if err != nil {
			os.Remove(filepath.Dir(path))
		}
		return res, err
	}
}

// startFunc is a job route's start.
type startFunc func(s *Server, r *request) (fn func(context.Context) (any, error), out string, err error)

// jobOf starts a use case taking the request body, a T.
func jobOf[T any](run func(s *Server, ctx context.Context, req T) (any, error)) startFunc {
	return func(s *Server, r *request) (func(context.Context) (any, error), string, error) {
		var req T
		if err := r.decode(&req); err != nil {
			return nil, "", err
		}
		return func(ctx context.Context) (any, error) { return run(s, ctx, req) }, "", nil
	}
}

// outputJobOf starts a use case writing a file (materialize, predict):
// unless the client asked to keep it on the server, the file goes to a
// directory of the outputs for the client to fetch. out gives the
// request's output path, where the client will copy it, and whether it
// is a server-side one.
func outputJobOf[T any](out func(*T) (*string, *string, bool), run func(svc *app.Service, ctx context.Context, req T) (any, error)) startFunc {
	return func(s *Server, r *request) (func(context.Context) (any, error), string, error) {
		var req T
		if err := r.decode(&req); err != nil {
			return nil, "", err
		}
		path, deliver, serverSide := out(&req)
		if serverSide {
			return func(ctx context.Context) (any, error) { return run(s.app, ctx, req) }, "", nil
		}
		kept := s.outputFor(*path)
		*deliver, *path = *path, kept
		return keptOutput(kept, func(ctx context.Context) (any, error) { return run(s.app, ctx, req) }), kept, nil
	}
}

var (
	startMaterialize = outputJobOf(
		func(r *app.MaterializeRequest) (*string, *string, bool) { return &r.Out, &r.Deliver, r.ServerSideOut },
		func(svc *app.Service, ctx context.Context, req app.MaterializeRequest) (any, error) {
			return svc.Materialize(ctx, req)
		})
	startPredict = outputJobOf(
		func(r *app.PredictRequest) (*string, *string, bool) { return &r.Out, &r.Deliver, r.ServerSideOut },
		func(svc *app.Service, ctx context.Context, req app.PredictRequest) (any, error) {
			return svc.Predict(ctx, req)
		})
	startTrain = jobOf(func(s *Server, ctx context.Context, req app.TrainRequest) (any, error) { return s.app.Train(ctx, req) })
	startSync  = jobOf(func(s *Server, ctx context.Context, req app.SyncRequest) (any, error) { return s.app.Sync(ctx, req) })
	startRepro = jobOf(func(s *Server, ctx context.Context, req RunRef) (any, error) { return s.app.Reproduce(ctx, req.Run) })
	startValid = jobOf(func(s *Server, ctx context.Context, req app.ValidateRequest) (any, error) {
		return s.app.Validate(ctx, req)
	})
)

// startProfile profiles and, when the client asks for the HTML report,
// keeps it in the outputs for the client to fetch.
func startProfile(s *Server, r *request) (func(context.Context) (any, error), string, error) {
	var req app.ProfileRequest
	if err := r.decode(&req); err != nil {
		return nil, "", err
	}
	run := func(ctx context.Context) (*profile.Profile, error) { return s.app.Profile(ctx, req) }
	if !req.HTML {
		return func(ctx context.Context) (any, error) { return run(ctx) }, "", nil
	}
	out := s.outputFor("profile.html")
	return keptOutput(out, func(ctx context.Context) (any, error) {
		p, err := run(ctx)
		if err != nil {
			return nil, err
		}
		return p, app.WriteFileAtomic(out, func(f *os.File) error { return profile.HTML(f, p) })
	}), out, nil
}

// handleLineageSVG draws the lineage graph as SVG (web.Graph.SVG).
func handleLineageSVG(s *Server, r *request) (any, error) {
	trees, err := lineageTrees(s, r)
	if err != nil {
		return nil, err
	}
	dir, _ := lineage.ParseDirection(r.URL.Query().Get("direction")) // lineageTrees refused a bad one
	svg, err := web.NewGraph(trees, dir).SVG(r.Context(), web.NoLinks)
	if err != nil {
		return nil, err
	}
	r.w.Header().Set("Content-Type", "image/svg+xml")
	r.w.Write([]byte(svg))
	return nil, nil
}

// ownJob returns the job if r may see it: its owner, or an admin.
func (s *Server) ownJob(r *request, wait time.Duration) (Job, error) {
	j, ok := s.jobs.get(r.Context(), r.PathValue("id"), wait)
	if !ok || (j.Owner != r.who.name && r.who.role < RoleAdmin) {
		return Job{}, featurestore.Errorf(featurestore.ENOTFOUND, "no job %s", r.PathValue("id")).
			WithHint("jobs are kept for an hour after they finish")
	}
	return j, nil
}

func handleGetJob(s *Server, r *request) (any, error) {
	var wait time.Duration
	if w := r.URL.Query().Get("wait"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 {
			return nil, featurestore.Errorf(featurestore.EINVALID, "wait %q: give whole seconds", w)
		}
		wait = min(time.Duration(n)*time.Second, time.Minute, s.o.RequestTimeout-time.Second)
	}
	j, err := s.ownJob(r, wait)
	if err != nil {
		return nil, err
	}
	return j, nil
}

func handleCancelJob(s *Server, r *request) (any, error) {
	j, err := s.ownJob(r, 0)
	if err != nil {
		return nil, err
	}
	s.jobs.cancelJob(j.ID)
	j, _ = s.jobs.get(r.Context(), j.ID, 5*time.Second)
	return j, nil
}

func handleJobOutput(s *Server, r *request) (any, error) {
	j, err := s.ownJob(r, 0)
	if err != nil {
		return nil, err
	}
	if j.State != JobSucceeded || j.outPath == "" {
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "job %s has no output to fetch (it is %s)", j.ID, j.State)
	}
	return nil, serveFile(r.w, j.outPath)
}

// startJSON starts a job that decodes its request and calls run.
func startJSON[R any](r *request, run func(context.Context, R) (any, error)) (func(context.Context) (any, error), string, error) {
	var req R
	if err := r.decode(&req); err != nil {
		return nil, "", err
	}
	return func(ctx context.Context) (any, error) { return run(ctx, req) }, "", nil
}

// handleOnline answers an online request at once (not a job: a model
// waits for it).
func handleOnline(s *Server, r *request) (any, error) {
	var req app.OnlineRequest
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	return s.app.OnlineGet(r.Context(), req)
}
