package trainer

import (
	"fmt"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// Mismatches lists the model features whose version in the input differs
// from the version the model was trained on (training/serving skew). An
// input without fs metadata cannot show its versions: every versioned
// feature is then a mismatch.
func Mismatches(model []featurestore.FeatureRef, input *Data) []string {
	have := map[string]featurestore.ID{}
	for _, f := range input.Features {
		have[f.Name] = f.Version
	}
	var out []string
	for _, f := range model {
		if f.Version.IsZero() {
			continue
		}
		got, ok := have[f.Name]
		switch {
		case !input.Ref.FS:
			out = append(out, fmt.Sprintf("%s: the model wants version %s; the input records no versions (not written by fs materialize)", f.Name, f.Version.Short()))
		case !ok:
			out = append(out, fmt.Sprintf("%s: the model wants version %s; the input has no such feature", f.Name, f.Version.Short()))
		case got != f.Version:
			out = append(out, fmt.Sprintf("%s: the model was trained on version %s, the input has %s", f.Name, f.Version.Short(), got.Short()))
		}
	}
	return out
}

// Predict computes the run's model on every row of t, in the model's
// feature order: a regression's prediction column, or a classifier's
// predicted label (typed as the target was) and one proba_<class> column
// per class. A row with a null feature gets nulls.
func Predict(r *Run, t *featurestore.Table, column string) ([]*featurestore.Series, error) {
	var cols []*featurestore.Series
	for _, f := range r.Features {
		c := t.Lookup(f.Name)
		if c == nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "the input has no column %s, which the model reads", f.Name).
				WithHint("materialize the input with the model's features: fs runs show %s lists them", r.ID.Short())
		}
		if c.Type != transforms.Float64 && c.Type != transforms.Int64 && c.Type != transforms.Bool {
			return nil, featurestore.Errorf(featurestore.EINVALID, "input column %s is %s, not a number", f.Name, c.Type)
		}
		cols = append(cols, c)
	}
	all := make([]int, t.Rows)
	for i := range all {
		all[i] = i
	}
	X := make([][]float64, len(cols))
	for j, c := range cols {
		X[j] = gatherFloat(c, all)
	}
	if r.Model == nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "run %s has no model", r.ID.Short())
	}
	out, err := r.Model.Predict(X, column)
	if err != nil {
		return nil, err
	}
	for i := 0; i < t.Rows; i++ {
		for _, c := range cols {
			if c.Null(i) {
				for _, o := range out {
					o.SetNull(i, t.Rows)
				}
				break
			}
		}
	}
	return out, nil
}
