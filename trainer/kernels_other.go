//go:build !amd64

package trainer

func gramTile(buf []float64, a, b, stride, n int, out *[tileA * tileB * lanes]float64) {
	gramTileGo(buf, a, b, stride, n, out)
}

// shift sets dst[i] = src[i] - s.
func shift(dst, src []float64, s float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v - s
	}
}

func dotcKernel(x, r []float64, m float64) float64 { return dotcGo(x, r, m) }

func axpycKernel(r, x []float64, m, a float64) { axpycGo(r, x, m, a) }

func prefetch3(a, b, c *float64) {}
