package trainer

import (
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/fs-dev/fs/numeric"
)

// gramProblem computes the same quantities from G = X_cᵀX_c, X_cᵀy_c and
// yᵀy, keeping q = G·w: X_jᵀR = (X_cᵀy)_j - q_j, RᵀR = yᵀy - 2wᵀX_cᵀy + wᵀq,
// Rᵀy = yᵀy - wᵀX_cᵀy. Each coordinate step is O(p) instead of O(n).
type gramProblem struct {
	G   [][]float64
	xy  []float64
	yy_ float64
	q   []float64
}

// gramRows is the rows of X centred into a buffer at a time: with the
// target, 24 columns of 256 rows stay in the second level cache while all
// their products are taken.
const gramRows = 256

// gramGroups is at most how many runs of blocks the rows are cut into; each
// run's products are summed on its own and the runs are added in order, so
// the result depends on the rows alone, not on the number of processors.
const gramGroups = 16

// newGramProblem computes the column means (numpy's pairwise sum, as the
// data path does), then X_cᵀX_c, X_cᵀy_c and yᵀy in one more pass over X:
// each block of rows is centred into a buffer of p+1 columns, each value
// rounded as numpy rounds X - mean (so X_c is scikit-learn's), the last
// column being y, and all products of the buffer's columns are taken by
// the tile kernel.
func newGramProblem(X [][]float64, y []float64) (*gramProblem, []float64) {
	p, n := len(X), len(y)
	mean := make([]float64, p)
	forEach(p, func(j int) { mean[j] = numeric.PairwiseSum(X[j]) / float64(n) })
	cols := p + 1 // X_c..., y
	width := (cols + tileA*tileB - 1) / (tileA * tileB) * (tileA * tileB)
	type tile struct{ a, b int }
	var tiles []tile
	for a := 0; a < cols; a += tileA {
		for b := 0; b <= a+tileA-1 && b < cols; b += tileB {
			tiles = append(tiles, tile{a, b})
		}
	}
	blocks := (n + gramRows - 1) / gramRows
	groups := max(1, min(gramGroups, blocks, (64<<20)/(8*width*width)))
	sums := make([][]float64, groups)
	forEach(groups, func(gr int) {
		buf := make([]float64, width*gramRows)
		outs := make([][tileA * tileB * lanes]float64, len(tiles))
		for blk := gr * blocks / groups; blk < (gr+1)*blocks/groups; blk++ {
			lo, hi := blk*gramRows, min((blk+1)*gramRows, n)
			rows := (hi - lo + lanes - 1) / lanes * lanes
			for j := 0; j < cols; j++ {
				col := buf[j*gramRows : j*gramRows+rows]
				if j == p {
					copy(col, y[lo:hi])
				} else {
					shift(col, X[j][lo:hi], mean[j])
				}
				clear(buf[j*gramRows+hi-lo : j*gramRows+rows])
			}
			for k, t := range tiles {
				gramTile(buf, t.a*gramRows, t.b*gramRows, gramRows, rows, &outs[k])
			}
		}
		s := make([]float64, width*width)
		for k, t := range tiles {
			for c := 0; c < tileB; c++ {
				for r := 0; r < tileA; r++ {
					l := outs[k][(c*tileA+r)*lanes:]
					s[(t.a+r)*width+t.b+c] = (l[0] + l[1]) + (l[2] + l[3])
				}
			}
		}
		sums[gr] = s
	})
	S := sums[0]
	for _, s := range sums[1:] {
		for i, v := range s {
			S[i] += v
		}
	}
	at := func(j, k int) float64 { return S[j*width+k] }
	g := &gramProblem{G: make([][]float64, p), xy: make([]float64, p), q: make([]float64, p), yy_: at(p, p)}
	for j := 0; j < p; j++ {
		g.xy[j] = at(p, j)
		g.G[j] = make([]float64, p)
		for k := 0; k <= j; k++ {
			g.G[j][k] = at(j, k)
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

// sweep is coordinateDescent's pass with X_jᵀR = (X_cᵀy)_j - q_j.
func (g *gramProblem) sweep(active []int, w, norm2 []float64, alpha, beta float64, positive bool) (wMax, dwMax float64) {
	for _, j := range active {
		if norm2[j] == 0 {
			continue
		}
		wj := w[j]
		w[j] = cdStep(g.xy[j]-g.q[j]+wj*norm2[j], alpha, norm2[j]+beta, positive)
		if w[j] != wj {
			g.update(j, w[j]-wj)
		}
		dwMax = math.Max(dwMax, math.Abs(w[j]-wj))
		wMax = math.Max(wMax, math.Abs(w[j]))
	}
	return wMax, dwMax
}

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
