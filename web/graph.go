package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"

	"github.com/fs-dev/fs/lineage"
)

// Graph is a lineage graph to draw: its nodes, its edges (upstream to
// downstream) and the nodes to highlight.
type Graph struct {
	Nodes     map[lineage.NodeID]*lineage.Node
	Edges     [][2]lineage.NodeID
	Highlight map[lineage.NodeID]bool
	Roots     map[lineage.NodeID]bool
}

// NewGraph collects the nodes and edges of walks; dir says which way
// they went, so that every edge points downstream.
func NewGraph(trees []*lineage.Tree, dir lineage.Direction) *Graph {
	g := &Graph{Nodes: map[lineage.NodeID]*lineage.Node{}, Highlight: map[lineage.NodeID]bool{}, Roots: map[lineage.NodeID]bool{}}
	seen := map[[2]lineage.NodeID]bool{}
	var walk func(t *lineage.Tree)
	walk = func(t *lineage.Tree) {
		g.Nodes[t.Node.ID] = t.Node
		for _, c := range t.Children {
			e := [2]lineage.NodeID{c.Node.ID, t.Node.ID}
			if dir == lineage.Downstream {
				e = [2]lineage.NodeID{t.Node.ID, c.Node.ID}
			}
			if !seen[e] {
				seen[e] = true
				g.Edges = append(g.Edges, e)
			}
			walk(c)
		}
	}
	for _, t := range trees {
		g.Roots[t.Node.ID] = true
		walk(t)
	}
	return g
}

// kindStyle is how each kind of node is drawn.
var kindStyle = map[lineage.Kind]string{
	lineage.Snapshot:       `fillcolor="#e8f0fe"`,
	lineage.FeatureVersion: `fillcolor="#e6f4ea"`,
	lineage.FeatureSet:     `fillcolor="#fef7e0"`,
	lineage.Dataset:        `fillcolor="#f3e8fd"`,
	lineage.Run:            `fillcolor="#fce8e6"`,
	lineage.ModelVersion:   `fillcolor="#fff0d9", shape=box3d`,
}

// DOT is the graph in Graphviz's language, laid out left to right (source
// snapshots, feature versions, sets, datasets, runs, model versions); each
// node links to href(node).
func (g *Graph) DOT(href func(*lineage.Node) string) string {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=LR; bgcolor=\"transparent\"; nodesep=0.15; ranksep=0.6;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, height=0.3, color=\"#5f6368\"];\n")
	b.WriteString("  edge [color=\"#9aa0a6\", arrowsize=0.6];\n")
	if len(g.Nodes) > 300 {
		b.WriteString("  splines=false; mclimit=0.2;\n") // a large graph: straight edges, fewer ordering passes
	}
	ids := make([]string, 0, len(g.Nodes))
	for id := range g.Nodes {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	for _, s := range ids {
		n := g.Nodes[lineage.NodeID(s)]
		style := kindStyle[n.Kind]
		switch {
		case g.Highlight[n.ID]:
			style += `, color="#d93025", penwidth=2.5`
		case g.Roots[n.ID]:
			style += `, penwidth=2`
		}
		link := ""
		if u := href(n); u != "" {
			link = fmt.Sprintf("URL=%q, ", u)
		}
		fmt.Fprintf(&b, "  %q [label=%q, tooltip=%q, %s%s];\n", s, string(n.Kind)+" "+n.Label, tooltip(n), link, style)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %q -> %q;\n", string(e[0]), string(e[1]))
	}
	// Source snapshots in the first column, registered models in the last.
	for _, kr := range []struct {
		kind lineage.Kind
		rank string
	}{{lineage.Snapshot, "min"}, {lineage.ModelVersion, "max"}} {
		kind, rank := kr.kind, kr.rank
		var same []string
		for _, id := range ids {
			if lineage.NodeID(id).Kind() == kind {
				same = append(same, fmt.Sprintf("%q", id))
			}
		}
		if len(same) > 0 {
			fmt.Fprintf(&b, "  { rank=%s; %s; }\n", rank, strings.Join(same, "; "))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func tooltip(n *lineage.Node) string {
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{n.Label}
	for _, k := range keys {
		parts = append(parts, k+": "+n.Attrs[k])
	}
	return strings.Join(parts, "\n")
}

// NoLinks draws nodes without links: a graph shown outside the web UI.
func NoLinks(*lineage.Node) string { return "" }

// NodeURL is the UI page of a node: a feature's versions, a dataset, a
// run, or the lineage from it.
func NodeURL(n *lineage.Node) string {
	key := n.ID.Key()
	switch n.Kind {
	case lineage.FeatureVersion:
		name, _, _ := strings.Cut(n.Label, "@")
		return "/features/" + url.PathEscape(name) + "#v-" + key
	case lineage.Dataset:
		return "/datasets/" + key
	case lineage.Run:
		return "/runs/" + key
	}
	return "/node?id=" + url.QueryEscape(string(n.ID))
}

// layout renders DOT to SVG with one Graphviz instance at a time, keeping
// the last few drawings: a page opened again is not laid out again.
var layout = struct {
	sync.Mutex
	gv    *graphviz.Graphviz
	cache map[[32]byte]template.HTML
	order [][32]byte
}{cache: map[[32]byte]template.HTML{}}

const layoutCacheSize = 32

// SVG lays the graph out with dot and returns the SVG element.
func (g *Graph) SVG(ctx context.Context, href func(*lineage.Node) string) (template.HTML, error) {
	dot := g.DOT(href)
	key := sha256.Sum256([]byte(dot))
	layout.Lock()
	defer layout.Unlock()
	if svg, ok := layout.cache[key]; ok {
		return svg, nil
	}
	if layout.gv == nil {
		gv, err := graphviz.New(ctx)
		if err != nil {
			return "", fmt.Errorf("start graphviz: %w", err)
		}
		layout.gv = gv
	}
	parsed, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return "", fmt.Errorf("lineage graph: %w", err)
	}
	defer parsed.Close()
	var out bytes.Buffer
	if err := layout.gv.Render(ctx, parsed, graphviz.SVG, &out); err != nil {
		return "", fmt.Errorf("lay out the lineage graph: %w", err)
	}
	svg := out.Bytes()
	if i := bytes.Index(svg, []byte("<svg")); i >= 0 {
		svg = svg[i:] // drop the XML prolog and doctype: the SVG goes inline
	}
	html := template.HTML(svg)
	if len(layout.order) >= layoutCacheSize {
		delete(layout.cache, layout.order[0])
		layout.order = layout.order[1:]
	}
	layout.cache[key] = html
	layout.order = append(layout.order, key)
	return html, nil
}
