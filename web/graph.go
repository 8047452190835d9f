package web

import (
	"net/url"
	"strings"

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

func tooltip(n *lineage.Node) string {
	return strings.Join(append([]string{n.Label}, n.AttrPairs(": ")...), "\n")
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
