package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/badger"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/trainer/mlflow"
	"github.com/fs-dev/fs/trainer/pyfunc"
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

func newTrainCmd(a *app) *cobra.Command {
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
			return a.runTrain(cmd.Context(), o)
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

// loadDataset reads a dataset file, or the file of a recorded dataset.
func (a *app) loadDataset(ctx context.Context, arg string) (*trainer.Data, error) {
	path := arg
	var recorded *featurestore.Dataset
	if _, err := os.Stat(arg); err != nil {
		if !featurestore.IsIDPrefix(arg) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "no dataset file %s", arg).
				WithHint("give a parquet file written by fs materialize, or a dataset id from fs datasets list")
		}
		store, err := a.openStore(true)
		if err != nil {
			return nil, err
		}
		id, err := store.ResolveDataset(ctx, arg)
		if err == nil {
			recorded, err = store.Dataset(ctx, id)
		}
		store.Close()
		if err != nil {
			return nil, err
		}
		path = recorded.Output
	}
	abs, _ := filepath.Abs(path)
	digest, _, err := materialize.FileSHA256(abs)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot read the dataset %s: %v", path, err)
	}
	if recorded != nil && recorded.FileDigest != "" && recorded.FileDigest != digest {
		return nil, featurestore.Errorf(featurestore.ECONFLICT, "%s changed since dataset %s was written", path, recorded.ID.Short()).
			WithHint("materialize it again, or give the file itself")
	}
	schema, err := parquet.FileSchema(abs)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range schema {
		if c.Type != "" {
			names = append(names, c.Name)
		}
	}
	table, _, err := parquet.ReadTable(ctx, []string{abs}, names)
	if err != nil {
		return nil, err
	}
	meta, err := parquet.FileMetadata(abs)
	if err != nil {
		return nil, err
	}
	return trainer.NewData(abs, table, meta, digest)
}

func (a *app) runTrain(ctx context.Context, o trainOptions) error {
	data, err := a.loadDataset(ctx, o.dataset)
	if err != nil {
		return err
	}
	if !data.Ref.FS {
		fmt.Fprintf(a.st.Stderr, "fs: warning: %s was not written by fs materialize: the run records no feature versions\n", o.dataset)
	}
	res, err := trainer.Train(ctx, o.req, data, time.Now())
	if err != nil {
		return err
	}
	client, err := mlflow.FromEnv(a.st.Getenv)
	if err != nil {
		return err
	}
	runs := res.Runs
	if res.Parent != nil {
		runs = append([]*trainer.Run{res.Parent}, runs...)
	}
	for _, r := range runs {
		if client != nil {
			r.MLflow.State = trainer.SyncPending
			r.MLflow.Experiment = a.experiment(o.experiment)
			if r == res.Best {
				r.MLflow.RegisterModel = o.registerModel
			}
		}
	}
	if err := a.recordRuns(ctx, runs); err != nil {
		return err
	}
	var syncErr error // reported after the results, which are recorded whatever MLflow says
	if client != nil {
		fmt.Fprintf(a.st.Stderr, "fs: logging the run to MLflow at %s (at most %v; then it stays pending for fs sync)\n", client.BaseURL, mlflowDeadline(a.st.Getenv))
		syncErr = a.syncRuns(ctx, client, runs, mlflowDeadline(a.st.Getenv))
		if ctx.Err() != nil {
			return syncErr
		}
		if o.registerModel != "" && !res.Best.Gate.Passed {
			fmt.Fprintf(a.st.Stderr, "fs: warning: the quality gate failed: the model was not registered as %s\n", o.registerModel)
		}
	}
	if o.modelDir != "" {
		if err := writeModel(res.Best, o.modelDir); err != nil {
			return err
		}
	}
	for _, r := range res.Runs {
		for _, w := range r.Warnings {
			fmt.Fprintf(a.st.Stderr, "fs: warning: %s\n", w)
		}
	}
	if o.json {
		out := map[string]any{"run": res.Best}
		if res.Parent != nil {
			out["sweep"] = res.Parent
			out["runs"] = res.Runs
		}
		out["model_dir"] = a.modelDir(res.Best.ID)
		if err := writeJSON(a.st.Stdout, out); err != nil {
			return err
		}
	} else {
		printTrain(a, res)
	}
	if syncErr != nil {
		return syncErr
	}
	if !res.Best.Gate.Passed {
		return gateError{res.Best.Gate.Failed}
	}
	return nil
}

// recordRuns writes the runs' models, then records the runs in one
// transaction, holding the store only for that: a kill leaves every run
// with its model, or none recorded.
func (a *app) recordRuns(ctx context.Context, runs []*trainer.Run) error {
	store, err := a.openStore(false)
	if err != nil {
		return err
	}
	defer store.Close()
	for _, r := range runs {
		if err := writeModel(r, a.modelDir(r.ID)); err != nil {
			return err
		}
	}
	return store.RecordRuns(ctx, runs)
}

// modelDir is where the store keeps a run's pyfunc layout.
func (a *app) modelDir(id featurestore.ID) string {
	return filepath.Join(badger.ModelsDir(a.storeDir()), id.String())
}

// writeModel writes the run's pyfunc layout into dir.
func writeModel(r *trainer.Run, dir string) error {
	if err := pyfunc.Write(dir, r, mlflow.Version); err != nil {
		return fmt.Errorf("write the model of run %s: %w", r.ID.Short(), err)
	}
	return nil
}

// mlflowDeadline bounds the MLflow step of fs train: FS_MLFLOW_DEADLINE
// seconds, 30 by default.
func mlflowDeadline(getenv func(string) string) time.Duration {
	if v, err := strconv.ParseFloat(getenv("FS_MLFLOW_DEADLINE"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 30 * time.Second
}

func printTrain(a *app, res *trainer.Result) {
	w := a.st.Stdout
	if res.Parent != nil {
		fmt.Fprintf(w, "sweep    %s (%d runs)\n\n", res.Parent.ID.Short(), len(res.Runs))
		t := newTable(w, "RUN", "ALPHA", "L1_RATIO", "TEST_RMSE", "TEST_MAE", "TEST_R2", "ITER", "")
		for _, r := range res.Runs {
			mark := ""
			if r == res.Best {
				mark = "best"
			}
			t.row(r.ID.Short(), fmtNum(r.Params.Alpha), fmtNum(r.Params.L1Ratio), fmtNum(r.Test.RMSE), fmtNum(r.Test.MAE),
				fmtNum(r.Test.R2), fmt.Sprint(r.Model.NIter), mark)
		}
		t.flush()
		fmt.Fprintln(w)
	}
	r := res.Best
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
		r.ID.Short(), mlflowLine, shortID(r.Dataset.ID), r.Split.Kind, r.Split.TestSize, r.Split.Seed, r.Split.TrainRows, r.Split.TestRows,
		r.Params.Alpha, r.Params.L1Ratio, r.Params.MaxIter, r.Params.Tol, plural(r.Model.NIter, "iteration"), fmtSeconds(r.FitSeconds), fmtSeconds(r.PredictSeconds), gate, a.modelDir(r.ID))
	t := newTable(w, "METRIC", "TRAIN", "TEST")
	t.row("rmse", fmtNum(r.Train.RMSE), fmtNum(r.Test.RMSE))
	t.row("mae", fmtNum(r.Train.MAE), fmtNum(r.Test.MAE))
	t.row("r2", fmtNum(r.Train.R2), fmtNum(r.Test.R2))
	t.row("mse", fmtNum(r.Train.MSE), fmtNum(r.Test.MSE))
	t.flush()
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

func shortID(s string) string {
	if len(s) > featurestore.ShortLen {
		return s[:featurestore.ShortLen]
	}
	return s
}

func fmtNum(f float64) string { return fmt.Sprintf("%.6g", f+0) } // +0 turns -0 into 0
