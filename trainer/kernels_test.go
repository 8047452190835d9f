package trainer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fs-dev/fs/numeric"
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
	t.Logf("AVX2+FMA kernel in use: %v", numeric.AVX2)
}

// The centred dot product and update in use and the portable ones give the
// same bits.
func TestCentredKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, r := make([]float64, 80), make([]float64, 80)
	for i := range x {
		x[i], r[i] = rng.NormFloat64()*1e3+5e4, rng.NormFloat64()
	}
	for _, n := range []int{16, 32, 80} {
		if got, want := dotcKernel(x[:n], r, 5e4), dotcGo(x[:n], r, 5e4); got != want {
			t.Errorf("dotc of %d: kernel %v, portable %v", n, got, want)
		}
		got, want := append([]float64(nil), r...), append([]float64(nil), r...)
		axpycKernel(got[:n], x[:n], 5e4, -0.37)
		axpycGo(want[:n], x[:n], 5e4, -0.37)
		if !slices.Equal(got, want) {
			t.Errorf("axpyc of %d: kernel %v, portable %v", n, got, want)
		}
	}
	var s float64
	for i := range x {
		s += (x[i] - 5e4) * r[i]
	}
	if d := dotc(x[:77], r, 5e4) + (x[77]-5e4)*r[77] + (x[78]-5e4)*r[78] + (x[79]-5e4)*r[79]; math.Abs(d-s) > 1e-9*math.Abs(s) {
		t.Errorf("dotc %v, plain sum %v", d, s)
	}
}

// A whole fit gives the same bits with the AVX2 kernels as with the
// portable ones, on both paths.
func TestFitSameBitsWithPortableKernels(t *testing.T) {
	if !numeric.AVX2 {
		t.Skip("this processor runs the portable kernels only")
	}
	X, y := wideProblem()
	defer func() { numeric.AVX2 = true }()
	for _, solver := range []string{"data", "gram"} {
		for _, m := range fitCases {
			m.Solver = solver
			var fits [2]*Fitted
			for k, avx := range []bool{true, false} {
				numeric.AVX2 = avx
				f, err := m.Fit(X, y)
				if err != nil {
					t.Fatal(err)
				}
				fits[k] = f
			}
			if fits[0].NIter != fits[1].NIter || fits[0].Intercept != fits[1].Intercept || !slices.Equal(fits[0].Coef, fits[1].Coef) {
				t.Errorf("%s %+v: AVX2 intercept %v, portable %v", solver, m, fits[0].Intercept, fits[1].Intercept)
			}
		}
	}
}
