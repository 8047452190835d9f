package trainer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// logisticRegression is elastic-net logistic regression as scikit-learn's
// LogisticRegression(solver="saga"): its parameters are Logistic, its
// model Classifier, its scores ClassMetrics.
type logisticRegression struct{}

// The test metrics --select can pick a classification sweep's best run by.
const (
	SelectLogLoss  = "log_loss" // the lowest (the default)
	SelectF1       = "f1"       // the highest: binary F1 for two classes, else macro
	SelectAUC      = "auc"      // the highest ROC AUC
	SelectAccuracy = "accuracy" // the highest
)

func (logisticRegression) Name() string  { return "logistic_regression" }
func (logisticRegression) Task() string  { return TaskClassification }
func (logisticRegression) Title() string { return "logistic regression (SAGA)" }

func (logisticRegression) Uses() []string {
	return []string{"c", "stratify", "min-accuracy", "min-f1", "min-auc", "max-log-loss"}
}

func (logisticRegression) New() Parts {
	return Parts{Params: &Logistic{}, Model: &Classifier{}, Train: &ClassMetrics{}, Test: &ClassMetrics{}}
}

// Grid is one Logistic per (C, l1_ratio), scikit-learn's defaults for what
// is not given (C 1, l1_ratio 0, max_iter 100, tol 1e-4), the split's seed
// as random_state.
func (logisticRegression) Grid(req Request) ([]Params, error) {
	def := DefaultLogistic()
	return grid(orDefault(req.Cs, def.C), orDefault(req.L1Ratios, def.L1Ratio), func(c, l1 float64) (Params, error) {
		if !(c > 0) || math.IsInf(c, 0) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "C must be a positive number, got %v", c).WithHint("give --c a value such as 0.1, 1 or 10")
		}
		if !(l1 >= 0 && l1 <= 1) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "l1_ratio must be between 0 and 1, got %v", l1).WithHint("0 is ridge, 1 is lasso, between is elastic net")
		}
		return &Logistic{C: c, L1Ratio: l1, MaxIter: cmp.Or(req.MaxIter, def.MaxIter), Tol: cmp.Or(req.Tol, def.Tol), Seed: req.Seed}, nil
	})
}

// Select is the lowest test log loss by default; the highest F1, ROC AUC
// or accuracy on request.
func (logisticRegression) Select(req Request) (Selector, error) {
	switch req.Select {
	case "", SelectLogLoss:
		return Selector{Metric: SelectLogLoss, Lower: true}, nil
	case SelectF1, SelectAUC, SelectAccuracy:
		return Selector{Metric: req.Select}, nil
	}
	return Selector{}, featurestore.Errorf(featurestore.EINVALID, "unknown --select %q for --task classification", req.Select).
		WithHint("use log_loss (the default), f1, auc or accuracy")
}

// Target reads the labels in scikit-learn's sorted order.
func (logisticRegression) Target(c *featurestore.Series, rows []int) (*Target, error) {
	lab, err := newLabels(c, rows)
	if err != nil {
		return nil, err
	}
	return &Target{Class: lab.of(rows), Classes: lab.names, Type: c.Type}, nil
}

func (logisticRegression) Fit(_ context.Context, params Params, s *Sets) (*Fit, error) {
	p := params.(*Logistic)
	if err := allClassesIn(s.Ytrain.Class, s.Ytrain.Classes); err != nil {
		return nil, err
	}
	start := time.Now()
	m, err := p.Fit(s.Xtrain, s.Ytrain.Class, s.Ytrain.Classes)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "fit C=%v l1_ratio=%v: %v", p.C, p.L1Ratio, err).WithHint("scale the features, or change C")
	}
	m.LabelType = string(s.Ytrain.Type)
	f := &Fit{Model: m, FitSeconds: time.Since(start).Seconds()}
	start = time.Now()
	predTest, probaTest := m.predictClasses(s.Xtest)
	f.PredictSeconds = time.Since(start).Seconds()
	predTrain, probaTrain := m.predictClasses(s.Xtrain)
	k := len(m.Classes)
	train, test := EvaluateClassifier(s.Ytrain.Class, predTrain, probaTrain, k), EvaluateClassifier(s.Ytest.Class, predTest, probaTest, k)
	f.Train, f.Test = &train, &test
	if !m.Converged {
		f.Warnings = append(f.Warnings, fmt.Sprintf("C=%v l1_ratio=%v: the max_iter (%d) was reached which means the coef_ did not converge; "+
			"raise --max-iter, or scale the features", p.C, p.L1Ratio, p.MaxIter))
	}
	return f, nil
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

// MLflow logs the parameters mlflow.sklearn.autolog() logs for this
// LogisticRegression (sklearn 1.9's get_params()), the metrics under
// autologging's names (precision, recall and F1 weighted, ROC AUC binary
// or one-vs-one weighted) with fs's own (binary or macro F1, one-vs-rest
// macro AUC), and the test confusion matrix as JSON and SVG.
func (logisticRegression) MLflow(r *Run) Logged {
	p, fit := r.Params.(*Logistic), r.Model.(*Classifier)
	l := Logged{Params: [][2]string{
		{"C", PythonFloat(p.C)}, {"l1_ratio", PythonFloat(p.L1Ratio)}, {"max_iter", strconv.Itoa(p.MaxIter)}, {"tol", PythonFloat(p.Tol)},
		{"random_state", strconv.FormatUint(uint64(p.Seed), 10)}, {"solver", "saga"}, {"penalty", "deprecated"},
		{"fit_intercept", "True"}, {"intercept_scaling", "1"}, {"class_weight", "None"}, {"dual", "False"},
		{"warm_start", "False"}, {"verbose", "0"}, {"n_jobs", "None"},
		{"task", TaskClassification}, {"stratify", pythonBool(r.Split.Stratify)},
	}}
	train, test := r.Train.(*ClassMetrics), r.Test.(*ClassMetrics)
	for _, set := range []struct {
		prefix string
		m      *ClassMetrics
	}{{"training_", train}, {"testing_", test}} {
		l.Metrics = append(l.Metrics, set.m.autologged(set.prefix)...)
	}
	l.Metrics = append(l.Metrics, Value{Name: "training_score", Num: train.Accuracy}) // a classifier's score() is accuracy
	l.Artifacts = map[string][]byte{"confusion_matrix.json": confusionJSON(fit.Classes, test.Confusion),
		"confusion_matrix.svg": confusionSVG(fit.Classes, test.Confusion)}
	return l
}

// autologged are the metrics under the names MLflow autologging gives them.
func (m *ClassMetrics) autologged(prefix string) []Value {
	out := []Value{{Name: prefix + "accuracy_score", Num: m.Accuracy}, {Name: prefix + "precision_score", Num: m.Weighted.Precision},
		{Name: prefix + "recall_score", Num: m.Weighted.Recall}, {Name: prefix + "f1_score", Num: m.Weighted.F1},
		{Name: prefix + "log_loss", Num: m.LogLoss}}
	if m.Binary != nil {
		return append(out, Value{Name: prefix + "roc_auc", Num: m.AUC}, Value{Name: prefix + "f1_binary", Num: m.Binary.F1},
			Value{Name: prefix + "precision_binary", Num: m.Binary.Precision}, Value{Name: prefix + "recall_binary", Num: m.Binary.Recall})
	}
	return append(out, Value{Name: prefix + "roc_auc", Num: m.AUCOvO}, Value{Name: prefix + "roc_auc_ovr_macro", Num: m.AUC},
		Value{Name: prefix + "f1_macro", Num: m.Macro.F1})
}

// Show: C, l1_ratio, max_iter, tol, solver saga.
func (p *Logistic) Show() []Value {
	return []Value{{Name: "C", Num: p.C}, {Name: "l1_ratio", Num: p.L1Ratio}, {Name: "max_iter", Num: float64(p.MaxIter)},
		{Name: "tol", Num: p.Tol}, {Name: "solver", Text: "saga"}}
}

// Swept: C and l1_ratio.
func (p *Logistic) Swept() []Value {
	return []Value{{Name: "C", Num: p.C}, {Name: "l1_ratio", Num: p.L1Ratio}}
}

func (p *Logistic) Ask(req *Request) {
	req.Task, req.Cs, req.L1Ratios, req.MaxIter, req.Tol = TaskClassification, []float64{p.C}, []float64{p.L1Ratio}, p.MaxIter, p.Tol
}

// Predict is the predicted label (typed as the target was) and one
// proba_<class> column per class.
func (c *Classifier) Predict(X [][]float64, column string) ([]*featurestore.Series, error) {
	return classify(c, X, column)
}

// Coefficients: one column for two classes (the larger label's), else one
// per class.
func (c *Classifier) Coefficients() *Coefficients {
	cols := []string{""}
	if len(c.Coef) > 1 {
		cols = c.Classes
	}
	return &Coefficients{Columns: cols, Coef: c.Coef, Intercept: c.Intercept}
}

func (c *Classifier) Effort() (int, string) { return c.NIter, "epoch" }

func (c *Classifier) Details() []Value {
	return []Value{{Name: "classes", Text: strings.Join(c.Classes, ", ")}}
}

// Flavour is fs_logistic: predict gives labels, params={"predict_method":
// "predict_proba"} the class probabilities.
func (c *Classifier) Flavour() Flavour {
	return Flavour{Module: "fs_logistic", Format: "fs-logistic-v1",
		Fields:  map[string]any{"classes": c.Classes, "label_type": c.LabelType, "coef": c.Coef, "intercept": c.Intercept, "n_iter": c.NIter},
		Outputs: fmt.Sprintf(`[{"type": "%s", "required": true}]`, mlflowLabelType(c.LabelType)),
		Params:  `'[{"name": "predict_method", "default": "predict", "shape": null, "type": "string"}]'`}
}

// mlflowLabelType is the MLflow type of a classifier's predicted labels.
func mlflowLabelType(labelType string) string {
	switch labelType {
	case "int64":
		return "long"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	}
	return "double"
}

// Metrics: log_loss, accuracy, then precision, recall, f1 and roc_auc for
// two classes, or f1_macro, f1_weighted and roc_auc_ovr for more.
func (m *ClassMetrics) Metrics() []Value {
	out := []Value{{Name: "log_loss", Num: m.LogLoss}, {Name: "accuracy", Num: m.Accuracy}}
	if m.Binary != nil {
		return append(out, Value{Name: "precision", Num: m.Binary.Precision}, Value{Name: "recall", Num: m.Binary.Recall},
			Value{Name: "f1", Num: m.Binary.F1}, Value{Name: "roc_auc", Num: m.AUC})
	}
	return append(out, Value{Name: "f1_macro", Num: m.Macro.F1}, Value{Name: "f1_weighted", Num: m.Weighted.F1},
		Value{Name: "roc_auc_ovr", Num: m.AUC})
}

func (m *ClassMetrics) Get(name string) (float64, bool) {
	prf := m.Macro
	if m.Binary != nil {
		prf = *m.Binary
	}
	switch name {
	case "log_loss":
		return m.LogLoss, true
	case "accuracy":
		return m.Accuracy, true
	case "f1":
		return m.F1(), true
	case "precision":
		return prf.Precision, true
	case "recall":
		return prf.Recall, true
	case "auc", "roc_auc", "roc_auc_ovr":
		return m.AUC, true
	case "roc_auc_ovo_weighted":
		return m.AUCOvO, true
	case "f1_macro":
		return m.Macro.F1, true
	case "f1_weighted":
		return m.Weighted.F1, true
	}
	return math.NaN(), false
}

// Tables: the confusion matrix.
func (m *ClassMetrics) Tables(model Model) []Table {
	c, ok := model.(*Classifier)
	if !ok || len(c.Classes) != len(m.Confusion) {
		return nil
	}
	t := Table{Title: "confusion matrix", Head: append([]string{`true \ predicted`}, c.Classes...)}
	for i, counts := range m.Confusion {
		row := []string{c.Classes[i]}
		for _, n := range counts {
			row = append(row, strconv.Itoa(n))
		}
		t.Rows = append(t.Rows, row)
	}
	return []Table{t}
}

// confusionJSON is a confusion matrix as a JSON document: its classes in
// order, and the counts [true][predicted].
func confusionJSON(classes []string, m [][]int) []byte {
	b, _ := json.MarshalIndent(map[string]any{"classes": classes, "matrix": m,
		"rows": "true class", "columns": "predicted class", "set": "test"}, "", "  ")
	return append(b, '\n')
}
