package pyfunc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/trainer"
)

// Model is data/model.json: everything needed to predict and to trace the
// model back to its inputs.
type Model struct {
	Format    string             `json:"format"` // "fs-elasticnet-v1"
	RunID     string             `json:"run_id"`
	Features  []Feature          `json:"features"` // in design-matrix order
	Coef      []float64          `json:"coef"`
	Intercept float64            `json:"intercept"`
	Target    string             `json:"target"`
	DatasetID string             `json:"dataset_id"`
	Params    trainer.ElasticNet `json:"params"`
}

// Feature is one input column with the version it was trained on.
type Feature struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// FromRun builds the model file of a run.
func FromRun(r *trainer.Run) Model {
	m := Model{Format: "fs-elasticnet-v1", RunID: r.ID.String(), Coef: r.Model.Coef, Intercept: r.Model.Intercept,
		Target: r.Target, DatasetID: r.Dataset.ID, Params: r.Params}
	for _, f := range r.Features {
		v := ""
		if !f.Version.IsZero() {
			v = f.Version.String()
		}
		m.Features = append(m.Features, Feature{Name: f.Name, Version: v})
	}
	return m
}

// loader is the Python module MLflow imports: it reads data/model.json and
// predicts X @ coef + intercept, in the features' order.
const loader = `"""fs Elastic Net model, loadable with mlflow.pyfunc.load_model (no pickles)."""
import json
import os

import numpy as np


class FsElasticNet:
    def __init__(self, model):
        self.model = model
        self.features = [f["name"] for f in model["features"]]
        self.coef = np.asarray(model["coef"], dtype=np.float64)
        self.intercept = float(model["intercept"])

    def predict(self, model_input, params=None):
        import pandas as pd

        if isinstance(model_input, pd.DataFrame):
            missing = [f for f in self.features if f not in model_input.columns]
            if missing:
                raise ValueError(f"missing feature columns: {missing}")
            X = model_input[self.features].to_numpy(dtype=np.float64)
        else:
            X = np.asarray(model_input, dtype=np.float64)
        return X @ self.coef + self.intercept


def _load_pyfunc(data_path):
    with open(os.path.join(data_path, "model.json")) as f:
        return FsElasticNet(json.load(f))
`

// Write writes the pyfunc layout of run r as the directory dir, whole or
// not at all (an earlier dir is replaced in one step).
func Write(dir string, r *trainer.Run, mlflowVersion string) error {
	m := FromRun(r)
	model, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	var inputs []string
	for i, f := range m.Features {
		name, _ := json.Marshal(f.Name)
		inputs = append(inputs, fmt.Sprintf(`{"type": "%s", "name": %s, "required": true}`, ColumnType(r, i), name))
	}
	sig := "[" + strings.Join(inputs, ", ") + "]"
	mlmodel := fmt.Sprintf(`artifact_path: model
flavors:
  python_function:
    code: code
    data: data
    env:
      virtualenv: python_env.yaml
    loader_module: fs_elasticnet
    python_version: "3.11"
mlflow_version: %s
model_uuid: %s
run_id: %s
signature:
  inputs: '%s'
  outputs: '[{"type": "double", "required": true}]'
  params: null
utc_time_created: '%s'
`, mlflowVersion, r.ID.String()[:32], r.MLflow.RunID, strings.ReplaceAll(sig, "'", "''"), r.Created.UTC().Format("2006-01-02 15:04:05.000000"))
	files := map[string]string{
		"MLmodel":               mlmodel,
		"python_env.yaml":       "python: \"3.11\"\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n",
		"requirements.txt":      "numpy\npandas\n",
		"code/fs_elasticnet.py": loader,
		"data/model.json":       string(model) + "\n",
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteDir(dir, func(tmp string) error {
		for name, content := range files {
			p := filepath.Join(tmp, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// ColumnType is the MLflow column type of the run's column i (a feature,
// or the target at len(r.Features)) for the pandas dtype it has in the
// dataset file, so that MLflow's schema enforcement accepts that file:
// long, integer, float, boolean, or double (also for runs recorded before
// the dtypes were).
func ColumnType(r *trainer.Run, i int) string {
	if i >= len(r.Dtypes) {
		return "double"
	}
	switch r.Dtypes[i] {
	case "int64":
		return "long"
	case "int32":
		return "integer"
	case "float32":
		return "float"
	case "bool":
		return "boolean"
	}
	return "double"
}

// Files returns the layout's file names, for uploads.
func Files() []string {
	return []string{"MLmodel", "python_env.yaml", "requirements.txt", "code/fs_elasticnet.py", "data/model.json"}
}
