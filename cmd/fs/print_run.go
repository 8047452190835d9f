package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// printTrain prints a training: its sweep's runs, then the best run's
// parameters, fit, gate, metrics, further tables and coefficients.
func printTrain(w io.Writer, res *app.TrainResult) {
	if res.Sweep != nil {
		fmt.Fprintf(w, "sweep    %s (%d runs, best by test %s)\n\n", res.Sweep.ID.Short(), len(res.Runs), res.Select)
		printSweep(w, res.Runs, res.Run.ID, true)
		fmt.Fprintln(w)
	}
	r := res.Run
	fmt.Fprintf(w, "run      %s\nmlflow   %s\ndataset  %s\nsplit    %s, test size %v, seed %d: %d train rows, %d test rows\n",
		r.ID.Short(), mlflowLine(r), shortID(r.Dataset.ID), splitKind(r.Split), r.Split.TestSize, r.Split.Seed, r.Split.TrainRows, r.Split.TestRows)
	fmt.Fprintf(w, "params   %s\n", trainer.Values(r.Params.Show()))
	for _, d := range r.Model.Details() {
		fmt.Fprintf(w, "%-8s %s\n", d.Name, d)
	}
	n, unit := r.Model.Effort()
	fmt.Fprintf(w, "fit      %s, %s; predict %s\ngate     %s\nmodel    %s\n\n",
		plural(n, unit), fmtSeconds(r.FitSeconds), fmtSeconds(r.PredictSeconds), gateLine(r), res.ModelDir)
	printScores(w, r)
}

// printRun prints a recorded run (fs runs show) and a sweep's runs.
func printRun(w io.Writer, r *trainer.Run, children []*trainer.Run) {
	fmt.Fprintf(w, "run      %s\ncreated  %s\ndataset  %s (%s)\ntarget   %s\n", r.ID, fmtTime(r.Created), r.Dataset.ID, r.Dataset.Path, r.Target)
	if r.Params != nil {
		fmt.Fprintf(w, "model    %s\nparams   %s\n", estimatorTitle(r), trainer.Values(r.Params.Show()))
	}
	if r.Model != nil {
		for _, d := range r.Model.Details() {
			fmt.Fprintf(w, "%-8s %s\n", d.Name, d)
		}
	}
	fmt.Fprintf(w, "split    %s, test size %v, seed %d\nmlflow   %s %s\n\n",
		splitKind(r.Split), r.Split.TestSize, r.Split.Seed, r.MLflow.State, r.MLflow.RunID)
	if r.Model != nil {
		printScores(w, r)
	}
	if len(children) > 0 {
		var best featurestore.ID
		if r.Best != nil {
			best = *r.Best
		}
		fmt.Fprintf(w, "\nruns of the sweep, best by test %s:\n", r.SelectedMetric())
		printSweep(w, children, best, false)
	}
}

func estimatorTitle(r *trainer.Run) string {
	if e, ok := trainer.Lookup(r.Estimator); ok {
		return e.Title()
	}
	return r.Estimator
}

// printScores prints a run's metrics on the train and test rows, the
// estimator's further tables on the test rows, and the coefficients.
func printScores(w io.Writer, r *trainer.Run) {
	if r.Train == nil || r.Test == nil {
		return
	}
	t := newTable(w, "METRIC", "TRAIN", "TEST")
	for _, m := range r.Train.Metrics() {
		test, _ := r.Test.Get(m.Name)
		t.row(m.Name, fmtNum(m.Num), fmtNum(test))
	}
	t.flush()
	for _, tab := range r.Test.Tables(r.Model) {
		fmt.Fprintln(w)
		head := append([]string{"TEST: " + strings.ToUpper(tab.Head[0])}, tab.Head[1:]...)
		c := newTable(w, head...)
		for _, row := range tab.Rows {
			c.row(row...)
		}
		c.flush()
	}
	if cf := r.Model.Coefficients(); cf != nil {
		fmt.Fprintln(w)
		printCoef(w, r.Features, cf)
	}
}

// printCoef prints coefficients: a COEF column, or one per class.
func printCoef(w io.Writer, feats []featurestore.FeatureRef, cf *trainer.Coefficients) {
	head := []string{"FEATURE", "VERSION"}
	for _, c := range cf.Columns {
		head = append(head, strings.TrimSuffix("COEF_"+c, "_"))
	}
	c := newTable(w, head...)
	for i, f := range feats {
		row := []string{f.Name, "-"}
		if !f.Version.IsZero() {
			row[1] = f.Version.Short()
		}
		for _, coef := range cf.Coef {
			row = append(row, fmtNum(coef[i]))
		}
		c.row(row...)
	}
	row := []string{"(intercept)", ""}
	for _, b := range cf.Intercept {
		row = append(row, fmtNum(b))
	}
	c.row(row...)
	c.flush()
}

// printSweep is a sweep's runs: their swept parameters and test metrics
// (and iterations, with effort), the best marked.
func printSweep(w io.Writer, runs []*trainer.Run, best featurestore.ID, effort bool) {
	if len(runs) == 0 || runs[0].Params == nil || runs[0].Test == nil {
		return
	}
	head := []string{"RUN"}
	params, metrics := valueNames(runs[0].Params.Swept()), valueNames(runs[0].Test.Metrics())
	for _, p := range params {
		head = append(head, strings.ToUpper(p))
	}
	for _, m := range metrics {
		head = append(head, "TEST_"+strings.ToUpper(m))
	}
	if effort {
		head = append(head, "ITER")
	}
	t := newTable(w, append(head, "")...)
	for _, r := range runs {
		row := append([]string{r.ID.Short()}, sweptCells(r, params)...)
		row = append(row, metricCells(r, metrics)...)
		if effort && r.Model != nil {
			n, _ := r.Model.Effort()
			row = append(row, fmt.Sprint(n))
		}
		mark := ""
		if r.ID == best {
			mark = "best"
		}
		t.row(append(row, mark)...)
	}
	t.flush()
}

func valueNames(vs []trainer.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// sweptCells are a run's swept parameters under columns named names: the
// number, or name=number where the run's estimator has another parameter
// there.
func sweptCells(r *trainer.Run, names []string) []string {
	var vs []trainer.Value
	if r.Params != nil {
		vs = r.Params.Swept()
	}
	return cells(vs, names)
}

// metricCells are a run's test metrics under columns named names, as
// sweptCells.
func metricCells(r *trainer.Run, names []string) []string {
	var vs []trainer.Value
	if r.Test != nil {
		vs = r.Test.Metrics()
	}
	return cells(vs, names)
}

func cells(vs []trainer.Value, names []string) []string {
	out := make([]string, len(names))
	for i := range names {
		switch {
		case i >= len(vs):
			out[i] = "-"
		case vs[i].Name == names[i]:
			out[i] = fmtNum(vs[i].Num)
		default:
			out[i] = vs[i].Name + "=" + fmtNum(vs[i].Num)
		}
	}
	return out
}

// splitKind names a split: random or time, and stratified.
func splitKind(s trainer.Split) string {
	if s.Stratify {
		return s.Kind + " stratified"
	}
	return s.Kind
}

// mlflowLine says where a run's MLflow twin is.
func mlflowLine(r *trainer.Run) string {
	switch r.MLflow.State {
	case trainer.SyncSynced:
		line := fmt.Sprintf("run %s in experiment %s", r.MLflow.RunID, r.MLflow.Experiment)
		if r.MLflow.ModelVersion != "" {
			line += fmt.Sprintf(", registered as %s version %s", r.MLflow.RegisterModel, r.MLflow.ModelVersion)
		}
		return line
	case trainer.SyncPending:
		return "pending (fs sync pushes it)"
	}
	return "local only (MLFLOW_TRACKING_URI is not set)"
}
