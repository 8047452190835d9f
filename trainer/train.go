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

// Request is what fs train is asked for. The parameters an estimator
// does not read are left empty (nil, 0, false): each estimator fills its
// own defaults and refuses the others' (Estimator.Uses).
type Request struct {
	Target    string    `json:"target"`
	Features  []string  `json:"features,omitempty"`  // design-matrix order; empty: the dataset's features
	Task      string    `json:"task,omitempty"`      // TaskRegression (the default) or TaskClassification
	Estimator string    `json:"estimator,omitempty"` // an estimator by name; empty: the task's first
	Alphas    []float64 `json:"alphas,omitempty"`    // Elastic Net's regularisation strengths
	Cs        []float64 `json:"cs,omitempty"`        // logistic regression's inverse strengths
	L1Ratios  []float64 `json:"l1_ratios,omitempty"`
	MaxIter   int       `json:"max_iter,omitempty"`
	Tol       float64   `json:"tol,omitempty"`
	Positive  bool      `json:"positive,omitempty"`
	TestSize  float64   `json:"test_size"`
	Seed      uint32    `json:"seed"`
	Split     string    `json:"split,omitempty"` // random (default) or time
	Stratify  bool      `json:"stratify,omitempty"`
	DropNulls bool      `json:"drop_nulls,omitempty"`
	// Select is the test metric that picks a sweep's best run (the
	// estimator's default when empty: rmse, log_loss).
	Select string `json:"select,omitempty"`
	Gate   Gate   `json:"gate"`
	Solver string `json:"solver,omitempty"` // Elastic Net: "", "auto", "data" or "gram"
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
	Best *Run   // the best by Select (the first on ties)
	// Parent is set for a sweep (more than one combination).
	Parent *Run
	Select Selector // the test metric that picked Best
}

// Tasks: what fs train fits.
const (
	TaskRegression     = "regression"     // a number (Elastic Net by default)
	TaskClassification = "classification" // a label (logistic regression by default)
)

// Train fits one model per parameter set the request asks for, all on the
// same split, and evaluates each on the train and test rows.
func Train(ctx context.Context, req Request, data *Data, now time.Time) (*Result, error) {
	est, err := EstimatorFor(req)
	if err != nil {
		return nil, err
	}
	if err := refuseUnused(est, req); err != nil {
		return nil, err
	}
	grid, err := est.Grid(req)
	if err != nil {
		return nil, err
	}
	sel, err := est.Select(req)
	if err != nil {
		return nil, err
	}
	pr, err := prepare(req, data, est.Target)
	if err != nil {
		return nil, err
	}
	sets := pr.sets()
	res := &Result{Select: sel}
	for _, p := range grid {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		started := time.Now().UTC()
		f, err := est.Fit(ctx, p, sets)
		if err != nil {
			return nil, err
		}
		ended := time.Now().UTC()
		run := &Run{Dataset: data.Ref, Features: pr.refs, Target: req.Target, Dtypes: pandasDtypes(pr.features, pr.target),
			Estimator: est.Name(), Params: p, Split: pr.split, NullRule: nullRule(req.DropNulls), Dropped: pr.dropped,
			Model: f.Model, Train: f.Train, Test: f.Test, FitSeconds: f.FitSeconds, PredictSeconds: f.PredictSeconds,
			Gate: req.Gate, Warnings: f.Warnings, Created: now.UTC(), Started: started, Ended: ended, FSVersion: featurestore.Version,
			MLflow: MLflowRef{State: SyncLocal}}
		run.Gate.Check(f.Test)
		run.ID = featurestore.Hash([]byte(RunDescriptor(run)))
		res.Runs = append(res.Runs, run)
		if res.Best == nil || sel.better(run.Test, res.Best.Test) {
			res.Best = run
		}
	}
	res.sweep()
	if res.Parent != nil {
		res.Parent.SelectedBy = sel.Metric
	}
	return res, nil
}

// refuseUnused refuses a request that sets a flag the estimator does not
// read (--c for Elastic Net, --alpha for logistic regression).
func refuseUnused(est Estimator, req Request) error {
	uses := map[string]bool{}
	for _, f := range est.Uses() {
		uses[f] = true
	}
	for _, f := range req.setFlags() {
		if !uses[f] {
			return featurestore.Errorf(featurestore.EINVALID, "--%s does not apply to --task %s", f, est.Task()).
				WithHint("%s reads %s", est.Title(), "--"+strings.Join(est.Uses(), ", --"))
		}
	}
	return nil
}

// setFlags lists the optional flags the request sets.
func (r Request) setFlags() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"alpha", r.Alphas != nil}, {"c", r.Cs != nil}, {"positive", r.Positive}, {"stratify", r.Stratify}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	for _, t := range r.Gate.thresholds() {
		out = append(out, strings.TrimPrefix(t.flag, "--"))
	}
	return out
}

// grid makes one parameter set per (x, y), x the outer loop: the order
// of a sweep.
func grid(xs, ys []float64, build func(x, y float64) (Params, error)) ([]Params, error) {
	var out []Params
	for _, x := range xs {
		for _, y := range ys {
			p, err := build(x, y)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// orDefault is values, or def when none are given.
func orDefault(values []float64, def float64) []float64 {
	if len(values) == 0 {
		return []float64{def}
	}
	return values
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
	parent.Started, parent.Ended = res.Runs[0].Started, res.Runs[len(res.Runs)-1].Ended
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
