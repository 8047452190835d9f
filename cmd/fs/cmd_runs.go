package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
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
			r, children := d.Run, d.Children
			w := a.st.Stdout
			if r.Task == trainer.TaskClassification {
				showClassifier(w, r, children)
				return nil
			}
			fmt.Fprintf(w, "run      %s\ncreated  %s\ndataset  %s (%s)\ntarget   %s\nparams   alpha %v, l1_ratio %v, max_iter %d, tol %v, positive %v\nsplit    %s, test size %v, seed %d\nmlflow   %s %s\n\n",
				r.ID, fmtTime(r.Created), r.Dataset.ID, r.Dataset.Path, r.Target, r.Params.Alpha, r.Params.L1Ratio,
				r.Params.MaxIter, r.Params.Tol, r.Params.Positive, r.Split.Kind, r.Split.TestSize, r.Split.Seed, r.MLflow.State, r.MLflow.RunID)
			t := newTable(w, "METRIC", "TRAIN", "TEST")
			t.row("rmse", fmtNum(r.Train.RMSE), fmtNum(r.Test.RMSE))
			t.row("mae", fmtNum(r.Train.MAE), fmtNum(r.Test.MAE))
			t.row("r2", fmtNum(r.Train.R2), fmtNum(r.Test.R2))
			t.flush()
			if r.Model != nil {
				fmt.Fprintln(w)
				c := newTable(w, "FEATURE", "VERSION", "COEF")
				for i, f := range r.Features {
					v := "-"
					if !f.Version.IsZero() {
						v = f.Version.Short()
					}
					c.row(f.Name, v, fmtNum(r.Model.Coef[i]))
				}
				c.row("(intercept)", "", fmtNum(r.Model.Intercept))
				c.flush()
			}
			if len(children) > 0 {
				fmt.Fprintln(w)
				c := newTable(w, "RUN", "ALPHA", "L1_RATIO", "TEST_RMSE", "TEST_MAE", "TEST_R2", "")
				for _, ch := range children {
					mark := ""
					if r.Best != nil && ch.ID == *r.Best {
						mark = "best"
					}
					c.row(ch.ID.Short(), fmtNum(ch.Params.Alpha), fmtNum(ch.Params.L1Ratio), fmtNum(ch.Test.RMSE),
						fmtNum(ch.Test.MAE), fmtNum(ch.Test.R2), mark)
				}
				c.flush()
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print one JSON document")
	cmd.AddCommand(list, show, newRunsCompareCmd(a))
	return cmd
}

// groupSweeps orders runs newest first, each sweep followed by its runs.
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

// sweepRuns loads a sweep's runs (none for a single run).

// printRuns is the runs table: a sweep marked, its runs under it.
func printRuns(a *cli, runs []trainer.Run) error {
	t := newTable(a.st.Stdout, "RUN", "CREATED", "DATASET", "TARGET", "FEATURES", "ALPHA", "L1_RATIO", "TEST_RMSE", "GATE", "MLFLOW")
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
		alpha, l1, metric := fmtNum(r.Params.Alpha), fmtNum(r.Params.L1Ratio), fmtNum(r.Test.RMSE)
		if r.Task == trainer.TaskClassification && r.Logistic != nil && r.TestClass != nil {
			alpha, l1, metric = "C="+fmtNum(r.Logistic.C), fmtNum(r.Logistic.L1Ratio), "log_loss="+fmtNum(r.TestClass.LogLoss)
		}
		t.row(id, fmtTime(r.Created), shortID(r.Dataset.ID), r.Target, featureNames(r), alpha, l1, metric, gate, ml)
	}
	return t.flush()
}

// showClassifier prints a classification run, and a sweep's runs.
func showClassifier(w io.Writer, r *trainer.Run, children []*trainer.Run) {
	p := r.Logistic
	fmt.Fprintf(w, "run      %s\ncreated  %s\ndataset  %s (%s)\ntarget   %s (classes %s)\nparams   C %v, l1_ratio %v, max_iter %d, tol %v, solver saga\nsplit    %s, test size %v, seed %d\nmlflow   %s %s\n\n",
		r.ID, fmtTime(r.Created), r.Dataset.ID, r.Dataset.Path, r.Target, strings.Join(r.Classifier.Classes, ", "), p.C, p.L1Ratio, p.MaxIter, p.Tol,
		splitKind(r.Split), r.Split.TestSize, r.Split.Seed, r.MLflow.State, r.MLflow.RunID)
	printClassMetrics(w, r)
	fmt.Fprintln(w)
	printClassCoef(w, r)
	if len(children) > 0 {
		fmt.Fprintln(w)
		var best featurestore.ID
		if r.Best != nil {
			best = *r.Best
		}
		printClassifierRuns(w, children, best, false)
	}
}
