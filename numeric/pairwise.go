package numeric

// PairwiseSum is numpy's pairwise summation (add.reduce on contiguous
// float64): blocks of 128 summed in 8 lanes, halves summed recursively.
func PairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		i := leafSum(a, &r)
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return PairwiseSum(a[:n2]) + PairwiseSum(a[n2:])
}

// PairwiseSumOf is PairwiseSum of n values that next gives one by one, in
// order: the same bits, holding 128 values at a time (for data that does
// not fit in memory).
func PairwiseSumOf(n int, next func() float64) float64 {
	if n <= 128 {
		var buf [128]float64
		for i := range buf[:n] {
			buf[i] = next()
		}
		return PairwiseSum(buf[:n])
	}
	n2 := n / 2
	n2 -= n2 % 8
	left := PairwiseSumOf(n2, next)
	return left + PairwiseSumOf(n-n2, next)
}

// PairwiseSumSq is PairwiseSum of (a_i - m)², as numpy sums the squares of
// a centred column (which is how scikit-learn gets the column norms): each
// difference and each square is rounded before it is added.
func PairwiseSumSq(a []float64, m float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, v := range a {
			v -= m
			s += float64(v * v)
		}
		return s
	case n <= 128:
		var r [8]float64
		i := leafSumSq(a, m, &r)
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			v := a[i] - m
			s += float64(v * v)
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return PairwiseSumSq(a[:n2], m) + PairwiseSumSq(a[n2:], m)
}

// leafSumGo sets the 8 lanes of a pairwise leaf (8 <= len(a) <= 128) from
// the first len(a) &^ 7 values and returns that count: lane k starts at
// a[k] and adds a[k+8], a[k+16], ...
func leafSumGo(a []float64, r *[8]float64) int {
	r0, r1, r2, r3, r4, r5, r6, r7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	i := 8
	for ; i+8 <= len(a); i += 8 {
		b := a[i : i+8 : i+8]
		r0 += b[0]
		r1 += b[1]
		r2 += b[2]
		r3 += b[3]
		r4 += b[4]
		r5 += b[5]
		r6 += b[6]
		r7 += b[7]
	}
	*r = [8]float64{r0, r1, r2, r3, r4, r5, r6, r7}
	return i
}

// leafSumSqGo is leafSumGo of (a_i - m)².
func leafSumSqGo(a []float64, m float64, r *[8]float64) int {
	var v [8]float64
	for k := range v {
		v[k] = a[k] - m
		r[k] = float64(v[k] * v[k])
	}
	i := 8
	for ; i+8 <= len(a); i += 8 {
		b := a[i : i+8 : i+8]
		for k := range v {
			v[k] = b[k] - m
			r[k] += float64(v[k] * v[k])
		}
	}
	return i
}
