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
	NIter     int                `json:"n_iter"`   // coordinate descent iterations, sklearn's n_iter_
	DualGap   float64            `json:"dual_gap"` // the final duality gap, sklearn's dual_gap_
}

// Feature is one input column with the version it was trained on.
type Feature struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// FromRun builds the model file of a regression run.
func FromRun(r *trainer.Run) Model {
	return Model{Format: "fs-elasticnet-v1", RunID: r.ID.String(), Features: features(r), Coef: r.Model.Coef, Intercept: r.Model.Intercept,
		Target: r.Target, DatasetID: r.Dataset.ID, Params: r.Params, NIter: r.Model.NIter, DualGap: r.Model.DualGap}
}

func features(r *trainer.Run) []Feature {
	var out []Feature
	for _, f := range r.Features {
		v := ""
		if !f.Version.IsZero() {
			v = f.Version.String()
		}
		out = append(out, Feature{Name: f.Name, Version: v})
	}
	return out
}

// layout is what differs between a regressor's and a classifier's
// layout: the model file, the loader module, the output and params
// schemas.
type layout struct {
	model        any
	module, code string
	outputs      string
	params       string
}

func layoutOf(r *trainer.Run) layout {
	if r.Task == trainer.TaskClassification {
		return layout{model: classifierFromRun(r), module: "fs_logistic", code: classifierLoader,
			outputs: fmt.Sprintf(`[{"type": "%s", "required": true}]`, labelColumnType(r.Classifier.LabelType)),
			params:  `'[{"name": "predict_method", "default": "predict", "shape": null, "type": "string"}]'`}
	}
	return layout{model: FromRun(r), module: "fs_elasticnet", code: loader, outputs: `[{"type": "double", "required": true}]`, params: "null"}
}

// loader is the Python module MLflow imports: it reads data/model.json and
// predicts in fs's order (features summed in order, each product rounded,
// then the intercept), so its numbers are fs predict's to the last bit.
const loader = `"""fs Elastic Net model, loadable with mlflow.pyfunc.load_model (no pickles)."""
import json
import os

import numpy as np


def _predict(X, coef, intercept):
    """X @ coef + intercept as fs computes it: features in order, each
    product rounded before it is added, then the intercept."""
    X = np.asarray(X, dtype=np.float64)
    s = np.zeros(X.shape[0], dtype=np.float64)
    for j in range(X.shape[1]):
        s = s + X[:, j] * coef[j]
    return s + intercept


try:
    from sklearn.linear_model import ElasticNet as _SklearnElasticNet
except ImportError:  # scikit-learn is optional
    _SklearnElasticNet = None

if _SklearnElasticNet is not None:

    class FsSklearnElasticNet(_SklearnElasticNet):
        """A fitted sklearn ElasticNet whose predict sums in fs's order, so
        it gives fs predict's numbers to the last bit (numpy's X @ coef_
        differs in the last place on some rows)."""

        def predict(self, X):
            from sklearn.utils.validation import check_is_fitted, validate_data

            check_is_fitted(self)
            X = validate_data(self, X, reset=False)
            return _predict(X, self.coef_, self.intercept_)


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
        return _predict(X, self.coef, self.intercept)

    def estimator(self):
        """The model as a fitted scikit-learn ElasticNet (needs scikit-learn):
        coef_, intercept_, n_iter_, dual_gap_ and feature_names_in_ set, so
        scikit-learn's tools (permutation_importance, plots) take it. Give
        predict the feature columns, in order.

            est = mlflow.pyfunc.load_model("runs:/<id>/model").get_raw_model()
        """
        if _SklearnElasticNet is None:
            raise ImportError("the scikit-learn estimator needs scikit-learn: pip install scikit-learn")
        p = self.model["params"]
        est = FsSklearnElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=p["max_iter"], tol=p["tol"],
                                  positive=p["positive"])
        est.coef_ = self.coef.copy()
        est.intercept_ = np.float64(self.intercept)
        est.n_iter_ = int(self.model.get("n_iter", 0))
        est.dual_gap_ = np.float64(self.model.get("dual_gap", 0.0))
        est.n_features_in_ = len(self.features)
        est.feature_names_in_ = np.asarray(self.features, dtype=object)
        return est

    def get_raw_model(self):
        """What mlflow.pyfunc's PyFuncModel.get_raw_model() returns: the
        scikit-learn estimator (see estimator)."""
        return self.estimator()


def _load_pyfunc(data_path):
    with open(os.path.join(data_path, "model.json")) as f:
        return FsElasticNet(json.load(f))
`

// Write writes the pyfunc layout of run r as the directory dir, whole or
// not at all (an earlier dir is replaced in one step).
func Write(dir string, r *trainer.Run, mlflowVersion string) error {
	l := layoutOf(r)
	model, err := json.MarshalIndent(l.model, "", "  ")
	if err != nil {
		return err
	}
	var inputs []string
	for i, f := range r.Features {
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
    loader_module: %s
    python_version: "3.11"
mlflow_version: %s
model_uuid: %s
run_id: %s
signature:
  inputs: '%s'
  outputs: '%s'
  params: %s
utc_time_created: '%s'
`, l.module, mlflowVersion, r.ID.String()[:32], r.MLflow.RunID, strings.ReplaceAll(sig, "'", "''"), l.outputs, l.params, r.Created.UTC().Format("2006-01-02 15:04:05.000000"))
	files := map[string]string{
		"MLmodel":                  mlmodel,
		"python_env.yaml":          "python: \"3.11\"\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n",
		"requirements.txt":         "numpy\npandas\n",
		"code/" + l.module + ".py": l.code,
		"data/model.json":          string(model) + "\n",
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
// long, integer, float, boolean, string (a classifier's text labels), or
// double (also for runs recorded before the dtypes were).
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
	case "str":
		return "string"
	}
	return "double"
}

// Files returns the file names of r's layout, for uploads.
func Files(r *trainer.Run) []string {
	return []string{"MLmodel", "python_env.yaml", "requirements.txt", "code/" + layoutOf(r).module + ".py", "data/model.json"}
}

// IsLayout reports whether dir holds a model layout fs wrote and nothing
// else: the only directory fs replaces whole when asked to write a model
// there (an empty directory is one too).
func IsLayout(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	if len(entries) == 0 {
		return true
	}
	known := map[string]bool{"MLmodel": false, "python_env.yaml": false, "requirements.txt": false, "code": true, "data": true}
	for _, e := range entries {
		isDir, ok := known[e.Name()]
		if !ok || isDir != e.IsDir() {
			return false
		}
	}
	mlmodel, err := os.ReadFile(filepath.Join(dir, "MLmodel"))
	if err != nil {
		return false
	}
	text := string(mlmodel)
	return strings.Contains(text, "loader_module: fs_elasticnet\n") || strings.Contains(text, "loader_module: fs_logistic\n")
}
