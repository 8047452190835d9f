package trainer

import (
	"encoding/json"
	"math"
	"sort"

	"github.com/fs-dev/fs/numeric"
)

// ClassMetrics are scikit-learn's classification metrics on one set of
// rows. Precision, recall and F1 come three ways: Binary (the positive
// class is the larger label, sklearn's pos_label for 0/1; two classes
// only), Macro (the unweighted mean over classes) and Weighted (weighted
// by each class's true count, MLflow autologging's choice), over the
// classes present in the rows or the predictions, as sklearn's labels=None;
// a class never predicted or never present scores 0, as sklearn's
// zero_division default. The log loss knows every class (labels=classes).
// AUC is ROC AUC: binary, or one-vs-rest macro for more classes (AUCOvO is
// the one-vs-one weighted mean MLflow autologging logs for more classes).
type ClassMetrics struct {
	Accuracy  float64 `json:"accuracy"`
	Binary    *PRF    `json:"binary,omitempty"`
	Macro     PRF     `json:"macro"`
	Weighted  PRF     `json:"weighted"`
	AUC       float64 `json:"roc_auc"`
	AUCOvO    float64 `json:"roc_auc_ovo_weighted,omitempty"`
	LogLoss   float64 `json:"log_loss"`
	Confusion [][]int `json:"confusion_matrix"` // [true class][predicted class], classes in order
	Rows      int     `json:"rows"`
}

// PRF is precision, recall and F1.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// F1 is the F1 the gate and --select judge by: binary for two classes,
// macro for more.
func (m ClassMetrics) F1() float64 {
	if m.Binary != nil {
		return m.Binary.F1
	}
	return m.Macro.F1
}

// EvaluateClassifier computes the metrics of predicted labels pred and
// probabilities proba (row-major, one column per class) against y, all
// class indexes into k classes.
func EvaluateClassifier(y, pred []int, proba [][]float64, k int) ClassMetrics {
	n := len(y)
	m := ClassMetrics{Rows: n, Confusion: make([][]int, k)}
	for c := range m.Confusion {
		m.Confusion[c] = make([]int, k)
	}
	hits := 0
	for i := range y {
		m.Confusion[y[i]][pred[i]]++
		if y[i] == pred[i] {
			hits++
		}
	}
	m.Accuracy = float64(hits) / float64(n)
	tp, trueSum, predSum := make([]float64, k), make([]float64, k), make([]float64, k)
	for t := 0; t < k; t++ {
		for p := 0; p < k; p++ {
			trueSum[t] += float64(m.Confusion[t][p])
			predSum[p] += float64(m.Confusion[t][p])
		}
		tp[t] = float64(m.Confusion[t][t])
	}
	prec, rec, f1 := make([]float64, k), make([]float64, k), make([]float64, k)
	for c := 0; c < k; c++ {
		prec[c], rec[c], f1[c] = divide(tp[c], predSum[c]), divide(tp[c], trueSum[c]), divide(2*tp[c], trueSum[c]+predSum[c])
	}
	if k == 2 {
		m.Binary = &PRF{prec[1], rec[1], f1[1]}
	}
	// Macro averages over the classes present in y or pred, as sklearn
	// (labels=None); a class absent from both weighs nothing in Weighted.
	var present []int
	for c := 0; c < k; c++ {
		if trueSum[c]+predSum[c] > 0 {
			present = append(present, c)
		}
	}
	pick := func(v []float64) []float64 {
		out := make([]float64, len(present))
		for i, c := range present {
			out[i] = v[c]
		}
		return out
	}
	m.Macro = PRF{average(pick(prec), nil), average(pick(rec), nil), average(pick(f1), nil)}
	m.Weighted = PRF{average(prec, trueSum), average(rec, trueSum), average(f1, trueSum)}
	m.LogLoss = logLoss(y, proba)
	if k == 2 {
		score := make([]float64, n)
		pos := make([]bool, n)
		for i := range y {
			score[i], pos[i] = proba[i][1], y[i] == 1
		}
		m.AUC = binaryAUC(pos, score)
	} else {
		m.AUC, m.AUCOvO = ovrAUC(y, proba, k), ovoAUC(y, proba, k)
	}
	return m
}

func divide(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// average is np.average: the mean, or sum(v·w)/sum(w).
func average(v, w []float64) float64 {
	if w == nil {
		return numeric.PairwiseSum(v) / float64(len(v))
	}
	prod := make([]float64, len(v))
	for i := range v {
		prod[i] = v[i] * w[i]
	}
	return numeric.PairwiseSum(prod) / numeric.PairwiseSum(w)
}

// logLoss is sklearn's log_loss: probabilities clipped to [eps, 1-eps],
// the mean of -log p(true class).
func logLoss(y []int, proba [][]float64) float64 {
	const eps = 0x1p-52
	loss := make([]float64, len(y))
	for i, c := range y {
		p := min(max(proba[i][c], eps), 1-eps)
		loss[i] = -math.Log(p)
	}
	return numeric.PairwiseSum(loss) / float64(len(y))
}

// binaryAUC is roc_auc_score on one positive class: the ROC curve's points
// at each distinct score, highest first, the collinear ones dropped (as
// roc_curve's drop_intermediate), the area by the trapezoidal rule. NaN
// when only one class is present (sklearn raises there).
func binaryAUC(pos []bool, score []float64) float64 {
	n := len(score)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] < score[order[b]] })
	// mergesort ascending, reversed: ties come out in reverse row order, which
	// does not matter to the counts.
	var tps, fps []float64
	tp, fp := 0.0, 0.0
	for r := n - 1; r >= 0; r-- {
		i := order[r]
		if pos[i] {
			tp++
		} else {
			fp++
		}
		if r == 0 || score[order[r-1]] != score[i] {
			tps, fps = append(tps, tp), append(fps, fp)
		}
	}
	if tp == 0 || fp == 0 {
		return math.NaN()
	}
	// Keep the first and last points and every one where the curve bends.
	keep := []int{0}
	for i := 1; i+1 < len(tps); i++ {
		if fps[i+1]-2*fps[i]+fps[i-1] != 0 || tps[i+1]-2*tps[i]+tps[i-1] != 0 {
			keep = append(keep, i)
		}
	}
	if len(tps) > 1 {
		keep = append(keep, len(tps)-1)
	}
	x, yv := []float64{0}, []float64{0}
	for _, i := range keep {
		x, yv = append(x, fps[i]/fp), append(yv, tps[i]/tp)
	}
	area := make([]float64, len(x)-1)
	for i := range area {
		area[i] = (x[i+1] - x[i]) * (yv[i+1] + yv[i]) / 2.0
	}
	return numeric.PairwiseSum(area)
}

// ovrAUC is the macro mean of each class's AUC against the rest.
func ovrAUC(y []int, proba [][]float64, k int) float64 {
	aucs := make([]float64, k)
	for c := 0; c < k; c++ {
		pos, score := make([]bool, len(y)), make([]float64, len(y))
		for i := range y {
			pos[i], score[i] = y[i] == c, proba[i][c]
		}
		aucs[c] = binaryAUC(pos, score)
	}
	return average(aucs, nil)
}

// ovoAUC is sklearn's one-vs-one AUC weighted by each pair's prevalence:
// for each pair of classes, the mean of a's AUC against b and b's against
// a on the rows of either class.
func ovoAUC(y []int, proba [][]float64, k int) float64 {
	var scores, weights []float64
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			var posA, posB []bool
			var sa, sb []float64
			for i, c := range y {
				if c == a || c == b {
					posA, sa = append(posA, c == a), append(sa, proba[i][a])
					posB, sb = append(posB, c == b), append(sb, proba[i][b])
				}
			}
			scores = append(scores, (binaryAUC(posA, sa)+binaryAUC(posB, sb))/2)
			weights = append(weights, float64(len(posA))/float64(len(y)))
		}
	}
	return average(scores, weights)
}

// classMetricsAlias has ClassMetrics' fields without its methods.
type classMetricsAlias ClassMetrics

// MarshalJSON writes NaN as null.
func (m ClassMetrics) MarshalJSON() ([]byte, error) {
	type out struct {
		classMetricsAlias
		AUC    jsonFloat  `json:"roc_auc"`
		AUCOvO *jsonFloat `json:"roc_auc_ovo_weighted,omitempty"`
	}
	o := out{classMetricsAlias: classMetricsAlias(m), AUC: jsonFloat(m.AUC)}
	if m.Binary == nil {
		v := jsonFloat(m.AUCOvO)
		o.AUCOvO = &v
	}
	return json.Marshal(o)
}

// UnmarshalJSON reads null as NaN.
func (m *ClassMetrics) UnmarshalJSON(b []byte) error {
	var o struct {
		classMetricsAlias
		AUC    jsonFloat `json:"roc_auc"`
		AUCOvO jsonFloat `json:"roc_auc_ovo_weighted"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*m = ClassMetrics(o.classMetricsAlias)
	m.AUC, m.AUCOvO = float64(o.AUC), float64(o.AUCOvO)
	return nil
}
