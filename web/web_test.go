package web

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fs-dev/fs/featurestore"
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
	l := g.place()
	boxes, cols := l.boxes, l.cols
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
	boxes := g.place().boxes
	if (boxes[a.ID].y < boxes[b.ID].y) != (boxes[y.ID].y < boxes[x.ID].y) {
		t.Errorf("the edges cross: a %v b %v, y %v x %v", boxes[a.ID].y, boxes[b.ID].y, boxes[y.ID].y, boxes[x.ID].y)
	}
}

// sweepRuns is a sweep of 4 alphas by 3 l1_ratios whose worst runs are at
// the top of the chart, where the legend goes.
func sweepRuns() []*trainer.Run {
	var runs []*trainer.Run
	for _, a := range []float64{0.001, 0.01, 0.1, 1} {
		for i, l := range []float64{0.1, 0.5, 0.9} {
			runs = append(runs, &trainer.Run{Params: &trainer.ElasticNet{Alpha: a, L1Ratio: l},
				Test: &trainer.Metrics{RMSE: 0.4 + a*0.1 + float64(i)*0.01}})
		}
	}
	return runs
}

var (
	textRe = regexp.MustCompile(`<text x="([-0-9.]+)" y="([-0-9.]+)" transform="scale\(1, -1\)"\s+style="([^"]*)">([^<]*)</text>`)
	lineRe = regexp.MustCompile(`<path d="M([-0-9.,L]+)" style="fill:none;stroke:#[0-9A-F]{6}" />`)
)

// TestSweepLegendClearOfLines: no vertex of a sweep chart's lines lies in
// the band its legend takes (gonum draws the legend inside the data area),
// and every text is in the sans face beside the page's.
func TestSweepLegendClearOfLines(t *testing.T) {
	charts, err := SweepCharts(sweepRuns(), "rmse")
	if err != nil || len(charts) != 2 {
		t.Fatalf("%d charts, %v", len(charts), err)
	}
	two := []*trainer.Run{{Params: &trainer.ElasticNet{Alpha: 0.01, L1Ratio: 0.5}, Test: &trainer.Metrics{RMSE: 0.41146}},
		{Params: &trainer.ElasticNet{Alpha: 0.1, L1Ratio: 0.5}, Test: &trainer.Metrics{RMSE: 0.417177}}} // the demo's sweep: one line
	more, err := SweepCharts(two, "rmse")
	if err != nil {
		t.Fatal(err)
	}
	charts = append(charts, more[0])
	for i, c := range charts {
		s := string(c)
		if strings.Contains(s, "Serif") || !strings.Contains(s, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif") {
			t.Errorf("chart %d: not all text in the sans face", i)
		}
		legendLeft, legendBottom := math.Inf(1), math.Inf(1)
		for _, m := range textRe.FindAllStringSubmatch(s, -1) {
			if strings.HasPrefix(m[4], "l1_ratio ") || strings.HasPrefix(m[4], "alpha ") && !strings.Contains(m[4], "by") {
				x, _ := strconv.ParseFloat(m[1], 64)
				y, _ := strconv.ParseFloat(m[2], 64)
				legendLeft, legendBottom = min(legendLeft, x), min(legendBottom, -y-4) // y is flipped: the baseline, less the descent
			}
		}
		if math.IsInf(legendBottom, 1) {
			t.Fatalf("chart %d: no legend found", i)
		}
		lines := 0
		for _, m := range lineRe.FindAllStringSubmatch(s, -1) {
			pts := strings.Split(m[1], "L")
			if x0, _ := strconv.ParseFloat(strings.Split(pts[0], ",")[0], 64); len(pts) < 3 && x0 >= legendLeft {
				continue // a legend's sample line (grid lines are grey, left of it or crossing the whole area)
			}
			if len(pts) == 2 && strings.Split(pts[0], ",")[1] == strings.Split(pts[1], ",")[1] {
				continue // a horizontal grid line
			}
			lines++
			for _, p := range pts {
				x, _ := strconv.ParseFloat(strings.Split(p, ",")[0], 64)
				y, _ := strconv.ParseFloat(strings.Split(p, ",")[1], 64)
				if x >= legendLeft && y+3 >= legendBottom { // a marker's radius and the line's width
					t.Errorf("chart %d: a line passes through the legend at (%g, %g); the legend is above y %g right of x %g", i, x, y, legendBottom, legendLeft)
				}
			}
		}
		if lines < 1 {
			t.Errorf("chart %d: no line found", i)
		}
	}
}

// TestCoefChartShowsEverySign: negative coefficients in their own colour,
// every bar labelled with its value, however short.
func TestCoefChartShowsEverySign(t *testing.T) {
	r := &trainer.Run{Model: &trainer.Fitted{Coef: []float64{0.217, -0.000721, 0}},
		Features: []featurestore.FeatureRef{{Name: "acc_rate"}, {Name: "trips_per_hour"}, {Name: "conv_rate"}}}
	svg, err := CoefChart(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{">0.217</text>", ">-0.000721</text>", ">0</text>", "fill:#3B6ED9", "fill:#D9483B"} {
		if !strings.Contains(s, want) {
			t.Errorf("the chart has no %s", want)
		}
	}
}

// bezier is the point at t of a route's curve segment, as pathOf draws it.
func bezier(s segment, t float64) (float64, float64) {
	dx := max((s.x2-s.x1)/2, colGap/2)
	px := [4]float64{s.x1, s.x1 + dx, s.x2 - dx, s.x2}
	py := [4]float64{s.y1, s.y1, s.y2, s.y2}
	u := 1 - t
	return u*u*u*px[0] + 3*u*u*t*px[1] + 3*u*t*t*px[2] + t*t*t*px[3], u*u*u*py[0] + 3*u*u*t*py[1] + 3*u*t*t*py[2] + t*t*t*py[3]
}

// checkRoutes fails when a point of an edge lies inside a node's box (its
// border excepted) that is not one of the edge's ends: the drawing would
// show the edge entering or passing behind that node.
func checkRoutes(t *testing.T, name string, g *Graph) {
	t.Helper()
	l := g.place()
	var nodes []*box
	for _, bx := range l.boxes {
		if bx.node != nil {
			nodes = append(nodes, bx)
		}
	}
	crossings := 0
	for _, route := range l.routes {
		ends := map[*box]bool{route[0]: true, route[len(route)-1]: true}
		for _, s := range segments(route) {
			for k := 0; k <= 32; k++ {
				x, y := s.x1+(s.x2-s.x1)*float64(k)/32, s.y1+(s.y2-s.y1)*float64(k)/32
				if s.curve {
					x, y = bezier(s, float64(k)/32)
				}
				for _, bx := range nodes {
					if !ends[bx] && x > bx.x+0.5 && x < bx.x+bx.w-0.5 && y > bx.y+0.5 && y < bx.y+bx.h-0.5 {
						crossings++
						if crossings <= 3 {
							t.Errorf("%s: the edge %s -> %s passes through %s at (%.1f, %.1f)", name, route[0].id, route[len(route)-1].id, bx.id, x, y)
						}
					}
				}
			}
		}
	}
}

// demoLineage is the upstream lineage of a run of the demo's sweep: the
// source, its snapshot, five features (one reading two others), the
// dataset, the run and its sweep, drawn as fs draws it.
func demoLineage() *Graph {
	n := func(k lineage.Kind, key string) *lineage.Node {
		return &lineage.Node{ID: lineage.ID(k, key), Kind: k, Label: key}
	}
	src, snap := n(lineage.Source, "driver_stats"), n(lineage.Snapshot, "driver_stats@8b98")
	feat := map[string]*lineage.Node{}
	for _, f := range []string{"conv_rate", "acc_rate", "avg_daily_trips", "trips_per_hour", "engagement"} {
		feat[f] = n(lineage.FeatureVersion, f)
	}
	ds, run, sweep := n(lineage.Dataset, "46b02e39"), n(lineage.Run, "227555d7"), n(lineage.Run, "4f99ebc2 (sweep of 6)")
	leaf := func(x *lineage.Node) *lineage.Tree {
		return &lineage.Tree{Node: x, Children: []*lineage.Tree{{Node: src}}}
	}
	tph := &lineage.Tree{Node: feat["trips_per_hour"], Children: []*lineage.Tree{leaf(feat["avg_daily_trips"]), {Node: src}}}
	eng := &lineage.Tree{Node: feat["engagement"], Children: []*lineage.Tree{tph, leaf(feat["acc_rate"]), leaf(feat["conv_rate"]), {Node: src}}}
	dsT := &lineage.Tree{Node: ds, Children: []*lineage.Tree{eng, leaf(feat["avg_daily_trips"]), tph, leaf(feat["acc_rate"]),
		leaf(feat["conv_rate"]), {Node: snap, Children: []*lineage.Tree{{Node: src}}}}}
	return NewGraph([]*lineage.Tree{{Node: sweep, Children: []*lineage.Tree{{Node: run, Children: []*lineage.Tree{dsT}}}}}, lineage.Upstream)
}

// TestEdgesAvoidNodes: on the demo's lineage and on random graphs whose
// edges skip columns, no edge passes through a node that is not one of
// its ends.
func TestEdgesAvoidNodes(t *testing.T) {
	checkRoutes(t, "the demo's run", demoLineage())
	rng := rand.New(rand.NewPCG(28, 4))
	for i := 0; i < 200; i++ {
		var nodes []*lineage.Node
		for j := 0; j < 3+rng.IntN(25); j++ {
			nodes = append(nodes, &lineage.Node{ID: lineage.ID(lineage.FeatureVersion, fmt.Sprint("n", j)), Kind: lineage.FeatureVersion,
				Label: strings.Repeat("x", 1+rng.IntN(20))})
		}
		g := &Graph{Nodes: map[lineage.NodeID]*lineage.Node{}, Highlight: map[lineage.NodeID]bool{}, Roots: map[lineage.NodeID]bool{}}
		for _, nd := range nodes {
			g.Nodes[nd.ID] = nd
		}
		for a := range nodes {
			for b := a + 1; b < len(nodes); b++ {
				if rng.Float64() < 0.15 {
					g.Edges = append(g.Edges, [2]lineage.NodeID{nodes[a].ID, nodes[b].ID})
				}
			}
		}
		checkRoutes(t, fmt.Sprintf("random graph %d", i), g)
	}
}
