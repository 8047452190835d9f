package web

import (
	"context"
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
// last, every node right of its inputs; every node links to its page and
// every edge is drawn; a highlighted node is outlined red.
func TestLayout(t *testing.T) {
	n := func(k lineage.Kind, key, label string) *lineage.Node {
		return &lineage.Node{ID: lineage.ID(k, key), Kind: k, Label: label}
	}
	snap, fv, ds, run, model := n(lineage.Snapshot, "s1", "src@s1"), n(lineage.FeatureVersion, "f1", "conv_rate@f1"),
		n(lineage.Dataset, "d1", "d1"), n(lineage.Run, "r1", "r1"), n(lineage.ModelVersion, "m1", "model/1")
	tree := &lineage.Tree{Node: snap, Children: []*lineage.Tree{{Node: fv, Children: []*lineage.Tree{{Node: ds, Children: []*lineage.Tree{
		{Node: run, Children: []*lineage.Tree{{Node: model}}}}}}}, {Node: ds}}}
	g := NewGraph([]*lineage.Tree{tree}, lineage.Downstream)
	g.Highlight[ds.ID] = true
	boxes, cols := g.place()
	if len(cols) != 5 || boxes[snap.ID].col != 0 || boxes[fv.ID].col != 1 || boxes[ds.ID].col != 2 || boxes[model.ID].col != 4 {
		t.Errorf("columns: %d, snapshot %d, feature %d, dataset %d, model %d", len(cols), boxes[snap.ID].col, boxes[fv.ID].col, boxes[ds.ID].col, boxes[model.ID].col)
	}
	for _, e := range g.Edges {
		if from, to := boxes[e[0]], boxes[e[1]]; from.x+from.w >= to.x {
			t.Errorf("%s is not left of %s", e[0], e[1])
		}
	}
	svg, err := g.SVG(context.Background(), NodeURL)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{`href="/features/conv_rate#v-f1"`, `href="/datasets/d1"`, `href="/runs/r1"`, `>feature conv_rate@f1</text>`,
		`stroke="` + Highlighted + `"`} {
		if !strings.Contains(s, want) {
			t.Errorf("the SVG has no %s:\n%s", want, s)
		}
	}
	if got := strings.Count(s, `class="node"`); got != 5 {
		t.Errorf("%d nodes drawn, want 5", got)
	}
	if got := strings.Count(s, `class="edge"`); got != len(g.Edges) || got != 5 {
		t.Errorf("%d edges drawn, want %d (5)", got, len(g.Edges))
	}
	if strings.Count(s, Highlighted) != 1 {
		t.Errorf("want one node outlined red:\n%s", s)
	}
}

// Barycentre ordering untangles two crossing chains.
func TestLayoutOrder(t *testing.T) {
	n := func(k lineage.Kind, key string) *lineage.Node {
		return &lineage.Node{ID: lineage.ID(k, key), Kind: k, Label: key}
	}
	a, b := n(lineage.Snapshot, "a"), n(lineage.Snapshot, "b")
	x, y := n(lineage.Dataset, "x"), n(lineage.Dataset, "y") // a feeds y, b feeds x: sorted by id they would cross
	g := NewGraph([]*lineage.Tree{{Node: a, Children: []*lineage.Tree{{Node: y}}}, {Node: b, Children: []*lineage.Tree{{Node: x}}}}, lineage.Downstream)
	boxes, _ := g.place()
	if (boxes[a.ID].y < boxes[b.ID].y) != (boxes[y.ID].y < boxes[x.ID].y) {
		t.Errorf("the edges cross: a %v b %v, y %v x %v", boxes[a.ID].y, boxes[b.ID].y, boxes[y.ID].y, boxes[x.ID].y)
	}
}
