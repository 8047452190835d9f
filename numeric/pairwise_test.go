package numeric

import (
	"math/rand/v2"
	"testing"
)

func TestPairwiseSum(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 127, 128, 129, 1000, 100001} {
		a := make([]float64, n)
		want := 0.0
		for i := range a {
			a[i] = float64(i%17) * 0.25
			want += a[i]
		}
		if got := PairwiseSum(a); got != want {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}

// The pairwise leaves in use and the portable ones give the same bits.
func TestPairwiseLeavesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float64, 133)
	for i := range a {
		a[i] = rng.NormFloat64() * 1e4
	}
	for _, n := range []int{8, 9, 16, 127, 128} {
		var got, want [8]float64
		if leafSum(a[:n], &got) != leafSumGo(a[:n], &want) || got != want {
			t.Errorf("sum of %d: kernel %v, portable %v", n, got, want)
		}
		if leafSumSq(a[:n], 3.5, &got) != leafSumSqGo(a[:n], 3.5, &want) || got != want {
			t.Errorf("sum of squares of %d: kernel %v, portable %v", n, got, want)
		}
	}
}
