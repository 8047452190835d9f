package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/trainer/mlflow"
	"github.com/fs-dev/fs/trainer/pyfunc"
)

// TrainRequest asks for a fit (or a sweep) on a dataset.
type TrainRequest struct {
	Dataset       string          `json:"dataset"` // a parquet file or a dataset id (prefix)
	Request       trainer.Request `json:"request"`
	Experiment    string          `json:"experiment,omitempty"`     // MLflow experiment; default $MLFLOW_EXPERIMENT_NAME, else Default
	RegisterModel string          `json:"register_model,omitempty"` // MLflow registry name, when the gate passes
	ModelDir      string          `json:"model_dir,omitempty"`      // also write the best model's pyfunc layout here
}

// Check refuses a request missing what it needs or with parameters no
// fit can use, before anything runs.
func (r TrainRequest) Check() error {
	if err := required(need{"dataset", r.Dataset, whatDataset}, need{"target", r.Request.Target, "the column to predict"}); err != nil {
		return err
	}
	return r.Request.Check()
}

// TrainResult is a training: its best run and, for a sweep, the sweep
// and all its runs.
type TrainResult struct {
	Run      *trainer.Run   `json:"run"`
	Sweep    *trainer.Run   `json:"sweep,omitempty"`
	Runs     []*trainer.Run `json:"runs,omitempty"`
	ModelDir string         `json:"model_dir"` // where the store keeps the best run's model
	// Select is the test metric that picks a sweep's best run (rmse,
	// log_loss, or the request's).
	Select string `json:"select"`
}

// Train fits the request's estimator as scikit-learn does, records the runs with their
// models and, when MLFLOW_TRACKING_URI is set, mirrors them to MLflow.
// The result is returned even when MLflow refused the runs (they are
// recorded as pending), together with that error. A failed quality gate is
// not an error: the result's run says so. Errors: EINVALID, ENOTFOUND,
// ECONFLICT (the dataset file changed), EFORBIDDEN.
func (s *Service) Train(ctx context.Context, req TrainRequest) (*TrainResult, error) {
	if err := req.Check(); err != nil {
		return nil, refused(err)
	}
	data, err := s.loadDataset(ctx, req.Dataset)
	if err != nil {
		return nil, err
	}
	if err := s.checkModelDir(ctx, req.ModelDir, data.Ref.Path); err != nil {
		return nil, err
	}
	if !data.Ref.FS {
		notify(ctx, "warning: %s was not written by fs materialize: the run records no feature versions", req.Dataset)
	}
	res, err := trainer.Train(ctx, req.Request, data, time.Now())
	if err != nil {
		return nil, err
	}
	client, err := mlflow.FromEnv(s.getenv)
	if err != nil {
		return nil, err
	}
	runs := res.Runs
	if res.Parent != nil {
		runs = append([]*trainer.Run{res.Parent}, runs...)
	}
	if client != nil {
		for _, r := range runs {
			r.MLflow.State = trainer.SyncPending
			r.MLflow.Experiment = s.experiment(req.Experiment)
			if r == res.Best {
				r.MLflow.RegisterModel = req.RegisterModel
			}
		}
	}
	if err := s.recordRuns(ctx, runs); err != nil {
		return nil, err
	}
	var syncErr error // returned with the results, which are recorded whatever MLflow says
	if client != nil {
		deadline := mlflowDeadline(s.getenv)
		notify(ctx, "logging the run to MLflow at %s (at most %v; then it stays pending for fs sync)", client.BaseURL, deadline)
		syncErr = s.syncRuns(ctx, client, runs, deadline)
		if ctx.Err() != nil {
			return nil, syncErr
		}
		if req.RegisterModel != "" && !res.Best.Gate.Passed {
			notify(ctx, "warning: the quality gate failed: the model was not registered as %s", req.RegisterModel)
		}
	}
	if req.ModelDir != "" {
		if err := writeModel(res.Best, req.ModelDir); err != nil {
			return nil, err
		}
	}
	for _, r := range res.Runs {
		for _, w := range r.Warnings {
			notify(ctx, "warning: %s", w)
		}
	}
	out := &TrainResult{Run: res.Best, ModelDir: s.modelDir(res.Best.ID), Select: res.Select.Metric}
	if res.Parent != nil {
		out.Sweep, out.Runs = res.Parent, res.Runs
	}
	return out, syncErr
}

// loadDataset reads a dataset file, or the file of a recorded dataset.
func (s *Service) loadDataset(ctx context.Context, arg string) (*trainer.Data, error) {
	path, recorded, err := s.datasetFile(ctx, arg)
	if err != nil {
		return nil, err
	}
	abs := absolute(path)
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

// datasetFile is the file arg names: itself, or a recorded dataset's. A
// path a request may not name is refused before fs looks at it.
func (s *Service) datasetFile(ctx context.Context, arg string) (string, *featurestore.Dataset, error) {
	pathErr := s.checkPath("dataset", arg)
	if pathErr == nil {
		if _, err := os.Stat(arg); err == nil || blob.Handles(arg) {
			return arg, nil, nil
		}
	}
	if !featurestore.IsIDPrefix(arg) {
		if pathErr != nil {
			return "", nil, pathErr
		}
		return "", nil, featurestore.Errorf(featurestore.EINVALID, "no dataset file %s", arg).
			WithHint("give a parquet file written by fs materialize, or a dataset id from fs datasets list")
	}
	d, err := s.Dataset(ctx, arg)
	if err != nil {
		return "", nil, err
	}
	return d.Output, d, nil
}

// recordRuns writes the runs' models, then records the runs, holding the
// store only for that: a kill leaves every run with its model, or none
// recorded. Models written for runs that then fail to be recorded are
// removed again (a kill leaves them for fs doctor --repair).
func (s *Service) recordRuns(ctx context.Context, runs []*trainer.Run) error {
	return s.write(ctx, func(st Store) error {
		var written []string
		undo := func() {
			for _, dir := range written {
				os.RemoveAll(dir)
			}
		}
		for _, r := range runs {
			dir := s.modelDir(r.ID)
			_, before := os.Stat(dir)
			if err := writeModel(r, dir); err != nil {
				undo()
				return err
			}
			if before != nil {
				written = append(written, dir)
			}
		}
		if err := st.RecordRuns(ctx, runs); err != nil {
			undo()
			return err
		}
		return nil
	})
}

// modelDir is where the store keeps a run's pyfunc layout.
func (s *Service) modelDir(id featurestore.ID) string {
	return filepath.Join(badger.ModelsDir(s.Store.Dir()), id.String())
}

// writeModel writes the run's pyfunc layout into dir.
func writeModel(r *trainer.Run, dir string) error {
	if err := pyfunc.Write(dir, r, mlflow.Version); err != nil {
		return fmt.Errorf("write the model of run %s: %w", r.ID.Short(), err)
	}
	return nil
}

// mlflowDeadline bounds the MLflow step of train: FS_MLFLOW_DEADLINE
// seconds, 30 by default.
func mlflowDeadline(getenv func(string) string) time.Duration {
	if v, err := strconv.ParseFloat(getenv("FS_MLFLOW_DEADLINE"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 30 * time.Second
}

// experiment is the MLflow experiment: the request's, else
// MLFLOW_EXPERIMENT_NAME, else Default.
func (s *Service) experiment(name string) string {
	if name != "" {
		return name
	}
	if e := s.getenv("MLFLOW_EXPERIMENT_NAME"); e != "" {
		return e
	}
	return "Default"
}

// checkModelDir refuses, before anything is fitted, a --model-dir that fs
// must not replace: fs writes a model directory whole, swapping out what
// was there, so the directory must be new, empty or a model fs wrote, and
// neither contain nor lie inside the store, a protected directory, the
// dataset or a registered source.
func (s *Service) checkModelDir(ctx context.Context, dir, dataset string) error {
	if dir == "" {
		return nil
	}
	if err := s.checkOut("model_dir", dir); err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return featurestore.Errorf(featurestore.EINVALID, "--model-dir %s is a file", dir).
				WithHint("give a directory for the model's files (new, or one fs wrote a model in)")
		}
		if !pyfunc.IsLayout(dir) {
			return featurestore.Errorf(featurestore.EINVALID, "--model-dir %s exists and holds other files than a model fs wrote", dir).
				WithHint("fs replaces a model directory whole: give a new or empty directory, or one an earlier fs train --model-dir wrote")
		}
	}
	keep, err := s.modelDirKeep(ctx, dataset)
	if err != nil {
		return err
	}
	abs := resolvedPath(dir)
	for _, k := range keep {
		p := resolvedPath(k.Path)
		if within(p, abs) || within(abs, p) {
			return featurestore.Errorf(featurestore.EINVALID, "--model-dir %s would hold or lie inside %s (%s)", dir, k.What, k.Path).
				WithHint("give a directory of its own for the model, outside the store and the data")
		}
	}
	return nil
}

// modelDirKeep is what a model directory may neither hold nor lie in.
func (s *Service) modelDirKeep(ctx context.Context, dataset string) ([]Protected, error) {
	keep := append(s.protected(), Protected{Path: dataset, What: "the dataset"})
	err := s.read(ctx, func(st Store) error {
		srcs, err := st.Sources(ctx)
		if err != nil {
			return err
		}
		for _, src := range srcs {
			if featurestore.IsURI(src.Path) {
				continue
			}
			files, _ := parquet.Files(src.Path)
			if fi, err := os.Stat(src.Path); err == nil && fi.IsDir() {
				files = append(files, src.Path) // it reads every parquet file below it
			}
			for _, f := range files {
				keep = append(keep, Protected{Path: f, What: "source " + src.Name})
			}
		}
		return nil
	})
	if featurestore.ErrorCode(err) == featurestore.ENOSTORE {
		err = nil
	}
	return keep, err
}
