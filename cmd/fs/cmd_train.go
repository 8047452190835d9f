package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fs-dev/fs/app"
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
	gate          map[string]*float64 // by flag
	seed          uint
	modelDir      string
	experiment    string
	registerModel string
	json          bool
}

// trainLong is fs train --help.
const trainLong = `Fit Elastic Net regression on a materialized dataset exactly as scikit-learn's
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
written in MLflow's pyfunc layout. Several values of --alpha (or --c) or
--l1-ratio make a sweep: one run per combination, the best by test RMSE (or
log loss) reported, or by the test metric --select names.

Each estimator (--estimator, or the task's first) reads its own flags and
fills scikit-learn's defaults for the rest; a flag it does not read is refused.

Rows with a null feature or target are an error naming each column, unless
--drop-nulls (the rows are dropped before the split).

Arguments (flags):
  --dataset    a parquet file (fs materialize's output or any parquet file) or a dataset id
  --target     the column to predict
  --features   the design matrix's columns in order (default: the dataset's features)

Exit codes: 0 ok, 1 error, 2 usage, 3 the quality gate failed (the run is
recorded, marked as failing), 10 no store, 11 store in use, 12 store damaged, 130 interrupted.`

func newTrainCmd(a *cli) *cobra.Command {
	var o trainOptions
	cmd := &cobra.Command{
		Use:   "train --dataset FILE.parquet|DATASET --target COLUMN [flags]",
		Short: "Fit Elastic Net or logistic regression on a dataset, as scikit-learn does",
		Long:  trainLong,
		Example: `  fs train --dataset train.parquet --target trip_completed --features conv_rate,acc_rate,avg_daily_trips \
           --alpha 0.5 --l1-ratio 0.1 --test-size 0.2 --seed 17
  fs train --dataset train.parquet --target trip_completed --alpha 0.1,0.5,1 --l1-ratio 0.1,0.5,0.9
  fs train --dataset 10a726a5 --target trip_completed --max-rmse 0.5 --max-mae 0.4
  fs train --dataset train.parquet --target trip_completed --task classification --c 0.1,1,10 --stratify --min-auc 0.7`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o.req.Gate = trainer.Gate{}
			for flag, dst := range map[string]**float64{"max-rmse": &o.req.Gate.MaxRMSE, "max-mae": &o.req.Gate.MaxMAE,
				"min-r2": &o.req.Gate.MinR2, "min-accuracy": &o.req.Gate.MinAccuracy, "min-f1": &o.req.Gate.MinF1,
				"min-auc": &o.req.Gate.MinAUC, "max-log-loss": &o.req.Gate.MaxLogLoss} {
				if f.Changed(flag) {
					*dst = o.gate[flag]
				}
			}
			if f.Changed("max-iter") && o.req.MaxIter < 1 {
				return usageError{fmt.Errorf("--max-iter must be at least 1, got %d", o.req.MaxIter)}
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
	o.flags(cmd.Flags())
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("target")
	return cmd
}

// flags declares fs train's flags into o.
func (o *trainOptions) flags(f *pflag.FlagSet) {
	f.StringVar(&o.dataset, "dataset", "", "the dataset: a parquet file or a dataset id (required)")
	f.StringVar(&o.req.Target, "target", "", "the column to predict (required)")
	f.StringSliceVar(&o.req.Features, "features", nil, "feature columns in design-matrix order (default: the dataset's features)")
	f.StringVar(&o.req.Task, "task", "", "regression (the default: Elastic Net) or classification (logistic regression, SAGA)")
	f.StringVar(&o.req.Estimator, "estimator", "", "the model by name: "+estimatorNames()+" (default: the task's first)")
	f.Float64SliceVar(&o.req.Alphas, "alpha", nil, "regression: regularisation strength (default 1); several values make a sweep")
	f.Float64SliceVar(&o.req.Cs, "c", nil, "classification: inverse regularisation strength C (default 1); several values make a sweep")
	f.Float64SliceVar(&o.req.L1Ratios, "l1-ratio", nil, "L1 share of the penalty, 0 to 1 (default 0.5, or 0 with --task classification, as scikit-learn's); several values make a sweep")
	f.Float64Var(&o.req.TestSize, "test-size", 0.25, "share of rows in the test set (sklearn's default 0.25)")
	f.UintVar(&o.seed, "seed", 0, "random_state of the split")
	f.StringVar(&o.req.Split, "split", "random", "random (train_test_split) or time (earlier events train, later test)")
	f.IntVar(&o.req.MaxIter, "max-iter", 0, "maximum iterations (default 1000 coordinate descent iterations, or 100 SAGA epochs with --task classification)")
	f.Float64Var(&o.req.Tol, "tol", 0, "tolerance of the stopping rule (default 0.0001)")
	f.BoolVar(&o.req.Positive, "positive", false, "regression: constrain coefficients to be positive")
	f.BoolVar(&o.req.Stratify, "stratify", false, "classification: keep each class's share in both sets (train_test_split's stratify=y)")
	f.BoolVar(&o.req.DropNulls, "drop-nulls", false, "drop rows with a null feature or target instead of failing")
	f.StringVar(&o.req.Select, "select", "", "the test metric that picks a sweep's best run: rmse (the default), mae, mse or r2; with --task classification log_loss (the default), f1, auc or accuracy")
	o.gate = map[string]*float64{}
	for _, g := range []struct{ flag, usage string }{
		{"max-rmse", "quality gate: highest test RMSE that passes"}, {"max-mae", "quality gate: highest test MAE that passes"},
		{"min-r2", "quality gate: lowest test R2 that passes"}, {"min-accuracy", "quality gate: lowest test accuracy that passes"},
		{"min-f1", "quality gate: lowest test F1 that passes (binary, or macro for 3+ classes)"},
		{"min-auc", "quality gate: lowest test ROC AUC that passes"}, {"max-log-loss", "quality gate: highest test log loss that passes"},
	} {
		o.gate[g.flag] = f.Float64(g.flag, 0, g.usage)
	}
	f.StringVar(&o.modelDir, "model-dir", "", "also write the model's pyfunc layout here (it is always kept in the store)")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.StringVar(&o.experiment, "experiment", "", "MLflow experiment (default $MLFLOW_EXPERIMENT_NAME, else Default)")
	f.StringVar(&o.registerModel, "register-model", "", "register the model in MLflow's registry under this name (when the gate passes)")
	f.StringVar(&o.req.Solver, "solver", "auto", "auto, data or gram (for tests; the iterates are the same)")
	f.MarkHidden("solver")
}

// estimatorNames lists the estimators fs fits.
func estimatorNames() string {
	var names []string
	for _, e := range trainer.Estimators() {
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
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
	} else {
		printTrain(a.st.Stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Run.Gate.Passed {
		return gateError{res.Run.Gate.Failed}
	}
	return nil
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
