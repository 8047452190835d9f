package trainer

import "golang.org/x/sys/cpu"

var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func gramTileAVX2(a, b *float64, stride, n int, out *[tileA * tileB * lanes]float64)

// gramTile is gramTileAVX2 where the processor has it, gramTileGo elsewhere.
func gramTile(buf []float64, a, b, stride, n int, out *[tileA * tileB * lanes]float64) {
	if haveAVX2FMA {
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
	if haveAVX2FMA && len(src) >= 8 {
		i = len(src) &^ 7
		shiftAVX2(&dst[0], &src[0], i, s)
	}
	for ; i < len(src); i++ {
		dst[i] = src[i] - s
	}
}
