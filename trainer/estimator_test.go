package trainer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// toyData is 200 rows of two features, a numeric target and a text label
// that depends on them.
func toyData() *Data {
	const n = 200
	rng := rand.New(rand.NewPCG(1, 2))
	x1, x2 := featurestore.NewSeries("x1", transforms.Float64, n), featurestore.NewSeries("x2", transforms.Float64, n)
	y, label := featurestore.NewSeries("y", transforms.Float64, n), featurestore.NewSeries("label", transforms.String, n)
	for i := range n {
		x1.F64[i], x2.F64[i] = rng.NormFloat64(), rng.NormFloat64()
		y.F64[i] = 2*x1.F64[i] - x2.F64[i] + 0.1*rng.NormFloat64()
		label.Str[i] = map[bool]string{true: "yes", false: "no"}[y.F64[i]+0.5*rng.NormFloat64() > 0]
	}
	id := featurestore.Hash([]byte("toy"))
	return &Data{Table: &featurestore.Table{Series: []*featurestore.Series{x1, x2, y, label}, Rows: n},
		Features: []featurestore.FeatureRef{{Name: "x1", Version: featurestore.Hash([]byte("x1"))}, {Name: "x2", Version: featurestore.Hash([]byte("x2"))}},
		Ref:      DatasetRef{ID: id.String(), FS: true, Rows: n}}
}

// requestFor is a two-by-two sweep of est's task on the toy data.
func requestFor(est Estimator) Request {
	req := Request{Estimator: est.Name(), Target: "y", TestSize: 0.25, Seed: 7, L1Ratios: []float64{0.2, 0.8}}
	if est.Task() == TaskClassification {
		req.Target, req.Cs = "label", []float64{0.1, 10}
	} else {
		req.Alphas = []float64{0.01, 0.1}
	}
	return req
}

// TestEveryEstimatorKeepsTheContract runs each registered estimator
// through what fs does with a run: a sweep, the best by its selector,
// its JSON read back into the same types and values, the same run id on
// refitting from Run.Request, predictions, the metrics its reports and
// gates read, and MLflow's names. A new estimator is checked by adding it
// to the registry.
func TestEveryEstimatorKeepsTheContract(t *testing.T) {
	for _, est := range Estimators() {
		t.Run(est.Name(), func(t *testing.T) {
			req := requestFor(est)
			if err := req.Check(); err != nil {
				t.Fatalf("the request is refused: %v", err)
			}
			res, err := Train(context.Background(), req, toyData(), time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Runs) != 4 || res.Parent == nil || res.Parent.SelectedBy != res.Select.Metric {
				t.Fatalf("a 2x2 sweep gave %d runs, parent %v", len(res.Runs), res.Parent)
			}
			for _, r := range res.Runs {
				if res.Select.better(r.Test, res.Best.Test) {
					t.Errorf("run %s beats the best by %s", r.ID.Short(), res.Select.Metric)
				}
				checkRun(t, est, r)
			}
		})
	}
}

func checkRun(t *testing.T, est Estimator, r *Run) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Run
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("read back: %v", err)
	}
	again, _ := json.Marshal(&back)
	if string(again) != string(b) {
		t.Errorf("JSON round trip changed the run:\n%s\n%s", b, again)
	}
	if back.Estimator != est.Name() || back.Task() != est.Task() || !strings.Contains(string(b), `"task":"`+est.Task()+`"`) {
		t.Errorf("estimator %q task %q", back.Estimator, back.Task())
	}
	refit, err := Train(context.Background(), back.Request(), toyData(), time.Unix(0, 0))
	if err != nil || len(refit.Runs) != 1 || refit.Runs[0].ID != r.ID {
		t.Errorf("Run.Request does not make the run again: %v", err)
	}
	for _, m := range append(r.Test.Metrics(), r.Train.Metrics()...) {
		if v, ok := r.Test.Get(m.Name); !ok || (math.IsNaN(v) && !math.IsNaN(m.Num)) {
			t.Errorf("metric %s is listed but Get does not find it", m.Name)
		}
	}
	cols, err := r.Model.Predict([][]float64{{0.5, -1}, {1, 2}}, "p")
	if err != nil || len(cols) == 0 || cols[0].Name != "p" {
		t.Errorf("predict: %v %v", cols, err)
	}
	if cf := r.Model.Coefficients(); cf != nil && (len(cf.Coef) != len(cf.Columns) || len(cf.Coef[0]) != len(r.Features)) {
		t.Errorf("coefficients: %d columns named %v, %d per column", len(cf.Coef), cf.Columns, len(cf.Coef[0]))
	}
	logged := est.MLflow(r)
	seen := map[string]bool{}
	for _, m := range logged.Metrics {
		if seen[m.Name] {
			t.Errorf("MLflow metric %s logged twice", m.Name)
		}
		seen[m.Name] = true
	}
	if len(logged.Params) == 0 || len(logged.Metrics) == 0 || r.Model.Flavour().Module == "" {
		t.Errorf("MLflow: %d params, %d metrics, flavour %q", len(logged.Params), len(logged.Metrics), r.Model.Flavour().Module)
	}
}

// TestRunIDsAreUnchanged: the run ids of the two first estimators hash
// the descriptor they hashed before estimators had names.
func TestRunIDsAreUnchanged(t *testing.T) {
	id := featurestore.Hash([]byte("v"))
	feats := []featurestore.FeatureRef{{Name: "x", Version: id}}
	split := Split{Kind: "random", TestSize: 0.25, Seed: 3, TrainRows: 9, TestRows: 3}
	reg := &Run{Estimator: "elastic_net", Dataset: DatasetRef{ID: "d"}, Features: feats, Target: "y", Split: split, NullRule: NullRuleDrop,
		Params: &ElasticNet{Alpha: 0.5, L1Ratio: 0.1, MaxIter: 1000, Tol: 1e-4, Solver: "gram"}}
	clf := &Run{Estimator: "logistic_regression", Dataset: DatasetRef{ID: "d"}, Features: feats, Target: "y", Split: split, NullRule: NullRuleError,
		Params: &Logistic{C: 1, L1Ratio: 0, MaxIter: 100, Tol: 1e-4, Seed: 3}}
	f := fmt.Sprintf(`{"format":"fs run v1","dataset":"d","features":[{"name":"x","version":"%s"}],"target":"y",`, id)
	for _, c := range []struct {
		r    *Run
		want string
	}{
		{reg, f + `"params":{"alpha":0.5,"l1_ratio":0.1,"max_iter":1000,"tol":0.0001,"positive":false},` +
			`"split":{"kind":"random","test_size":0.25,"seed":3,"train_rows":0,"test_rows":0},"null_rule":"drop"}`},
		{clf, f + `"split":{"kind":"random","test_size":0.25,"seed":3,"train_rows":0,"test_rows":0},"null_rule":"error",` +
			`"task":"classification","logistic":{"c":1,"l1_ratio":0,"max_iter":100,"tol":0.0001,"random_state":3}}`},
	} {
		if got := RunDescriptor(c.r); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.r.Estimator, got, c.want)
		}
	}
}

// TestOldRunsRead: runs recorded by fs 0.2, a regression and a classifier
// in their own fields, read into the estimators' types.
func TestOldRunsRead(t *testing.T) {
	reg := `{"id":"` + strings.Repeat("ab", 32) + `","target":"y","params":{"alpha":0.5,"l1_ratio":0.1,"max_iter":1000,"tol":0.0001,"positive":false},
		"model":{"coef":[1.5,-2],"intercept":0.25,"n_iter":7,"dual_gap":0,"tol_scaled":0,"converged":true},
		"training":{"mse":1,"rmse":1,"mae":1,"r2":0.5,"rows":9},"testing":{"mse":4,"rmse":2,"mae":1.5,"r2":null,"rows":3}}`
	clf := `{"id":"` + strings.Repeat("cd", 32) + `","target":"y","task":"classification",
		"params":{"alpha":0,"l1_ratio":0,"max_iter":0,"tol":0,"positive":false},"model":null,
		"logistic":{"c":2,"l1_ratio":0.5,"max_iter":100,"tol":0.0001,"random_state":1},
		"classifier":{"classes":["a","b"],"label_type":"string","coef":[[0.5]],"intercept":[0.1],"n_iter":3,"converged":true},
		"training":{"mse":null,"rmse":null,"mae":null,"r2":null,"rows":0},"testing":{"mse":null,"rmse":null,"mae":null,"r2":null,"rows":0},
		"training_classification":{"accuracy":0.75,"macro":{"precision":0,"recall":0,"f1":0},"weighted":{"precision":0,"recall":0,"f1":0},"roc_auc":0.8,"log_loss":0.5,"confusion_matrix":[[1,0],[1,2]],"rows":4},
		"testing_classification":{"accuracy":0.5,"macro":{"precision":0,"recall":0,"f1":0},"weighted":{"precision":0,"recall":0,"f1":0},"roc_auc":0.6,"log_loss":0.7,"confusion_matrix":[[1,1],[0,0]],"rows":2}}`
	var r, c Run
	if err := json.Unmarshal([]byte(reg), &r); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(clf), &c); err != nil {
		t.Fatal(err)
	}
	if p := r.Params.(*ElasticNet); r.Estimator != "elastic_net" || p.Alpha != 0.5 || r.Model.(*Fitted).Coef[1] != -2 {
		t.Errorf("regression: %+v %+v", r.Estimator, p)
	}
	if v, _ := r.Test.Get("r2"); !math.IsNaN(v) {
		t.Errorf("a null R2 reads as %v, want NaN", v)
	}
	if p := c.Params.(*Logistic); c.Estimator != "logistic_regression" || p.C != 2 || p.Seed != 1 {
		t.Errorf("classifier: %s %+v", c.Estimator, p)
	}
	if m := c.Model.(*Classifier); !slices.Equal(m.Classes, []string{"a", "b"}) || m.NIter != 3 {
		t.Errorf("classifier model: %+v", m)
	}
	if v, _ := c.Test.Get("log_loss"); v != 0.7 {
		t.Errorf("the classifier's test log loss reads as %v", v)
	}
	b, _ := json.Marshal(&c)
	for _, gone := range []string{`"logistic"`, `"classifier"`, `"training_classification"`, `"rmse"`, `"alpha"`} {
		if strings.Contains(string(b), gone) {
			t.Errorf("a classifier's JSON still has %s: %s", gone, b)
		}
	}
	if err := json.Unmarshal([]byte(`{"estimator":"forest"}`), &c); err == nil || !strings.Contains(err.Error(), `unknown estimator "forest"`) {
		t.Errorf("a run of an unknown estimator: %v", err)
	}
}

// TestRequestsRefuseTheOtherEstimatorsFlags: a flag an estimator does not
// read is refused, naming it; the estimator is picked by task or name.
func TestRequestsRefuseTheOtherEstimatorsFlags(t *testing.T) {
	one := 1.0
	for _, c := range []struct {
		req  Request
		want string
	}{
		{Request{Target: "y", Cs: []float64{1}}, "--c does not apply to --task regression"},
		{Request{Target: "y", Task: TaskClassification, Alphas: []float64{1}}, "--alpha does not apply to --task classification"},
		{Request{Target: "y", Task: TaskClassification, Gate: Gate{MaxRMSE: &one}}, "--max-rmse does not apply to --task classification"},
		{Request{Target: "y", Stratify: true}, "--stratify does not apply to --task regression"},
		{Request{Target: "y", Estimator: "elastic_net", Task: TaskClassification}, "estimator elastic_net is a regression, not a classification"},
		{Request{Target: "y", Task: "clustering"}, `unknown task "clustering"`},
		{Request{Target: "y", Select: "log_loss"}, `unknown --select "log_loss" for --task regression`},
	} {
		if err := c.req.Check(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.req, err, c.want)
		}
	}
	if e, err := EstimatorFor(Request{Task: TaskClassification}); err != nil || e.Name() != "logistic_regression" {
		t.Errorf("classification picks %v, %v", e, err)
	}
}
