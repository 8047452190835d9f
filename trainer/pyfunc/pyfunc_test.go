package pyfunc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// TestEveryFlavourHasItsLoader: each estimator's model names a loader
// module this package keeps, and its layout is one IsLayout knows.
func TestEveryFlavourHasItsLoader(t *testing.T) {
	for _, e := range trainer.Estimators() {
		parts := e.New()
		fl := parts.Model.Flavour()
		src, err := loader(fl.Module)
		if err != nil || !strings.Contains(src, "def _load_pyfunc(data_path)") {
			t.Errorf("%s: loader %s: %v", e.Name(), fl.Module, err)
			continue
		}
		r := &trainer.Run{ID: featurestore.Hash([]byte(e.Name())), Estimator: e.Name(), Params: parts.Params, Model: parts.Model,
			Features: []featurestore.FeatureRef{{Name: "x"}}, Target: "y", Created: time.Unix(0, 0)}
		dir := filepath.Join(t.TempDir(), "model")
		if err := Write(dir, r, "3.0.0"); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if !IsLayout(dir) {
			t.Errorf("%s: IsLayout does not know the layout it wrote", e.Name())
		}
		var doc map[string]any
		b, _ := os.ReadFile(filepath.Join(dir, "data", "model.json"))
		if err := json.Unmarshal(b, &doc); err != nil || doc["format"] != fl.Format || doc["params"] == nil || doc["target"] != "y" {
			t.Errorf("%s: model.json %s", e.Name(), b)
		}
		for k := range fl.Fields {
			if _, ok := doc[k]; !ok {
				t.Errorf("%s: model.json lacks the model's field %s", e.Name(), k)
			}
		}
	}
}
