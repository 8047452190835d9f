package trainer

import (
	"math/rand/v2"
	"testing"
)

func benchProblem(n, p int) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(5, 5))
	X := make([][]float64, p)
	w := make([]float64, p)
	for j := range X {
		X[j] = make([]float64, n)
		for i := range X[j] {
			X[j][i] = rng.NormFloat64()
		}
		if rng.Float64() < 0.3 {
			w[j] = rng.NormFloat64()
		}
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = rng.NormFloat64()
		for j := range X {
			y[i] += X[j][i] * w[j]
		}
	}
	return X, y
}

func benchFit(b *testing.B, n, p int) {
	X, y := benchProblem(n, p)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DefaultElasticNet().Fit(X, y); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit800kx20 and BenchmarkFit16kx500 are the train splits of the
// 1,000,000 x 20 and 20,000 x 500 problems of scripts/bench-train.py.
func BenchmarkFit800kx20(b *testing.B) { benchFit(b, 800_000, 20) }
func BenchmarkFit16kx500(b *testing.B) { benchFit(b, 16_000, 500) }

func benchSaga(b *testing.B, n, p, maxIter int) {
	X, yf := benchProblem(n, p)
	y := make([]int, n)
	for i, v := range yf {
		if v > 0 {
			y[i] = 1
		}
	}
	m := Logistic{C: 1, L1Ratio: 0.5, MaxIter: maxIter, Tol: 1e-4, Seed: 17}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Fit(X, y, []string{"0", "1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaga800kx20 and BenchmarkSaga16kx500 fit 5 SAGA epochs on
// problems the size of scripts/bench-classify.py's train splits.
func BenchmarkSaga800kx20(b *testing.B) { benchSaga(b, 800_000, 20, 5) }
func BenchmarkSaga16kx500(b *testing.B) { benchSaga(b, 16_000, 500, 5) }
