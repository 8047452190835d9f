package trainer

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"
)

// dataProblem is scikit-learn's data path on X centred on the fly: X_c =
// X - mean is never stored. R = y_c - X_c·w; since y_c and the columns of
// X_c sum to zero, so does R, and X_cᵀR = XᵀR.
type dataProblem struct {
	X    [][]float64
	mean []float64
	y    []float64 // centred
	R    []float64
}

func (d *dataProblem) norms() []float64 {
	out := make([]float64, len(d.X))
	parallelCols(len(d.X), func(j int) {
		m := d.mean[j]
		var s0, s1 float64
		x := d.X[j]
		i := 0
		for ; i+2 <= len(x); i += 2 {
			a, b := x[i]-m, x[i+1]-m
			s0 += a * a
			s1 += b * b
		}
		for ; i < len(x); i++ {
			a := x[i] - m
			s0 += a * a
		}
		out[j] = s0 + s1
	})
	d.R = append([]float64(nil), d.y...) // w starts at zero
	return out
}

func (d *dataProblem) corr(j int, w []float64) float64 { return dot(d.X[j], d.R) }

// update does R -= delta·X_c,j, that is R += delta·mean_j - delta·X_j.
func (d *dataProblem) update(j int, delta float64) {
	c := delta * d.mean[j]
	x := d.X[j]
	forChunks(len(x), func(lo, hi int) {
		r := d.R[lo:hi]
		for i, v := range x[lo:hi] {
			r[i] += c - delta*v
		}
	})
}

func (d *dataProblem) gapParts(w []float64, xtr []float64) (float64, float64) {
	parallelCols(len(d.X), func(j int) { xtr[j] = dot(d.X[j], d.R) })
	return dot(d.R, d.R), dot(d.R, d.y)
}

func (d *dataProblem) yy() float64 { return dot(d.y, d.y) }

// gramProblem computes the same quantities from G = X_cᵀX_c, X_cᵀy_c and
// yᵀy, keeping q = G·w: X_jᵀR = (X_cᵀy)_j - q_j, RᵀR = yᵀy - 2wᵀX_cᵀy + wᵀq,
// Rᵀy = yᵀy - wᵀX_cᵀy. Each coordinate step is O(p) instead of O(n).
type gramProblem struct {
	G   [][]float64
	xy  []float64
	yy_ float64
	q   []float64
}

// gramBlock is the rows centred at a time, so that one block of every
// column stays in cache while all the products are taken.
const gramBlock = 2048

// newGramProblem computes X_cᵀX_c and X_cᵀy_c in one pass over X, and
// the column means. Each column is shifted by its first value while the
// products are taken (so the sums stay well conditioned), then centred
// exactly: with d = mean - shift, G_c = G_shift - n·d·dᵀ.
func newGramProblem(X [][]float64, y []float64) (*gramProblem, []float64) {
	p := len(X)
	n := len(y)
	shift := make([]float64, p)
	for j := range shift {
		shift[j] = X[j][0]
	}
	type partial struct {
		G    [][]float64
		xy   []float64
		sums []float64
	}
	workers := runtime.GOMAXPROCS(0)
	parts := make([]partial, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part := partial{G: make([][]float64, p), xy: make([]float64, p), sums: make([]float64, p)}
			for j := range part.G {
				part.G[j] = make([]float64, p)
			}
			buf := make([][]float64, p)
			for j := range buf {
				buf[j] = make([]float64, gramBlock)
			}
			for {
				mu.Lock()
				lo := next
				next += gramBlock
				mu.Unlock()
				if lo >= n {
					break
				}
				hi := min(lo+gramBlock, n)
				for j := 0; j < p; j++ {
					b := buf[j][:hi-lo]
					s := shift[j]
					for i, v := range X[j][lo:hi] {
						b[i] = v - s
					}
					part.sums[j] += floats.Sum(b)
				}
				yb := y[lo:hi]
				for j := 0; j < p; j++ {
					bj := buf[j][:hi-lo]
					for k := 0; k <= j; k++ {
						part.G[j][k] += floats.Dot(bj, buf[k][:hi-lo])
					}
					part.xy[j] += floats.Dot(bj, yb)
				}
			}
			parts[w] = part
		}()
	}
	wg.Wait()
	g := &gramProblem{G: make([][]float64, p), xy: make([]float64, p), q: make([]float64, p), yy_: dot(y, y)}
	sums := make([]float64, p)
	for j := range g.G {
		g.G[j] = make([]float64, p)
	}
	for _, part := range parts {
		for j := 0; j < p; j++ {
			g.xy[j] += part.xy[j]
			sums[j] += part.sums[j]
			for k := 0; k <= j; k++ {
				g.G[j][k] += part.G[j][k]
			}
		}
	}
	ySum := floats.Sum(y) // zero up to rounding: y is centred
	mean := make([]float64, p)
	d := make([]float64, p)
	for j := range d {
		d[j] = sums[j] / float64(n)
		mean[j] = shift[j] + d[j]
		g.xy[j] -= d[j] * ySum
	}
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			g.G[j][k] -= float64(n) * d[j] * d[k]
			g.G[k][j] = g.G[j][k]
		}
	}
	return g, mean
}

func (g *gramProblem) norms() []float64 {
	out := make([]float64, len(g.G))
	for j := range out {
		out[j] = g.G[j][j]
	}
	return out
}

func (g *gramProblem) corr(j int, w []float64) float64 { return g.xy[j] - g.q[j] }

func (g *gramProblem) update(j int, delta float64) {
	floats.AddScaled(g.q, delta, g.G[j]) // G is symmetric: column j = row j
}

func (g *gramProblem) gapParts(w []float64, xtr []float64) (float64, float64) {
	wxy := dot(w, g.xy)
	for j := range xtr {
		xtr[j] = g.xy[j] - g.q[j]
	}
	return g.yy_ - 2*wxy + dot(w, g.q), g.yy_ - wxy
}

func (g *gramProblem) yy() float64 { return g.yy_ }

// forChunks runs fn over [0, n), split across processors when n is large.
func forChunks(n int, fn func(lo, hi int)) {
	if n < 4*chunk || runtime.GOMAXPROCS(0) == 1 {
		fn(0, n)
		return
	}
	parts := splits(n)
	var wg sync.WaitGroup
	for k := 0; k < len(parts)-1; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(parts[k], parts[k+1])
		}()
	}
	wg.Wait()
}
