package trainer

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fs-dev/fs/numeric"
)

// dataProblem is scikit-learn's data path on X centred on the fly (see
// dotc): X_c = X - mean is never stored. R = y_c - X_c·w.
//
// A sweep splits the rows into fixed blocks of rowBlock rows, shared out
// among the processors: for each coordinate every processor takes the
// products of its blocks, waits for the others (a spin barrier: the work
// between two barriers is a few microseconds), and all add the block
// products in block order, so every processor computes the same new w_j,
// and the result does not depend on how many processors there are. Each
// processor then updates the residual of its own rows, so one barrier per
// coordinate is all the coordination there is.
type dataProblem struct {
	X       [][]float64
	mean    []float64
	y       []float64 // centred
	R       []float64
	norm2   []float64
	xty     []float64 // X_cᵀy, which is X_cᵀR while w is zero
	fresh   bool      // R is still y
	blocks  []int     // row block boundaries
	drift   drift
	cn      []float64 // ||X_c,j||, with slack: how far X_jᵀR moves per unit move of R
	slack   []float64 // driftSlack·||X_j||
	skipped int       // columns a sweep did not read
}

// rowBlock is the rows of one block of the data path's row partition.
// Smaller blocks would let more processors share short columns, but every
// coordinate costs one barrier, which must stay small next to the work on
// a block.
const rowBlock = 4096

// newDataProblem computes, in one pass over X (each column is read from
// memory once and twice more from cache), the column means (numpy's
// pairwise sum), the centred column norms (numpy's pairwise sum of the
// squares) and X_cᵀy.
func newDataProblem(X [][]float64, y []float64) (*dataProblem, []float64) {
	p, n := len(X), len(y)
	d := &dataProblem{X: X, y: y, mean: make([]float64, p), norm2: make([]float64, p), xty: make([]float64, p)}
	forEach(p, func(j int) {
		x := X[j]
		m := numeric.PairwiseSum(x) / float64(n)
		d.mean[j], d.norm2[j], d.xty[j] = m, numeric.PairwiseSumSq(x, m), dotc(x, y, m)
	})
	d.R = append([]float64(nil), y...) // w starts at zero
	d.fresh = true
	d.blocks = []int{0}
	for lo := rowBlock; lo < n; lo += rowBlock {
		d.blocks = append(d.blocks, lo)
	}
	d.blocks = append(d.blocks, n)
	d.initDrift()
	return d, d.mean
}

func (d *dataProblem) norms() []float64 { return d.norm2 }

// update does R -= delta·X_c,j.
func (d *dataProblem) update(j int, delta float64) {
	d.fresh = false
	d.record(&d.drift, j, delta)
	forEach(len(d.blocks)-1, func(b int) { d.updateRows(j, delta, d.blocks[b], d.blocks[b+1]) })
}

func (d *dataProblem) updateRows(j int, delta float64, lo, hi int) {
	axpyc(d.R[lo:hi], d.X[j][lo:hi], d.mean[j], -delta)
}

func (d *dataProblem) gapParts(w []float64, xtr []float64) (float64, float64) {
	if d.fresh {
		copy(xtr, d.xty)
		yy := d.yy()
		return yy, yy
	}
	forEach(len(d.X), func(j int) { xtr[j] = dotc(d.X[j], d.R, d.mean[j]) })
	rr := dot(d.R, d.R)
	for j, v := range xtr {
		d.drift.seen(j, v)
	}
	d.drift.rRef, d.drift.tRef = math.Sqrt(rr), d.drift.moved
	return rr, dot(d.R, d.y)
}

func (d *dataProblem) yy() float64 { return dot(d.y, d.y) }

// drift is what the data path knows of X_jᵀR without reading X_j. Every
// change of a coefficient moves R by |Δw_k|·||X_c,k||, so since X_jᵀR was
// last computed it has moved by at most ||X_c,j|| times the sum of those
// moves (Cauchy-Schwarz). A coefficient at zero whose bound stays below
// alpha stays at zero: the sweep skips reading its column, with the same
// result as reading it. Late sweeps skip most of the columns that are out
// of the model.
//
// The bound carries a relative slack of 1e-8 (far above the rounding of a
// dot product of up to 10⁷ terms): a coefficient skipped wrongly would be
// one whose |X_jᵀR| is within rounding of alpha, which scikit-learn sets
// to zero or to a value at the rounding level of its soft threshold.
type drift struct {
	moved float64   // Σ |Δw_k|·cn_k over every change so far
	last  []float64 // X_jᵀR when it was last computed
	at    []float64 // moved at that time
	rRef  float64   // ||R|| when moved was tRef
	tRef  float64
}

const driftSlack = 1e-8

// skipUnchanged turns the skipping on; tests turn it off to compare.
var skipUnchanged = true

func (d *dataProblem) initDrift() {
	n := float64(len(d.y))
	d.cn = make([]float64, len(d.X))
	d.slack = make([]float64, len(d.X))
	for j := range d.X {
		raw := math.Sqrt(d.norm2[j] + n*d.mean[j]*d.mean[j])
		d.cn[j] = math.Sqrt(d.norm2[j]) + driftSlack*raw
		d.slack[j] = driftSlack * raw
	}
	d.drift = drift{last: append([]float64(nil), d.xty...), at: make([]float64, len(d.X)), rRef: math.Sqrt(d.yy())}
}

func (d *dataProblem) clone(t drift) drift {
	t.last = append([]float64(nil), t.last...)
	t.at = append([]float64(nil), t.at...)
	return t
}

// unchanged reports whether coordinate j, now at zero, is sure to stay at
// zero.
func (d *dataProblem) unchanged(t *drift, j int, alpha float64) bool {
	rBound := t.rRef + (t.moved - t.tRef)
	return math.Abs(t.last[j])+d.cn[j]*(t.moved-t.at[j])+d.slack[j]*rBound < alpha
}

func (t *drift) seen(j int, xr float64) { t.last[j], t.at[j] = xr, t.moved }

func (d *dataProblem) record(t *drift, j int, delta float64) { t.moved += math.Abs(delta) * d.cn[j] }

// sweep is one cyclic pass of coordinate descent over active.
func (d *dataProblem) sweep(active []int, w, norm2 []float64, alpha, beta float64, positive bool) (wMax, dwMax float64) {
	nb := len(d.blocks) - 1
	workers := min(runtime.GOMAXPROCS(0), nb)
	// Block products of the current coordinate, double-buffered: a
	// processor writes step s+1's products only after every processor
	// reached step s's barrier, and it writes into step s's buffer again
	// only after every processor reached step s+1's, by which time all
	// have read step s's.
	var parts [2][]float64
	parts[0], parts[1] = make([]float64, nb), make([]float64, nb)
	var arrived atomic.Int64
	changed := false
	// Every processor runs the whole pass on its own copy of w and of the
	// drift, computing the same values; processor 0's are kept.
	run := func(k int, w []float64, t *drift) (wMax, dwMax float64) {
		bLo, bHi := k*nb/workers, (k+1)*nb/workers
		pj, pdelta := -1, 0.0 // the last change, not yet applied to this processor's rows
		step := int64(0)
		for _, j := range active {
			if norm2[j] == 0 {
				continue
			}
			if w[j] == 0 && skipUnchanged && d.unchanged(t, j, alpha) {
				if k == 0 {
					d.skipped++
				}
				continue
			}
			part := parts[step&1]
			for b := bLo; b < bHi; b++ {
				lo, hi := d.blocks[b], d.blocks[b+1]
				if pdelta != 0 {
					d.updateRows(pj, pdelta, lo, hi)
				}
				part[b] = dotc(d.X[j][lo:hi], d.R[lo:hi], d.mean[j])
			}
			step++
			if workers > 1 {
				arrived.Add(1)
				spinUntil(&arrived, step*int64(workers))
			}
			var xr float64
			for _, v := range part {
				xr += v
			}
			t.seen(j, xr)
			wj := w[j]
			w[j] = cdStep(xr+wj*norm2[j], alpha, norm2[j]+beta, positive)
			pj, pdelta = j, w[j]-wj
			if pdelta != 0 {
				d.record(t, j, pdelta)
				if k == 0 {
					changed = true
				}
			}
			dwMax = math.Max(dwMax, math.Abs(pdelta))
			wMax = math.Max(wMax, math.Abs(w[j]))
		}
		if pdelta != 0 {
			for b := bLo; b < bHi; b++ {
				d.updateRows(pj, pdelta, d.blocks[b], d.blocks[b+1])
			}
		}
		return wMax, dwMax
	}
	var wg sync.WaitGroup
	for k := 1; k < workers; k++ {
		t, wk := d.clone(d.drift), append([]float64(nil), w...) // copied before processor 0 starts
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(k, wk, &t)
		}()
	}
	wMax, dwMax = run(0, w, &d.drift)
	wg.Wait()
	if changed {
		d.fresh = false
	}
	return wMax, dwMax
}

// spinUntil waits until c reaches target. It spins (the others are a few
// microseconds away when every processor runs), yielding to other
// goroutines now and then; past spinLimit it sleeps between looks, so that
// on a machine with more runnable threads than processors the processor
// goes to the thread being waited for. (16k x 500 with two CPU hogs beside
// it: 170-195 ms spinning only, about 40 ms so; a 10 µs limit made idle
// fits sleep tens of times and cost up to 20 ms.)
func spinUntil(c *atomic.Int64, target int64) {
	var start time.Time
	for i := 1; c.Load() < target; i++ {
		if i%256 != 0 {
			continue
		}
		runtime.Gosched()
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > spinLimit {
			time.Sleep(spinSleep)
		}
	}
}

const (
	spinLimit = 200 * time.Microsecond
	spinSleep = 20 * time.Microsecond
)
