package numeric

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigSum is the oracle: the exact sum in math/big, rounded once.
func bigSum(xs []float64) float64 {
	acc := new(big.Float).SetPrec(4096)
	for _, x := range xs {
		acc.Add(acc, new(big.Float).SetPrec(4096).SetFloat64(x))
	}
	f, _ := acc.Float64()
	return f
}

// randomDouble draws from every scale: subnormals, huge values, values
// that cancel, exact integers.
func randomDouble(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return math.Float64frombits(r.Uint64N(1 << 52)) // a subnormal
	case 1:
		return (r.Float64() - 0.5) * math.Ldexp(1, r.IntN(2000)-1000)
	case 2:
		return float64(r.IntN(1000) - 500)
	case 3:
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(2046)+1)<<52) // any finite normal
	case 4:
		return r.NormFloat64()
	}
	return r.Float64() * 1e300
}

func TestExactSumIsCorrectlyRounded(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1e100, 1, -1e100}, 1},
		{[]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 1}, // fsum's answer; a loop gives 0.9999999999999999
		{[]float64{1, 1e-16, 1e-16}, 1.0000000000000002},
		{[]float64{math.MaxFloat64, math.MaxFloat64}, math.Inf(1)},
		{[]float64{math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64}, math.MaxFloat64},
		{[]float64{5e-324, 5e-324}, 1e-323},
		{[]float64{-0.0}, 0},
		{[]float64{math.Inf(1), 1}, math.Inf(1)},
		{[]float64{math.Inf(-1), math.Inf(1)}, math.NaN()},
		{nil, 0},
	} {
		var s ExactSum
		for _, x := range c.xs {
			s.Add(x)
		}
		if got := s.Float64(); got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%v: %v, want %v", c.xs, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		xs := make([]float64, 1+r.IntN(60))
		for i := range xs {
			xs[i] = randomDouble(r)
			if r.IntN(4) == 0 && i > 0 {
				xs[i] = -xs[r.IntN(i)] // cancellation
			}
		}
		var s ExactSum
		for _, x := range xs {
			s.Add(x)
		}
		if got, want := s.Float64(), bigSum(xs); got != want {
			t.Fatalf("trial %d: %v: %v, want %v", trial, xs, got, want)
		}
	}
}

// TestExactSumSlides: adding what enters a window and subtracting what
// leaves gives, at every step, the window's own sum, bit for bit.
func TestExactSumSlides(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 4000)
	for i := range xs {
		xs[i] = randomDouble(r)
	}
	var s ExactSum
	lo := 0
	for hi := range xs {
		s.Add(xs[hi])
		for hi-lo >= 1+r.IntN(40) {
			s.Sub(xs[lo])
			lo++
		}
		if got, want := s.Float64(), bigSum(xs[lo:hi+1]); got != want {
			t.Fatalf("window [%d, %d]: %v, want %v", lo, hi, got, want)
		}
	}
	s.Reset()
	if s.Float64() != 0 {
		t.Error("a reset sum is not 0")
	}
}

func BenchmarkExactSumSlide(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	xs := make([]float64, 1<<16)
	for i := range xs {
		xs[i] = r.Float64() * 100
	}
	var s ExactSum
	b.ResetTimer()
	for i := range b.N {
		k := i & (len(xs) - 1)
		s.Add(xs[k])
		s.Sub(xs[(k+len(xs)-30)&(len(xs)-1)])
		if i%8 == 0 {
			_ = s.Float64()
		}
	}
}
