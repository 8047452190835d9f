package trainer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The kernel in use (AVX2 on most amd64 processors) and the portable one
// give the same bits, so a fit does not depend on the processor.
func TestGramTileKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const stride, cols = 132, 9
	buf := make([]float64, stride*cols)
	for i := range buf {
		buf[i] = rng.NormFloat64() * float64(1+i%7) * 1e3
	}
	for _, n := range []int{4, 8, 128, 132} {
		for _, ab := range [][2]int{{0, 0}, {3 * stride, 5 * stride}, {6 * stride, 0}} {
			var got, want [tileA * tileB * lanes]float64
			gramTile(buf, ab[0], ab[1], stride, n, &got)
			gramTileGo(buf, ab[0], ab[1], stride, n, &want)
			var got2, want2 = got, want // the kernels add to what out holds
			gramTile(buf, ab[0], ab[1], stride, n, &got2)
			gramTileGo(buf, ab[0], ab[1], stride, n, &want2)
			if got2 != want2 || got2 == got {
				t.Fatalf("n %d tile %v: adding to out: kernel %v, portable %v", n, ab, got2, want2)
			}
			if got != want {
				t.Fatalf("n %d tile %v: kernel %v, portable %v", n, ab, got, want)
			}
			// And the portable kernel is the plain product, lane by lane.
			for c := 0; c < tileB; c++ {
				for r := 0; r < tileA; r++ {
					var s float64
					for i := 0; i < n; i++ {
						s += buf[ab[0]+r*stride+i] * buf[ab[1]+c*stride+i]
					}
					var l float64
					for _, v := range want[(c*tileA+r)*lanes : (c*tileA+r+1)*lanes] {
						l += v
					}
					if d := l - s; d > 1e-9*math.Abs(s)+1e-6 || -d > 1e-9*math.Abs(s)+1e-6 {
						t.Fatalf("n %d tile %v: a%d·b%d lanes sum %v, product %v", n, ab, r, c, l, s)
					}
				}
			}
		}
	}
	t.Logf("AVX2+FMA kernel in use: %v", haveAVX2FMA)
}
