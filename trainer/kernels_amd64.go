package trainer

import "github.com/fs-dev/fs/numeric"

//go:noescape
func gramTileAVX2(a, b *float64, stride, n int, out *[tileA * tileB * lanes]float64)

// gramTile is gramTileAVX2 where the processor has it, gramTileGo elsewhere.
func gramTile(buf []float64, a, b, stride, n int, out *[tileA * tileB * lanes]float64) {
	if numeric.AVX2 {
		_ = buf[a+(tileA-1)*stride+n-1]
		_ = buf[b+(tileB-1)*stride+n-1]
		gramTileAVX2(&buf[a], &buf[b], stride, n, out)
		return
	}
	gramTileGo(buf, a, b, stride, n, out)
}

//go:noescape
func shiftAVX2(dst, src *float64, n int, s float64)

// shift sets dst[i] = src[i] - s.
func shift(dst, src []float64, s float64) {
	dst = dst[:len(src)]
	i := 0
	if numeric.AVX2 && len(src) >= 8 {
		i = len(src) &^ 7
		shiftAVX2(&dst[0], &src[0], i, s)
	}
	for ; i < len(src); i++ {
		dst[i] = src[i] - s
	}
}

//go:noescape
func dotcAVX2(x, r *float64, n int, m float64) float64

//go:noescape
func axpycAVX2(r, x *float64, n int, m, a float64)

func dotcKernel(x, r []float64, m float64) float64 {
	if numeric.AVX2 {
		_ = r[len(x)-1]
		return dotcAVX2(&x[0], &r[0], len(x), m)
	}
	return dotcGo(x, r, m)
}

func axpycKernel(r, x []float64, m, a float64) {
	if numeric.AVX2 {
		_ = r[len(x)-1]
		axpycAVX2(&r[0], &x[0], len(x), m, a)
		return
	}
	axpycGo(r, x, m, a)
}

// prefetch3 asks the processor to bring the cache lines at a, b and c
// into the cache, without waiting for them (PREFETCHT0).
//
//go:noescape
func prefetch3(a, b, c *float64)
