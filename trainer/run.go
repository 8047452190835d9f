package trainer

import (
	"context"
	"encoding/json"
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
	Dtypes []string   `json:"dtypes,omitempty"`
	Params ElasticNet `json:"params"` // regression's; zero for a classifier
	// Task is "" for Elastic Net regression, TaskClassification for a
	// classifier, whose parameters, model and metrics are in Logistic,
	// Classifier and TrainClass/TestClass (Train and Test are then NaN).
	Task       string        `json:"task,omitempty"`
	Logistic   *Logistic     `json:"logistic,omitempty"`
	Classifier *Classifier   `json:"classifier,omitempty"`
	TrainClass *ClassMetrics `json:"training_classification,omitempty"`
	TestClass  *ClassMetrics `json:"testing_classification,omitempty"`
	Split      Split         `json:"split"`
	NullRule   string        `json:"null_rule"` // NullRuleError or NullRuleDrop
	Dropped    int           `json:"dropped_rows"`

	Model          *Fitted  `json:"model"`
	Train          Metrics  `json:"training"`
	Test           Metrics  `json:"testing"`
	FitSeconds     float64  `json:"fit_seconds"`
	PredictSeconds float64  `json:"predict_seconds"`
	Gate           Gate     `json:"gate"`
	Warnings       []string `json:"warnings,omitempty"`

	Parent   *featurestore.ID  `json:"parent,omitempty"`   // the sweep this run belongs to
	Children []featurestore.ID `json:"children,omitempty"` // for a sweep: its runs
	Best     *featurestore.ID  `json:"best,omitempty"`     // for a sweep: the lowest test RMSE

	Created   time.Time `json:"created"`
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

// Check sets Passed and Failed from test metrics.
func (g *Gate) Check(m Metrics) {
	g.Failed = nil
	if g.MaxRMSE != nil && !(m.RMSE <= *g.MaxRMSE) {
		g.Failed = append(g.Failed, "rmse "+fmtFloat(m.RMSE)+" > "+fmtFloat(*g.MaxRMSE))
	}
	if g.MaxMAE != nil && !(m.MAE <= *g.MaxMAE) {
		g.Failed = append(g.Failed, "mae "+fmtFloat(m.MAE)+" > "+fmtFloat(*g.MaxMAE))
	}
	if g.MinR2 != nil && !(m.R2 >= *g.MinR2) {
		g.Failed = append(g.Failed, "r2 "+fmtFloat(m.R2)+" < "+fmtFloat(*g.MinR2))
	}
	g.Passed = len(g.Failed) == 0
}

// CheckClass sets Passed and Failed from a classifier's test metrics.
func (g *Gate) CheckClass(m ClassMetrics) {
	g.Failed = nil
	for _, c := range []struct {
		name    string
		limit   *float64
		got     float64
		atLeast bool
	}{{"accuracy", g.MinAccuracy, m.Accuracy, true}, {"f1", g.MinF1, m.F1(), true}, {"roc_auc", g.MinAUC, m.AUC, true},
		{"log_loss", g.MaxLogLoss, m.LogLoss, false}} {
		switch {
		case c.limit == nil:
		case c.atLeast && !(c.got >= *c.limit):
			g.Failed = append(g.Failed, c.name+" "+fmtFloat(c.got)+" < "+fmtFloat(*c.limit))
		case !c.atLeast && !(c.got <= *c.limit):
			g.Failed = append(g.Failed, c.name+" "+fmtFloat(c.got)+" > "+fmtFloat(*c.limit))
		}
	}
	g.Passed = len(g.Failed) == 0
}

// Set reports whether any threshold is set.
func (g *Gate) Set() bool {
	return g.MaxRMSE != nil || g.MaxMAE != nil || g.MinR2 != nil || g.MinAccuracy != nil || g.MinF1 != nil || g.MinAUC != nil || g.MaxLogLoss != nil
}

// HasModel reports whether the run carries a fitted model (a sweep's
// parent carries its best run's).
func (r *Run) HasModel() bool { return r.Model != nil || r.Classifier != nil }

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

// Request is the training request that makes r again: its target and
// features in order, its parameters, split, seed, null rule and gate.
func (r *Run) Request() Request {
	req := Request{Target: r.Target, Alphas: []float64{r.Params.Alpha}, L1Ratios: []float64{r.Params.L1Ratio},
		MaxIter: r.Params.MaxIter, Tol: r.Params.Tol, Positive: r.Params.Positive, TestSize: r.Split.TestSize,
		Seed: r.Split.Seed, Split: r.Split.Kind, DropNulls: r.NullRule == NullRuleDrop, Gate: r.Gate}
	for _, f := range r.Features {
		req.Features = append(req.Features, f.Name)
	}
	if r.Task == TaskClassification && r.Logistic != nil {
		req.Task, req.Cs, req.L1Ratios, req.MaxIter, req.Tol = r.Task, []float64{r.Logistic.C}, []float64{r.Logistic.L1Ratio}, r.Logistic.MaxIter, r.Logistic.Tol
		req.Alphas, req.Positive, req.Stratify = nil, false, r.Split.Stratify
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
// their versions in order, the target, the parameters, the split and the
// null rule.
func RunDescriptor(r *Run) string {
	type desc struct {
		Format   string                    `json:"format"`
		Dataset  string                    `json:"dataset"`
		Features []featurestore.FeatureRef `json:"features"`
		Target   string                    `json:"target"`
		Params   *ElasticNet               `json:"params,omitempty"`
		Split    Split                     `json:"split"`
		NullRule string                    `json:"null_rule"`
		Task     string                    `json:"task,omitempty"`
		Logistic *Logistic                 `json:"logistic,omitempty"`
	}
	split := r.Split
	split.TrainRows, split.TestRows = 0, 0
	d := desc{"fs run v1", r.Dataset.ID, r.Features, r.Target, &r.Params, split, r.NullRule, r.Task, r.Logistic}
	if r.Task == TaskClassification {
		d.Params = nil
	}
	b, _ := json.Marshal(d)
	return string(b)
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
