package pyfunc

import (
	"embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/trainer"
)

// python holds each flavour's loader module, python/<module>.py: the
// module MLflow imports to load data/model.json and predict in fs's order,
// so that its numbers are fs predict's to the last bit.
//
//go:embed python/*.py
var python embed.FS

// Base is what data/model.json holds for every model, beside the model's
// own fields (trainer.Flavour.Fields): everything needed to trace the
// model back to its inputs.
type Base struct {
	Format    string         `json:"format"` // "fs-elasticnet-v1"
	RunID     string         `json:"run_id"`
	Features  []Feature      `json:"features"` // in design-matrix order
	Target    string         `json:"target"`
	DatasetID string         `json:"dataset_id"`
	Params    trainer.Params `json:"params"`
}

// Feature is one input column with the version it was trained on.
type Feature struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// ModelJSON is data/model.json of run r: the base fields and the model's.
func ModelJSON(r *trainer.Run) ([]byte, error) {
	if r.Model == nil {
		return nil, fmt.Errorf("run %s has no model", r.ID.Short())
	}
	fl := r.Model.Flavour()
	base, err := json.Marshal(Base{Format: fl.Format, RunID: r.ID.String(), Features: features(r), Target: r.Target,
		DatasetID: r.Dataset.ID, Params: r.Params})
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, err
	}
	for k, v := range fl.Fields {
		doc[k] = v
	}
	return json.MarshalIndent(doc, "", "  ")
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

// loader is the source of a flavour's loader module.
func loader(module string) (string, error) {
	b, err := python.ReadFile("python/" + module + ".py")
	if err != nil {
		return "", fmt.Errorf("no loader module %s for mlflow.pyfunc: %w", module, err)
	}
	return string(b), nil
}

// Write writes the pyfunc layout of run r as the directory dir, whole or
// not at all (an earlier dir is replaced in one step).
func Write(dir string, r *trainer.Run, mlflowVersion string) error {
	model, err := ModelJSON(r)
	if err != nil {
		return err
	}
	l := r.Model.Flavour()
	code, err := loader(l.Module)
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
  sklearn:
    code: code
    pickled_model: data/model.pkl
    serialization_format: pickle
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
`, l.Module, mlflowVersion, r.ID.String()[:32], r.MLflow.RunID, strings.ReplaceAll(sig, "'", "''"), l.Outputs, l.Params, r.Created.UTC().Format("2006-01-02 15:04:05.000000"))
	files := map[string]string{
		"MLmodel":                  mlmodel,
		"python_env.yaml":          "python: \"3.11\"\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n",
		"requirements.txt":         "numpy\npandas\n",
		"code/" + l.Module + ".py": code,
		"data/model.json":          string(model) + "\n",
		"data/model.pkl":           string(sklearnPickle(l.Module, string(model))),
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
	return []string{"MLmodel", "python_env.yaml", "requirements.txt", "code/" + r.Model.Flavour().Module + ".py", "data/model.json",
		"data/model.pkl"}
}

// sklearnPickle is the sklearn flavour's model.pkl: a pickle (protocol 2)
// of one call, MODULE._sklearn_from_json(model), which builds the fitted
// scikit-learn estimator from the model's JSON, so that
// mlflow.sklearn.load_model loads it (the flavour puts code/ on the path)
// with no object of fs's pickled.
func sklearnPickle(module, modelJSON string) []byte {
	out := []byte("\x80\x02c" + module + "\n_sklearn_from_json\n")
	out = append(out, 'X')
	out = binary.LittleEndian.AppendUint32(out, uint32(len(modelJSON)))
	out = append(out, modelJSON...)
	return append(out, 0x85, 'R', '.') // TUPLE1, REDUCE, STOP
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
	for _, e := range trainer.Estimators() {
		if strings.Contains(text, "loader_module: "+e.New().Model.Flavour().Module+"\n") {
			return true
		}
	}
	return false
}
