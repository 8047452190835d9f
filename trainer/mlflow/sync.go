package mlflow

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/trainer/pyfunc"
)

// The tags that name an MLflow run's fs twin: the fs run id and the store
// (absolute path) that holds it.
const (
	TagRunID = "fs.run_id"
	TagStore = "fs.store"
)

// Version is the MLflow version the model layout is written for (the
// mlflow_version of MLmodel): the one the tests run against.
const Version = "3.17.2"

// Tracker mirrors fs runs to MLflow.
type Tracker struct {
	Client *Client
	User   string
	Store  string // the store directory, for the reproduce tag
	Now    func() time.Time
}

var _ trainer.Tracker = (*Tracker)(nil)

// Sync implements trainer.Tracker. A sweep parent (r.Children set) gets
// its MLflow run created first; its data and end are done once its
// children are synced (Sync it again then).
func (t *Tracker) Sync(ctx context.Context, r *trainer.Run, parent *trainer.Run, modelDir string, save func(*trainer.Run) error) error {
	ref := &r.MLflow
	step := func(name string, fn func() error) error {
		if ref.HasDone(name) {
			return nil
		}
		if err := fn(); err != nil {
			err = fmt.Errorf("%s: %w", stepWords[name], err)
			ref.LastError = err.Error()
			save(r)
			return err
		}
		ref.Done = append(ref.Done, name)
		ref.LastError = ""
		return save(r)
	}
	if ref.RunID == "" {
		if err := t.createRun(ctx, r, parent, save); err != nil {
			return err
		}
	}
	if len(r.Children) > 0 && !allChildrenSynced(r) {
		return nil // the sweep's own data comes after its children
	}
	if len(r.Children) == 0 && r.HasModel() && !ref.NoLoggedModel {
		if err := step("logged_model", func() error { return t.createLoggedModel(ctx, r, parent) }); err != nil {
			return err
		}
	}
	if err := step("data", func() error { return t.logData(ctx, r) }); err != nil {
		return err
	}
	if len(r.Children) == 0 {
		if err := step("inputs", func() error { return t.logInput(ctx, r) }); err != nil {
			return err
		}
		if r.HasModel() {
			if err := step("model", func() error { return t.uploadModel(ctx, r, modelDir) }); err != nil {
				return err
			}
			if ref.ModelID != "" {
				if err := step("logged_model_ready", func() error { return t.finishLoggedModel(ctx, r, modelDir) }); err != nil {
					return err
				}
			}
		}
	}
	if ref.RegisterModel != "" && r.Gate.Passed && r.HasModel() && len(r.Children) == 0 {
		if err := step("registry", func() error { return t.register(ctx, r) }); err != nil {
			return err
		}
	}
	if err := step("end", func() error { return t.Client.EndRun(ctx, ref.RunID, "FINISHED", t.endOf(r)) }); err != nil {
		return err
	}
	ref.State = trainer.SyncSynced
	return save(r)
}

// stepWords says what each sync step does, for errors.
var stepWords = map[string]string{
	"logged_model":       "creating the logged model",
	"logged_model_ready": "uploading the logged model",
	"data":               "logging the params, metrics and tags",
	"inputs":             "logging the dataset input",
	"model":              "uploading the model to the run's artifact store",
	"registry":           "registering the model",
	"end":                "finishing the run",
}

// createRun gives r its MLflow run. A run this store created before (found
// by its fs.run_id and fs.store tags) is taken up again, so that a sync
// killed between MLflow's answer and the store's record creates no second
// run.
func (t *Tracker) createRun(ctx context.Context, r *trainer.Run, parent *trainer.Run, save func(*trainer.Run) error) error {
	ref := &r.MLflow
	if ref.Experiment == "" {
		ref.Experiment = "Default"
	}
	exp, err := t.Client.Experiment(ctx, ref.Experiment)
	if err != nil {
		return err
	}
	identity := []Tag{{TagRunID, r.ID.String()}, {TagStore, t.store()}}
	tags := append([]Tag{
		{"mlflow.user", t.User},
		{"mlflow.source.name", "fs train"},
		{"mlflow.source.type", "LOCAL"},
	}, identity...)
	if parent != nil && parent.MLflow.RunID != "" {
		tags = append(tags, Tag{"mlflow.parentRunId", parent.MLflow.RunID})
	}
	info, err := t.Client.FindOrCreateRun(ctx, exp, runName(r), startOf(r), identity, tags)
	if err != nil {
		return err
	}
	ref.ExperimentID, ref.RunID, ref.ArtifactURI, ref.State = exp, info.RunID, info.ArtifactURI, trainer.SyncPending
	ref.TrackingURI = t.Client.BaseURL
	return save(r)
}

// allChildrenSynced is set by the caller on the parent: children synced
// are listed in Done as "child:<id>".
func allChildrenSynced(r *trainer.Run) bool {
	for _, c := range r.Children {
		if !r.MLflow.HasDone("child:" + c.String()) {
			return false
		}
	}
	return true
}

// store is the store directory as an absolute path.
func (t *Tracker) store() string {
	abs, err := filepath.Abs(t.Store)
	if err != nil {
		return t.Store
	}
	return abs
}

func (t *Tracker) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// startOf is when r began in MLflow: its fit's start (runs recorded
// before fs kept it: when it was recorded).
func startOf(r *trainer.Run) time.Time {
	if r.Started.IsZero() {
		return r.Created
	}
	return r.Started
}

// endOf is when r ended in MLflow, and its metrics' time: its
// evaluation's end, however late it is pushed (runs recorded before fs
// kept it: now).
func (t *Tracker) endOf(r *trainer.Run) time.Time {
	if r.Ended.IsZero() {
		return t.now()
	}
	return r.Ended
}

func runName(r *trainer.Run) string {
	if len(r.Children) > 0 {
		return "fs-sweep-" + r.ID.Short()
	}
	return "fs-" + r.ID.Short()
}

// pyList formats names as Python prints a list of strings, the way a
// notebook's mlflow.log_param("features", features) records it.
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + strings.ReplaceAll(n, "'", "\\'") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func (t *Tracker) logData(ctx context.Context, r *trainer.Run) error {
	var names []string
	versions := map[string]string{}
	for _, f := range r.Features {
		names = append(names, f.Name)
		v := "none"
		if !f.Version.IsZero() {
			v = f.Version.String()
		}
		versions[f.Name] = v
	}
	logged := trainer.Logged{}
	if e, ok := trainer.Lookup(r.Estimator); ok && r.HasModel() {
		logged = e.MLflow(r)
	}
	var params []Tag
	for _, p := range logged.Params {
		params = append(params, Tag{p[0], p[1]})
	}
	params = append(params,
		Tag{"features", truncate(pyList(names), 6000)}, Tag{"target", r.Target},
		Tag{"test_size", trainer.PythonFloat(r.Split.TestSize)}, Tag{"seed", strconv.FormatUint(uint64(r.Split.Seed), 10)},
		Tag{"split", r.Split.Kind}, Tag{"null_rule", r.NullRule}, Tag{"fs.dataset_id", r.Dataset.ID})
	for _, f := range r.Features {
		params = append(params, Tag{"fs.feature." + f.Name, versions[f.Name]})
	}
	now := t.endOf(r).UnixMilli()
	var metrics []Metric
	add := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) { // JSON has no NaN; MLflow would refuse it
			metrics = append(metrics, Metric{Key: k, Value: v, Timestamp: now})
		}
	}
	for _, m := range logged.Metrics {
		add(m.Name, m.Num)
	}
	if id := r.MLflow.ModelID; id != "" { // MLflow 3 links them to the model, measured on the dataset
		name, digest := datasetName(r)
		for i := range metrics {
			metrics[i].ModelID, metrics[i].DatasetName, metrics[i].DatasetDigest = id, name, digest
		}
	}
	add("fit_time", r.FitSeconds)
	add("predict_time", r.PredictSeconds)
	fv, _ := json.Marshal(versions)
	gate := "none"
	if r.Gate.Set() {
		gate = map[bool]string{true: "passed", false: "failed: " + strings.Join(r.Gate.Failed, ", ")}[r.Gate.Passed]
	}
	store := t.store()
	tags := []Tag{
		{"mlflow.runName", runName(r)},
		{"fs.dataset_id", r.Dataset.ID},
		{"fs.feature_versions", truncate(string(fv), 8000)},
		{TagStore, store},
		{"fs.reproduce", fmt.Sprintf("fs reproduce %s --store %s", r.ID, store)},
		{"fs.gate", gate},
		{"fs.version", r.FSVersion},
	}
	if r.Best != nil {
		tags = append(tags, Tag{"fs.best_run", r.Best.String()})
	}
	for _, w := range r.Warnings {
		tags = append(tags, Tag{"fs.warning", truncate(w, 8000)})
		break
	}
	return t.Client.LogBatch(ctx, r.MLflow.RunID, params, metrics, tags)
}

func (t *Tracker) logInput(ctx context.Context, r *trainer.Run) error {
	type col struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Required bool   `json:"required"`
	}
	var cols []col
	for _, f := range r.Features {
		cols = append(cols, col{pyfunc.ColumnType(r, len(cols)), f.Name, true})
	}
	cols = append(cols, col{pyfunc.ColumnType(r, len(r.Features)), r.Target, true})
	schema, _ := json.Marshal(map[string]any{"mlflow_colspec": cols})
	profile, _ := json.Marshal(map[string]any{"num_rows": r.Dataset.Rows, "num_elements": r.Dataset.Rows * len(cols),
		"train_rows": r.Split.TrainRows, "test_rows": r.Split.TestRows})
	source, _ := json.Marshal(map[string]string{"uri": "file://" + r.Dataset.Path})
	name, digest := datasetName(r)
	return t.Client.LogInput(ctx, r.MLflow.RunID, DatasetInput{
		Name: name, Digest: digest, SourceType: "local", Source: string(source),
		Schema: string(schema), Profile: string(profile)}, "training")
}

// datasetName is the name and digest the run's dataset is logged with.
func datasetName(r *trainer.Run) (string, string) {
	digest := r.Dataset.ID
	if len(digest) > 12 {
		digest = digest[:12]
	}
	return "fs-dataset-" + digest, digest
}

func (t *Tracker) uploadModel(ctx context.Context, r *trainer.Run, dir string) error {
	// The layout names the MLflow run it belongs to.
	if err := pyfunc.Write(dir, r, Version); err != nil {
		return err
	}
	if err := t.uploadFiles(ctx, r, dir, r.MLflow.ArtifactURI, "model/"); err != nil {
		return err
	}
	e, ok := trainer.Lookup(r.Estimator)
	if !ok {
		return nil
	}
	arts := e.MLflow(r).Artifacts
	for _, name := range slices.Sorted(maps.Keys(arts)) {
		if err := t.Client.UploadArtifact(ctx, r.MLflow.ArtifactURI, name, arts[name]); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tracker) register(ctx context.Context, r *trainer.Run) error {
	tags := []Tag{{TagRunID, r.ID.String()}, {"fs.dataset_id", r.Dataset.ID}}
	for _, f := range r.Features {
		v := "none"
		if !f.Version.IsZero() {
			v = f.Version.String()
		}
		tags = append(tags, Tag{"fs.feature." + f.Name, v})
	}
	source := r.MLflow.ArtifactURI + "/model"
	if r.MLflow.ModelID != "" {
		source = "models:/" + r.MLflow.ModelID
	}
	v, err := t.Client.RegisterModel(ctx, r.MLflow.RegisterModel, source, r.MLflow.RunID, r.MLflow.ModelID, tags)
	if err != nil {
		return err
	}
	r.MLflow.ModelVersion = v
	return nil
}

// uploadFiles puts the model's files under artifactURI/prefix.
func (t *Tracker) uploadFiles(ctx context.Context, r *trainer.Run, dir, artifactURI, prefix string) error {
	for _, f := range pyfunc.Files(r) {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if err := t.Client.UploadArtifact(ctx, artifactURI, prefix+f, data); err != nil {
			return err
		}
	}
	return nil
}
