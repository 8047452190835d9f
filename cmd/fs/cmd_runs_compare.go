package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/trainer"
)

// comparison is fs runs compare's answer: one row per parameter, feature
// and metric, one value per run ("" where a run has no such feature).
type comparison struct {
	Runs []string        `json:"runs"`
	Rows []comparisonRow `json:"rows"`
}

type comparisonRow struct {
	Kind   string   `json:"kind"` // param, feature or metric
	Name   string   `json:"name"`
	Values []string `json:"values"`
	Differ bool     `json:"differ"`
}

func newRunsCompareCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Put runs side by side: parameters, feature versions, metrics",
		Long: `Put two or more runs side by side: their parameters and split, each feature's
version (or - where a run does not use it) and their train and test metrics.
Rows that differ between the runs are marked with *.

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs runs compare 3f9a1c2b 77c0e1a9\n  fs runs compare 3f9a 77c0 --json",
		Args:    args(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			cmp, err := a.compareRuns(cmd.Context(), argv)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, cmp)
			}
			t := newTable(a.st.Stdout, append([]string{"", "KIND", "NAME"}, cmp.Runs...)...)
			for _, r := range cmp.Rows {
				mark := ""
				if r.Differ {
					mark = "*"
				}
				t.row(append([]string{mark, r.Kind, r.Name}, r.Values...)...)
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) compareRuns(ctx context.Context, ids []string) (*comparison, error) {
	var runs []*trainer.Run
	cmp := &comparison{}
	for _, id := range ids {
		r, err := a.loadRun(ctx, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
		cmp.Runs = append(cmp.Runs, r.ID.Short())
	}
	add := func(kind, name string, value func(*trainer.Run) string) {
		row := comparisonRow{Kind: kind, Name: name}
		for _, r := range runs {
			v := value(r)
			row.Differ = row.Differ || (len(row.Values) > 0 && v != row.Values[0])
			row.Values = append(row.Values, v)
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	add("param", "dataset", func(r *trainer.Run) string { return shortID(r.Dataset.ID) })
	add("param", "target", func(r *trainer.Run) string { return r.Target })
	add("param", "alpha", func(r *trainer.Run) string { return fmtNum(r.Params.Alpha) })
	add("param", "l1_ratio", func(r *trainer.Run) string { return fmtNum(r.Params.L1Ratio) })
	add("param", "split", func(r *trainer.Run) string {
		return fmt.Sprintf("%s %v seed %d", r.Split.Kind, r.Split.TestSize, r.Split.Seed)
	})
	for _, name := range featureUnion(runs) {
		add("feature", name, func(r *trainer.Run) string {
			for _, f := range r.Features {
				if f.Name == name {
					if f.Version.IsZero() {
						return "(no version)"
					}
					return f.Version.Short()
				}
			}
			return "-"
		})
	}
	metrics := []struct {
		name string
		get  func(*trainer.Run) float64
	}{
		{"test_rmse", func(r *trainer.Run) float64 { return r.Test.RMSE }},
		{"test_mae", func(r *trainer.Run) float64 { return r.Test.MAE }},
		{"test_r2", func(r *trainer.Run) float64 { return r.Test.R2 }},
		{"train_rmse", func(r *trainer.Run) float64 { return r.Train.RMSE }},
		{"train_r2", func(r *trainer.Run) float64 { return r.Train.R2 }},
	}
	for _, m := range metrics {
		add("metric", m.name, func(r *trainer.Run) string { return fmtNum(m.get(r)) })
	}
	return cmp, nil
}

// featureUnion is every feature name the runs use, in first-seen order.
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
