//go:build !amd64

package numeric

// AVX2 is false off amd64: the portable kernels run.
var AVX2 = false

func leafSum(a []float64, r *[8]float64) int { return leafSumGo(a, r) }

func leafSumSq(a []float64, m float64, r *[8]float64) int { return leafSumSqGo(a, m, r) }
