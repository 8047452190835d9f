package trainer

import (
	"fmt"
	"strconv"

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
	var out []*featurestore.Series
	if r.Task == TaskClassification {
		var err error
		if out, err = classify(r.Classifier, X, column); err != nil {
			return nil, err
		}
	} else {
		pred := featurestore.NewSeries(column, transforms.Float64, t.Rows)
		copy(pred.F64, r.Model.Predict(X))
		out = []*featurestore.Series{pred}
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

// classify is the label and probability columns of a classifier on X.
func classify(c *Classifier, X [][]float64, column string) ([]*featurestore.Series, error) {
	n := 0
	if len(X) > 0 {
		n = len(X[0])
	}
	label := featurestore.NewSeries(column, transforms.Type(c.LabelType), n)
	values := make([]*featurestore.Series, len(c.Classes)) // each class's label as a one-row series
	for k, name := range c.Classes {
		v, err := labelValue(label.Type, name)
		if err != nil {
			return nil, err
		}
		values[k] = v
	}
	out := []*featurestore.Series{label}
	for _, name := range c.Classes {
		out = append(out, featurestore.NewSeries("proba_"+name, transforms.Float64, n))
	}
	idx, proba := c.Predict(X)
	for i, k := range idx {
		setLabel(label, i, values[k])
		for j := range c.Classes {
			out[1+j].F64[i] = proba[i][j]
		}
	}
	return out, nil
}

// labelValue parses a class name back into a one-row series of its type.
func labelValue(t transforms.Type, name string) (*featurestore.Series, error) {
	s := featurestore.NewSeries("", t, 1)
	var err error
	switch t {
	case transforms.Int64:
		s.I64[0], err = strconv.ParseInt(name, 10, 64)
	case transforms.Float64:
		s.F64[0], err = strconv.ParseFloat(name, 64)
	case transforms.Bool:
		s.Bool[0] = name == "True"
	case transforms.String:
		s.Str[0] = name
	default:
		err = fmt.Errorf("unknown label type %q", t)
	}
	if err != nil {
		return nil, fmt.Errorf("the model's class %q: %w", name, err)
	}
	return s, nil
}

func setLabel(dst *featurestore.Series, i int, v *featurestore.Series) {
	switch dst.Type {
	case transforms.Int64:
		dst.I64[i] = v.I64[0]
	case transforms.Float64:
		dst.F64[i] = v.F64[0]
	case transforms.Bool:
		dst.Bool[i] = v.Bool[0]
	case transforms.String:
		dst.Str[i] = v.Str[0]
	}
}
