package trainer

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/fs-dev/fs/numeric"
)

// fitBoth fits m by the data path and by the Gram path, and checks that
// they ran the same iterations.
func fitBoth(t *testing.T, m ElasticNet, X [][]float64, y []float64) (*Fitted, *Fitted) {
	t.Helper()
	var fits [2]*Fitted
	for k, solver := range []string{"data", "gram"} {
		m.Solver = solver
		f, err := m.Fit(X, y)
		if err != nil {
			t.Fatal(err)
		}
		fits[k] = f
	}
	fd, fg := fits[0], fits[1]
	if fd.NIter != fg.NIter || fd.Converged != fg.Converged {
		t.Errorf("%+v: data %d iterations (converged %v), gram %d (%v)", m, fd.NIter, fd.Converged, fg.NIter, fg.Converged)
	}
	return fd, fg
}

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
		fd, fg := fitBoth(t, m, X, y)
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

// fitCases are problems with many row blocks, so that the data path's
// sweeps split their rows across processors and skip columns.
var fitCases = []ElasticNet{
	{Alpha: 1, L1Ratio: 0.5, MaxIter: 1000, Tol: 1e-4},
	{Alpha: 0.02, L1Ratio: 0.9, MaxIter: 1000, Tol: 1e-6},
	{Alpha: 0.2, L1Ratio: 1, MaxIter: 1000, Tol: 1e-8, Positive: true},
	{Alpha: 0.5, L1Ratio: 0, MaxIter: 1000, Tol: 1e-4},
	{Alpha: 1e-4, L1Ratio: 0.5, MaxIter: 5, Tol: 1e-4},
}

func wideProblem() ([][]float64, []float64) {
	X, y := benchProblem(5*rowBlock+123, 60)
	for i := range X[7] {
		X[7][i] = X[7][i]*1e3 + 5e4 // a badly scaled column with a large mean
	}
	return X, y
}

func TestDataPathAcrossBlocksAgreesWithGram(t *testing.T) {
	X, y := wideProblem()
	for _, m := range fitCases {
		fd, fg := fitBoth(t, m, X, y)
		scale := 0.0
		for _, v := range fg.Coef {
			scale = math.Max(scale, math.Abs(v))
		}
		for j := range fd.Coef {
			if math.Abs(fd.Coef[j]-fg.Coef[j]) > 1e-10*scale {
				t.Errorf("%+v: coef %d: data %v gram %v", m, j, fd.Coef[j], fg.Coef[j])
			}
		}
	}
}

// The row partition depends on the rows alone: a fit gives the same bits
// on one processor as on several.
func TestFitSameBitsOnAnyNumberOfProcessors(t *testing.T) {
	X, y := wideProblem()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, solver := range []string{"data", "gram"} {
		for _, m := range fitCases {
			m.Solver = solver
			var want *Fitted
			for _, procs := range []int{1, 2, 3, 5} {
				runtime.GOMAXPROCS(procs)
				f, err := m.Fit(X, y)
				if err != nil {
					t.Fatal(err)
				}
				if want == nil {
					want = f
					continue
				}
				if f.NIter != want.NIter || f.Intercept != want.Intercept || !slices.Equal(f.Coef, want.Coef) {
					t.Errorf("%s %+v: %d processors: %d iterations, intercept %v; 1 processor: %d, %v",
						solver, m, procs, f.NIter, f.Intercept, want.NIter, want.Intercept)
				}
			}
		}
	}
}

// Skipping the columns whose coefficient is sure to stay at zero changes
// no bit of the result, and happens.
func TestSkippingUnchangedColumnsChangesNothing(t *testing.T) {
	defer func() { skipUnchanged = true }()
	skipped := 0
	X, y := wideProblem()
	cX, cy := correlatedProblem()
	for _, c := range append(problemCases(X, y), problemCases(cX, cy)...) {
		X, y, m := c.X, c.y, c.m
		n := len(y)
		yc := make([]float64, n)
		for i := range y {
			yc[i] = y[i] - numeric.PairwiseSum(y)/float64(n)
		}
		var fits [2][]float64
		var iters [2]int
		for k, skip := range []bool{false, true} {
			skipUnchanged = skip
			d, _ := newDataProblem(X, yc)
			w := make([]float64, len(X))
			_, _, iters[k], _ = coordinateDescent(d, w, m.Alpha*m.L1Ratio*float64(n), m.Alpha*(1-m.L1Ratio)*float64(n), m.MaxIter, m.Tol, m.Positive)
			for j := range w {
				if w[j] == 0 {
					w[j] = 0
				}
			}
			fits[k] = w
			if skip {
				skipped += d.skipped
			}
		}
		if iters[0] != iters[1] || !slices.Equal(fits[0], fits[1]) {
			t.Errorf("%+v: without skipping %d iterations %v; with %d %v", m, iters[0], fits[0], iters[1], fits[1])
		}
	}
	if skipped == 0 {
		t.Error("no column was skipped")
	}
	t.Logf("%d column reads skipped", skipped)
}

func TestFitRefusesEmptyInput(t *testing.T) {
	if _, err := DefaultElasticNet().Fit(nil, []float64{1, 2, 3}); err == nil || err.Error() != "no features to fit" {
		t.Errorf("no features: %v", err)
	}
	if _, err := DefaultElasticNet().Fit([][]float64{{}}, nil); err == nil || err.Error() != "no rows to fit" {
		t.Errorf("no rows: %v", err)
	}
}

type problemCase struct {
	X [][]float64
	y []float64
	m ElasticNet
}

func problemCases(X [][]float64, y []float64) []problemCase {
	var out []problemCase
	for _, m := range fitCases {
		out = append(out, problemCase{X, y, m})
	}
	return out
}

// correlatedProblem has groups of nearly equal columns (a shared base plus
// 1% noise), the hard case for coordinate descent and for the skip bound.
func correlatedProblem() ([][]float64, []float64) {
	X, y := benchProblem(3*rowBlock+7, 40)
	for j := range X {
		if j%4 != 0 {
			base := X[j-j%4]
			for i := range X[j] {
				X[j][i] = base[i] + 0.01*X[j][i]
			}
		}
	}
	return X, y
}
