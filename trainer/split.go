package trainer

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mathext/prng"
)

// Permutation returns numpy.random.RandomState(seed).permutation(n).
func Permutation(n int, seed uint32) []int {
	return permute(newRandomState(seed), n)
}

// newRandomState is numpy.random.RandomState(seed)'s generator.
func newRandomState(seed uint32) *prng.MT19937 {
	src := prng.NewMT19937()
	src.Seed(uint64(seed))
	return src
}

// permute is RandomState.permutation(n) drawing from src.
func permute(src *prng.MT19937, n int) []int {
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

// StratifiedSplit returns the row indexes train_test_split(rows,
// test_size=testSize, random_state=seed, stratify=y) puts in the train and
// test sets, in its order (StratifiedShuffleSplit: each class's rows
// shared out by _approximate_mode, each class permuted, then the train and
// the test rows permuted), all from one RandomState. y holds indexes into
// classes, which name them in errors.
func StratifiedSplit(y []int, classes []string, testSize float64, seed uint32) (train, test []int, err error) {
	k := len(classes)
	n := len(y)
	nTest, err := testCount(n, testSize)
	if err != nil {
		return nil, nil, err
	}
	nTrain := n - nTest
	counts := make([]int, k)
	byClass := make([][]int, k) // each class's rows, ascending (a stable argsort)
	for i, c := range y {
		counts[c]++
		byClass[c] = append(byClass[c], i)
	}
	for c, cnt := range counts {
		if cnt < 2 {
			return nil, nil, fmt.Errorf("class %s has %d row; stratifying needs at least 2 rows of every class", classes[c], cnt)
		}
	}
	if nTrain < k || nTest < k {
		return nil, nil, fmt.Errorf("a train set of %d rows and a test set of %d cannot both hold all %d classes", nTrain, nTest, k)
	}
	src := newRandomState(seed)
	nTr := approximateMode(counts, nTrain, src)
	rest := make([]int, k)
	for c := range rest {
		rest[c] = counts[c] - nTr[c]
	}
	nTe := approximateMode(rest, nTest, src)
	for c := 0; c < k; c++ {
		perm := permute(src, counts[c])
		rows := make([]int, len(perm))
		for i, p := range perm {
			rows[i] = byClass[c][p]
		}
		train = append(train, rows[:nTr[c]]...)
		test = append(test, rows[nTr[c]:nTr[c]+nTe[c]]...)
	}
	return takeInts(train, permute(src, len(train))), takeInts(test, permute(src, len(test))), nil
}

// approximateMode is sklearn.utils._approximate_mode: draws shares of
// counts, the floor of each proportional share, the rest given to the
// largest remainders, ties broken by RandomState.choice (a permutation).
func approximateMode(counts []int, draws int, src *prng.MT19937) []int {
	total := 0
	for _, c := range counts {
		total += c
	}
	cont, out := make([]float64, len(counts)), make([]int, len(counts))
	need := draws
	for i, c := range counts {
		cont[i] = float64(c) / float64(total) * float64(draws)
		out[i] = int(math.Floor(cont[i]))
		need -= out[i]
	}
	if need <= 0 {
		return out
	}
	rem := make([]float64, len(counts))
	for i := range rem {
		rem[i] = cont[i] - math.Floor(cont[i])
	}
	values := append([]float64(nil), rem...)
	sort.Sort(sort.Reverse(sort.Float64Slice(values)))
	values = slices.Compact(values)
	for _, v := range values {
		var inds []int
		for i, r := range rem {
			if r == v {
				inds = append(inds, i)
			}
		}
		now := min(len(inds), need)
		for _, p := range permute(src, len(inds))[:now] {
			out[inds[p]]++
		}
		if need -= now; need == 0 {
			break
		}
	}
	return out
}

func takeInts(v, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
