package lineage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fs-dev/fs/lineage"
)

// mapGraph is a lineage.Graph held in maps: edges from input to output.
type mapGraph struct {
	in, out map[lineage.NodeID][]lineage.NodeID
	attrs   map[lineage.NodeID]map[string]string
	reads   int
}

func newMapGraph(edges ...[2]lineage.NodeID) *mapGraph {
	g := &mapGraph{in: map[lineage.NodeID][]lineage.NodeID{}, out: map[lineage.NodeID][]lineage.NodeID{},
		attrs: map[lineage.NodeID]map[string]string{}}
	for _, e := range edges {
		g.out[e[0]] = append(g.out[e[0]], e[1])
		g.in[e[1]] = append(g.in[e[1]], e[0])
	}
	for _, m := range []map[lineage.NodeID][]lineage.NodeID{g.in, g.out} {
		for k := range m {
			slices.Sort(m[k])
		}
	}
	return g
}

func (g *mapGraph) Node(_ context.Context, id lineage.NodeID) (*lineage.Node, error) {
	g.reads++
	return &lineage.Node{ID: id, Kind: id.Kind(), Label: id.Key(), Attrs: g.attrs[id]}, nil
}

func (g *mapGraph) Inputs(_ context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.in[id], nil
}

func (g *mapGraph) Outputs(_ context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.out[id], nil
}

var (
	src   = lineage.ID(lineage.Source, "s1")
	snap  = lineage.ID(lineage.Snapshot, "p1")
	fa    = lineage.ID(lineage.FeatureVersion, "a1")
	fb    = lineage.ID(lineage.FeatureVersion, "b1") // depends on a
	set   = lineage.ID(lineage.FeatureSet, "set1")
	ds    = lineage.ID(lineage.Dataset, "d1")
	run   = lineage.ID(lineage.Run, "r1")
	sweep = lineage.ID(lineage.Run, "w1")
	model = lineage.ID(lineage.ModelVersion, "m/1")
)

// tour is a small graph of every kind: a source feeds two features (one
// built on the other), both go into a set and a dataset, the dataset into
// a run and a sweep, the run into a registered model.
func tour() *mapGraph {
	g := newMapGraph(
		[2]lineage.NodeID{src, fa}, [2]lineage.NodeID{src, fb}, [2]lineage.NodeID{fa, fb},
		[2]lineage.NodeID{fa, set}, [2]lineage.NodeID{fb, set},
		[2]lineage.NodeID{fa, ds}, [2]lineage.NodeID{fb, ds}, [2]lineage.NodeID{src, snap}, [2]lineage.NodeID{snap, ds},
		[2]lineage.NodeID{ds, run}, [2]lineage.NodeID{ds, sweep}, [2]lineage.NodeID{run, model})
	g.attrs[sweep] = map[string]string{lineage.AttrSweepOf: "6"}
	return g
}

func TestImpactSortsByKindAndSplitsSweeps(t *testing.T) {
	imp, err := lineage.ImpactOf(context.Background(), tour(), []lineage.NodeID{fa})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ns []*lineage.Node) []lineage.NodeID {
		var out []lineage.NodeID
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	for _, c := range []struct {
		what      string
		got, want []lineage.NodeID
	}{
		{"roots", ids(imp.Roots), []lineage.NodeID{fa}},
		{"models", ids(imp.Models), []lineage.NodeID{model}},
		{"runs", ids(imp.Runs), []lineage.NodeID{run}},
		{"sweeps", ids(imp.Sweeps), []lineage.NodeID{sweep}},
		{"datasets", ids(imp.Datasets), []lineage.NodeID{ds}},
		{"features", ids(imp.Features), []lineage.NodeID{fb}},
		{"sets", ids(imp.Sets), []lineage.NodeID{set}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestImpactOfALeafIsEmptyNotNil(t *testing.T) {
	imp, err := lineage.ImpactOf(context.Background(), tour(), []lineage.NodeID{model})
	if err != nil {
		t.Fatal(err)
	}
	for name, part := range map[string][]*lineage.Node{"models": imp.Models, "runs": imp.Runs, "sweeps": imp.Sweeps,
		"datasets": imp.Datasets, "features": imp.Features, "sets": imp.Sets} {
		if part == nil || len(part) != 0 {
			t.Errorf("%s: got %v, want an empty list (JSON [] rather than null)", name, part)
		}
	}
}

func TestWalkMarksRepeatsAndTruncation(t *testing.T) {
	g := tour()
	trees, err := lineage.Walk(context.Background(), g, []lineage.NodeID{ds}, lineage.Upstream, 2)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := lineage.Text(&buf, trees, lineage.Upstream); err != nil {
		t.Fatal(err)
	}
	// Inputs come sorted: feature:a1, feature:b1, snapshot:p1. b1's input
	// a1 was met before it and is not expanded again; the walk stops two
	// edges down, where the source still has nothing above it but a1 does.
	want := `dataset d1
├─<- feature a1
│     └─<- source s1
├─<- feature b1
│     ├─<- feature a1  (shown above)
│     └─<- source s1  (shown above)
└─<- snapshot p1
      └─<- source s1  (shown above)
`
	if got := buf.String(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	short, err := lineage.Walk(context.Background(), g, []lineage.NodeID{ds}, lineage.Upstream, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !short[0].Truncated || len(short[0].Children) != 0 {
		t.Errorf("depth 0: got %+v, want the root alone, marked truncated", short[0])
	}
	leaf, _ := lineage.Walk(context.Background(), g, []lineage.NodeID{src}, lineage.Upstream, 0)
	if leaf[0].Truncated {
		t.Error("depth 0 on a node with no inputs: marked truncated, but nothing was cut off")
	}
}

func TestDOTAndMermaidPointDownstream(t *testing.T) {
	g := tour()
	ctx := context.Background()
	up, _ := lineage.Walk(ctx, g, []lineage.NodeID{run}, lineage.Upstream, 1)
	down, _ := lineage.Walk(ctx, g, []lineage.NodeID{ds}, lineage.Downstream, 1)
	for _, c := range []struct {
		trees []*lineage.Tree
		d     lineage.Direction
	}{{up, lineage.Upstream}, {down, lineage.Downstream}} {
		var dot, mer bytes.Buffer
		_ = lineage.DOT(&dot, c.trees, c.d)
		_ = lineage.Mermaid(&mer, c.trees, c.d)
		if !strings.Contains(dot.String(), `"dataset:d1" -> "run:r1";`) {
			t.Errorf("%s DOT: no edge from the dataset to the run:\n%s", c.d, dot.String())
		}
		if strings.Contains(dot.String(), `"run:r1" -> "dataset:d1"`) {
			t.Errorf("%s DOT: an edge points upstream:\n%s", c.d, dot.String())
		}
		if !strings.Contains(mer.String(), "flowchart LR") || !strings.Contains(mer.String(), " --> ") {
			t.Errorf("%s Mermaid: %s", c.d, mer.String())
		}
	}
}

func TestParseDirection(t *testing.T) {
	for in, want := range map[string]lineage.Direction{"": lineage.Upstream, "upstream": lineage.Upstream, "downstream": lineage.Downstream} {
		if got, err := lineage.ParseDirection(in); err != nil || got != want {
			t.Errorf("ParseDirection(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := lineage.ParseDirection("sideways"); err == nil || !strings.Contains(err.Error(), "upstream or downstream") {
		t.Errorf("ParseDirection(sideways): %v, want an error naming the choices", err)
	}
}

// TestReachMatchesBruteForce compares Reach, on random DAGs, with the
// transitive closure computed by repeated squaring of the adjacency
// relation, an independent method.
func TestReachMatchesBruteForce(t *testing.T) {
	kinds := []lineage.Kind{lineage.Source, lineage.FeatureVersion, lineage.Dataset, lineage.Run, lineage.ModelVersion}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 2 + r.IntN(25)
		nodes := make([]lineage.NodeID, n)
		for i := range nodes {
			nodes[i] = lineage.ID(kinds[r.IntN(len(kinds))], fmt.Sprintf("n%02d", i))
		}
		reach := make([][]bool, n)
		var edges [][2]lineage.NodeID
		for i := range n {
			reach[i] = make([]bool, n)
			for j := i + 1; j < n; j++ {
				if r.Float64() < 0.15 {
					edges = append(edges, [2]lineage.NodeID{nodes[i], nodes[j]})
					reach[i][j] = true
				}
			}
		}
		for changed := true; changed; {
			changed = false
			for i := range n {
				for j := range n {
					for k := range n {
						if reach[i][k] && reach[k][j] && !reach[i][j] {
							reach[i][j], changed = true, true
						}
					}
				}
			}
		}
		g := newMapGraph(edges...)
		root := r.IntN(n)
		for _, d := range []lineage.Direction{lineage.Downstream, lineage.Upstream} {
			got, err := lineage.Reach(context.Background(), g, []lineage.NodeID{nodes[root]}, d)
			if err != nil {
				t.Fatal(err)
			}
			want := map[lineage.Kind][]lineage.NodeID{}
			for j := range n {
				if (d == lineage.Downstream && reach[root][j]) || (d == lineage.Upstream && reach[j][root]) {
					want[nodes[j].Kind()] = append(want[nodes[j].Kind()], nodes[j])
				}
			}
			for _, k := range kinds {
				slices.Sort(want[k])
				if !slices.Equal(got[k], want[k]) {
					t.Fatalf("seed %d, %s of %s, kind %s: got %v, want %v", seed, d, nodes[root], k, got[k], want[k])
				}
			}
		}
	}
}

func TestWalkStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lineage.Walk(ctx, tour(), []lineage.NodeID{ds}, lineage.Upstream, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk on a cancelled context: %v", err)
	}
	if _, err := lineage.Reach(ctx, tour(), []lineage.NodeID{src}, lineage.Downstream); !errors.Is(err, context.Canceled) {
		t.Errorf("Reach on a cancelled context: %v", err)
	}
}
