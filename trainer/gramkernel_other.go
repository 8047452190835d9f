//go:build !amd64

package trainer

func gramTile(buf []float64, a, b, stride, n int, out *[tileA * tileB * lanes]float64) {
	gramTileGo(buf, a, b, stride, n, out)
}

const haveAVX2FMA = false

// shift sets dst[i] = src[i] - s.
func shift(dst, src []float64, s float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v - s
	}
}
