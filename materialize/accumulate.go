package materialize

import (
	"math"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/numeric"
	"github.com/fs-dev/fs/transforms"
)

// accumulator holds an aggregation's window as events enter it (add) and
// leave it (remove, in the order they entered), events named by their
// place in the sorted order, and writes its answer for entity row i; the
// window is the places [lo, hi), taken or not.
type accumulator interface {
	reset()
	add(p int32)
	remove(p int32)
	result(i int, lo, hi int)
}

func newAccumulator(w *window) accumulator {
	switch w.v.Aggregation.Function {
	case featurestore.AggCount:
		return &countAcc{w: w}
	case featurestore.AggCountDistinct:
		return &distinctAcc{w: w, nums: map[uint64]int32{}, strs: map[string]int32{}}
	case featurestore.AggSum, featurestore.AggMean:
		return &sumAcc{w: w}
	case featurestore.AggStddev:
		return &stddevAcc{sumAcc: sumAcc{w: w}}
	case featurestore.AggMin:
		return &extremeAcc{w: w, before: lessFor(w)}
	case featurestore.AggMax:
		less := lessFor(w)
		return &extremeAcc{w: w, before: func(a, b int32) bool { return less(b, a) }}
	}
	return &edgeAcc{w: w, last: w.v.Aggregation.Function == featurestore.AggLast}
}

// countAcc counts the events taken.
type countAcc struct {
	w *window
	n int64
}

func (a *countAcc) reset()                 { a.n = 0 }
func (a *countAcc) add(int32)              { a.n++ }
func (a *countAcc) remove(int32)           { a.n-- }
func (a *countAcc) result(i int, _, _ int) { a.w.out.I64[i] = a.n }

// distinctAcc counts each value in the window: the number of distinct
// values is the number of values counted. Numbers are equal as numbers
// (0 and -0 are one value), as their bits otherwise.
type distinctAcc struct {
	w        *window
	nums     map[uint64]int32
	strs     map[string]int32
	distinct int64
}

func (a *distinctAcc) reset() {
	clear(a.nums)
	clear(a.strs)
	a.distinct = 0
}

func (a *distinctAcc) key(p int32) (uint64, string) {
	v, r := a.w.values, a.w.row[p]
	switch v.Type {
	case transforms.Float64:
		return math.Float64bits(v.F64[r] + 0), ""
	case transforms.Int64, transforms.Timestamp:
		return uint64(v.I64[r]), ""
	case transforms.Bool:
		if v.Bool[r] {
			return 1, ""
		}
		return 0, ""
	}
	return 0, v.Str[r]
}

func (a *distinctAcc) add(r int32) {
	n, s := a.key(r)
	var c int32
	if a.w.values.Type == transforms.String {
		c = a.strs[s] + 1
		a.strs[s] = c
	} else {
		c = a.nums[n] + 1
		a.nums[n] = c
	}
	if c == 1 {
		a.distinct++
	}
}

func (a *distinctAcc) remove(r int32) {
	n, s := a.key(r)
	var c int32
	if a.w.values.Type == transforms.String {
		c = a.strs[s] - 1
		if c == 0 {
			delete(a.strs, s)
		} else {
			a.strs[s] = c
		}
	} else {
		c = a.nums[n] - 1
		if c == 0 {
			delete(a.nums, n)
		} else {
			a.nums[n] = c
		}
	}
	if c == 0 {
		a.distinct--
	}
}

func (a *distinctAcc) result(i int, _, _ int) { a.w.out.I64[i] = a.distinct }

// value is a number of a numeric series (an integer as a float).
func value(s *featurestore.Series, r int32) float64 {
	if s.Type == transforms.Float64 {
		return s.F64[r]
	}
	return float64(s.I64[r])
}

// sumAcc keeps the exact sum of the values taken and their count: the
// sum rounded once, or the mean (that sum over the count, one division).
type sumAcc struct {
	w   *window
	sum numeric.ExactSum
	n   int64
}

func (a *sumAcc) reset() {
	a.sum.Reset()
	a.n = 0
}

func (a *sumAcc) add(p int32) {
	a.sum.Add(a.w.num[p])
	a.n++
}

func (a *sumAcc) remove(p int32) {
	a.sum.Sub(a.w.num[p])
	a.n--
}

func (a *sumAcc) result(i int, _, _ int) {
	if a.n == 0 {
		return
	}
	s := a.sum.Float64()
	if a.w.v.Aggregation.Function == featurestore.AggMean {
		s /= float64(a.n)
	}
	a.w.out.F64[i], a.w.out.Valid[i] = s, true
}

// stddevAcc is the sample standard deviation, two passes over the window
// as numpy's std(ddof=1): the mean (the exact sum over the count), then
// numpy's pairwise sum of the squared deviations of the values in the
// window's order, over n - 1. The order is the data's, so the bits are
// the same on every run.
type stddevAcc struct {
	sumAcc
	buf []float64
}

func (a *stddevAcc) result(i int, lo, hi int) {
	if a.n < 2 {
		return
	}
	mean := a.sum.Float64() / float64(a.n)
	a.buf = a.buf[:0]
	for p := lo; p < hi; p++ {
		if a.w.take[p] {
			a.buf = append(a.buf, a.w.num[p])
		}
	}
	a.w.out.F64[i], a.w.out.Valid[i] = math.Sqrt(numeric.PairwiseSumSq(a.buf, mean)/float64(a.n-1)), true
}

// extremeAcc is min or max: a queue of the events that can still be the
// answer (each before every later one it precedes by before), its head
// the answer.
type extremeAcc struct {
	w      *window
	before func(a, b int32) bool
	queue  []int32
	head   int
}

func (a *extremeAcc) reset() { a.queue, a.head = a.queue[:0], 0 }

func (a *extremeAcc) add(p int32) {
	for len(a.queue) > a.head && !a.before(a.queue[len(a.queue)-1], p) {
		a.queue = a.queue[:len(a.queue)-1]
	}
	a.queue = append(a.queue, p)
}

func (a *extremeAcc) remove(p int32) {
	if a.head < len(a.queue) && a.queue[a.head] == p {
		a.head++
	}
	if a.head > 1024 && a.head*2 > len(a.queue) {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
}

func (a *extremeAcc) result(i int, _, _ int) {
	if a.head < len(a.queue) {
		copyValue(a.w.out, i, a.w.values, int(a.w.row[a.queue[a.head]]))
	}
}

// lessFor orders the window's events by value: floats by their sorted
// copy, integers and text by their rows.
func lessFor(w *window) func(a, b int32) bool {
	s, row := w.values, w.row
	switch s.Type {
	case transforms.Float64:
		return func(a, b int32) bool { return w.num[a] < w.num[b] }
	case transforms.String:
		return func(a, b int32) bool { return s.Str[row[a]] < s.Str[row[b]] }
	}
	return func(a, b int32) bool { return s.I64[row[a]] < s.I64[row[b]] }
}

// edgeAcc is first or last: the events taken in the window, in order
// (first its head, last its tail), null values included.
type edgeAcc struct {
	w     *window
	last  bool
	queue []int32
	head  int
}

func (a *edgeAcc) reset() { a.queue, a.head = a.queue[:0], 0 }

func (a *edgeAcc) add(p int32) { a.queue = append(a.queue, p) }

func (a *edgeAcc) remove(int32) {
	a.head++
	if a.head > 1024 && a.head*2 > len(a.queue) {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
}

func (a *edgeAcc) result(i int, _, _ int) {
	if a.head == len(a.queue) {
		return
	}
	p := a.queue[a.head]
	if a.last {
		p = a.queue[len(a.queue)-1]
	}
	r := a.w.row[p]
	if a.w.values == nil || a.w.values.Null(int(r)) {
		return
	}
	copyValue(a.w.out, i, a.w.values, int(r))
}

// copyValue sets dst's row i to src's row r, valid.
func copyValue(dst *featurestore.Series, i int, src *featurestore.Series, r int) {
	switch dst.Type {
	case transforms.Float64:
		dst.F64[i] = value(src, int32(r))
	case transforms.Int64, transforms.Timestamp:
		dst.I64[i] = src.I64[r]
	case transforms.Bool:
		dst.Bool[i] = src.Bool[r]
	case transforms.String:
		dst.Str[i] = src.Str[r]
	}
	dst.Valid[i] = true
}
