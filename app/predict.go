package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/trainer"
)

// PredictRequest asks a run's model to predict on a parquet file.
type PredictRequest struct {
	Model         string `json:"model"` // a run id or prefix
	Input         string `json:"input"`
	Out           string `json:"out"`
	AllowMismatch bool   `json:"allow_version_mismatch,omitempty"`
	ServerSideOut bool   `json:"server_side_out,omitempty"` // as MaterializeRequest's
	Deliver       string `json:"-"`                         // as MaterializeRequest's
}

// Check refuses a request missing what it needs, before anything runs.
func (r PredictRequest) Check() error {
	return required(need{"model", r.Model, whatRun}, need{"input", r.Input, "the parquet file to predict on"}, need{"out", r.Out, whatOut})
}

// PredictResult says what was written.
type PredictResult struct {
	Run             featurestore.ID `json:"run"`
	Rows            int             `json:"rows"`
	NullPredictions int             `json:"null_predictions"`
	Out             string          `json:"out"`
}

// Predict writes the input's columns plus prediction to req.Out,
// atomically. The input's feature versions must be the model's unless
// AllowMismatch. Errors: EINVALID, ENOTFOUND, ECONFLICT (version skew),
// EFORBIDDEN.
func (s *Service) Predict(ctx context.Context, req PredictRequest) (*PredictResult, error) {
	if err := req.Check(); err != nil {
		return nil, refused(err)
	}
	if err := s.checkPath("input", req.Input); err != nil {
		return nil, err
	}
	if err := s.checkOut("out", req.Out); err != nil {
		return nil, err
	}
	for _, out := range []string{req.Out, req.Deliver} {
		if out == "" {
			continue
		}
		if err := featurestore.CheckOutput("--out", out, []string{req.Input}, []string{s.Store.Dir()}); err != nil {
			return nil, err
		}
	}
	d, err := s.Run(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	run := d.Run
	if !run.HasModel() {
		return nil, featurestore.Errorf(featurestore.EINVALID, "run %s has no model", run.ID.Short())
	}
	data, err := s.loadDataset(ctx, req.Input)
	if err != nil {
		return nil, err
	}
	if mm := trainer.Mismatches(run.Features, data); len(mm) > 0 {
		if !req.AllowMismatch {
			e := featurestore.Errorf(featurestore.ECONFLICT, "the input's feature versions differ from the model's (training/serving skew)")
			e.Detail = mm
			return nil, e.WithHint("materialize the input with the model's versions (NAME@VERSION), or pass --allow-version-mismatch")
		}
		for _, m := range mm {
			notify(ctx, "warning: version mismatch: %s", m)
		}
	}
	pred, err := trainer.Predict(run, data.Table, "prediction")
	if err != nil {
		return nil, err
	}
	for _, p := range pred {
		if data.Table.Lookup(p.Name) != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "the input already has a column %s", p.Name).
				WithHint("drop or rename it: fs predict adds it")
		}
	}
	t := &featurestore.Table{Rows: data.Table.Rows, Series: append(append([]*featurestore.Series{}, data.Table.Series...), pred...)}
	meta := map[string]string{featurestore.MetaRunID: run.ID.String(), featurestore.MetaInputDigest: data.Ref.Digest,
		featurestore.MetaVersion: featurestore.Version}
	if err := WriteFileAtomic(req.Out, func(f *os.File) error {
		if err := parquet.WriteTable(f, t, meta); err != nil {
			return fmt.Errorf("write %s: %w", req.Out, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	res := &PredictResult{Run: run.ID, Rows: t.Rows, Out: req.Out}
	for i := 0; i < t.Rows; i++ {
		if pred[0].Null(i) {
			res.NullPredictions++
		}
	}
	return res, nil
}

// WriteFileAtomic writes path through a temporary file renamed into place;
// a path that cannot be written is EINVALID with a hint.
func WriteFileAtomic(path string, fill func(*os.File) error) error {
	err := atomicfile.WriteWith(path, fill)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return featurestore.Errorf(featurestore.EINVALID, "cannot write %s: %v", path, pe.Err).
			WithHint("check that the directory exists and is writable")
	}
	return err
}
