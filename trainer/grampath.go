package trainer

import "gonum.org/v1/gonum/floats"

// gramProblem computes the same quantities from G = X_cᵀX_c, X_cᵀy_c and
// yᵀy, keeping q = G·w: X_jᵀR = (X_cᵀy)_j - q_j, RᵀR = yᵀy - 2wᵀX_cᵀy + wᵀq,
// Rᵀy = yᵀy - wᵀX_cᵀy. Each coordinate step is O(p) instead of O(n).
type gramProblem struct {
	G   [][]float64
	xy  []float64
	yy_ float64
	q   []float64
}

// gramRows is the rows of X shifted into a buffer at a time: with the
// target and a column of ones, 24 columns of 128 rows stay in the first
// level cache while all their products are taken.
const gramRows = 256

// gramGroups is at most how many runs of blocks the rows are cut into; each
// run's products are summed on its own and the runs are added in order, so
// the result depends on the rows alone, not on the number of processors.
const gramGroups = 16

// newGramProblem computes X_cᵀX_c, X_cᵀy_c, yᵀy and the column means in
// one pass over X. Each block of rows is shifted (each column by its first
// value, so the sums stay well conditioned) into a buffer of p+2 columns,
// the last two being y and ones, and all products of the buffer's columns
// are taken by the tile kernel: the ones give the column sums, y gives Xᵀy.
// Then the products are centred exactly: with d = mean - shift,
// G_c = G_shift - n·d·dᵀ.
func newGramProblem(X [][]float64, y []float64) (*gramProblem, []float64) {
	p, n := len(X), len(y)
	cols := p + 2 // X..., y, ones
	width := (cols + tileA*tileB - 1) / (tileA * tileB) * (tileA * tileB)
	type tile struct{ a, b int }
	var tiles []tile
	for a := 0; a < cols; a += tileA {
		for b := 0; b <= a+tileA-1 && b < cols; b += tileB {
			tiles = append(tiles, tile{a, b})
		}
	}
	shifts := make([]float64, p)
	for j := range shifts {
		shifts[j] = X[j][0]
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
				switch j {
				case p:
					copy(col, y[lo:hi])
				case p + 1:
					for i := range col[:hi-lo] {
						col[i] = 1
					}
				default:
					shift(col, X[j][lo:hi], shifts[j])
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
	ySum := at(p+1, p) // zero up to rounding: y is centred
	g := &gramProblem{G: make([][]float64, p), xy: make([]float64, p), q: make([]float64, p), yy_: at(p, p)}
	mean := make([]float64, p)
	d := make([]float64, p)
	for j := range d {
		d[j] = at(p+1, j) / float64(n)
		mean[j] = shifts[j] + d[j]
		g.xy[j] = at(p, j) - d[j]*ySum
		g.G[j] = make([]float64, p)
	}
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			g.G[j][k] = at(j, k) - float64(n)*d[j]*d[k]
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
