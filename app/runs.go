package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/trainer"
)

// RunDetail is a run and, for a sweep, its runs. Its JSON is the run, or
// {"sweep": run, "runs": [...]} for a sweep.
type RunDetail struct {
	Run      *trainer.Run
	Children []*trainer.Run
}

func (d RunDetail) MarshalJSON() ([]byte, error) {
	if len(d.Children) > 0 {
		return json.Marshal(struct {
			Sweep *trainer.Run   `json:"sweep"`
			Runs  []*trainer.Run `json:"runs"`
		}{d.Run, d.Children})
	}
	return json.Marshal(d.Run)
}

func (d *RunDetail) UnmarshalJSON(b []byte) error {
	var sweep struct {
		Sweep *trainer.Run   `json:"sweep"`
		Runs  []*trainer.Run `json:"runs"`
	}
	if err := json.Unmarshal(b, &sweep); err == nil && sweep.Sweep != nil {
		d.Run, d.Children = sweep.Sweep, sweep.Runs
		return nil
	}
	d.Run, d.Children = new(trainer.Run), nil
	return json.Unmarshal(b, d.Run)
}

// Runs lists the runs newest first, each sweep followed by its runs.
func (s *Service) Runs(ctx context.Context) (runs []trainer.Run, err error) {
	err = s.read(ctx, func(st Store) error {
		runs, err = st.Runs(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return groupSweeps(runs), nil
}

func groupSweeps(runs []trainer.Run) []trainer.Run {
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Created.After(runs[j].Created) })
	children := map[featurestore.ID][]trainer.Run{}
	for _, r := range runs {
		if r.Parent != nil {
			children[*r.Parent] = append(children[*r.Parent], r)
		}
	}
	out := make([]trainer.Run, 0, len(runs))
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

// Run shows a run by id or unique prefix, with a sweep's runs. Errors:
// ENOTFOUND, EINVALID (an ambiguous prefix).
func (s *Service) Run(ctx context.Context, prefix string) (*RunDetail, error) {
	d := &RunDetail{}
	err := s.read(ctx, func(st Store) error {
		id, err := st.ResolveRun(ctx, prefix)
		if err != nil {
			return err
		}
		if d.Run, err = st.Run(ctx, id); err != nil {
			return err
		}
		for _, c := range d.Run.Children {
			ch, err := st.Run(ctx, c)
			if err != nil {
				return err
			}
			d.Children = append(d.Children, ch)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Service) runByID(ctx context.Context, id featurestore.ID) (r *trainer.Run, err error) {
	err = s.read(ctx, func(st Store) error {
		r, err = st.Run(ctx, id)
		return err
	})
	return r, err
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

// Compare puts two or more runs side by side: parameters, each feature's
// version, metrics. Errors: ENOTFOUND, EINVALID.
func (s *Service) Compare(ctx context.Context, ids []string) (*Comparison, error) {
	var runs []*trainer.Run
	cmp := &Comparison{}
	for _, id := range ids {
		d, err := s.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, d.Run)
		cmp.Runs = append(cmp.Runs, d.Run.ID.Short())
	}
	add := func(kind, name string, value func(*trainer.Run) string) {
		row := ComparisonRow{Kind: kind, Name: name}
		for _, r := range runs {
			v := value(r)
			row.Differ = row.Differ || (len(row.Values) > 0 && v != row.Values[0])
			row.Values = append(row.Values, v)
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	add("param", "dataset", func(r *trainer.Run) string { return format.ShortID(r.Dataset.ID) })
	add("param", "target", func(r *trainer.Run) string { return r.Target })
	if !allRegression(runs) {
		add("param", "task", func(r *trainer.Run) string { return r.Task() })
	}
	for _, name := range sweptUnion(runs) {
		add("param", name, func(r *trainer.Run) string { return sweptValue(r, name) })
	}
	add("param", "split", func(r *trainer.Run) string {
		return fmt.Sprintf("%s %v seed %d", r.Split.Kind, r.Split.TestSize, r.Split.Seed)
	})
	for _, name := range featureUnion(runs) {
		add("feature", name, func(r *trainer.Run) string { return featureVersion(r, name) })
	}
	for _, m := range metricUnion(runs) {
		add("metric", m.row, func(r *trainer.Run) string { return metricValue(r, m) })
	}
	return cmp, nil
}

// allRegression reports whether every run predicts a number.
func allRegression(runs []*trainer.Run) bool {
	for _, r := range runs {
		if r.Task() != trainer.TaskRegression {
			return false
		}
	}
	return true
}

// sweptUnion is the swept parameters of the runs' estimators, in order of
// appearance.
func sweptUnion(runs []*trainer.Run) []string {
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

func sweptValue(r *trainer.Run, name string) string {
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
func metricUnion(runs []*trainer.Run) []compared {
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

func metricValue(r *trainer.Run, m compared) string {
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

func featureVersion(r *trainer.Run, name string) string {
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

func featureUnion(runs []*trainer.Run) []string {
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
