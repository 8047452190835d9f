package materialize

import (
	"math"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/numeric"
	"github.com/fs-dev/fs/transforms"
)

// accumulator holds an aggregation's window as events enter it (add) and
// leave it (remove, in the order they entered), and writes its answer for
// an entity row; window is the events in the window, taken or not.
type accumulator interface {
	reset()
	add(row int32)
	remove(row int32)
	result(i int, window []int32)
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
		return &extremeAcc{w: w, before: lessFor(w.values)}
	case featurestore.AggMax:
		less := lessFor(w.values)
		return &extremeAcc{w: w, before: func(a, b int32) bool { return less(b, a) }}
	}
	return &edgeAcc{w: w, last: w.v.Aggregation.Function == featurestore.AggLast}
}

// countAcc counts the events taken.
type countAcc struct {
	w *window
	n int64
}

func (a *countAcc) reset()                  { a.n = 0 }
func (a *countAcc) add(int32)               { a.n++ }
func (a *countAcc) remove(int32)            { a.n-- }
func (a *countAcc) result(i int, _ []int32) { a.w.out.I64[i] = a.n }

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

func (a *distinctAcc) key(r int32) (uint64, string) {
	v := a.w.values
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

func (a *distinctAcc) result(i int, _ []int32) { a.w.out.I64[i] = a.distinct }

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

func (a *sumAcc) add(r int32) {
	a.sum.Add(value(a.w.values, r))
	a.n++
}

func (a *sumAcc) remove(r int32) {
	a.sum.Sub(value(a.w.values, r))
	a.n--
}

func (a *sumAcc) result(i int, _ []int32) {
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
// as numpy's: the mean (the exact sum over the count), then the exact sum
// of each deviation's square (the deviation rounded, as numpy's x - mean,
// its square taken exactly), over n - 1.
type stddevAcc struct {
	sumAcc
	sq numeric.ExactSum
}

func (a *stddevAcc) result(i int, window []int32) {
	if a.n < 2 {
		return
	}
	mean := a.sum.Float64() / float64(a.n)
	a.sq.Reset()
	for _, r := range window {
		if !a.w.take[r] {
			continue
		}
		d := value(a.w.values, r) - mean
		sq := d * d
		a.sq.Add(sq)
		a.sq.Add(math.FMA(d, d, -sq)) // the square's rounding error: exact
	}
	a.w.out.F64[i], a.w.out.Valid[i] = math.Sqrt(a.sq.Float64()/float64(a.n-1)), true
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

func (a *extremeAcc) add(r int32) {
	for len(a.queue) > a.head && !a.before(a.queue[len(a.queue)-1], r) {
		a.queue = a.queue[:len(a.queue)-1]
	}
	a.queue = append(a.queue, r)
}

func (a *extremeAcc) remove(r int32) {
	if a.head < len(a.queue) && a.queue[a.head] == r {
		a.head++
	}
	if a.head > 1024 && a.head*2 > len(a.queue) {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
}

func (a *extremeAcc) result(i int, _ []int32) {
	if a.head < len(a.queue) {
		copyValue(a.w.out, i, a.w.values, int(a.queue[a.head]))
	}
}

// lessFor orders values of a series: numbers, times, text.
func lessFor(s *featurestore.Series) func(a, b int32) bool {
	switch s.Type {
	case transforms.Float64:
		return func(a, b int32) bool { return s.F64[a] < s.F64[b] }
	case transforms.String:
		return func(a, b int32) bool { return s.Str[a] < s.Str[b] }
	}
	return func(a, b int32) bool { return s.I64[a] < s.I64[b] }
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

func (a *edgeAcc) add(r int32) { a.queue = append(a.queue, r) }

func (a *edgeAcc) remove(int32) {
	a.head++
	if a.head > 1024 && a.head*2 > len(a.queue) {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
}

func (a *edgeAcc) result(i int, _ []int32) {
	if a.head == len(a.queue) {
		return
	}
	r := a.queue[a.head]
	if a.last {
		r = a.queue[len(a.queue)-1]
	}
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
