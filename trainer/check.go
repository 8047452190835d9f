package trainer

import (
	"math"

	"github.com/fs-dev/fs/featurestore"
)

// Check refuses parameters no fit can use, before any data is read: a
// NaN or infinite number anywhere (it would pass every comparison and
// fail only after fitting), a negative alpha or C, an l1_ratio outside 0
// to 1, a tolerance that is not positive, a test size outside (0, 1), and
// fewer than one iteration, a flag the estimator does not read, an
// unknown --select. Each error names the flag.
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
	est, err := EstimatorFor(r)
	if err != nil {
		return err
	}
	if err := refuseUnused(est, r); err != nil {
		return err
	}
	if _, err := est.Select(r); err != nil {
		return err
	}
	_, err = est.Grid(r)
	return err
}

// threshold is a gate's bound: its flag, the test metric it bounds, and
// whether it is an upper bound.
type threshold struct {
	flag, metric string
	max          bool
	value        *float64
}

// thresholds are the bounds the gate sets.
func (g Gate) thresholds() []threshold {
	var out []threshold
	for _, t := range []threshold{{"--max-rmse", "rmse", true, g.MaxRMSE}, {"--max-mae", "mae", true, g.MaxMAE},
		{"--min-r2", "r2", false, g.MinR2}, {"--min-accuracy", "accuracy", false, g.MinAccuracy}, {"--min-f1", "f1", false, g.MinF1},
		{"--min-auc", "roc_auc", false, g.MinAUC}, {"--max-log-loss", "log_loss", true, g.MaxLogLoss}} {
		if t.value != nil {
			out = append(out, t)
		}
	}
	return out
}
