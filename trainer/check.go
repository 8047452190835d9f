package trainer

import (
	"math"

	"github.com/fs-dev/fs/featurestore"
)

// Check refuses parameters no fit can use, before any data is read: a
// NaN or infinite number anywhere (it would pass every comparison and
// fail only after fitting), a negative alpha or C, an l1_ratio outside 0
// to 1, a tolerance that is not positive, a test size outside (0, 1), and
// fewer than one iteration. Each error names the flag.
func (r Request) Check() error {
	numbers := []struct {
		flag   string
		values []float64
		ok     func(float64) bool
		want   string
	}{
		{"--alpha", r.Alphas, func(v float64) bool { return v >= 0 }, " 0 or more"},
		{"--l1-ratio", r.L1Ratios, func(v float64) bool { return v >= 0 && v <= 1 }, " between 0 and 1"},
		{"--c", r.Cs, func(v float64) bool { return v > 0 }, " above 0"},
		{"--tol", []float64{r.Tol}, func(v float64) bool { return v >= 0 }, " 0 or more (0: the default)"},
		{"--test-size", []float64{r.TestSize}, func(v float64) bool { return v >= 0 && v < 1 }, " between 0 and 1"},
	}
	for _, g := range r.Gate.thresholds() {
		numbers = append(numbers, struct {
			flag   string
			values []float64
			ok     func(float64) bool
			want   string
		}{g.flag, []float64{*g.value}, func(float64) bool { return true }, ""})
	}
	for _, n := range numbers {
		for _, v := range n.values {
			if math.IsNaN(v) || math.IsInf(v, 0) || !n.ok(v) {
				return featurestore.Errorf(featurestore.EINVALID, "%s %v: give a finite number%s", n.flag, v, n.want)
			}
		}
	}
	if r.MaxIter < 0 {
		return featurestore.Errorf(featurestore.EINVALID, "--max-iter %d: give at least 1", r.MaxIter)
	}
	return nil
}

// threshold is a gate's bound with its flag.
type threshold struct {
	flag  string
	value *float64
}

// thresholds are the bounds the gate sets.
func (g Gate) thresholds() []threshold {
	var out []threshold
	for _, t := range []threshold{{"--max-rmse", g.MaxRMSE}, {"--max-mae", g.MaxMAE}, {"--min-r2", g.MinR2},
		{"--min-accuracy", g.MinAccuracy}, {"--min-f1", g.MinF1}, {"--min-auc", g.MinAUC}, {"--max-log-loss", g.MaxLogLoss}} {
		if t.value != nil {
			out = append(out, t)
		}
	}
	return out
}
