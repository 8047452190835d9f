package lineage

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Text draws the trees as an indented tree a person can follow.
func Text(w io.Writer, trees []*Tree, d Direction) error {
	arrow := "<- "
	if d == Downstream {
		arrow = "-> "
	}
	var draw func(t *Tree, prefix string, last bool, root bool)
	draw = func(t *Tree, prefix string, last bool, root bool) {
		line := describe(t.Node)
		if t.Repeat {
			line += "  (shown above)"
		}
		if t.Truncated {
			line += "  (...)"
		}
		switch {
		case root:
			fmt.Fprintln(w, line)
		case last:
			fmt.Fprintln(w, prefix+"└─"+arrow+line)
		default:
			fmt.Fprintln(w, prefix+"├─"+arrow+line)
		}
		childPrefix := prefix
		if !root {
			if last {
				childPrefix += "   " + strings.Repeat(" ", len([]rune(arrow)))
			} else {
				childPrefix += "│  " + strings.Repeat(" ", len([]rune(arrow)))
			}
		}
		for i, c := range t.Children {
			draw(c, childPrefix, i == len(t.Children)-1, false)
		}
	}
	for i, t := range trees {
		if i > 0 {
			fmt.Fprintln(w)
		}
		draw(t, "", true, true)
	}
	return nil
}

func describe(n *Node) string {
	s := fmt.Sprintf("%s %s", n.Kind, n.Label)
	if parts := n.AttrPairs(" "); len(parts) > 0 {
		s += "  [" + strings.Join(parts, ", ") + "]"
	}
	return s
}

// edges lists the trees' nodes and edges once each, edges pointing
// downstream (from input to output).
func edges(trees []*Tree, d Direction) ([]*Node, [][2]NodeID) {
	var nodes []*Node
	seenN := map[NodeID]bool{}
	seenE := map[[2]NodeID]bool{}
	var es [][2]NodeID
	var visit func(t *Tree)
	visit = func(t *Tree) {
		if !seenN[t.Node.ID] {
			seenN[t.Node.ID] = true
			nodes = append(nodes, t.Node)
		}
		for _, c := range t.Children {
			e := [2]NodeID{c.Node.ID, t.Node.ID}
			if d == Downstream {
				e = [2]NodeID{t.Node.ID, c.Node.ID}
			}
			if !seenE[e] {
				seenE[e] = true
				es = append(es, e)
			}
			visit(c)
		}
	}
	for _, t := range trees {
		visit(t)
	}
	return nodes, es
}

var shapes = map[Kind]string{Source: "tab", Snapshot: "cylinder", FeatureVersion: "ellipse", FeatureSet: "folder",
	Dataset: "box3d", Run: "box", ModelVersion: "component"}

// DOT draws the trees as a Graphviz digraph, edges from inputs to outputs.
func DOT(w io.Writer, trees []*Tree, d Direction) error {
	nodes, es := edges(trees, d)
	fmt.Fprintln(w, "digraph lineage {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, `  node [fontname="Helvetica", fontsize=10];`)
	for _, n := range nodes {
		fmt.Fprintf(w, "  %q [label=%q, shape=%s];\n", string(n.ID), string(n.Kind)+"\n"+n.Label, shapes[n.Kind])
	}
	for _, e := range es {
		fmt.Fprintf(w, "  %q -> %q;\n", string(e[0]), string(e[1]))
	}
	fmt.Fprintln(w, "}")
	return nil
}

// Mermaid draws the trees as a Mermaid flowchart.
func Mermaid(w io.Writer, trees []*Tree, d Direction) error {
	nodes, es := edges(trees, d)
	ids := map[NodeID]string{}
	fmt.Fprintln(w, "flowchart LR")
	for i, n := range nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		label := strings.ReplaceAll(string(n.Kind)+" "+n.Label, `"`, "'")
		fmt.Fprintf(w, "  %s[\"%s\"]\n", ids[n.ID], label)
	}
	for _, e := range es {
		fmt.Fprintf(w, "  %s --> %s\n", ids[e[0]], ids[e[1]])
	}
	return nil
}

// JSON writes the trees as one JSON document.
func JSON(w io.Writer, trees []*Tree) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"trees": trees})
}
