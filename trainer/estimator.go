package trainer

import (
	"context"
	"strconv"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// Estimator is a kind of model fs fits. It describes everything that
// differs from one kind to the next: its parameters and their defaults,
// how it reads the target, how it fits and scores, its metrics, its MLflow
// names and its pyfunc flavour; everything else (the split, the sweep, the
// run record, the reports) is the same for all. The estimators are listed
// in registry (estimators.go).
type Estimator interface {
	// Name names the estimator on every run ("elastic_net").
	Name() string
	// Task is what it predicts: TaskRegression or TaskClassification.
	// --task picks the first registered estimator of a task.
	Task() string
	// Title says what it fits, for people.
	Title() string
	// Uses lists the optional request flags the estimator reads (--alpha,
	// --c, --positive, --stratify, its gates); a request that sets another
	// is refused.
	Uses() []string
	// Grid is the parameter sets the request asks for, in sweep order,
	// with the estimator's defaults filled and each checked.
	Grid(req Request) ([]Params, error)
	// Select is the test metric that picks a sweep's best run: the
	// request's Select or the estimator's default.
	Select(req Request) (Selector, error)
	// Target checks the target column and reads it on the kept rows.
	Target(c *featurestore.Series, rows []int) (*Target, error)
	// Fit fits one parameter set on the train rows and scores the model on
	// both sets.
	Fit(ctx context.Context, p Params, s *Sets) (*Fit, error)
	// New returns empty parts of a run of this estimator, to decode a
	// recorded run into.
	New() Parts
	// MLflow is what MLflow logs of a run: its parameters and metrics
	// under the names mlflow.sklearn.autolog gives them, and the files
	// logged beside the model.
	MLflow(r *Run) Logged
}

// Params are an estimator's parameters for one fit.
type Params interface {
	// Show lists every parameter, in the order people read them.
	Show() []Value
	// Swept lists the numeric parameters a sweep varies (alpha, l1_ratio):
	// the columns of sweep tables and the axes of sweep charts.
	Swept() []Value
	// Ask sets the request fields that ask for these parameters again.
	Ask(req *Request)
}

// Model is a fitted model.
type Model interface {
	// Predict computes the model's output columns on column-major X: a
	// regression's prediction named column, or a classifier's label and
	// its class probabilities.
	Predict(X [][]float64, column string) ([]*featurestore.Series, error)
	// Coefficients are the model's weights, when it has them.
	Coefficients() *Coefficients
	// Effort is how much work the fit took: 12 "iteration", 5 "epoch".
	Effort() (n int, unit string)
	// Details are facts of the fit people want beside its parameters (a
	// classifier's classes).
	Details() []Value
	// Flavour is how the model is written for mlflow.pyfunc.
	Flavour() Flavour
}

// Scores are a model's metrics on one set of rows.
type Scores interface {
	// Metrics lists the metrics a run's report shows, in order.
	Metrics() []Value
	// Get returns a metric by name (the names of Metrics, of the gates and
	// of --select).
	Get(name string) (float64, bool)
	// Tables are further tables a report shows (a confusion matrix); m is
	// the model scored.
	Tables(m Model) []Table
}

// Parts are the estimator-specific parts of a run.
type Parts struct {
	Params      Params
	Model       Model
	Train, Test Scores
}

// Value is a named number, or a word when Text is set.
type Value struct {
	Name string  `json:"name"`
	Num  float64 `json:"value"`
	Text string  `json:"text,omitempty"`
}

// String is the value as Go's %v writes it (1000, 0.0001, 1e-05), or its text.
func (v Value) String() string {
	if v.Text != "" {
		return v.Text
	}
	return strconv.FormatFloat(v.Num, 'g', -1, 64)
}

// Values joins values as "name value, name value".
func Values(vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Name + " " + v.String()
	}
	return strings.Join(parts, ", ")
}

// Table is a titled table of text: a head and rows.
type Table struct {
	Title string     `json:"title"`
	Head  []string   `json:"head"`
	Rows  [][]string `json:"rows"`
}

// Coefficients are a linear model's weights: one column of a weight per
// feature (in the run's feature order) and an intercept, or one such
// column per class.
type Coefficients struct {
	Columns   []string    // each column's name: "" for a single column, else its class
	Coef      [][]float64 // [column][feature]
	Intercept []float64   // [column]
}

// Flavour is how a model is written as MLflow's python_function flavour:
// the loader module (its source is kept by trainer/pyfunc under that
// name), the format and the model's own fields of data/model.json, and
// the signature's outputs and params.
type Flavour struct {
	Module  string
	Format  string
	Fields  map[string]any
	Outputs string // MLflow's JSON column spec of the outputs
	Params  string // the signature's params (YAML), or "null"
}

// Logged is what MLflow logs of a run beside fs's own tags and params.
type Logged struct {
	Params    [][2]string       // name, value as Python's str() writes it
	Metrics   []Value           // NaN and infinite values are left out by the adapter
	Artifacts map[string][]byte // files at the run's artifact root
}

// Selector is the test metric that picks a sweep's best run.
type Selector struct {
	Metric string `json:"metric"`
	Lower  bool   `json:"lower"` // lower is better (rmse, log_loss)
}

// better reports whether a beats b (ties keep the earlier run, as a
// sweep's order; a metric a model lacks never wins).
func (s Selector) better(a, b Scores) bool {
	x, okA := a.Get(s.Metric)
	y, okB := b.Get(s.Metric)
	switch {
	case !okA:
		return false
	case !okB:
		return true
	case s.Lower:
		return x < y
	}
	return x > y
}

// Target is the target column read on the kept rows: a number per row
// for a regression, a class index per row (and the classes) for a
// classifier.
type Target struct {
	Y       []float64
	Class   []int
	Classes []string        // the class names, in scikit-learn's sorted order
	Type    transforms.Type // the target column's type
}

// take is the target on rows idx.
func (t *Target) take(idx []int) *Target {
	out := &Target{Classes: t.Classes, Type: t.Type}
	if t.Y != nil {
		out.Y = take(t.Y, idx)
	}
	if t.Class != nil {
		out.Class = takeInts(t.Class, idx)
	}
	return out
}

// Sets are a training's train and test rows: column-major features and
// the target.
type Sets struct {
	Xtrain, Xtest [][]float64
	Ytrain, Ytest *Target
}

// Fit is one fitted parameter set: the model, its scores on both sets,
// the seconds fitting and predicting the test rows took, and what the
// user should know (a fit that did not converge).
type Fit struct {
	Model                      Model
	Train, Test                Scores
	FitSeconds, PredictSeconds float64
	Warnings                   []string
}

// Estimators lists the registered estimators.
func Estimators() []Estimator { return append([]Estimator(nil), registry...) }

// Lookup returns the estimator called name.
func Lookup(name string) (Estimator, bool) {
	for _, e := range registry {
		if e.Name() == name {
			return e, true
		}
	}
	return nil, false
}

// EstimatorFor picks the estimator a request asks for: by name, else the
// first of its task (regression when the task is not given).
func EstimatorFor(req Request) (Estimator, error) {
	task := req.Task
	if task == "" {
		task = TaskRegression
	}
	if req.Estimator != "" {
		e, ok := Lookup(req.Estimator)
		if !ok {
			return nil, featurestore.Errorf(featurestore.EINVALID, "unknown estimator %q", req.Estimator).
				WithHint("the estimators are %s", strings.Join(names(Estimators()), ", "))
		}
		if req.Task != "" && e.Task() != task {
			return nil, featurestore.Errorf(featurestore.EINVALID, "estimator %s is a %s, not a %s", e.Name(), e.Task(), task).
				WithHint("drop --task, or give --task %s", e.Task())
		}
		return e, nil
	}
	for _, e := range registry {
		if e.Task() == task {
			return e, nil
		}
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "unknown task %q", req.Task).
		WithHint("use --task regression or --task classification")
}

func names(es []Estimator) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name()
	}
	return out
}
