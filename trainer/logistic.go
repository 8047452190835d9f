package trainer

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext/prng"
)

// Logistic holds scikit-learn's LogisticRegression parameters with
// solver="saga" (fit_intercept=True, no sample or class weights,
// warm_start=False), which minimises
//
//	C·Σᵢ loss(yᵢ, xᵢW + b) + l1_ratio·||W||₁ + (1-l1_ratio)/2·||W||²
//
// with the binary log loss for two classes and the multinomial one for more.
type Logistic struct {
	C       float64 `json:"c"`
	L1Ratio float64 `json:"l1_ratio"`
	MaxIter int     `json:"max_iter"`
	Tol     float64 `json:"tol"`
	// Seed is random_state: it seeds the generator that picks SAGA's
	// samples, as numpy's RandomState(seed).randint(1, 2**31-1) does.
	Seed uint32 `json:"random_state"`
}

// DefaultLogistic has scikit-learn's defaults (C=1, l1_ratio=0, tol=1e-4,
// max_iter=100).
func DefaultLogistic() Logistic { return Logistic{C: 1, L1Ratio: 0, MaxIter: 100, Tol: 1e-4} }

// Classifier is a fitted classifier and how the fit went. Coef has one row
// per class (one row, the larger label's, for two classes), as sklearn's
// coef_.
type Classifier struct {
	Classes   []string    `json:"classes"`    // the labels as text, in sklearn's sorted order
	LabelType string      `json:"label_type"` // the target's type: int64, float64, bool or string
	Coef      [][]float64 `json:"coef"`
	Intercept []float64   `json:"intercept"`
	NIter     int         `json:"n_iter"`
	Converged bool        `json:"converged"` // false when n_iter reached max_iter (sklearn's ConvergenceWarning)
}

// ErrOverflow is SAGA's floating-point overflow, as scikit-learn's.
var ErrOverflow = errors.New("floating-point under-/overflow occurred; scaling the features might help")

// Fit fits the classifier on column-major X and y, each y the index of
// its class in classes (at least two).
func (m Logistic) Fit(cols [][]float64, y []int, classes []string) (*Classifier, error) {
	if len(classes) < 2 {
		return nil, fmt.Errorf("the target has %d class; a classifier needs at least 2", len(classes))
	}
	if !(m.C > 0) || math.IsInf(m.C, 0) {
		return nil, fmt.Errorf("C must be a positive number, got %v", m.C)
	}
	if m.MaxIter < 1 {
		return nil, fmt.Errorf("max_iter must be at least 1, got %d", m.MaxIter)
	}
	if !(m.L1Ratio >= 0 && m.L1Ratio <= 1) {
		return nil, fmt.Errorf("l1_ratio must be between 0 and 1, got %v", m.L1Ratio)
	}
	k := len(classes)
	if k == 2 {
		k = 1 // binary: one column of weights, the log loss on y == classes[1]
	}
	s := newSaga(cols, y, k, m)
	if s.step*s.alpha == 1 {
		return nil, fmt.Errorf("step size times alpha is 1, which SAGA cannot handle: change C")
	}
	nIter, err := s.run(m.MaxIter, m.Tol)
	if err != nil {
		return nil, err
	}
	c := &Classifier{Classes: classes, NIter: nIter, Converged: nIter < m.MaxIter, Intercept: s.intercept}
	for class := 0; class < k; class++ {
		row := make([]float64, s.p)
		for f := range row {
			row[f] = s.w[f*k+class]
		}
		c.Coef = append(c.Coef, row)
	}
	return c, nil
}

// saga is the state of scikit-learn's SAGA (sklearn/linear_model/
// _sag_fast.pyx.tp, sag64 with saga=True) on dense rows: weights kept
// scaled by wscale, the penalty's updates applied just in time from
// cumulative sums, every operation in its order so the bits agree.
type saga struct {
	n, p, k        int
	rows           []float64 // row-major X
	y              []float64 // the class index (multinomial) or 0/1 (binary)
	step, alpha    float64   // alpha and beta scaled by 1/n
	beta           float64
	seed           uint32
	w, sumGrad     []float64 // p×k
	intercept, isg []float64 // k
	gradMem        []float64 // n×k
	seen           []bool
	numSeen        int
	cum, cumProx   []float64 // n
	// last is the sample iteration every weight was last brought up to
	// date at (scikit-learn's feature_hist, one value for all: dense rows
	// touch every feature at every sample, and a reset touches them all).
	last             int
	wscale           float64
	pred, grad, prev []float64
	prox             bool
}

func newSaga(cols [][]float64, y []int, k int, m Logistic) *saga {
	n, p := len(y), len(cols)
	s := &saga{n: n, p: p, k: k, rows: make([]float64, n*p), y: make([]float64, n),
		w: make([]float64, p*k), sumGrad: make([]float64, p*k), intercept: make([]float64, k), isg: make([]float64, k),
		gradMem: make([]float64, n*k), seen: make([]bool, n), cum: make([]float64, n),
		wscale: 1, pred: make([]float64, k), grad: make([]float64, k), prev: make([]float64, p*k)}
	maxSq := 0.0
	for i := 0; i < n; i++ {
		sq := 0.0
		for j, c := range cols {
			s.rows[i*p+j] = c[i]
			sq += c[i] * c[i]
		}
		maxSq = max(maxSq, sq)
		s.y[i] = float64(y[i])
		if k == 1 && y[i] != 1 {
			s.y[i] = 0
		}
	}
	alpha, beta := (1.0/m.C)*(1-m.L1Ratio), (1.0/m.C)*m.L1Ratio
	s.alpha, s.beta = alpha/float64(n), beta/float64(n)
	// get_auto_step_size for the log losses, SAGA, with an intercept.
	L := 0.25*(maxSq+1) + s.alpha
	mun := min(2*float64(n)*s.alpha, L)
	s.step = 1.0 / (2*L + mun)
	s.prox = s.beta > 0
	if s.prox {
		s.cumProx = make([]float64, n)
	}
	s.seed = sagSeed(m.Seed)
	return s
}

// sagSeed is the seed make_dataset draws: RandomState(seed).randint(1,
// 2**31 - 1), numpy's masked rejection sampling.
func sagSeed(seed uint32) uint32 {
	src := prng.NewMT19937()
	src.Seed(uint64(seed))
	return uint32(1 + randomInterval(src, (1<<31-1)-1-1))
}

// next is the dataset's our_rand_r (xorshift) modulo n: the next sample.
// It also asks for the memory of the sample after it (the generator is
// known in advance), its row's first lines, its label and remembered
// gradient, so they are on their way to the cache while this one is worked
// on: samples are picked at random, and each would otherwise wait for
// memory (the rest of a long row the processor streams in by itself).
func (s *saga) next() int {
	i := s.nextIndex(&s.seed)
	ahead := s.seed
	j := s.nextIndex(&ahead)
	row := s.rows[j*s.p : (j+1)*s.p]
	prefetch3(&row[0], &row[min(8, len(row)-1)], &row[min(16, len(row)-1)])
	prefetch3(&s.y[j], &s.gradMem[j*s.k], &row[len(row)-1])
	return i
}

func (s *saga) nextIndex(seed *uint32) int {
	x := *seed
	if x == 0 {
		x = 1
	}
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	*seed = x
	return int((x % (1 << 31)) % uint32(s.n))
}

// run does up to maxIter epochs and returns how many it did.
func (s *saga) run(maxIter int, tol float64) (int, error) {
	epoch := 0
	for ; epoch < maxIter; epoch++ {
		for it := 0; it < s.n; it++ {
			if err := s.sample(it); err != nil {
				return 0, fmt.Errorf("epoch %d: %w", epoch+1, err)
			}
		}
		if err := s.rescale(s.n - 1); err != nil {
			return 0, fmt.Errorf("epoch %d: %w", epoch+1, err)
		}
		maxChange, maxWeight := 0.0, 0.0
		for i, v := range s.w {
			maxWeight = fmax(maxWeight, math.Abs(v))
			maxChange = fmax(maxChange, math.Abs(v-s.prev[i]))
			s.prev[i] = v
		}
		if (maxWeight != 0 && maxChange/maxWeight <= tol) || (maxWeight == 0 && maxChange == 0) {
			break
		}
	}
	if epoch == maxIter {
		return maxIter, nil
	}
	return epoch + 1, nil
}

// sample is one inner iteration: a random sample's gradient replaces the
// one remembered for it.
func (s *saga) sample(it int) error {
	i := s.next()
	if !s.seen[i] {
		s.numSeen++
		s.seen[i] = true
	}
	x := s.rows[i*s.p : (i+1)*s.p]
	if s.k == 1 {
		s.predictBinary(x, it)
	} else {
		s.predict(x, it)
	}
	s.gradient(s.y[i])
	s.wscale *= 1.0 - s.step*s.alpha
	mem := s.gradMem[i*s.k : (i+1)*s.k]
	seenFrac := 1 - 1./float64(s.numSeen)
	step, wscale := s.step, s.wscale
	if s.k == 1 {
		w, sg := s.w[:len(x)], s.sumGrad[:len(x)]
		d := s.grad[0] - mem[0]
		for f, v := range x {
			corr := v * d
			w[f] -= corr * step * seenFrac / wscale
			sg[f] += corr
		}
	} else {
		for f, v := range x {
			for c := 0; c < s.k; c++ {
				corr := v * (s.grad[c] - mem[c])
				s.w[f*s.k+c] -= corr * step * seenFrac / wscale
				s.sumGrad[f*s.k+c] += corr
			}
		}
	}
	for c := 0; c < s.k; c++ {
		corr := s.grad[c] - mem[c]
		s.isg[c] += corr
		corr *= s.step * seenFrac
		s.intercept[c] -= s.step*s.isg[c]/float64(s.numSeen)*1.0 + corr
		if math.IsInf(s.intercept[c], 0) || math.IsNaN(s.intercept[c]) {
			return ErrOverflow
		}
	}
	copy(mem, s.grad)
	inc := s.step / (s.wscale * float64(s.numSeen))
	if it == 0 {
		s.cum[0] = inc
		if s.prox {
			s.cumProx[0] = s.step * s.beta / s.wscale
		}
	} else {
		s.cum[it] = s.cum[it-1] + inc
		if s.prox {
			s.cumProx[it] = s.cumProx[it-1] + s.step*s.beta/s.wscale
		}
	}
	if s.wscale < 1e-9 {
		return s.rescale(it)
	}
	return nil
}

// predict brings every weight up to date (lagged_update: dense rows touch
// every feature) and sets pred to wscale·(x·W) + intercept, in one pass
// over the features: each weight is brought up to date before its product
// is added, the products added in feature order, as scikit-learn's two
// passes do.
func (s *saga) predict(x []float64, it int) {
	inner := s.grad // scratch: gradient overwrites it next
	clear(inner)
	cum, cumProx := s.lag(it)
	oneStep := s.last == it-1 // see predictBinary
	for f, v := range x {
		for c := 0; it > 0 && c < s.k; c++ {
			idx := f*s.k + c
			switch {
			case !s.prox:
				s.w[idx] -= cum * s.sumGrad[idx]
			case oneStep:
				s.w[idx] = softThreshold(s.w[idx]-cum*s.sumGrad[idx], cumProx)
			default:
				s.w[idx] = s.catchUp(idx, cum, cumProx, it)
			}
		}
		for c := 0; c < s.k; c++ {
			inner[c] += s.w[f*s.k+c] * v
		}
	}
	for c := 0; c < s.k; c++ {
		s.pred[c] = s.wscale*inner[c] + s.intercept[c]
	}
	if it > 0 {
		s.last = it
	}
}

// predictBinary is predict for one column of weights.
func (s *saga) predictBinary(x []float64, it int) {
	w, sg := s.w[:len(x)], s.sumGrad[:len(x)]
	inner := 0.0
	switch {
	case it == 0:
		for f, v := range x {
			inner += w[f] * v
		}
	case !s.prox:
		cum, _ := s.lag(it)
		for f, v := range x {
			w[f] -= cum * sg[f]
			inner += w[f] * v
		}
		s.last = it
	case s.last == it-1:
		// One step missed: both of catchUp's ways give the same bits.
		cum, cumProx := s.lag(it)
		for f, v := range x {
			w[f] = softThreshold(w[f]-cum*sg[f], cumProx)
			inner += w[f] * v
		}
		s.last = it
	default:
		cum, cumProx := s.lag(it)
		for f, v := range x {
			w[f] = s.catchUp(f, cum, cumProx, it)
			inner += w[f] * v
		}
		s.last = it
	}
	s.pred[0] = s.wscale*inner + s.intercept[0]
}

// lag is the sum of the step sizes (and of the L1 steps) the weights
// missed since they were last brought up to date, before sample iteration
// it (0 for it 0, when nothing was missed).
func (s *saga) lag(it int) (cum, cumProx float64) {
	if it == 0 {
		return 0, 0
	}
	cum = s.cum[it-1]
	if s.prox {
		cumProx = s.cumProx[it-1]
	}
	if h := s.last; h != 0 {
		cum -= s.cum[h-1]
		if s.prox {
			cumProx -= s.cumProx[h-1]
		}
	}
	return cum, cumProx
}

// catchUp is weight idx brought up to date: the missed gradient steps in
// one, then the L1 proximal step in one when that cannot cross zero, else
// one by one (laggedProx).
func (s *saga) catchUp(idx int, cum, cumProx float64, it int) float64 {
	w := s.w[idx]
	switch {
	case !s.prox:
		return w - cum*s.sumGrad[idx]
	case math.Abs(s.sumGrad[idx]*cum) < cumProx:
		return softThreshold(w-cum*s.sumGrad[idx], cumProx)
	}
	for li := it - 1; li >= s.last; li-- {
		gradStep, proxStep := s.cum[li], s.cumProx[li]
		if li > 0 {
			gradStep, proxStep = s.cum[li]-s.cum[li-1], s.cumProx[li]-s.cumProx[li-1]
		}
		w = softThreshold(w-s.sumGrad[idx]*gradStep, proxStep)
	}
	return w
}

// gradient sets grad to the half binomial or multinomial loss's gradient
// at pred, as sklearn/_loss computes it.
func (s *saga) gradient(y float64) {
	if s.k == 1 {
		raw := s.pred[0]
		if raw > -37 {
			e := math.Exp(-raw)
			s.grad[0] = ((1 - y) - y*e) / (1 + e) * 1.0
		} else {
			s.grad[0] = (math.Exp(raw) - y) * 1.0
		}
		return
	}
	top := s.pred[0]
	for _, v := range s.pred[1:] {
		if top < v {
			top = v
		}
	}
	sum := 0.0
	for c, v := range s.pred {
		s.grad[c] = math.Exp(v - top)
		sum += s.grad[c]
	}
	for c := range s.grad {
		s.grad[c] /= sum
		hit := 0.0
		if y == float64(c) {
			hit = 1
		}
		s.grad[c] = (s.grad[c] - hit) * 1.0
	}
}

// rescale brings every weight up to date and folds wscale into them
// (scale_weights) after sample iteration it.
func (s *saga) rescale(it int) error {
	if err := s.catchUpAll(it + 1); err != nil {
		return err
	}
	s.wscale = 1
	return nil
}

// catchUpAll brings every weight up to date and multiplies it by wscale
// (lagged_update with reset), before sample iteration it.
func (s *saga) catchUpAll(it int) error {
	cum, cumProx := s.lag(it)
	for idx := range s.w {
		s.w[idx] = s.catchUp(idx, cum, cumProx, it) * s.wscale
		if math.IsInf(s.w[idx], 0) || math.IsNaN(s.w[idx]) {
			return ErrOverflow
		}
	}
	s.last = it % s.n
	s.cum[it-1] = 0
	if s.prox {
		s.cumProx[it-1] = 0
	}
	return nil
}

func fmax(x, y float64) float64 {
	if x > y {
		return x
	}
	return y
}

func softThreshold(x, shrink float64) float64 { return fmax(x-shrink, 0) - fmax(-x-shrink, 0) }

// Decision returns the decision function for column-major X: one score
// per row and coefficient row (x·coef + intercept, products rounded in
// feature order as Fitted.predict does).
func (c *Classifier) Decision(cols [][]float64) [][]float64 {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, len(c.Coef))
		for r, coef := range c.Coef {
			var s float64
			for j, col := range cols {
				s += float64(col[i] * coef[j])
			}
			out[i][r] = s + c.Intercept[r]
		}
	}
	return out
}

// predictClasses returns each row's class index and class probabilities, as
// predict and predict_proba: two classes by the logistic function of the
// score (the larger label's probability; predicted when the score is
// positive), more by the softmax of the scores (the first largest score's
// class predicted).
func (c *Classifier) predictClasses(cols [][]float64) ([]int, [][]float64) {
	dec := c.Decision(cols)
	labels, proba := make([]int, len(dec)), make([][]float64, len(dec))
	for i, d := range dec {
		if len(d) == 1 {
			p := 1 / (1 + math.Exp(-d[0]))
			proba[i] = []float64{1 - p, p}
			if d[0] > 0 {
				labels[i] = 1
			}
			continue
		}
		top := 0
		for k, v := range d {
			if v > d[top] {
				top = k
			}
		}
		labels[i] = top
		proba[i] = make([]float64, len(d))
		sum := 0.0
		for k, v := range d {
			proba[i][k] = math.Exp(v - d[top])
			sum += proba[i][k]
		}
		for k := range proba[i] {
			proba[i][k] /= sum
		}
	}
	return labels, proba
}
