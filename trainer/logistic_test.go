package trainer

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// At SAGA's optimum of a ridge-penalised logistic regression the gradient
// of C·Σ loss + ½||w||² is zero: C·Σ(pᵢ - yᵢ)·xᵢⱼ + wⱼ = 0 for every
// column, and Σ(pᵢ - yᵢ) = 0 for the unpenalised intercept. A check of the
// fit that does not lean on scikit-learn.
func TestSagaReachesTheOptimum(t *testing.T) {
	X, yf := benchProblem(400, 5)
	y := make([]int, len(yf))
	for i, v := range yf {
		if v+0.5*rand.New(rand.NewPCG(uint64(i), 1)).NormFloat64() > 0 {
			y[i] = 1
		}
	}
	for _, k := range []int{2, 3} {
		classes := []string{"a", "b", "c"}[:k]
		yk := slices.Clone(y)
		if k == 3 {
			for i := range yk {
				if X[0][i] > 0.8 {
					yk[i] = 2
				}
			}
		}
		m := Logistic{C: 0.7, L1Ratio: 0, MaxIter: 20000, Tol: 1e-12, Seed: 3}
		fit, err := m.Fit(X, yk, classes)
		if err != nil {
			t.Fatal(err)
		}
		if !fit.Converged {
			t.Fatalf("%d classes: no convergence in %d epochs", k, fit.NIter)
		}
		_, proba := fit.predictClasses(X)
		for r := range fit.Coef {
			class := r
			if k == 2 {
				class = 1 // one row of weights: the larger label's
			}
			gb := 0.0
			for i := range yk {
				gb += proba[i][class] - b2f(yk[i] == class)
			}
			if math.Abs(gb) > 1e-6 {
				t.Errorf("%d classes, row %d: the intercept's gradient is %g", k, r, gb)
			}
			for j := range X {
				g := 0.0
				for i := range yk {
					g += (proba[i][class] - b2f(yk[i] == class)) * X[j][i]
				}
				if d := m.C*g + fit.Coef[r][j]; math.Abs(d) > 1e-6 {
					t.Errorf("%d classes, row %d, column %d: the gradient is %g", k, r, j, d)
				}
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// An L1 penalty strong enough zeroes every coefficient; the intercept
// alone then gives the class shares.
func TestSagaL1ZeroesCoefficients(t *testing.T) {
	X, yf := benchProblem(300, 4)
	y := make([]int, len(yf))
	for i, v := range yf {
		if v > 0 {
			y[i] = 1
		}
	}
	fit, err := Logistic{C: 1e-4, L1Ratio: 1, MaxIter: 1000, Tol: 1e-8, Seed: 1}.Fit(X, y, []string{"0", "1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fit.Coef[0] {
		if c != 0 {
			t.Errorf("coefficients %v, want all zero", fit.Coef[0])
			break
		}
	}
}

// The stratified split keeps each class's share on both sides, uses every
// row once, and refuses a class of one row.
func TestStratifiedSplit(t *testing.T) {
	y := make([]int, 1000)
	for i := range y {
		switch {
		case i%10 == 0:
			y[i] = 2 // 10%
		case i%3 == 0:
			y[i] = 1
		}
	}
	train, test, err := StratifiedSplit(y, []string{"a", "b", "c"}, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(train), test...)
	slices.Sort(all)
	for i, r := range all {
		if r != i {
			t.Fatalf("rows used %v..., want each of 0..999 once", all[:i+1])
		}
	}
	count := func(rows []int, c int) (n int) {
		for _, r := range rows {
			if y[r] == c {
				n++
			}
		}
		return n
	}
	for c := 0; c < 3; c++ {
		total := count(all, c)
		if got, want := float64(count(test, c)), 0.2*float64(total); math.Abs(got-want) > 1 {
			t.Errorf("class %d: %v test rows, want about %v", c, got, want)
		}
	}
	if _, _, err := StratifiedSplit([]int{0, 0, 0, 1}, []string{"no", "yes"}, 0.5, 1); err == nil || !strings.Contains(err.Error(), "class yes has 1 row") {
		t.Errorf("a class of one row: %v", err)
	}
}

// Labels sort as scikit-learn's classes_: numbers by value, text by code
// point, false before true.
func TestLabelOrder(t *testing.T) {
	ints := &featurestore.Series{Name: "y", Type: transforms.Int64, I64: []int64{10, 9, -1, 9}}
	strs := &featurestore.Series{Name: "y", Type: transforms.String, Str: []string{"b", "B", "a", "é"}}
	bools := &featurestore.Series{Name: "y", Type: transforms.Bool, Bool: []bool{true, false}}
	for _, c := range []struct {
		s    *featurestore.Series
		want []string
	}{{ints, []string{"-1", "9", "10"}}, {strs, []string{"B", "a", "b", "é"}}, {bools, []string{"False", "True"}}} {
		rows := make([]int, max(len(c.s.I64), len(c.s.Str), len(c.s.Bool)))
		for i := range rows {
			rows[i] = i
		}
		l, err := newLabels(c.s, rows)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.names, c.want) {
			t.Errorf("%s labels in order %v, want %v", c.s.Type, l.names, c.want)
		}
	}
}

// Metrics' edge cases: one class in the rows leaves the AUC undefined
// (null in JSON, as fs writes NaN), a class never predicted scores 0.
func TestClassMetricsEdgeCases(t *testing.T) {
	m := EvaluateClassifier([]int{0, 0, 0}, []int{0, 1, 0}, [][]float64{{0.9, 0.1}, {0.4, 0.6}, {0.8, 0.2}}, 2)
	if !math.IsNaN(m.AUC) || m.Accuracy != 2.0/3 || m.Binary.Precision != 0 || m.Confusion[0][1] != 1 {
		t.Errorf("one class: %+v", m)
	}
	b, err := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"roc_auc":null`) {
		t.Errorf("JSON %s, %v", b, err)
	}
	var back ClassMetrics
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.AUC) || back.LogLoss != m.LogLoss {
		t.Errorf("read back %+v, %v", back, err)
	}
	perfect := EvaluateClassifier([]int{0, 1, 2}, []int{0, 1, 2}, [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 3)
	if perfect.Macro.F1 != 1 || perfect.AUC != 1 || perfect.AUCOvO != 1 || perfect.LogLoss > 1e-15 {
		t.Errorf("perfect: %+v", perfect)
	}
}

// The quality gate judges a classifier by its test metrics.
func TestGateCheckClass(t *testing.T) {
	acc, ll := 0.9, 0.3
	g := Gate{MinAccuracy: &acc, MaxLogLoss: &ll}
	g.Check(&ClassMetrics{Accuracy: 0.95, LogLoss: 0.4, AUC: math.NaN()})
	if g.Passed || len(g.Failed) != 1 || !strings.HasPrefix(g.Failed[0], "log_loss 0.4 > 0.3") {
		t.Errorf("%+v", g)
	}
	auc := 0.5
	g = Gate{MinAUC: &auc}
	g.Check(&ClassMetrics{AUC: math.NaN()})
	if g.Passed {
		t.Error("an undefined AUC passed a minimum")
	}
}
