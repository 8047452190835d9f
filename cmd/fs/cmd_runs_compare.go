package main

import (
	"github.com/spf13/cobra"
)

// newRunsCompareCmd is fs runs compare: one row per parameter, feature
// and metric (trainer.Compare), one value per run.
func newRunsCompareCmd(a *cli) *cobra.Command {
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
			cmp, err := a.api().Compare(a.ctx(cmd), argv)
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
