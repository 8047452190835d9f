package trainer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// The test metrics --select can pick a classification sweep's best run by.
const (
	SelectLogLoss  = "log_loss" // the lowest (the default)
	SelectF1       = "f1"       // the highest: binary F1 for two classes, else macro
	SelectAUC      = "auc"      // the highest ROC AUC
	SelectAccuracy = "accuracy" // the highest
)

// better reports whether metrics a beat b by the chosen metric (ties keep
// the earlier run, as a sweep's order).
func better(sel string, a, b ClassMetrics) bool {
	switch sel {
	case SelectF1:
		return a.F1() > b.F1()
	case SelectAUC:
		return a.AUC > b.AUC
	case SelectAccuracy:
		return a.Accuracy > b.Accuracy
	}
	return a.LogLoss < b.LogLoss
}

// labels are a target column's classes: their names in scikit-learn's
// sorted order (numbers by value, false before true, text by code point)
// and each row's class index.
type labels struct {
	names []string
	typ   transforms.Type
	index map[string]int
	col   *featurestore.Series
}

func newLabels(c *featurestore.Series, rows []int) (*labels, error) {
	if c.Type != transforms.Int64 && c.Type != transforms.Bool && c.Type != transforms.String && c.Type != transforms.Float64 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s is a %s column; a classifier needs labels (integers, booleans or text)", c.Name, c.Type)
	}
	l := &labels{typ: c.Type, index: map[string]int{}, col: c}
	type key struct {
		f float64
		s string
	}
	seen := map[string]key{}
	for _, i := range rows {
		name := labelName(c, i)
		if _, ok := seen[name]; !ok {
			k := key{s: name}
			switch c.Type {
			case transforms.Int64:
				k.f = float64(c.I64[i])
			case transforms.Float64:
				k.f = c.F64[i]
			case transforms.Bool:
				if c.Bool[i] {
					k.f = 1
				}
			}
			seen[name] = k
			l.names = append(l.names, name)
		}
	}
	slices.SortFunc(l.names, func(a, b string) int {
		switch c.Type {
		case transforms.String:
			return cmp.Compare(a, b)
		case transforms.Int64:
			x, _ := strconv.ParseInt(a, 10, 64)
			y, _ := strconv.ParseInt(b, 10, 64)
			return cmp.Compare(x, y)
		}
		return cmp.Compare(seen[a].f, seen[b].f)
	})
	for i, n := range l.names {
		l.index[n] = i
	}
	if len(l.names) < 2 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s has %d %s (%v); a classifier needs at least 2", c.Name, len(l.names),
			map[bool]string{true: "class", false: "classes"}[len(l.names) == 1], l.names).
			WithHint("check the target column, or train a regression (drop --task classification)")
	}
	return l, nil
}

// labelName is a row's label as text: what names its proba_ column.
func labelName(c *featurestore.Series, i int) string {
	switch c.Type {
	case transforms.Int64:
		return strconv.FormatInt(c.I64[i], 10)
	case transforms.Float64:
		return strconv.FormatFloat(c.F64[i], 'g', -1, 64)
	case transforms.Bool:
		if c.Bool[i] {
			return "True"
		}
		return "False"
	}
	return c.Str[i]
}

// of returns the class index of each of rows.
func (l *labels) of(rows []int) []int {
	out := make([]int, len(rows))
	for k, i := range rows {
		out[k] = l.index[labelName(l.col, i)]
	}
	return out
}

// trainClassifier fits one logistic regression per (C, l1_ratio) on the
// same split, as scikit-learn's LogisticRegression(solver="saga").
func trainClassifier(ctx context.Context, req Request, data *Data, now time.Time) (*Result, error) {
	var lab *labels
	pr, err := prepare(req, data, func(rows []int) ([]int, []string, error) {
		var err error
		if lab, err = newLabels(data.Table.Lookup(req.Target), rows); err != nil {
			return nil, nil, err
		}
		return lab.of(rows), lab.names, nil
	})
	if err != nil {
		return nil, err
	}
	ytr, yte := takeInts(pr.y, pr.trainIdx), takeInts(pr.y, pr.testIdx)
	if err := allClassesIn(ytr, lab.names); err != nil {
		return nil, err
	}
	Xtr, Xte := takeCols(pr.X, pr.trainIdx), takeCols(pr.X, pr.testIdx)
	res := &Result{}
	cs, l1s := req.Cs, req.L1Ratios
	if len(cs) == 0 {
		cs = []float64{1}
	}
	if len(l1s) == 0 {
		l1s = []float64{0}
	}
	for _, c := range cs {
		for _, l1 := range l1s {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			run, err := fitClassifier(req, data, pr, lab, c, l1, Xtr, Xte, ytr, yte, now)
			if err != nil {
				return nil, err
			}
			res.Runs = append(res.Runs, run)
			if res.Best == nil || better(req.Select, *run.TestClass, *res.Best.TestClass) {
				res.Best = run
			}
		}
	}
	res.sweep()
	return res, nil
}

// allClassesIn refuses a train set missing a class: scikit-learn would fit
// fewer classes than the data has.
func allClassesIn(ytr []int, names []string) error {
	have := make([]bool, len(names))
	for _, c := range ytr {
		have[c] = true
	}
	for c, ok := range have {
		if !ok {
			return featurestore.Errorf(featurestore.EINVALID, "class %s has no row in the train set", names[c]).
				WithHint("add --stratify, so that every class has rows in both sets")
		}
	}
	return nil
}

// fitClassifier fits and evaluates one (C, l1_ratio).
func fitClassifier(req Request, data *Data, pr *prepared, lab *labels, c, l1 float64, Xtr, Xte [][]float64, ytr, yte []int, now time.Time) (*Run, error) {
	params := Logistic{C: c, L1Ratio: l1, MaxIter: req.MaxIter, Tol: req.Tol, Seed: req.Seed}
	if params.MaxIter == 0 {
		params.MaxIter = DefaultLogistic().MaxIter
	}
	if params.Tol == 0 {
		params.Tol = DefaultLogistic().Tol
	}
	if !(c > 0) || math.IsInf(c, 0) {
		return nil, featurestore.Errorf(featurestore.EINVALID, "C must be a positive number, got %v", c).WithHint("give --c a value such as 0.1, 1 or 10")
	}
	if !(l1 >= 0 && l1 <= 1) {
		return nil, featurestore.Errorf(featurestore.EINVALID, "l1_ratio must be between 0 and 1, got %v", l1).WithHint("0 is ridge, 1 is lasso, between is elastic net")
	}
	start := time.Now()
	fit, err := params.Fit(Xtr, ytr, lab.names)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "fit C=%v l1_ratio=%v: %v", c, l1, err).WithHint("scale the features, or change C")
	}
	fit.LabelType = string(lab.typ)
	fitSec := time.Since(start).Seconds()
	start = time.Now()
	predTest, probaTest := fit.Predict(Xte)
	predSec := time.Since(start).Seconds()
	predTrain, probaTrain := fit.Predict(Xtr)
	k := len(lab.names)
	trainM, testM := EvaluateClassifier(ytr, predTrain, probaTrain, k), EvaluateClassifier(yte, predTest, probaTest, k)
	nan := Evaluate(nil, nil)
	run := &Run{Dataset: data.Ref, Features: pr.refs, Target: req.Target, Dtypes: pandasDtypes(pr.features, pr.target),
		Task: TaskClassification, Logistic: &params, Classifier: fit, TrainClass: &trainM, TestClass: &testM, Train: nan, Test: nan,
		Split: pr.split, NullRule: nullRule(req.DropNulls), Dropped: pr.dropped, FitSeconds: fitSec, PredictSeconds: predSec,
		Gate: req.Gate, Created: now.UTC(), FSVersion: featurestore.Version, MLflow: MLflowRef{State: SyncLocal}}
	if !fit.Converged {
		run.Warnings = append(run.Warnings, fmt.Sprintf("C=%v l1_ratio=%v: the max_iter (%d) was reached which means the coef_ did not converge; "+
			"raise --max-iter, or scale the features", c, l1, params.MaxIter))
	}
	run.Gate.CheckClass(testM)
	run.ID = featurestore.Hash([]byte(RunDescriptor(run)))
	return run, nil
}
