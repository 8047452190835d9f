package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/trainer"
)

func newRunsCmd(a *cli) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "List and show training runs"}
	var listJSON, showJSON bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List training runs, newest first, with their MLflow state",
		Long:    "List training runs, newest first: metrics, gate, and the MLflow run id and sync state.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs runs list\n  fs runs list --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			runs, err := a.api().Runs(a.ctx(cmd))
			if err != nil {
				return err
			}
			if listJSON {
				return writeJSON(a.st.Stdout, runs)
			}
			return printRuns(a, runs)
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print one JSON document")
	show := &cobra.Command{
		Use:     "show RUN",
		Short:   "Show a run: dataset, feature versions, parameters, metrics, model",
		Long:    "Show a training run; for a sweep, also its runs with their test metrics.\n\nArguments:\n  RUN   a run id or any unique prefix\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs runs show 3f9a1c2b\n  fs runs show 3f9a --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			d, err := a.api().Run(a.ctx(cmd), argv[0])
			if err != nil {
				return err
			}
			if showJSON {
				return writeJSON(a.st.Stdout, d)
			}
			printRun(a.st.Stdout, d.Run, d.Children)
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print one JSON document")
	cmd.AddCommand(list, show, newRunsCompareCmd(a))
	return cmd
}

// featureNames is a run's features, joined and cut to 40 characters.
func featureNames(r trainer.Run) string {
	var names []string
	for _, f := range r.Features {
		names = append(names, f.Name)
	}
	s := strings.Join(names, ",")
	if len([]rune(s)) > 40 {
		s = string([]rune(s)[:39]) + "…"
	}
	return s
}

// printRuns is the runs table: a sweep marked, its runs under it; the
// swept parameters and first test metric under the newest run's names
// (name=value for a run of another estimator).
func printRuns(a *cli, runs []trainer.Run) error {
	head := []string{"RUN", "CREATED", "DATASET", "TARGET", "FEATURES"}
	var params, metric []string
	if len(runs) > 0 && runs[0].Params != nil && runs[0].Test != nil {
		params, metric = valueNames(runs[0].Params.Swept()), valueNames(runs[0].Test.Metrics())[:1]
	}
	for _, p := range params {
		head = append(head, strings.ToUpper(p))
	}
	for _, m := range metric {
		head = append(head, "TEST_"+strings.ToUpper(m))
	}
	t := newTable(a.st.Stdout, append(head, "GATE", "MLFLOW")...)
	for _, r := range runs {
		gate := "-"
		if r.Gate.Set() {
			gate = map[bool]string{true: "passed", false: "failed"}[r.Gate.Passed]
		}
		id := r.ID.Short()
		switch {
		case len(r.Children) > 0:
			id += fmt.Sprintf(" (sweep of %d)", len(r.Children))
		case r.Parent != nil:
			id = "  └ " + id
		}
		ml := r.MLflow.State
		if r.MLflow.RunID != "" {
			ml += " " + r.MLflow.RunID
		}
		row := []string{id, fmtTime(r.Created), shortID(r.Dataset.ID), r.Target, featureNames(r)}
		row = append(append(row, sweptCells(&r, params)...), metricCells(&r, metric)...)
		t.row(append(row, gate, ml)...)
	}
	return t.flush()
}
