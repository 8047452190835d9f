package trainer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// Request is what fs train is asked for.
type Request struct {
	Target    string    `json:"target"`
	Features  []string  `json:"features,omitempty"` // design-matrix order; empty: the dataset's features
	Alphas    []float64 `json:"alphas"`
	L1Ratios  []float64 `json:"l1_ratios"`
	MaxIter   int       `json:"max_iter"`
	Tol       float64   `json:"tol"`
	Positive  bool      `json:"positive,omitempty"`
	TestSize  float64   `json:"test_size"`
	Seed      uint32    `json:"seed"`
	Split     string    `json:"split,omitempty"` // random (default) or time
	DropNulls bool      `json:"drop_nulls,omitempty"`
	Gate      Gate      `json:"gate"`
	Solver    string    `json:"solver,omitempty"` // "", "auto", "data" or "gram"
	// Classification (Task TaskClassification): C values (several make a
	// sweep with L1Ratios), a stratified split, and the test metric that
	// picks a sweep's best run (SelectLogLoss by default).
	Task     string    `json:"task,omitempty"`
	Cs       []float64 `json:"cs,omitempty"`
	Stratify bool      `json:"stratify,omitempty"`
	Select   string    `json:"select,omitempty"`
}

// Data is a dataset loaded for training.
type Data struct {
	Ref             DatasetRef
	Table           *featurestore.Table
	Features        []featurestore.FeatureRef // from the file's metadata, in order
	TimestampColumn string
}

// Result is a training: one run, or a sweep (Parent with Children).
type Result struct {
	Runs []*Run // one per parameter combination, in sweep order
	Best *Run   // the lowest test RMSE (the first on ties)
	// Parent is set for a sweep (more than one combination).
	Parent *Run
}

// Tasks: what fs train fits.
const (
	TaskRegression     = "regression"     // Elastic Net (the default; recorded as "")
	TaskClassification = "classification" // elastic-net logistic regression (SAGA)
)

// Train fits one model per parameter combination on the same split and
// evaluates each on the train and test rows: Elastic Net per (alpha,
// l1_ratio), or for --task classification logistic regression per (C,
// l1_ratio).
func Train(ctx context.Context, req Request, data *Data, now time.Time) (*Result, error) {
	switch req.Task {
	case "", TaskRegression:
		req.Task = ""
	case TaskClassification:
		return trainClassifier(ctx, req, data, now)
	default:
		return nil, featurestore.Errorf(featurestore.EINVALID, "unknown task %q", req.Task).WithHint("use --task regression or --task classification")
	}
	pr, err := prepare(req, data, nil)
	if err != nil {
		return nil, err
	}
	if pr.target.Type != transforms.Float64 && pr.target.Type != transforms.Int64 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s is a %s column; Elastic Net regression needs a numeric target",
			req.Target, pr.target.Type).
			WithHint("a label is a classification target: add --task classification")
	}
	y := gatherFloat(pr.target, pr.rows)
	split, trainIdx, testIdx := pr.split, pr.trainIdx, pr.testIdx
	Xtr, Xte := takeCols(pr.X, trainIdx), takeCols(pr.X, testIdx)
	ytr, yte := take(y, trainIdx), take(y, testIdx)
	features, refs, target, dropped := pr.features, pr.refs, pr.target, pr.dropped
	res := &Result{}
	alphas, l1s := req.Alphas, req.L1Ratios
	if len(alphas) == 0 {
		alphas = []float64{1.0}
	}
	if len(l1s) == 0 {
		l1s = []float64{0.5}
	}
	for _, a := range alphas {
		for _, l1 := range l1s {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			params := ElasticNet{Alpha: a, L1Ratio: l1, MaxIter: req.MaxIter, Tol: req.Tol, Positive: req.Positive, Solver: req.Solver}
			if params.MaxIter == 0 {
				params.MaxIter = 1000
			}
			if req.Tol == 0 {
				params.Tol = 1e-4
			}
			if a < 0 || l1 < 0 || l1 > 1 {
				return nil, featurestore.Errorf(featurestore.EINVALID, "invalid alpha %v or l1_ratio %v", a, l1).
					WithHint("alpha >= 0 and 0 <= l1_ratio <= 1")
			}
			start := time.Now()
			fit, err := params.Fit(Xtr, ytr)
			if err != nil {
				return nil, featurestore.Errorf(featurestore.EINVALID, "fit alpha=%v l1_ratio=%v: %v", a, l1, err)
			}
			fitSec := time.Since(start).Seconds()
			start = time.Now()
			predTest := fit.Predict(Xte)
			predSec := time.Since(start).Seconds()
			run := &Run{Dataset: data.Ref, Features: refs, Target: req.Target, Dtypes: pandasDtypes(features, target), Params: params, Split: split,
				NullRule: nullRule(req.DropNulls), Dropped: dropped, Model: fit,
				Train: Evaluate(ytr, fit.Predict(Xtr)), Test: Evaluate(yte, predTest),
				FitSeconds: fitSec, PredictSeconds: predSec, Gate: req.Gate, Created: now.UTC(),
				FSVersion: featurestore.Version, MLflow: MLflowRef{State: SyncLocal}}
			if !fit.Converged {
				run.Warnings = append(run.Warnings, fmt.Sprintf(
					"alpha=%v l1_ratio=%v did not converge in %d iterations: duality gap %.6e, tolerance %.3e; "+
						"raise --max-iter or --tol, or scale the features", a, l1, fit.NIter, fit.DualGap, fit.TolScaled))
			}
			if note := constantNote(yte, run.Test.R2); note != "" {
				run.Warnings = append(run.Warnings, note)
			}
			run.Gate.Check(run.Test)
			run.ID = featurestore.Hash([]byte(RunDescriptor(run)))
			res.Runs = append(res.Runs, run)
			if res.Best == nil || run.Test.RMSE < res.Best.Test.RMSE {
				res.Best = run
			}
		}
	}
	res.sweep()
	return res, nil
}

// sweep makes a result of several runs a sweep: a parent run, the best
// run's copy, naming its children.
func (res *Result) sweep() {
	if len(res.Runs) < 2 {
		return
	}
	parent := *res.Best
	parent.Children = nil
	for _, r := range res.Runs {
		parent.Children = append(parent.Children, r.ID)
	}
	best := res.Best.ID
	parent.Best = &best
	parent.ID = featurestore.Hash([]byte("fs sweep v1\n" + idsText(parent.Children)))
	for _, r := range res.Runs {
		id := parent.ID
		r.Parent = &id
	}
	res.Parent = &parent
}

func idsText(ids []featurestore.ID) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func nullRule(drop bool) string {
	if drop {
		return NullRuleDrop
	}
	return NullRuleError
}

// constantNote explains a test R2 of exactly 0 or 1 that comes from a
// constant test target (scikit-learn's rule: R2 is undefined there, so 1
// for perfect predictions, else 0), not from the model.
func constantNote(y []float64, r2 float64) string {
	if len(y) < 2 || (r2 != 0 && r2 != 1) {
		return ""
	}
	for _, v := range y[1:] {
		if v != y[0] {
			return ""
		}
	}
	return fmt.Sprintf("the test target is constant (%v in all %d test rows): R2 is %v by scikit-learn's rule, not a measure of the model; use a larger or stratified test set", y[0], len(y), r2)
}

// pandasDtypes lists the dtype pandas gives each feature column, then the
// target, reading the dataset file: integers and booleans with a null read
// as float64 and object, text as str.
func pandasDtypes(features []*featurestore.Series, target *featurestore.Series) []string {
	var out []string
	for _, c := range append(append([]*featurestore.Series{}, features...), target) {
		hasNull := slices.Contains(c.Valid, false)
		phys, _, _ := strings.Cut(c.Physical, "/")
		switch {
		case c.Type == transforms.Int64 && hasNull:
			out = append(out, "float64")
		case c.Type == transforms.Int64 && phys == "INT32" && !strings.Contains(c.Physical, "false") && !strings.Contains(c.Physical, "CONVERTED(13)"):
			out = append(out, "int32")
		case c.Type == transforms.Int64:
			out = append(out, "int64")
		case c.Type == transforms.Bool && hasNull:
			out = append(out, "object")
		case c.Type == transforms.Bool:
			out = append(out, "bool")
		case c.Type == transforms.String:
			out = append(out, "str") // a classifier's text labels
		case phys == "FLOAT":
			out = append(out, "float32")
		default:
			out = append(out, "float64")
		}
	}
	return out
}

// designColumns picks the feature columns in order and their versions.
func designColumns(req Request, data *Data) ([]*featurestore.Series, []featurestore.FeatureRef, error) {
	names := req.Features
	if len(names) == 0 {
		for _, f := range data.Features {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		return nil, nil, featurestore.Errorf(featurestore.EINVALID, "no features to train on: the file has no fs feature metadata").
			WithHint("give --features a,b,c (the design matrix's columns, in order)")
	}
	versions := map[string]featurestore.ID{}
	for _, f := range data.Features {
		versions[f.Name] = f.Version
	}
	var cols []*featurestore.Series
	var refs []featurestore.FeatureRef
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if seen[n] {
			return nil, nil, featurestore.Errorf(featurestore.EINVALID, "feature %s is listed twice", n)
		}
		seen[n] = true
		if n == req.Target {
			return nil, nil, featurestore.Errorf(featurestore.EINVALID, "%s is the target; it cannot also be a feature", n)
		}
		c := data.Table.Lookup(n)
		if c == nil {
			return nil, nil, featurestore.Errorf(featurestore.EINVALID, "the dataset has no column %q", n).
				WithHint("%s", suggestColumn(n, data.Table))
		}
		if c.Type != transforms.Float64 && c.Type != transforms.Int64 && c.Type != transforms.Bool {
			return nil, nil, featurestore.Errorf(featurestore.EINVALID, "column %s is %s; features must be numbers", n, c.Type).
				WithHint("encode it as a number in its feature definition")
		}
		cols = append(cols, c)
		refs = append(refs, featurestore.FeatureRef{Name: n, Version: versions[n]})
	}
	return cols, refs, nil
}

func suggestColumn(name string, t *featurestore.Table) string {
	var names []string
	for _, s := range t.Series {
		names = append(names, s.Name)
	}
	if s := transforms.Suggest(name, names); s != "" {
		return s
	}
	return "the dataset's columns are " + strings.Join(names, ", ")
}

func gatherFloat(c *featurestore.Series, rows []int) []float64 {
	out := make([]float64, len(rows))
	for k, i := range rows {
		switch c.Type {
		case transforms.Float64:
			out[k] = c.F64[i]
		case transforms.Int64:
			out[k] = float64(c.I64[i])
		case transforms.Bool:
			if c.Bool[i] {
				out[k] = 1
			}
		}
	}
	return out
}

func take(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}

func takeCols(X [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(X))
	for j := range X {
		out[j] = take(X[j], idx)
	}
	return out
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }
