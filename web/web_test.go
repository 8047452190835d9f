package web

import (
	"strings"
	"testing"

	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

// A run synced to MLflow links to its MLflow run; one that is not shows
// its state only; markup in any field is escaped.
func TestMLflowLink(t *testing.T) {
	got := string(mlflowHTML(trainer.MLflowRef{State: "synced", TrackingURI: "http://mlflow:5000/", ExperimentID: "7", RunID: "abc123"}))
	if want := `synced <a href="http://mlflow:5000/#/experiments/7/runs/abc123">abc123</a>`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := string(mlflowHTML(trainer.MLflowRef{State: "local"})); got != "local" {
		t.Errorf("a local run: %s", got)
	}
	if got := string(mlflowHTML(trainer.MLflowRef{State: "<b>", TrackingURI: "javascript:alert(1)", RunID: "x"})); strings.Contains(got, "<b>") || strings.Contains(got, "href") {
		t.Errorf("not escaped, or a link to a non-HTTP tracking URI: %s", got)
	}
}

// Source snapshots go in the first column and registered models in the
// last; every node links to its page.
func TestDOT(t *testing.T) {
	n := func(k lineage.Kind, key, label string) *lineage.Node {
		return &lineage.Node{ID: lineage.ID(k, key), Kind: k, Label: label}
	}
	snap, fv, ds := n(lineage.Snapshot, "s1", "src@s1"), n(lineage.FeatureVersion, "f1", "conv_rate@f1"), n(lineage.Dataset, "d1", "d1")
	tree := &lineage.Tree{Node: ds, Children: []*lineage.Tree{{Node: fv}, {Node: snap}}}
	dot := NewGraph([]*lineage.Tree{tree}, lineage.Upstream).DOT(NodeURL)
	for _, want := range []string{`{ rank=min; "snapshot:s1"; }`, `"feature:f1" -> "dataset:d1"`, `"snapshot:s1" -> "dataset:d1"`,
		`URL="/features/conv_rate#v-f1"`, `URL="/datasets/d1"`} {
		if !strings.Contains(dot, want) {
			t.Errorf("the DOT has no %s:\n%s", want, dot)
		}
	}
}
