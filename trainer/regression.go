package trainer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// elasticNet is Elastic Net regression: its parameters are ElasticNet,
// its model Fitted, its scores Metrics.
type elasticNet struct{}

func (elasticNet) Name() string  { return "elastic_net" }
func (elasticNet) Task() string  { return TaskRegression }
func (elasticNet) Title() string { return "Elastic Net regression" }

func (elasticNet) Uses() []string {
	return []string{"alpha", "positive", "max-rmse", "max-mae", "min-r2"}
}

func (elasticNet) New() Parts {
	return Parts{Params: &ElasticNet{}, Model: &Fitted{}, Train: &Metrics{}, Test: &Metrics{}}
}

// Grid is one ElasticNet per (alpha, l1_ratio), scikit-learn's defaults
// for what is not given (alpha 1, l1_ratio 0.5, max_iter 1000, tol 1e-4).
func (elasticNet) Grid(req Request) ([]Params, error) {
	def := DefaultElasticNet()
	return grid(orDefault(req.Alphas, def.Alpha), orDefault(req.L1Ratios, def.L1Ratio), func(a, l1 float64) (Params, error) {
		if !(a >= 0) || !(l1 >= 0 && l1 <= 1) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "invalid alpha %v or l1_ratio %v", a, l1).
				WithHint("alpha >= 0 and 0 <= l1_ratio <= 1")
		}
		return &ElasticNet{Alpha: a, L1Ratio: l1, MaxIter: cmp.Or(req.MaxIter, def.MaxIter), Tol: cmp.Or(req.Tol, def.Tol),
			Positive: req.Positive, Solver: req.Solver}, nil
	})
}

// Select is the lowest test RMSE by default; mae and mse (lowest) or r2
// (highest) on request.
func (elasticNet) Select(req Request) (Selector, error) {
	switch req.Select {
	case "", "rmse", "mae", "mse":
		return Selector{Metric: cmp.Or(req.Select, "rmse"), Lower: true}, nil
	case "r2":
		return Selector{Metric: "r2"}, nil
	}
	return Selector{}, featurestore.Errorf(featurestore.EINVALID, "unknown --select %q for --task regression", req.Select).
		WithHint("use rmse (the default), mae, mse or r2")
}

func (elasticNet) Target(c *featurestore.Series, rows []int) (*Target, error) {
	if c.Type != transforms.Float64 && c.Type != transforms.Int64 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s is a %s column; Elastic Net regression needs a numeric target",
			c.Name, c.Type).
			WithHint("a label is a classification target: add --task classification")
	}
	return &Target{Y: gatherFloat(c, rows), Type: c.Type}, nil
}

func (elasticNet) Fit(_ context.Context, params Params, s *Sets) (*Fit, error) {
	p := params.(*ElasticNet)
	start := time.Now()
	m, err := p.Fit(s.Xtrain, s.Ytrain.Y)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "fit alpha=%v l1_ratio=%v: %v", p.Alpha, p.L1Ratio, err)
	}
	f := &Fit{Model: m, FitSeconds: time.Since(start).Seconds()}
	start = time.Now()
	predTest := m.predict(s.Xtest)
	f.PredictSeconds = time.Since(start).Seconds()
	train, test := Evaluate(s.Ytrain.Y, m.predict(s.Xtrain)), Evaluate(s.Ytest.Y, predTest)
	f.Train, f.Test = &train, &test
	if !m.Converged {
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"alpha=%v l1_ratio=%v did not converge in %d iterations: duality gap %.6e, tolerance %.3e; "+
				"raise --max-iter or --tol, or scale the features", p.Alpha, p.L1Ratio, m.NIter, m.DualGap, m.TolScaled))
	}
	if note := constantNote(s.Ytest.Y, test.R2); note != "" {
		f.Warnings = append(f.Warnings, note)
	}
	return f, nil
}

// MLflow logs the parameters mlflow.sklearn.autolog() logs for this
// ElasticNet (get_params()), its training metrics under autologging's
// names and the test metrics as the proof of concept's notebook logs them.
func (elasticNet) MLflow(r *Run) Logged {
	p := r.Params.(*ElasticNet)
	l := Logged{Params: [][2]string{
		{"alpha", PythonFloat(p.Alpha)}, {"l1_ratio", PythonFloat(p.L1Ratio)}, {"max_iter", strconv.Itoa(p.MaxIter)},
		{"tol", PythonFloat(p.Tol)}, {"positive", pythonBool(p.Positive)},
		{"fit_intercept", "True"}, {"copy_X", "True"}, {"precompute", "False"}, {"selection", "cyclic"},
		{"warm_start", "False"}, {"random_state", "None"},
	}}
	train, test := metricsOf(r.Train), metricsOf(r.Test)
	l.Metrics = []Value{
		{Name: "training_mean_squared_error", Num: train.MSE}, {Name: "training_root_mean_squared_error", Num: train.RMSE},
		{Name: "training_mean_absolute_error", Num: train.MAE}, {Name: "training_r2_score", Num: train.R2},
		{Name: "training_score", Num: train.R2}, // a regressor's score() is R2
		{Name: "testing_mse", Num: test.MSE}, {Name: "testing_rmse", Num: test.RMSE},
		{Name: "testing_mae", Num: test.MAE}, {Name: "testing_r2", Num: test.R2},
	}
	return l
}

func metricsOf(s Scores) *Metrics {
	if m, ok := s.(*Metrics); ok {
		return m
	}
	m := Evaluate(nil, nil)
	return &m
}

// Show: alpha, l1_ratio, max_iter, tol, positive.
func (p *ElasticNet) Show() []Value {
	return []Value{{Name: "alpha", Num: p.Alpha}, {Name: "l1_ratio", Num: p.L1Ratio}, {Name: "max_iter", Num: float64(p.MaxIter)},
		{Name: "tol", Num: p.Tol}, {Name: "positive", Text: strconv.FormatBool(p.Positive)}}
}

// Swept: alpha and l1_ratio.
func (p *ElasticNet) Swept() []Value {
	return []Value{{Name: "alpha", Num: p.Alpha}, {Name: "l1_ratio", Num: p.L1Ratio}}
}

func (p *ElasticNet) Ask(req *Request) {
	req.Alphas, req.L1Ratios, req.MaxIter, req.Tol, req.Positive = []float64{p.Alpha}, []float64{p.L1Ratio}, p.MaxIter, p.Tol, p.Positive
}

// Predict is one float64 column, X·coef + intercept.
func (f *Fitted) Predict(X [][]float64, column string) ([]*featurestore.Series, error) {
	pred := f.predict(X)
	s := featurestore.NewSeries(column, transforms.Float64, len(pred))
	copy(s.F64, pred)
	return []*featurestore.Series{s}, nil
}

func (f *Fitted) Coefficients() *Coefficients {
	return &Coefficients{Columns: []string{""}, Coef: [][]float64{f.Coef}, Intercept: []float64{f.Intercept}}
}

func (f *Fitted) Effort() (int, string) { return f.NIter, "iteration" }
func (f *Fitted) Details() []Value      { return nil }

// Flavour is fs_elasticnet: data/model.json holds the coefficients and
// intercept, the prediction is one double.
func (f *Fitted) Flavour() Flavour {
	return Flavour{Module: "fs_elasticnet", Format: "fs-elasticnet-v1",
		Fields:  map[string]any{"coef": f.Coef, "intercept": f.Intercept, "n_iter": f.NIter, "dual_gap": f.DualGap},
		Outputs: `[{"type": "double", "required": true}]`, Params: "null"}
}

// Metrics: rmse, mae, r2, mse.
func (m *Metrics) Metrics() []Value {
	return []Value{{Name: "rmse", Num: m.RMSE}, {Name: "mae", Num: m.MAE}, {Name: "r2", Num: m.R2}, {Name: "mse", Num: m.MSE}}
}

func (m *Metrics) Get(name string) (float64, bool) {
	switch name {
	case "rmse":
		return m.RMSE, true
	case "mae":
		return m.MAE, true
	case "r2":
		return m.R2, true
	case "mse":
		return m.MSE, true
	}
	return math.NaN(), false
}

func (m *Metrics) Tables(Model) []Table { return nil }
