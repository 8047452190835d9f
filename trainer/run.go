package trainer

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// Run is a training run: what it was trained on, with which parameters, and
// what came out. Its ID is the hash of everything that determines the model
// (RunDescriptor), so training the same thing again gives the same run.
type Run struct {
	ID       featurestore.ID           `json:"id"`
	Dataset  DatasetRef                `json:"dataset"`
	Features []featurestore.FeatureRef `json:"features"` // design-matrix columns, in order
	Target   string                    `json:"target"`
	// Dtypes holds the pandas dtype each feature column and, last, the
	// target has when pandas reads the dataset file (int64, int32,
	// float64, float32, bool; an integer column with nulls reads as
	// float64): the model's signature is typed by them, so that MLflow's
	// schema enforcement accepts that file. Not part of the run's id.
	Dtypes []string `json:"dtypes,omitempty"`
	// Estimator names the kind of model (Estimator.Name); Params, Model,
	// Train and Test are its own types (Estimator.New).
	Estimator string `json:"estimator"`
	Params    Params `json:"params"`
	Split     Split  `json:"split"`
	NullRule  string `json:"null_rule"` // NullRuleError or NullRuleDrop
	Dropped   int    `json:"dropped_rows"`

	Model          Model    `json:"model"`
	Train          Scores   `json:"training"`
	Test           Scores   `json:"testing"`
	FitSeconds     float64  `json:"fit_seconds"`
	PredictSeconds float64  `json:"predict_seconds"`
	Gate           Gate     `json:"gate"`
	Warnings       []string `json:"warnings,omitempty"`

	Parent   *featurestore.ID  `json:"parent,omitempty"`   // the sweep this run belongs to
	Children []featurestore.ID `json:"children,omitempty"` // for a sweep: its runs
	Best     *featurestore.ID  `json:"best,omitempty"`     // for a sweep: its best run
	// SelectedBy, for a sweep, is the test metric that picked Best.
	SelectedBy string `json:"selected_by,omitempty"`

	Created time.Time `json:"created"`
	// Started and Ended are when the fit began and the evaluation ended (a
	// sweep: its first run's start, its last run's end): the run's own
	// times in MLflow, however late it is pushed. Zero for runs recorded
	// before fs kept them.
	Started   time.Time `json:"started,omitzero"`
	Ended     time.Time `json:"ended,omitzero"`
	FSVersion string    `json:"fs_version"`
	MLflow    MLflowRef `json:"mlflow"`
}

// DatasetRef is what a run was trained on.
type DatasetRef struct {
	ID     string `json:"id"`     // the fs dataset id, or the file's sha256 for a plain parquet file
	Path   string `json:"path"`   // absolute
	Digest string `json:"digest"` // sha256 of the file's bytes
	Rows   int    `json:"rows"`
	FS     bool   `json:"fs"` // written by fs materialize (feature versions known)
}

// Split says how rows were divided into train and test sets.
type Split struct {
	Kind      string  `json:"kind"` // random or time
	TestSize  float64 `json:"test_size"`
	Seed      uint32  `json:"seed"`
	TrainRows int     `json:"train_rows"`
	TestRows  int     `json:"test_rows"`
	Stratify  bool    `json:"stratify,omitempty"` // train_test_split's stratify=y
}

// Gate is the quality gate of a proof of concept: thresholds on the test
// metrics. Nil thresholds are not checked.
type Gate struct {
	MaxRMSE *float64 `json:"max_rmse,omitempty"`
	MaxMAE  *float64 `json:"max_mae,omitempty"`
	MinR2   *float64 `json:"min_r2,omitempty"`
	// Classification thresholds (F1: binary for two classes, else macro).
	MinAccuracy *float64 `json:"min_accuracy,omitempty"`
	MinF1       *float64 `json:"min_f1,omitempty"`
	MinAUC      *float64 `json:"min_auc,omitempty"`
	MaxLogLoss  *float64 `json:"max_log_loss,omitempty"`
	Passed      bool     `json:"passed"`
	Failed      []string `json:"failed,omitempty"`
}

// Check sets Passed and Failed from the test scores: a threshold on a
// metric the scores lack, or NaN, fails.
func (g *Gate) Check(test Scores) {
	g.Failed = nil
	for _, t := range g.thresholds() {
		v, ok := math.NaN(), false
		if test != nil {
			v, ok = test.Get(t.metric)
		}
		switch {
		case !ok:
			g.Failed = append(g.Failed, t.metric+" not measured")
		case t.max && !(v <= *t.value):
			g.Failed = append(g.Failed, t.metric+" "+fmtFloat(v)+" > "+fmtFloat(*t.value))
		case !t.max && !(v >= *t.value):
			g.Failed = append(g.Failed, t.metric+" "+fmtFloat(v)+" < "+fmtFloat(*t.value))
		}
	}
	g.Passed = len(g.Failed) == 0
}

// Set reports whether any threshold is set.
func (g *Gate) Set() bool { return len(g.thresholds()) > 0 }

// HasModel reports whether the run carries a fitted model (a sweep's
// parent carries its best run's).
func (r *Run) HasModel() bool { return r.Model != nil }

// SelectedMetric is the test metric that picks a sweep's best run: the
// one recorded, or the estimator's default for sweeps recorded before
// fs 0.3 (which always used it).
func (r *Run) SelectedMetric() string {
	if r.SelectedBy != "" {
		return r.SelectedBy
	}
	if e, ok := Lookup(r.Estimator); ok {
		if s, err := e.Select(Request{}); err == nil {
			return s.Metric
		}
	}
	return ""
}

// Task is what the run's estimator predicts: TaskRegression or
// TaskClassification ("" for an estimator this fs does not know).
func (r *Run) Task() string {
	if e, ok := Lookup(r.Estimator); ok {
		return e.Task()
	}
	return ""
}

// The states of a run's MLflow twin.
const (
	SyncLocal   = "local"   // recorded without a tracking URI; fs sync can push it
	SyncPending = "pending" // to be pushed (MLflow was unreachable, or failed)
	SyncSynced  = "synced"  // in MLflow, every step done
	// SyncAbandoned: the user gave up on mirroring it (fs sync --abandon);
	// its MLflow run, if any, was marked FAILED.
	SyncAbandoned = "abandoned"
)

// MLflowRef links a run to its MLflow twin and says how far mirroring it
// got, so that an interrupted sync resumes instead of starting over.
type MLflowRef struct {
	State        string   `json:"state"` // SyncLocal, SyncPending or SyncSynced
	TrackingURI  string   `json:"tracking_uri,omitempty"`
	Experiment   string   `json:"experiment,omitempty"`
	ExperimentID string   `json:"experiment_id,omitempty"`
	RunID        string   `json:"run_id,omitempty"`
	ArtifactURI  string   `json:"artifact_uri,omitempty"`
	Done         []string `json:"done,omitempty"` // steps completed: data, inputs, model, registry, end
	// RegisterModel names the registered model to create a version in
	// (when the gate passes); ModelVersion is the version created.
	RegisterModel string `json:"register_model,omitempty"`
	ModelVersion  string `json:"model_version,omitempty"`
	// ModelID is the run's MLflow 3 logged model; NoLoggedModel says the
	// server has none (MLflow 2: the model is the run's artifact only).
	ModelID       string `json:"model_id,omitempty"`
	NoLoggedModel bool   `json:"no_logged_model,omitempty"`
	LastError     string `json:"last_error,omitempty"`
}

// HasDone reports whether a sync step was completed.
func (m *MLflowRef) HasDone(step string) bool {
	for _, d := range m.Done {
		if d == step {
			return true
		}
	}
	return false
}

// The null rules a run records: rows with a null feature or target are an
// error, or were dropped before the split (--drop-nulls).
const (
	NullRuleError = "error"
	NullRuleDrop  = "drop"
)

// Request is the training request that makes r again: its estimator,
// target and features in order, its parameters, split, seed, null rule
// and gate.
func (r *Run) Request() Request {
	req := Request{Target: r.Target, Estimator: r.Estimator, TestSize: r.Split.TestSize, Seed: r.Split.Seed, Split: r.Split.Kind,
		Stratify: r.Split.Stratify, DropNulls: r.NullRule == NullRuleDrop, Gate: r.Gate}
	req.Gate.Passed, req.Gate.Failed = false, nil
	for _, f := range r.Features {
		req.Features = append(req.Features, f.Name)
	}
	if r.Params != nil {
		r.Params.Ask(&req)
	}
	return req
}

// Tracker mirrors runs to an experiment tracker. Sync creates or resumes
// the tracker's run for r and does the steps not done yet, recording each
// in r.MLflow and calling save after each, so an interruption loses
// nothing and never duplicates the run. parent is the sweep r belongs to,
// already synced, or nil.
type Tracker interface {
	Sync(ctx context.Context, r *Run, parent *Run, modelDir string, save func(*Run) error) error
}

// RunDescriptor is what a run's ID hashes: the dataset, the features and
// their versions in order, the target, the estimator and its parameters,
// the split and the null rule. The two first estimators keep the form
// their runs had before estimators had names (legacyIdentity), so their
// ids are unchanged.
func RunDescriptor(r *Run) string {
	split := r.Split
	split.TrainRows, split.TestRows = 0, 0
	d := runIdentity{Format: "fs run v1", Dataset: r.Dataset.ID, Features: r.Features, Target: r.Target, Split: split, NullRule: r.NullRule}
	switch e, _ := Lookup(r.Estimator); e := e.(type) {
	case legacyIdentity:
		e.identify(&d, r.Params)
	default:
		d.Params, d.Estimator = r.Params, r.Estimator
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// runIdentity is the JSON a run's id hashes, its fields in this order.
type runIdentity struct {
	Format    string                    `json:"format"`
	Dataset   string                    `json:"dataset"`
	Features  []featurestore.FeatureRef `json:"features"`
	Target    string                    `json:"target"`
	Params    Params                    `json:"params,omitempty"`
	Split     Split                     `json:"split"`
	NullRule  string                    `json:"null_rule"`
	Task      string                    `json:"task,omitempty"`
	Logistic  Params                    `json:"logistic,omitempty"`
	Estimator string                    `json:"estimator,omitempty"`
}

// legacyIdentity is an estimator whose runs were identified before
// estimators had names.
type legacyIdentity interface {
	identify(d *runIdentity, p Params)
}

// identify: Elastic Net's parameters under "params", no name.
func (elasticNet) identify(d *runIdentity, p Params) { d.Params = p }

// identify: the task and the parameters under "logistic".
func (logisticRegression) identify(d *runIdentity, p Params) {
	d.Task, d.Logistic = TaskClassification, p
}

// RunStore records runs.
type RunStore interface {
	// RecordRun stores a run; recording an existing run keeps its creation
	// time and MLflow link unless the new record has one.
	RecordRun(ctx context.Context, r *Run) error
	// Run returns a run by id (ENOTFOUND).
	Run(ctx context.Context, id featurestore.ID) (*Run, error)
	// ResolveRun returns the one run whose id starts with prefix.
	ResolveRun(ctx context.Context, prefix string) (featurestore.ID, error)
	// Runs returns every run.
	Runs(ctx context.Context) ([]Run, error)
}

// RegisteredModel is a version of a registered model (MLflow's registry)
// made from a run.
type RegisteredModel struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Run         string `json:"run"`
	MLflowRunID string `json:"mlflow_run_id"`
}
