package trainer

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/floats"

	"github.com/fs-dev/fs/numeric"
)

// ElasticNet holds scikit-learn's ElasticNet parameters (fit_intercept=True,
// precompute=False, selection='cyclic', warm_start=False).
type ElasticNet struct {
	Alpha    float64 `json:"alpha"`
	L1Ratio  float64 `json:"l1_ratio"`
	MaxIter  int     `json:"max_iter"`
	Tol      float64 `json:"tol"`
	Positive bool    `json:"positive"`
	// Solver is "" or "auto" (the Gram matrix when rows far outnumber
	// columns), "data" or "gram". Both compute the same iterates as
	// scikit-learn's data path in exact arithmetic; it is not part of a
	// run's identity.
	Solver string `json:"-"`
}

// useGram picks the Gram path when its one pass over X (n·p²/2 products on
// cache-resident blocks) beats the data path's passes over X per iteration.
func (m ElasticNet) useGram(n, p int) bool {
	switch m.Solver {
	case "gram":
		return true
	case "data":
		return false
	}
	return p <= 32 && n >= 64*p
}

// DefaultElasticNet has scikit-learn's defaults.
func DefaultElasticNet() ElasticNet {
	return ElasticNet{Alpha: 1.0, L1Ratio: 0.5, MaxIter: 1000, Tol: 1e-4}
}

// Fitted is a fitted model and how the fit went.
type Fitted struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	NIter     int       `json:"n_iter"`
	DualGap   float64   `json:"dual_gap"`
	TolScaled float64   `json:"tol_scaled"` // tol·||y - mean(y)||²
	Converged bool      `json:"converged"`
}

// predict returns X·coef + intercept for column-major X.
func (f *Fitted) predict(cols [][]float64) []float64 {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	out := make([]float64, n)
	// Row by row, features in order, each product rounded before it is
	// added (float64() keeps Go from fusing them on machines with FMA, so
	// every machine gives the same bits, and the model's Python loader
	// reproduces them), then the intercept.
	for i := range out {
		var s float64
		for j, c := range cols {
			s += float64(c[i] * f.Coef[j])
		}
		out[i] = s + f.Intercept
	}
	return out
}

// Fit fits the model on column-major X (cols[j] is feature j, all of the
// same length) and y. X and y are not modified.
func (m ElasticNet) Fit(cols [][]float64, y []float64) (*Fitted, error) {
	p := len(cols)
	n := len(y)
	if n == 0 {
		return nil, fmt.Errorf("no rows to fit")
	}
	if p == 0 {
		return nil, fmt.Errorf("no features to fit")
	}
	for j := range cols {
		if len(cols[j]) != n {
			return nil, fmt.Errorf("feature %d has %d rows, the target %d", j, len(cols[j]), n)
		}
	}
	if m.Alpha < 0 || m.L1Ratio < 0 || m.L1Ratio > 1 || m.MaxIter < 1 || m.Tol < 0 {
		return nil, fmt.Errorf("invalid parameters: alpha %v, l1_ratio %v, max_iter %d, tol %v", m.Alpha, m.L1Ratio, m.MaxIter, m.Tol)
	}
	// fit_intercept=True: the solvers work on X and y centred by their
	// means (numpy's pairwise sum), without copying X.
	yOff := numeric.PairwiseSum(y) / float64(n)
	yc := make([]float64, n)
	for i, v := range y {
		yc[i] = v - yOff
	}
	l1 := m.Alpha * m.L1Ratio * float64(n)
	l2 := m.Alpha * (1.0 - m.L1Ratio) * float64(n)
	w := make([]float64, p)
	var prob problem
	var xOff []float64
	if m.useGram(n, p) {
		var g *gramProblem
		g, xOff = newGramProblem(cols, yc)
		prob = g
	} else {
		var d *dataProblem
		d, xOff = newDataProblem(cols, yc)
		prob = d
	}
	gap, tolScaled, nIter, converged := coordinateDescent(prob, w, l1, l2, m.MaxIter, m.Tol, m.Positive)
	for j := range w {
		if w[j] == 0 {
			w[j] = 0 // +0: scikit-learn may leave -0, equal in value
		}
	}
	f := &Fitted{Coef: w, NIter: nIter, DualGap: gap, TolScaled: tolScaled, Converged: converged}
	f.Intercept = yOff - dot(xOff, w)
	for _, v := range append([]float64{f.Intercept}, w...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("coordinate descent gave non-finite coefficients: the data may hold very large values")
		}
	}
	return f, nil
}

// problem is what coordinate descent needs of centred X and y: column
// norms, cyclic passes over the coordinates, residual updates and the
// quantities of the duality gap. The data path keeps the residual
// R = y - Xw; the Gram path keeps XᵀX·w instead.
type problem interface {
	// norms returns ||X_j||² for every column.
	norms() []float64
	// sweep runs one cyclic pass over the active coordinates, each set
	// by cdStep from X_jᵀR, and returns max |w_j| and max |Δw_j| over it.
	sweep(active []int, w, norm2 []float64, alpha, beta float64, positive bool) (wMax, dwMax float64)
	// update records that w_j changed by delta.
	update(j int, delta float64)
	// gapParts returns RᵀR and Rᵀy, and fills xtr with XᵀR.
	gapParts(w []float64, xtr []float64) (rr, ry float64)
	// yy returns yᵀy.
	yy() float64
}

// coordinateDescent is enet_coordinate_descent of scikit-learn 1.9 with
// random=False and do_screening=True: it minimises
// ½||y - Xw||² + alpha·||w||₁ + ½·beta·||w||² for centred X and y, updating w
// in place. It returns the last gap, the scaled tolerance, the iterations
// run and whether the gap reached the tolerance.
func coordinateDescent(prob problem, w []float64, alpha, beta float64, maxIter int, tol float64, positive bool) (float64, float64, int, bool) {
	p := len(w)
	norm2 := prob.norms()
	XtA := make([]float64, p)
	dwTol := tol
	tol *= prob.yy()
	doScreening := alpha != 0
	gap, dualNorm := gapEnet(prob, w, alpha, beta, XtA, positive)
	if gap <= tol {
		return gap, tol, 0, true
	}
	active := make([]int, 0, p)
	excluded := make([]bool, p)
	screen := func(first bool) {
		active = active[:0]
		for j := 0; j < p; j++ {
			if first && norm2[j] == 0 {
				w[j] = 0
				excluded[j] = true
				continue
			}
			if !first && excluded[j] {
				continue
			}
			xjTheta := XtA[j] / math.Max(alpha, dualNorm)
			dj := (1 - math.Abs(xjTheta)) / math.Sqrt(norm2[j]+beta)
			if dj <= math.Sqrt(2*gap)/alpha {
				active = append(active, j)
				excluded[j] = false
			} else {
				if w[j] != 0 {
					prob.update(j, -w[j]) // R += w_j X_j
					w[j] = 0
				}
				excluded[j] = true
			}
		}
	}
	if doScreening {
		screen(true)
	} else {
		for j := 0; j < p; j++ {
			active = append(active, j)
		}
	}
	for nIter := 0; nIter < maxIter; nIter++ {
		wMax, dwMax := prob.sweep(active, w, norm2, alpha, beta, positive)
		if wMax == 0 || dwMax/wMax <= dwTol || nIter == maxIter-1 {
			gap, dualNorm = gapEnet(prob, w, alpha, beta, XtA, positive)
			if gap <= tol {
				return gap, tol, nIter + 1, true
			}
			if doScreening {
				screen(false)
			}
		}
	}
	return gap, tol, maxIter, false
}

// gapEnet is scikit-learn's gap_enet: the duality gap (formulation A when
// alpha > 0, B for ridge, the gradient norm for least squares) and the dual
// norm of XᵀR - beta·w, which it leaves in XtA.
func gapEnet(prob problem, w []float64, alpha, beta float64, XtA []float64, positive bool) (float64, float64) {
	var wL2 float64
	if beta > 0 {
		wL2 = dot(w, w)
	}
	rNorm2, ry := prob.gapParts(w, XtA)
	if alpha == 0 {
		// Formulation B uses XᵀR itself.
		dn := dot(XtA, XtA)
		if beta == 0 {
			return dn, dn
		}
		gap := rNorm2 + 0.5*beta*wL2 - ry
		gap += 1 / (2 * beta) * dn
		return gap, dn
	}
	for j := range XtA {
		XtA[j] -= beta * w[j]
	}
	var dualNorm float64
	if positive {
		dualNorm = XtA[0]
		for _, v := range XtA[1:] {
			if v > dualNorm {
				dualNorm = v
			}
		}
	} else {
		dualNorm = math.Abs(XtA[0])
		for _, v := range XtA[1:] {
			if math.Abs(v) > dualNorm {
				dualNorm = math.Abs(v)
			}
		}
	}
	var wL1 float64
	for _, v := range w {
		wL1 += math.Abs(v)
	}
	primal := 0.5*(rNorm2+beta*wL2) + alpha*wL1
	scale := 1.0
	if dualNorm > alpha {
		scale = alpha / dualNorm
	}
	dual := -0.5*(scale*scale)*(rNorm2+beta*wL2) + scale*ry
	return primal - dual, dualNorm
}

// cdStep is one coordinate's new value: tmp = X_jᵀR + w_j·||X_j||²,
// soft-thresholded by alpha and shrunk by denom = ||X_j||² + beta.
func cdStep(tmp, alpha, denom float64, positive bool) float64 {
	if positive && tmp < 0 {
		return 0
	}
	return fsign(tmp) * math.Max(math.Abs(tmp)-alpha, 0) / denom
}

func fsign(f float64) float64 {
	switch {
	case f == 0:
		return 0
	case f > 0:
		return 1
	}
	return -1
}

// chunk is a quarter of the length above which dot splits its work
// across processors (reading a column from memory costs more than starting
// a goroutine from there on).
const chunk = 1 << 16

// dot returns x·y. Long vectors are cut into fixed chunks whose products
// are taken in parallel and added in order, so the result does not depend
// on the number of processors.
func dot(x, y []float64) float64 {
	if len(x) < 4*chunk {
		return dotSerial(x, y)
	}
	sums := make([]float64, (len(x)+chunk-1)/chunk)
	forEach(len(sums), func(k int) {
		lo, hi := k*chunk, min((k+1)*chunk, len(x))
		sums[k] = dotSerial(x[lo:hi], y[lo:hi])
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return s
}

// dotSerial uses gonum's assembly kernel.
func dotSerial(x, y []float64) float64 { return floats.Dot(x, y[:len(x)]) }

// forEach runs fn(k) for k in [0, n) on every processor.
func forEach(n int, fn func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for k := 0; k < n; k++ {
			fn(k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < n; k = int(next.Add(1)) - 1 {
				fn(k)
			}
		}()
	}
	wg.Wait()
}
