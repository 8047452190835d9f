package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/trainer"
)

// exitGate is the exit code of a run that fails its quality gate.
const exitGate = 3

// gateError reports a failed quality gate (exit code 3).
type gateError struct{ failed []string }

func (e gateError) Error() string {
	return "quality gate failed: " + strings.Join(e.failed, ", ")
}

type trainOptions struct {
	dataset       string
	req           trainer.Request
	maxRMSE       float64
	maxMAE        float64
	minR2         float64
	minAccuracy   float64
	minF1         float64
	minAUC        float64
	maxLogLoss    float64
	seed          uint
	modelDir      string
	experiment    string
	registerModel string
	json          bool
}

func newTrainCmd(a *cli) *cobra.Command {
	var o trainOptions
	cmd := &cobra.Command{
		Use:   "train --dataset FILE.parquet|DATASET --target COLUMN [flags]",
		Short: "Fit Elastic Net or logistic regression on a dataset, as scikit-learn does",
		Long: `Fit Elastic Net regression on a materialized dataset exactly as scikit-learn's
ElasticNet does, on the split sklearn.model_selection.train_test_split makes
with the same test size and seed, and evaluate it on the train and test rows
(MSE, RMSE, MAE, R2, fit and predict time).

With --task classification, fit elastic-net logistic regression as
LogisticRegression(solver="saga", C, l1_ratio, random_state=seed) does, on
integer, boolean or text labels (two classes or more), and evaluate accuracy,
precision, recall, F1, ROC AUC, log loss and the confusion matrix; --c and
--l1-ratio sweep, --select picks the best, --stratify keeps class shares.

The run records the dataset id and every feature's version (read from the
dataset file's metadata), the parameters, the split and the seed; its model is
written in MLflow's pyfunc layout. Several values of --alpha or --l1-ratio
make a sweep: one run per combination, the best by test RMSE reported.

Rows with a null feature or target are an error naming each column, unless
--drop-nulls (the rows are dropped before the split).

Arguments (flags):
  --dataset    a parquet file (fs materialize's output or any parquet file) or a dataset id
  --target     the column to predict
  --features   the design matrix's columns in order (default: the dataset's features)

Exit codes: 0 ok, 1 error, 2 usage, 3 the quality gate failed (the run is
recorded, marked as failing), 10 no store, 11 store in use, 12 store damaged, 130 interrupted.`,
		Example: `  fs train --dataset train.parquet --target trip_completed --features conv_rate,acc_rate,avg_daily_trips \
           --alpha 0.5 --l1-ratio 0.1 --test-size 0.2 --seed 17
  fs train --dataset train.parquet --target trip_completed --alpha 0.1,0.5,1 --l1-ratio 0.1,0.5,0.9
  fs train --dataset 10a726a5 --target trip_completed --max-rmse 0.5 --max-mae 0.4
  fs train --dataset train.parquet --target trip_completed --task classification --c 0.1,1,10 --stratify --min-auc 0.7`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if f.Changed("max-rmse") {
				o.req.Gate.MaxRMSE = &o.maxRMSE
			}
			if f.Changed("max-mae") {
				o.req.Gate.MaxMAE = &o.maxMAE
			}
			if f.Changed("min-r2") {
				o.req.Gate.MinR2 = &o.minR2
			}
			if f.Changed("max-iter") && o.req.MaxIter < 1 {
				return usageError{fmt.Errorf("--max-iter must be at least 1, got %d", o.req.MaxIter)}
			}
			if err := o.classification(f); err != nil {
				return err
			}
			if o.seed > 1<<32-1 {
				return usageError{fmt.Errorf("--seed must be below 2^32, as numpy's")}
			}
			o.req.Seed = uint32(o.seed)
			if err := o.req.Check(); err != nil {
				return usageError{err}
			}
			return a.runTrain(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataset, "dataset", "", "the dataset: a parquet file or a dataset id (required)")
	f.StringVar(&o.req.Target, "target", "", "the column to predict (required)")
	f.StringSliceVar(&o.req.Features, "features", nil, "feature columns in design-matrix order (default: the dataset's features)")
	f.Float64SliceVar(&o.req.Alphas, "alpha", []float64{1.0}, "regularisation strength; several values make a sweep")
	f.Float64SliceVar(&o.req.L1Ratios, "l1-ratio", nil, "L1 share of the penalty, 0 to 1 (default 0.5, or 0 with --task classification, as scikit-learn's); several values make a sweep")
	f.Float64Var(&o.req.TestSize, "test-size", 0.25, "share of rows in the test set (sklearn's default 0.25)")
	f.UintVar(&o.seed, "seed", 0, "random_state of the split")
	f.StringVar(&o.req.Split, "split", "random", "random (train_test_split) or time (earlier events train, later test)")
	f.IntVar(&o.req.MaxIter, "max-iter", 0, "maximum iterations (default 1000 coordinate descent iterations, or 100 SAGA epochs with --task classification)")
	f.Float64Var(&o.req.Tol, "tol", 1e-4, "tolerance of the duality gap")
	f.BoolVar(&o.req.Positive, "positive", false, "constrain coefficients to be positive")
	f.BoolVar(&o.req.DropNulls, "drop-nulls", false, "drop rows with a null feature or target instead of failing")
	f.Float64Var(&o.maxRMSE, "max-rmse", 0, "quality gate: highest test RMSE that passes")
	f.Float64Var(&o.maxMAE, "max-mae", 0, "quality gate: highest test MAE that passes")
	f.Float64Var(&o.minR2, "min-r2", 0, "quality gate: lowest test R2 that passes")
	f.StringVar(&o.req.Task, "task", trainer.TaskRegression, "regression (Elastic Net) or classification (logistic regression, SAGA)")
	f.Float64SliceVar(&o.req.Cs, "c", []float64{1.0}, "classification: inverse regularisation strength C; several values make a sweep")
	f.BoolVar(&o.req.Stratify, "stratify", false, "classification: keep each class's share in both sets (train_test_split's stratify=y)")
	f.StringVar(&o.req.Select, "select", trainer.SelectLogLoss, "classification: the test metric that picks a sweep's best run: log_loss, f1, auc or accuracy")
	f.Float64Var(&o.minAccuracy, "min-accuracy", 0, "quality gate: lowest test accuracy that passes")
	f.Float64Var(&o.minF1, "min-f1", 0, "quality gate: lowest test F1 that passes (binary, or macro for 3+ classes)")
	f.Float64Var(&o.minAUC, "min-auc", 0, "quality gate: lowest test ROC AUC that passes")
	f.Float64Var(&o.maxLogLoss, "max-log-loss", 0, "quality gate: highest test log loss that passes")
	f.StringVar(&o.modelDir, "model-dir", "", "also write the model's pyfunc layout here (it is always kept in the store)")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.StringVar(&o.experiment, "experiment", "", "MLflow experiment (default $MLFLOW_EXPERIMENT_NAME, else Default)")
	f.StringVar(&o.registerModel, "register-model", "", "register the model in MLflow's registry under this name (when the gate passes)")
	f.StringVar(&o.req.Solver, "solver", "auto", "auto, data or gram (for tests; the iterates are the same)")
	f.MarkHidden("solver")
	f.Lookup("l1-ratio").DefValue = "" // the task's, said in the usage
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("target")
	return cmd
}

// classification checks the flags of one task against the other's and
// sets the classification defaults (l1_ratio 0, max_iter 100) and gates.
func (o *trainOptions) classification(f *pflag.FlagSet) error {
	regression := []string{"alpha", "positive", "max-rmse", "max-mae", "min-r2"}
	classification := []string{"c", "stratify", "select", "min-accuracy", "min-f1", "min-auc", "max-log-loss"}
	wrong, task := regression, trainer.TaskClassification
	switch o.req.Task {
	case trainer.TaskClassification:
	case trainer.TaskRegression:
		wrong, task = classification, trainer.TaskRegression
	default:
		return usageError{fmt.Errorf("unknown --task %q (regression or classification)", o.req.Task)}
	}
	for _, name := range wrong {
		if f.Changed(name) {
			return usageError{fmt.Errorf("--%s does not apply to --task %s", name, task)}
		}
	}
	if o.req.Task == trainer.TaskRegression {
		o.req.Cs, o.req.Select = nil, ""
		if !f.Changed("l1-ratio") {
			o.req.L1Ratios = []float64{0.5}
		}
		if !f.Changed("max-iter") {
			o.req.MaxIter = 1000
		}
		return nil
	}
	switch o.req.Select {
	case trainer.SelectLogLoss, trainer.SelectF1, trainer.SelectAUC, trainer.SelectAccuracy:
	default:
		return usageError{fmt.Errorf("unknown --select %q (log_loss, f1, auc or accuracy)", o.req.Select)}
	}
	o.req.Alphas = nil
	if !f.Changed("l1-ratio") {
		o.req.L1Ratios = []float64{0}
	}
	if !f.Changed("max-iter") {
		o.req.MaxIter = trainer.DefaultLogistic().MaxIter
	}
	for _, g := range []struct {
		flag  string
		value *float64
		gate  **float64
	}{{"min-accuracy", &o.minAccuracy, &o.req.Gate.MinAccuracy}, {"min-f1", &o.minF1, &o.req.Gate.MinF1},
		{"min-auc", &o.minAUC, &o.req.Gate.MinAUC}, {"max-log-loss", &o.maxLogLoss, &o.req.Gate.MaxLogLoss}} {
		if f.Changed(g.flag) {
			*g.gate = g.value
		}
	}
	return nil
}

func (a *cli) runTrain(cmd *cobra.Command, o trainOptions) error {
	req := app.TrainRequest{Dataset: o.dataset, Request: o.req, Experiment: o.experiment,
		RegisterModel: o.registerModel, ModelDir: o.modelDir}
	res, err := a.api().Train(a.ctx(cmd), req)
	if res == nil {
		return err
	}
	if o.json {
		if err := writeJSON(a.st.Stdout, res); err != nil {
			return err
		}
	} else if res.Run.Task == trainer.TaskClassification {
		printClassifier(a, res)
	} else {
		printTrain(a, res)
	}
	if err != nil {
		return err
	}
	if !res.Run.Gate.Passed {
		return gateError{res.Run.Gate.Failed}
	}
	return nil
}

func printTrain(a *cli, res *app.TrainResult) {
	w := a.st.Stdout
	if res.Sweep != nil {
		fmt.Fprintf(w, "sweep    %s (%d runs)\n\n", res.Sweep.ID.Short(), len(res.Runs))
		t := newTable(w, "RUN", "ALPHA", "L1_RATIO", "TEST_RMSE", "TEST_MAE", "TEST_R2", "ITER", "")
		for _, r := range res.Runs {
			mark := ""
			if r.ID == res.Run.ID {
				mark = "best"
			}
			t.row(r.ID.Short(), format.Num(r.Params.Alpha), format.Num(r.Params.L1Ratio), format.Num(r.Test.RMSE), format.Num(r.Test.MAE),
				format.Num(r.Test.R2), fmt.Sprint(r.Model.NIter), mark)
		}
		t.flush()
		fmt.Fprintln(w)
	}
	r := res.Run
	gate := gateLine(r)
	mlflowLine := mlflowLine(r)
	fmt.Fprintf(w, "run      %s\nmlflow   %s\ndataset  %s\nsplit    %s, test size %v, seed %d: %d train rows, %d test rows\nparams   alpha %v, l1_ratio %v, max_iter %d, tol %v\nfit      %s, %s; predict %s\ngate     %s\nmodel    %s\n\n",
		r.ID.Short(), mlflowLine, format.ShortID(r.Dataset.ID), r.Split.Kind, r.Split.TestSize, r.Split.Seed, r.Split.TrainRows, r.Split.TestRows,
		r.Params.Alpha, r.Params.L1Ratio, r.Params.MaxIter, r.Params.Tol, plural(r.Model.NIter, "iteration"), fmtSeconds(r.FitSeconds), fmtSeconds(r.PredictSeconds), gate, res.ModelDir)
	t := newTable(w, "METRIC", "TRAIN", "TEST")
	t.row("rmse", format.Num(r.Train.RMSE), format.Num(r.Test.RMSE))
	t.row("mae", format.Num(r.Train.MAE), format.Num(r.Test.MAE))
	t.row("r2", format.Num(r.Train.R2), format.Num(r.Test.R2))
	t.row("mse", format.Num(r.Train.MSE), format.Num(r.Test.MSE))
	t.flush()
	fmt.Fprintln(w)
	c := newTable(w, "FEATURE", "VERSION", "COEF")
	for i, f := range r.Features {
		v := "-"
		if !f.Version.IsZero() {
			v = f.Version.Short()
		}
		c.row(f.Name, v, format.Num(r.Model.Coef[i]))
	}
	c.row("(intercept)", "", format.Num(r.Model.Intercept))
	c.flush()
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

// printClassifier prints a classification run: its sweep, parameters,
// metrics, confusion matrix and coefficients.
func printClassifier(a *cli, res *app.TrainResult) {
	w := a.st.Stdout
	if res.Sweep != nil {
		fmt.Fprintf(w, "sweep    %s (%d runs, best by test %s)\n\n", res.Sweep.ID.Short(), len(res.Runs), res.Select)
		printClassifierRuns(w, res.Runs, res.Run.ID, true)
		fmt.Fprintln(w)
	}
	r := res.Run
	gate := gateLine(r)
	split := splitKind(r.Split)
	p, fit := r.Logistic, r.Classifier
	fmt.Fprintf(w, "run      %s\nmlflow   %s\ndataset  %s\nsplit    %s, test size %v, seed %d: %d train rows, %d test rows\nparams   C %v, l1_ratio %v, max_iter %d, tol %v, solver saga\nclasses  %s\nfit      %s, %s; predict %s\ngate     %s\nmodel    %s\n\n",
		r.ID.Short(), mlflowLine(r), format.ShortID(r.Dataset.ID), split, r.Split.TestSize, r.Split.Seed, r.Split.TrainRows, r.Split.TestRows,
		p.C, p.L1Ratio, p.MaxIter, p.Tol, strings.Join(fit.Classes, ", "), plural(fit.NIter, "epoch"), fmtSeconds(r.FitSeconds), fmtSeconds(r.PredictSeconds), gate, res.ModelDir)
	printClassMetrics(w, r)
	fmt.Fprintln(w)
	printClassCoef(w, r)
}

// printClassifierRuns is a classifier sweep's runs with their test
// metrics (and epochs, with iter), best marked.
func printClassifierRuns(w io.Writer, runs []*trainer.Run, best featurestore.ID, iter bool) {
	head := []string{"RUN", "C", "L1_RATIO", "TEST_LOG_LOSS", "TEST_ACCURACY", "TEST_F1", "TEST_AUC"}
	if iter {
		head = append(head, "ITER")
	}
	t := newTable(w, append(head, "")...)
	for _, r := range runs {
		m := r.TestClass
		row := []string{r.ID.Short(), fmtNum(r.Logistic.C), fmtNum(r.Logistic.L1Ratio), fmtNum(m.LogLoss), fmtNum(m.Accuracy), fmtNum(m.F1()), fmtNum(m.AUC)}
		if iter {
			row = append(row, fmt.Sprint(r.Classifier.NIter))
		}
		mark := ""
		if r.ID == best {
			mark = "best"
		}
		t.row(append(row, mark)...)
	}
	t.flush()
}

// splitKind names a split: random or time, and stratified.
func splitKind(s trainer.Split) string {
	if s.Stratify {
		return s.Kind + " stratified"
	}
	return s.Kind
}

// printClassCoef prints a classifier's coefficients: one column, or one
// per class.
func printClassCoef(w io.Writer, r *trainer.Run) {
	fit := r.Classifier
	head := []string{"FEATURE", "VERSION"}
	if len(fit.Coef) == 1 {
		head = append(head, "COEF")
	} else {
		for _, c := range fit.Classes {
			head = append(head, "COEF_"+c)
		}
	}
	c := newTable(w, head...)
	for i, f := range r.Features {
		row := []string{f.Name, "-"}
		if !f.Version.IsZero() {
			row[1] = f.Version.Short()
		}
		for _, coef := range fit.Coef {
			row = append(row, format.Num(coef[i]))
		}
		c.row(row...)
	}
	row := []string{"(intercept)", ""}
	for _, b := range fit.Intercept {
		row = append(row, format.Num(b))
	}
	c.row(row...)
	c.flush()
}

// printClassMetrics prints a classifier's train and test metrics and its
// test confusion matrix.
func printClassMetrics(w io.Writer, r *trainer.Run) {
	tr, te := r.TrainClass, r.TestClass
	t := newTable(w, "METRIC", "TRAIN", "TEST")
	t.row("log_loss", format.Num(tr.LogLoss), format.Num(te.LogLoss))
	t.row("accuracy", format.Num(tr.Accuracy), format.Num(te.Accuracy))
	if tr.Binary != nil {
		t.row("precision", format.Num(tr.Binary.Precision), format.Num(te.Binary.Precision))
		t.row("recall", format.Num(tr.Binary.Recall), format.Num(te.Binary.Recall))
		t.row("f1", format.Num(tr.Binary.F1), format.Num(te.Binary.F1))
		t.row("roc_auc", format.Num(tr.AUC), format.Num(te.AUC))
	} else {
		t.row("f1_macro", format.Num(tr.Macro.F1), format.Num(te.Macro.F1))
		t.row("f1_weighted", format.Num(tr.Weighted.F1), format.Num(te.Weighted.F1))
		t.row("roc_auc_ovr", format.Num(tr.AUC), format.Num(te.AUC))
	}
	t.flush()
	fmt.Fprintln(w)
	head := []string{"TEST: TRUE \\ PREDICTED"}
	head = append(head, r.Classifier.Classes...)
	cm := newTable(w, head...)
	for i, counts := range te.Confusion {
		row := []string{r.Classifier.Classes[i]}
		for _, n := range counts {
			row = append(row, fmt.Sprint(n))
		}
		cm.row(row...)
	}
	cm.flush()
}

// gateLine says how a run's quality gate went.
func gateLine(r *trainer.Run) string {
	switch {
	case !r.Gate.Set():
		return "none"
	case !r.Gate.Passed:
		return "FAILED: " + strings.Join(r.Gate.Failed, ", ")
	}
	return "passed"
}
