package numeric

import "golang.org/x/sys/cpu"

// AVX2 says whether the AVX2 and FMA kernels run (the processor has
// both); the portable twins give the same bits. Tests turn it off to
// compare.
var AVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sum8AVX2(x *float64, n int, out *[8]float64)

//go:noescape
func sumSq8AVX2(x *float64, n int, m float64, out *[8]float64)

func leafSum(a []float64, r *[8]float64) int {
	if AVX2 {
		n := len(a) &^ 7
		sum8AVX2(&a[0], n, r)
		return n
	}
	return leafSumGo(a, r)
}

func leafSumSq(a []float64, m float64, r *[8]float64) int {
	if AVX2 {
		n := len(a) &^ 7
		sumSq8AVX2(&a[0], n, m, r)
		return n
	}
	return leafSumSqGo(a, m, r)
}
