package trainer

// The assembly kernels (kernels_amd64.s, used where the processor has AVX2
// and FMA) each have a portable twin in Go that computes the same bits:
// gramTileGo here, leafSumGo and leafSumSqGo (pairwise.go), dotcGo and
// axpycGo (centred.go), shift (kernels_other.go).

import "math"

// A Gram tile is the products of 3 columns (a) with 4 columns (b) over n
// rows (n a multiple of 4) of a block whose columns lie stride values
// apart. Each product is taken in 4 lanes, lane l summing the rows i with
// i mod 4 = l by fused multiply-adds; out[(c·3+r)·4+l] is lane l of a_r·b_c,
// to which the kernel adds (so that blocks accumulate in the lanes).
// The AVX2 kernel and gramTileGo compute the same bits.
const (
	tileA = 3
	tileB = 4
	lanes = 4
)

// gramTileGo is the portable kernel.
func gramTileGo(buf []float64, a, b, stride, n int, out *[tileA * tileB * lanes]float64) {
	for c := 0; c < tileB; c++ {
		bc := buf[b+c*stride : b+c*stride+n]
		for r := 0; r < tileA; r++ {
			ar := buf[a+r*stride : a+r*stride+n]
			acc := out[(c*tileA+r)*lanes : (c*tileA+r+1)*lanes]
			for i := 0; i < n; i += lanes {
				for l := 0; l < lanes; l++ {
					acc[l] = math.FMA(ar[i+l], bc[i+l], acc[l])
				}
			}
		}
	}
}
