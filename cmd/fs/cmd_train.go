package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

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
	maxRMSE       float64
	maxMAE        float64
	minR2         float64
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
		Short: "Fit Elastic Net on a dataset, as scikit-learn does",
		Long: `Fit Elastic Net regression on a materialized dataset exactly as scikit-learn's
ElasticNet does, on the split sklearn.model_selection.train_test_split makes
with the same test size and seed, and evaluate it on the train and test rows
(MSE, RMSE, MAE, R2, fit and predict time).

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
  fs train --dataset 10a726a5 --target trip_completed --max-rmse 0.5 --max-mae 0.4`,
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
			if o.seed > 1<<32-1 {
				return usageError{fmt.Errorf("--seed must be below 2^32, as numpy's")}
			}
			o.req.Seed = uint32(o.seed)
			return a.runTrain(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataset, "dataset", "", "the dataset: a parquet file or a dataset id (required)")
	f.StringVar(&o.req.Target, "target", "", "the column to predict (required)")
	f.StringSliceVar(&o.req.Features, "features", nil, "feature columns in design-matrix order (default: the dataset's features)")
	f.Float64SliceVar(&o.req.Alphas, "alpha", []float64{1.0}, "regularisation strength; several values make a sweep")
	f.Float64SliceVar(&o.req.L1Ratios, "l1-ratio", []float64{0.5}, "L1 share of the penalty, 0 to 1; several values make a sweep")
	f.Float64Var(&o.req.TestSize, "test-size", 0.25, "share of rows in the test set (sklearn's default 0.25)")
	f.UintVar(&o.seed, "seed", 0, "random_state of the split")
	f.StringVar(&o.req.Split, "split", "random", "random (train_test_split) or time (earlier events train, later test)")
	f.IntVar(&o.req.MaxIter, "max-iter", 1000, "maximum coordinate descent iterations")
	f.Float64Var(&o.req.Tol, "tol", 1e-4, "tolerance of the duality gap")
	f.BoolVar(&o.req.Positive, "positive", false, "constrain coefficients to be positive")
	f.BoolVar(&o.req.DropNulls, "drop-nulls", false, "drop rows with a null feature or target instead of failing")
	f.Float64Var(&o.maxRMSE, "max-rmse", 0, "quality gate: highest test RMSE that passes")
	f.Float64Var(&o.maxMAE, "max-mae", 0, "quality gate: highest test MAE that passes")
	f.Float64Var(&o.minR2, "min-r2", 0, "quality gate: lowest test R2 that passes")
	f.StringVar(&o.modelDir, "model-dir", "", "also write the model's pyfunc layout here (it is always kept in the store)")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.StringVar(&o.experiment, "experiment", "", "MLflow experiment (default $MLFLOW_EXPERIMENT_NAME, else Default)")
	f.StringVar(&o.registerModel, "register-model", "", "register the model in MLflow's registry under this name (when the gate passes)")
	f.StringVar(&o.req.Solver, "solver", "auto", "auto, data or gram (for tests; the iterates are the same)")
	f.MarkHidden("solver")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("target")
	return cmd
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
			t.row(r.ID.Short(), app.FormatNum(r.Params.Alpha), app.FormatNum(r.Params.L1Ratio), app.FormatNum(r.Test.RMSE), app.FormatNum(r.Test.MAE),
				app.FormatNum(r.Test.R2), fmt.Sprint(r.Model.NIter), mark)
		}
		t.flush()
		fmt.Fprintln(w)
	}
	r := res.Run
	gate := "passed"
	if !r.Gate.Passed {
		gate = "FAILED: " + strings.Join(r.Gate.Failed, ", ")
	}
	if r.Gate.MaxRMSE == nil && r.Gate.MaxMAE == nil && r.Gate.MinR2 == nil {
		gate = "none"
	}
	mlflowLine := "local only (MLFLOW_TRACKING_URI is not set)"
	switch {
	case r.MLflow.State == trainer.SyncSynced:
		mlflowLine = fmt.Sprintf("run %s in experiment %s", r.MLflow.RunID, r.MLflow.Experiment)
		if r.MLflow.ModelVersion != "" {
			mlflowLine += fmt.Sprintf(", registered as %s version %s", r.MLflow.RegisterModel, r.MLflow.ModelVersion)
		}
	case r.MLflow.State == trainer.SyncPending:
		mlflowLine = "pending (fs sync pushes it)"
	}
	fmt.Fprintf(w, "run      %s\nmlflow   %s\ndataset  %s\nsplit    %s, test size %v, seed %d: %d train rows, %d test rows\nparams   alpha %v, l1_ratio %v, max_iter %d, tol %v\nfit      %s, %s; predict %s\ngate     %s\nmodel    %s\n\n",
		r.ID.Short(), mlflowLine, app.ShortID(r.Dataset.ID), r.Split.Kind, r.Split.TestSize, r.Split.Seed, r.Split.TrainRows, r.Split.TestRows,
		r.Params.Alpha, r.Params.L1Ratio, r.Params.MaxIter, r.Params.Tol, plural(r.Model.NIter, "iteration"), fmtSeconds(r.FitSeconds), fmtSeconds(r.PredictSeconds), gate, res.ModelDir)
	t := newTable(w, "METRIC", "TRAIN", "TEST")
	t.row("rmse", app.FormatNum(r.Train.RMSE), app.FormatNum(r.Test.RMSE))
	t.row("mae", app.FormatNum(r.Train.MAE), app.FormatNum(r.Test.MAE))
	t.row("r2", app.FormatNum(r.Train.R2), app.FormatNum(r.Test.R2))
	t.row("mse", app.FormatNum(r.Train.MSE), app.FormatNum(r.Test.MSE))
	t.flush()
	fmt.Fprintln(w)
	c := newTable(w, "FEATURE", "VERSION", "COEF")
	for i, f := range r.Features {
		v := "-"
		if !f.Version.IsZero() {
			v = f.Version.Short()
		}
		c.row(f.Name, v, app.FormatNum(r.Model.Coef[i]))
	}
	c.row("(intercept)", "", app.FormatNum(r.Model.Intercept))
	c.flush()
}
