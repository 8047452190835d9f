package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
)

type demoOptions struct {
	dataOnly bool
	force    bool
}

func newDemoCmd(a *cli) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo [DIR]",
		Short: "Run the whole workflow on generated demo data",
		Long: `Generate deterministic demo data in DIR (driver stats parquet with nulls,
duplicates and late backfills, labelled orders, a definition file), create a
store in DIR/.fs and run the workflow on it, printing each command as it goes:
init, register, features list/show/sets, materialize (DIR/train.parquet),
datasets list, a train sweep, runs list, the lineage of the best run, the
impact of conv_rate and a reproduction of the best run. No server is needed;
when MLFLOW_TRACKING_URI is set the runs are logged to that MLflow.

Arguments:
  DIR   where to write the demo (default ./fs-demo); it is reused if present,
        and files already there (an edited features.yaml) are kept unless --force

Exit codes: 0 ok, 1 error, 2 usage, 11 the demo store is in use, 12 it is damaged.`,
		Example: "  fs demo\n  fs demo /tmp/fs-demo\n  fs demo --data-only /tmp/data",
		Args:    args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			dir := "fs-demo"
			if len(argv) == 1 {
				dir = argv[0]
			}
			return a.runDemo(cmd, dir, o)
		},
	}
	cmd.Flags().BoolVar(&o.dataOnly, "data-only", false, "only write the demo data")
	cmd.Flags().BoolVar(&o.force, "force", false, "write the demo files again even where they exist (your edits are lost)")
	return cmd
}

func (a *cli) runDemo(cmd *cobra.Command, dir string, o demoOptions) error {
	if err := app.WriteDemo(dir, o.force); err != nil {
		return fmt.Errorf("write demo data: %w", err)
	}
	fmt.Fprintf(a.st.Stderr, "fs: demo data in %s: driver_stats.parquet, trips.parquet, orders.tsv, features.yaml, expectations.yaml\n", dir)
	if o.dataOnly {
		return nil
	}
	store := filepath.Join(dir, ".fs")
	steps := [][]string{
		{"init"},
		{"register", filepath.Join(dir, "features.yaml")},
		{"features", "list"},
		{"features", "show", "trips_per_hour"},
		{"features", "sets"},
		{"materialize", "--features", "conv_rate,acc_rate,avg_daily_trips,trips_per_hour,engagement",
			"--entities", filepath.Join(dir, "orders.tsv"), "--out", filepath.Join(dir, "train.parquet")},
		{"datasets", "list"},
		{"train", "--dataset", filepath.Join(dir, "train.parquet"), "--target", "trip_completed", "--drop-nulls",
			"--alpha", "0.001,0.01,0.1", "--l1-ratio", "0.2,0.8", "--test-size", "0.2", "--seed", "17"},
		{"runs", "list"},
		{"lineage", "BEST", "--upstream"},
		{"impact", "conv_rate"},
		{"reproduce", "BEST"},
	}
	for _, step := range steps {
		for i, arg := range step {
			if arg == "BEST" {
				best, err := a.bestRun(cmd.Context(), store)
				if err != nil {
					return err
				}
				step[i] = best
			}
		}
		fmt.Fprintf(a.st.Stderr, "\n$ fs %s\n", strings.Join(step, " "))
		root := newRootCmd(a.st)
		root.SetArgs(append(step, "--store", store))
		if err := root.ExecuteContext(cmd.Context()); err != nil {
			return fmt.Errorf("demo step fs %s: %w", strings.Join(step, " "), err)
		}
	}
	fmt.Fprintf(a.st.Stderr, "\nfs: to browse this store: fs serve --store %s, then open http://127.0.0.1:7070/\n", store)
	return nil
}

// bestRun is the newest sweep's best run, for the demo's later steps.
func (a *cli) bestRun(ctx context.Context, store string) (string, error) {
	runs, err := (&app.Service{Store: app.Dir(store)}).Runs(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range runs {
		if r.Best != nil {
			return r.Best.String()[:12], nil
		}
	}
	return "", fmt.Errorf("the demo recorded no sweep")
}
