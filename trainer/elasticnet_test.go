package trainer

import (
	"math"
	"testing"
)

// The Gram path and the data path compute the same iterates: same
// iteration counts, coefficients equal to rounding.
func TestGramAndDataPathsAgree(t *testing.T) {
	X, y := benchProblem(3000, 15)
	X[4] = make([]float64, 3000) // a constant column
	for _, m := range []ElasticNet{
		{Alpha: 0.1, L1Ratio: 0.5, MaxIter: 1000, Tol: 1e-4},
		{Alpha: 0.01, L1Ratio: 1, MaxIter: 1000, Tol: 1e-8},
		{Alpha: 0.3, L1Ratio: 0, MaxIter: 1000, Tol: 1e-4},
		{Alpha: 0.05, L1Ratio: 0.5, MaxIter: 1000, Tol: 1e-4, Positive: true},
		{Alpha: 0.0001, L1Ratio: 0.5, MaxIter: 2, Tol: 1e-4},
	} {
		d, g := m, m
		d.Solver, g.Solver = "data", "gram"
		fd, err := d.Fit(X, y)
		if err != nil {
			t.Fatal(err)
		}
		fg, err := g.Fit(X, y)
		if err != nil {
			t.Fatal(err)
		}
		if fd.NIter != fg.NIter || fd.Converged != fg.Converged {
			t.Errorf("%+v: data %d iterations (converged %v), gram %d (%v)", m, fd.NIter, fd.Converged, fg.NIter, fg.Converged)
		}
		for j := range fd.Coef {
			if math.Abs(fd.Coef[j]-fg.Coef[j]) > 1e-10*(1+math.Abs(fd.Coef[j])) {
				t.Errorf("%+v: coef %d: data %v gram %v", m, j, fd.Coef[j], fg.Coef[j])
			}
		}
		if fd.Coef[4] != 0 || fg.Coef[4] != 0 {
			t.Error("a constant column got a coefficient")
		}
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	m := Evaluate([]float64{1}, []float64{2})
	if !math.IsNaN(m.R2) || m.MSE != 1 || m.MAE != 1 {
		t.Errorf("one row: %+v", m)
	}
	if m := Evaluate([]float64{2, 2}, []float64{2, 2}); m.R2 != 1 {
		t.Errorf("perfect constant: r2 %v, want 1", m.R2)
	}
	if m := Evaluate([]float64{2, 2}, []float64{1, 2}); m.R2 != 0 {
		t.Errorf("imperfect constant: r2 %v, want 0", m.R2)
	}
}
