package trainer

import (
	"fmt"
	"slices"
	"sort"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
)

// GroupSweeps orders runs newest first, each sweep followed by its runs
// (the runs of a sweep that is not recorded come last).
func GroupSweeps(runs []Run) []Run {
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Created.After(runs[j].Created) })
	children := map[featurestore.ID][]Run{}
	for _, r := range runs {
		if r.Parent != nil {
			children[*r.Parent] = append(children[*r.Parent], r)
		}
	}
	out := make([]Run, 0, len(runs))
	for _, r := range runs {
		if r.Parent != nil {
			continue
		}
		out = append(out, r)
		out = append(out, children[r.ID]...)
		delete(children, r.ID)
	}
	for _, r := range runs { // runs of a sweep that is not recorded: listed all the same
		if r.Parent != nil && children[*r.Parent] != nil {
			out = append(out, r)
		}
	}
	return out
}

// Comparison puts runs side by side.
type Comparison struct {
	Runs []string        `json:"runs"`
	Rows []ComparisonRow `json:"rows"`
}

// ComparisonRow is one parameter, feature or metric across the runs.
type ComparisonRow struct {
	Kind   string   `json:"kind"` // param, feature or metric
	Name   string   `json:"name"`
	Values []string `json:"values"`
	Differ bool     `json:"differ"`
}

// Compare puts runs side by side: their dataset, target, task (when not
// all are regressions), swept parameters and split, each feature's
// version, and every metric on the test then the train rows.
func Compare(runs []*Run) *Comparison {
	cmp := &Comparison{}
	for _, r := range runs {
		cmp.Runs = append(cmp.Runs, r.ID.Short())
	}
	add := func(kind, name string, value func(*Run) string) {
		row := ComparisonRow{Kind: kind, Name: name}
		for _, r := range runs {
			v := value(r)
			row.Differ = row.Differ || (len(row.Values) > 0 && v != row.Values[0])
			row.Values = append(row.Values, v)
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	add("param", "dataset", func(r *Run) string { return format.ShortID(r.Dataset.ID) })
	add("param", "target", func(r *Run) string { return r.Target })
	if !allRegression(runs) {
		add("param", "task", func(r *Run) string { return r.Task() })
	}
	for _, name := range sweptUnion(runs) {
		add("param", name, func(r *Run) string { return sweptValue(r, name) })
	}
	add("param", "split", func(r *Run) string {
		return fmt.Sprintf("%s %v seed %d", r.Split.Kind, r.Split.TestSize, r.Split.Seed)
	})
	for _, name := range featureUnion(runs) {
		add("feature", name, func(r *Run) string { return featureVersion(r, name) })
	}
	for _, m := range metricUnion(runs) {
		add("metric", m.row, func(r *Run) string { return metricValue(r, m) })
	}
	return cmp
}

// allRegression reports whether every run predicts a number.
func allRegression(runs []*Run) bool {
	for _, r := range runs {
		if r.Task() != TaskRegression {
			return false
		}
	}
	return true
}

// sweptUnion is the swept parameters of the runs' estimators, in order of
// appearance.
func sweptUnion(runs []*Run) []string {
	var names []string
	for _, r := range runs {
		if r.Params == nil {
			continue
		}
		for _, v := range r.Params.Swept() {
			if !slices.Contains(names, v.Name) {
				names = append(names, v.Name)
			}
		}
	}
	return names
}

func sweptValue(r *Run, name string) string {
	if r.Params != nil {
		for _, v := range r.Params.Swept() {
			if v.Name == name {
				return format.Num(v.Num)
			}
		}
	}
	return "-"
}

// compared is a metric row: test_rmse is rmse on the test rows.
type compared struct {
	row, metric string
	test        bool
}

// metricUnion is every metric of the runs' estimators on the test rows,
// then on the train rows, in order of appearance.
func metricUnion(runs []*Run) []compared {
	var out []compared
	seen := map[string]bool{}
	for _, test := range []bool{true, false} {
		prefix := "train_"
		if test {
			prefix = "test_"
		}
		for _, r := range runs {
			s := r.Train
			if test {
				s = r.Test
			}
			if s == nil {
				continue
			}
			for _, m := range s.Metrics() {
				if !seen[prefix+m.Name] {
					seen[prefix+m.Name] = true
					out = append(out, compared{prefix + m.Name, m.Name, test})
				}
			}
		}
	}
	return out
}

func metricValue(r *Run, m compared) string {
	s := r.Train
	if m.test {
		s = r.Test
	}
	if s != nil {
		if v, ok := s.Get(m.metric); ok {
			return format.Num(v)
		}
	}
	return "-"
}

func featureVersion(r *Run, name string) string {
	for _, f := range r.Features {
		if f.Name == name {
			if f.Version.IsZero() {
				return "(no version)"
			}
			return f.Version.Short()
		}
	}
	return "-"
}

func featureUnion(runs []*Run) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range runs {
		for _, f := range r.Features {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Name)
			}
		}
	}
	return out
}
