package trainer

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext/prng"
)

// Permutation returns numpy.random.RandomState(seed).permutation(n).
func Permutation(n int, seed uint32) []int {
	src := prng.NewMT19937()
	src.Seed(uint64(seed))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i >= 1; i-- {
		j := randomInterval(src, uint64(i))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// randomInterval is numpy's legacy random_interval: a uniform integer in
// [0, max] by rejection sampling on the smallest covering bit mask.
func randomInterval(src *prng.MT19937, max uint64) int {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= 0xffffffff {
		for {
			v := uint64(src.Uint32()) & mask
			if v <= max {
				return int(v)
			}
		}
	}
	for {
		v := (uint64(src.Uint32())<<32 | uint64(src.Uint32())) & mask
		if v <= max {
			return int(v)
		}
	}
}

// TrainTestSplit returns the row indexes train_test_split(rows,
// test_size=testSize, random_state=seed) puts in the train and test sets, in
// its order: n_test = ceil(testSize·n), test = perm[:n_test],
// train = perm[n_test:].
func TrainTestSplit(n int, testSize float64, seed uint32) (train, test []int, err error) {
	nTest, err := testCount(n, testSize)
	if err != nil {
		return nil, nil, err
	}
	perm := Permutation(n, seed)
	return perm[nTest:], perm[:nTest], nil
}

func testCount(n int, testSize float64) (int, error) {
	if !(testSize > 0 && testSize < 1) {
		return 0, fmt.Errorf("test size %v must be between 0 and 1", testSize)
	}
	nTest := int(math.Ceil(testSize * float64(n)))
	if nTest < 1 || n-nTest < 1 {
		return 0, fmt.Errorf("with %d rows, a test size of %v leaves an empty train or test set", n, testSize)
	}
	return nTest, nil
}

// TimeSplit puts the earliest rows (by time, ties by row order) in the
// train set and the latest ceil(testSize·n) in the test set.
func TimeSplit(times []int64, testSize float64) (train, test []int, err error) {
	n := len(times)
	nTest, err := testCount(n, testSize)
	if err != nil {
		return nil, nil, err
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sortStable(order, func(a, b int) bool { return times[a] < times[b] })
	return order[:n-nTest], order[n-nTest:], nil
}
