package trainer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// labels are a target column's classes: their names in scikit-learn's
// sorted order (numbers by value, false before true, text by code point)
// and each row's class index.
type labels struct {
	names []string
	typ   transforms.Type
	index map[string]int
	col   *featurestore.Series
}

func newLabels(c *featurestore.Series, rows []int) (*labels, error) {
	if c.Type != transforms.Int64 && c.Type != transforms.Bool && c.Type != transforms.String && c.Type != transforms.Float64 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s is a %s column; a classifier needs labels (integers, booleans or text)", c.Name, c.Type)
	}
	l := &labels{typ: c.Type, index: map[string]int{}, col: c}
	type key struct {
		f float64
		s string
	}
	seen := map[string]key{}
	for _, i := range rows {
		name := labelName(c, i)
		if _, ok := seen[name]; !ok {
			k := key{s: name}
			switch c.Type {
			case transforms.Int64:
				k.f = float64(c.I64[i])
			case transforms.Float64:
				k.f = c.F64[i]
			case transforms.Bool:
				if c.Bool[i] {
					k.f = 1
				}
			}
			seen[name] = k
			l.names = append(l.names, name)
		}
	}
	slices.SortFunc(l.names, func(a, b string) int {
		switch c.Type {
		case transforms.String:
			return cmp.Compare(a, b)
		case transforms.Int64:
			x, _ := strconv.ParseInt(a, 10, 64)
			y, _ := strconv.ParseInt(b, 10, 64)
			return cmp.Compare(x, y)
		}
		return cmp.Compare(seen[a].f, seen[b].f)
	})
	for i, n := range l.names {
		l.index[n] = i
	}
	if len(l.names) < 2 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the target %s has %d %s (%v); a classifier needs at least 2", c.Name, len(l.names),
			map[bool]string{true: "class", false: "classes"}[len(l.names) == 1], l.names).
			WithHint("check the target column, or train a regression (drop --task classification)")
	}
	return l, nil
}

// labelName is a row's label as text: what names its proba_ column.
func labelName(c *featurestore.Series, i int) string {
	switch c.Type {
	case transforms.Int64:
		return strconv.FormatInt(c.I64[i], 10)
	case transforms.Float64:
		return strconv.FormatFloat(c.F64[i], 'g', -1, 64)
	case transforms.Bool:
		if c.Bool[i] {
			return "True"
		}
		return "False"
	}
	return c.Str[i]
}

// of returns the class index of each of rows.
func (l *labels) of(rows []int) []int {
	out := make([]int, len(rows))
	for k, i := range rows {
		out[k] = l.index[labelName(l.col, i)]
	}
	return out
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
	idx, proba := c.predictClasses(X)
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
