package mlflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fs-dev/fs/trainer"
)

// LoggedModel is what MLflow 3 says of a logged model.
type LoggedModel struct {
	ModelID     string `json:"model_id"`
	ArtifactURI string `json:"artifact_uri"`
	Status      string `json:"status"`
}

// The statuses a logged model is finalized with.
const (
	ModelReady  = "LOGGED_MODEL_READY"
	ModelFailed = "LOGGED_MODEL_UPLOAD_FAILED"
)

// NoLoggedModels reports whether err says the server has no logged
// models (an MLflow before 3: the route is not found).
func NoLoggedModels(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Code == "ENDPOINT_NOT_FOUND")
}

type loggedModelAnswer struct {
	Model struct {
		Info LoggedModel `json:"info"`
	} `json:"model"`
}

// CreateLoggedModel creates a logged model of a run (PENDING until
// finalized), with params and tags.
func (c *Client) CreateLoggedModel(ctx context.Context, experimentID, name, runID string, params, tags []Tag) (*LoggedModel, error) {
	var out loggedModelAnswer
	err := c.do(ctx, "POST", "/api/2.0/mlflow/logged-models", map[string]any{
		"experiment_id": experimentID, "name": name, "source_run_id": runID, "params": params, "tags": tags}, &out)
	return &out.Model.Info, err
}

// FindLoggedModel returns the logged model of a run (nil: none).
func (c *Client) FindLoggedModel(ctx context.Context, experimentID, runID string) (*LoggedModel, error) {
	var out struct {
		Models []struct {
			Info LoggedModel `json:"info"`
		} `json:"models"`
	}
	err := c.do(ctx, "POST", "/api/2.0/mlflow/logged-models/search", map[string]any{
		"experiment_ids": []string{experimentID}, "filter": fmt.Sprintf("source_run_id = '%s'", runID), "max_results": 10}, &out)
	if err != nil || len(out.Models) == 0 {
		return nil, err
	}
	return &out.Models[0].Info, nil
}

// FinalizeLoggedModel sets a logged model's status (ModelReady,
// ModelFailed).
func (c *Client) FinalizeLoggedModel(ctx context.Context, modelID, status string) error {
	return c.do(ctx, "PATCH", "/api/2.0/mlflow/logged-models/"+url.PathEscape(modelID), map[string]any{
		"model_id": modelID, "status": status}, nil)
}

// SetLoggedModelTags sets tags of a logged model.
func (c *Client) SetLoggedModelTags(ctx context.Context, modelID string, tags []Tag) error {
	return c.do(ctx, "PATCH", "/api/2.0/mlflow/logged-models/"+url.PathEscape(modelID)+"/tags", map[string]any{
		"model_id": modelID, "tags": tags}, nil)
}

// LogOutputs links a logged model to the run as its output, once: a link
// an earlier (interrupted) sync made is left as it is (MLflow refuses a
// second).
func (c *Client) LogOutputs(ctx context.Context, runID, modelID string) error {
	var run struct {
		Run struct {
			Outputs struct {
				Models []struct {
					ModelID string `json:"model_id"`
				} `json:"model_outputs"`
			} `json:"outputs"`
		} `json:"run"`
	}
	if err := c.do(ctx, "GET", "/api/2.0/mlflow/runs/get?run_id="+url.QueryEscape(runID), nil, &run); err != nil {
		return err
	}
	for _, m := range run.Run.Outputs.Models {
		if m.ModelID == modelID {
			return nil
		}
	}
	return c.do(ctx, "POST", "/api/2.0/mlflow/runs/outputs", map[string]any{
		"run_id": runID, "models": []map[string]any{{"model_id": modelID, "step": 0}}}, nil)
}

// createLoggedModel gives r its MLflow 3 logged model (found again when an
// earlier sync created it), named model as autolog's are, with the
// estimator's params under autolog's names and fs's tags; on a server
// without logged models it marks r so, once.
func (t *Tracker) createLoggedModel(ctx context.Context, r *trainer.Run, parent *trainer.Run) error {
	ref := &r.MLflow
	m, err := t.Client.FindLoggedModel(ctx, ref.ExperimentID, ref.RunID)
	if NoLoggedModels(err) {
		ref.NoLoggedModel = true
		if t.Client.Notify != nil {
			t.Client.Notify(fmt.Sprintf("MLflow at %s has no logged models (before MLflow 3): the model is the run's artifact only", t.Client.BaseURL))
		}
		return nil
	}
	if err != nil {
		return err
	}
	if m == nil {
		once := *t.Client
		once.Retries = 0 // a create is not sent twice: the next sync finds it first
		if m, err = once.CreateLoggedModel(ctx, ref.ExperimentID, "model", ref.RunID, modelParams(r), t.modelTags(r, parent)); err != nil {
			return err
		}
	}
	ref.ModelID = m.ModelID
	return nil
}

// modelParams are the estimator's params as the run logs them.
func modelParams(r *trainer.Run) []Tag {
	e, ok := trainer.Lookup(r.Estimator)
	if !ok {
		return nil
	}
	var out []Tag
	for _, p := range e.MLflow(r).Params {
		out = append(out, Tag{p[0], p[1]})
	}
	return out
}

// modelTags name the model's fs run, dataset and feature versions, and
// mark a sweep's best model.
func (t *Tracker) modelTags(r *trainer.Run, parent *trainer.Run) []Tag {
	tags := []Tag{{TagRunID, r.ID.String()}, {TagStore, t.store()}, {"fs.dataset_id", r.Dataset.ID},
		{"mlflow.user", t.User}, {"mlflow.source.name", "fs train"}, {"mlflow.source.type", "LOCAL"}}
	for _, f := range r.Features {
		v := "none"
		if !f.Version.IsZero() {
			v = f.Version.String()
		}
		tags = append(tags, Tag{"fs.feature." + f.Name, v})
	}
	if parent != nil && parent.Best != nil && *parent.Best == r.ID {
		tags = append(tags, Tag{"fs.best_in_sweep", parent.ID.String()})
	}
	return tags
}

// finishLoggedModel uploads the model's files under the logged model,
// links it to the run and marks it READY; a failed upload marks it
// FAILED (the run stays pending: the next sync uploads again).
func (t *Tracker) finishLoggedModel(ctx context.Context, r *trainer.Run, dir string) error {
	ref := &r.MLflow
	m, err := t.Client.FindLoggedModel(ctx, ref.ExperimentID, ref.RunID)
	if err != nil {
		return err
	}
	if m == nil || m.ModelID != ref.ModelID {
		return fmt.Errorf("the logged model %s of run %s is gone", ref.ModelID, ref.RunID)
	}
	if err := t.uploadFiles(ctx, r, dir, m.ArtifactURI, ""); err != nil {
		if ferr := t.Client.FinalizeLoggedModel(context.WithoutCancel(ctx), m.ModelID, ModelFailed); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	if err := t.Client.LogOutputs(ctx, ref.RunID, m.ModelID); err != nil {
		return err
	}
	return t.Client.FinalizeLoggedModel(ctx, m.ModelID, ModelReady)
}
