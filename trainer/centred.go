package trainer

import "math"

// The data path works on X centred on the fly: each value is taken as
// x_i - m, rounded, which is the value scikit-learn stores when it centres
// X in place, so the residual updates are its own (an axpy by fused
// multiply-adds, as OpenBLAS does it) without a centred copy of X.

// dotc returns Σ (x_i - m)·r_i.
func dotc(x, r []float64, m float64) float64 {
	n := len(x) &^ 15
	var s float64
	if n > 0 {
		s = dotcKernel(x[:n], r[:n], m)
	}
	for i := n; i < len(x); i++ {
		s = math.FMA(x[i]-m, r[i], s)
	}
	return s
}

// axpyc does r_i += a·(x_i - m).
func axpyc(r, x []float64, m, a float64) {
	r = r[:len(x)]
	n := len(x) &^ 15
	if n > 0 {
		axpycKernel(r[:n], x[:n], m, a)
	}
	for i := n; i < len(x); i++ {
		r[i] = math.FMA(a, x[i]-m, r[i])
	}
}

// dotcGo is the portable dotc kernel (len(x) a multiple of 16): sixteen
// lanes, lane k summing the rows i with i mod 16 = k, added up as the AVX2
// kernel adds its four registers.
func dotcGo(x, r []float64, m float64) float64 {
	var acc [16]float64
	r = r[:len(x)]
	for i := 0; i < len(x); i += 16 {
		for k := range acc {
			acc[k] = math.FMA(x[i+k]-m, r[i+k], acc[k])
		}
	}
	var t [4]float64
	for k := range t {
		t[k] = (acc[k] + acc[4+k]) + (acc[8+k] + acc[12+k])
	}
	return (t[0] + t[2]) + (t[1] + t[3])
}

func axpycGo(r, x []float64, m, a float64) {
	r = r[:len(x)]
	for i, v := range x {
		r[i] = math.FMA(a, v-m, r[i])
	}
}
